// SPLIT reference kernel: input 0 is the axis (a constant scalar), input 1 the tensor, split into
// as many equal parts along the axis as the op has outputs.
#include <cstring>

#include "engine/kernels/kernel_util.h"
#include "engine/kernels/reference/tensor_kernels.h"
#include "engine/kernels/tensor_util.h"

namespace tpulab::engine {

namespace {

class SplitReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    const auto axis_values = constant_ints(ctx.in(0), ctx, "axis");
    check_model(axis_values.size() == 1, ctx, "axis must be a single value");
    const TensorRef& in = ctx.in(1);
    const size_t parts = ctx.outputs.size();
    check_model(parts > 0, ctx, "no outputs");
    if (const auto* o = ctx.op->options_as<SplitOptions>())
      check_model(o->num_splits == static_cast<int32_t>(parts), ctx,
                  "num_splits " + std::to_string(o->num_splits) + " but " + std::to_string(parts) +
                      " outputs");
    const int32_t axis = normalize_axis(axis_values[0], in.rank(), ctx);
    const int32_t dim = in.shape[static_cast<size_t>(axis)];
    check_model(
        dim % static_cast<int32_t>(parts) == 0, ctx,
        "dimension " + std::to_string(dim) + " does not split into " + std::to_string(parts));
    elem_ = element_size(in.dtype, ctx);
    outer_ = dims_product(in.shape, 0, static_cast<size_t>(axis));
    const int64_t inner = dims_product(in.shape, static_cast<size_t>(axis) + 1, in.rank());
    chunk_bytes_ = static_cast<size_t>(dim / static_cast<int32_t>(parts) * inner) * elem_;
    for (size_t i = 0; i < parts; ++i) {
      TensorRef& out = ctx.out(i);
      check_model(out.dtype == in.dtype, ctx, "output type differs from the input's");
      out.shape = in.shape;
      out.shape[static_cast<size_t>(axis)] = dim / static_cast<int32_t>(parts);
    }
  }

  void eval(const OpContext& ctx) const override {
    const uint8_t* src = ctx.in(1).data;
    const size_t parts = ctx.outputs.size();
    for (int64_t k = 0; k < outer_; ++k)
      for (size_t i = 0; i < parts; ++i) {
        std::memcpy(ctx.out(i).data + static_cast<size_t>(k) * chunk_bytes_, src, chunk_bytes_);
        src += chunk_bytes_;
      }
  }

 private:
  size_t elem_ = 1, chunk_bytes_ = 0;
  int64_t outer_ = 1;
};

}  // namespace

std::unique_ptr<Kernel> make_reference_split() { return std::make_unique<SplitReference>(); }

}  // namespace tpulab::engine
