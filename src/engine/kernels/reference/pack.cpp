// PACK reference kernel: stacks N tensors of the same shape along a new axis. 8-bit inputs must
// share the output's quantization (TFLite copies bytes).
#include <cstring>

#include "engine/kernels/kernel_util.h"
#include "engine/kernels/reference/tensor_kernels.h"
#include "engine/kernels/tensor_util.h"

namespace tpulab::engine {

namespace {

class PackReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    const auto o = options_or_default<PackOptions>(ctx);
    const size_t n = ctx.inputs.size();
    check_model(n > 0, ctx, "no inputs");
    check_model(
        o.values_count == static_cast<int32_t>(n), ctx,
        "values_count " + std::to_string(o.values_count) + " but " + std::to_string(n) + " inputs");
    const TensorRef& first = ctx.in(0);
    TensorRef& out = ctx.out(0);
    const int32_t axis = normalize_axis(o.axis, first.rank() + 1, ctx);
    for (size_t i = 0; i < n; ++i) {
      const TensorRef& t = ctx.in(i);
      check_model(t.dtype == first.dtype && t.shape == first.shape, ctx,
                  "inputs differ in type or shape");
      if (t.dtype == DType::kUInt8 || t.dtype == DType::kInt8)
        check_model(same_quantization(t, out), ctx, "input quantized differently from the output");
    }
    check_model(out.dtype == first.dtype, ctx, "output type differs from the inputs'");
    out.shape = first.shape;
    out.shape.insert(out.shape.begin() + axis, static_cast<int32_t>(n));
    elem_ = element_size(first.dtype, ctx);
    outer_ = dims_product(first.shape, 0, static_cast<size_t>(axis));
    chunk_bytes_ =
        static_cast<size_t>(dims_product(first.shape, static_cast<size_t>(axis), first.rank())) *
        elem_;
  }

  void eval(const OpContext& ctx) const override {
    uint8_t* dst = ctx.out(0).data;
    const size_t n = ctx.inputs.size();
    for (int64_t k = 0; k < outer_; ++k)
      for (size_t i = 0; i < n; ++i) {
        std::memcpy(dst, ctx.in(i).data + static_cast<size_t>(k) * chunk_bytes_, chunk_bytes_);
        dst += chunk_bytes_;
      }
  }

 private:
  size_t elem_ = 1, chunk_bytes_ = 0;
  int64_t outer_ = 1;
};

}  // namespace

std::unique_ptr<Kernel> make_reference_pack() { return std::make_unique<PackReference>(); }

}  // namespace tpulab::engine
