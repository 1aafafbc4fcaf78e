// UNPACK reference kernel: splits a tensor along an axis into `num` tensors without that axis.
#include <cstring>

#include "engine/kernels/kernel_util.h"
#include "engine/kernels/reference/tensor_kernels.h"
#include "engine/kernels/tensor_util.h"

namespace tpulab::engine {

namespace {

class UnpackReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    const auto o = options_or_default<UnpackOptions>(ctx);
    const TensorRef& in = ctx.in(0);
    check_model(in.rank() > 0, ctx, "cannot unpack a scalar");
    const int32_t axis = normalize_axis(o.axis, in.rank(), ctx);
    const int32_t dim = in.shape[static_cast<size_t>(axis)];
    const size_t n = ctx.outputs.size();
    check_model(dim == static_cast<int32_t>(n) && (o.num == 0 || o.num == dim), ctx,
                "dimension " + std::to_string(dim) + " but " + std::to_string(n) + " outputs");
    elem_ = element_size(in.dtype, ctx);
    outer_ = dims_product(in.shape, 0, static_cast<size_t>(axis));
    chunk_bytes_ =
        static_cast<size_t>(dims_product(in.shape, static_cast<size_t>(axis) + 1, in.rank())) *
        elem_;
    for (size_t i = 0; i < n; ++i) {
      TensorRef& out = ctx.out(i);
      check_model(out.dtype == in.dtype, ctx, "output type differs from the input's");
      if (in.dtype == DType::kUInt8 || in.dtype == DType::kInt8)
        check_model(same_quantization(in, out), ctx, "output quantized differently from the input");
      out.shape = in.shape;
      out.shape.erase(out.shape.begin() + axis);
    }
  }

  void eval(const OpContext& ctx) const override {
    const uint8_t* src = ctx.in(0).data;
    const size_t n = ctx.outputs.size();
    for (int64_t k = 0; k < outer_; ++k)
      for (size_t i = 0; i < n; ++i) {
        std::memcpy(ctx.out(i).data + static_cast<size_t>(k) * chunk_bytes_, src, chunk_bytes_);
        src += chunk_bytes_;
      }
  }

 private:
  size_t elem_ = 1, chunk_bytes_ = 0;
  int64_t outer_ = 1;
};

}  // namespace

std::unique_ptr<Kernel> make_reference_unpack() { return std::make_unique<UnpackReference>(); }

}  // namespace tpulab::engine
