// DEQUANTIZE reference kernel: float(double(scale) * (x - zero_point)), as TFLite computes it.
#include "engine/kernels/reference/math_kernels.h"

namespace tpulab::engine {

namespace {

class DequantizeReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    const TensorRef& in = ctx.in(0);
    TensorRef& out = ctx.out(0);
    out.shape = in.shape;
    check_supported(is_8bit(in.dtype), ctx, "DEQUANTIZE from " + dtype_name(in.dtype));
    check_supported(out.dtype == DType::kFloat32, ctx, "DEQUANTIZE to " + dtype_name(out.dtype));
    check_quantized(in, ctx, "input");
    check_supported(in.quant->scale.size() == 1, ctx, "per-channel DEQUANTIZE");
    dtype_ = in.dtype;
    scale_ = in.scale();
    zp_ = in.zero_point();
  }

  void eval(const OpContext& ctx) const override {
    const int64_t n = ctx.in(0).num_elements();
    if (dtype_ == DType::kUInt8)
      run(ctx.in(0).as<uint8_t>(), ctx.out(0).as<float>(), n);
    else
      run(ctx.in(0).as<int8_t>(), ctx.out(0).as<float>(), n);
  }

 private:
  template <typename T>
  void run(const T* x, float* y, int64_t n) const {
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(scale_ * (int32_t{x[i]} - zp_));
  }

  DType dtype_ = DType::kUInt8;
  double scale_ = 0.0;
  int32_t zp_ = 0;
};

}  // namespace

std::unique_ptr<Kernel> make_reference_dequantize() {
  return std::make_unique<DequantizeReference>();
}

}  // namespace tpulab::engine
