// QUANTIZE reference kernel. float -> 8-bit: round(x / scale) (double quotient, as TFLite 2.x's
// optimized AffineQuantize; half away from zero) + zero point, clamped. 8-bit -> 8-bit (requantize,
// e.g. int8 <-> uint8): MultiplyByQuantizedMultiplier(x - zi, si / so) + zo, clamped.
#include <algorithm>
#include <cmath>

#include "engine/kernels/quantization.h"
#include "engine/kernels/reference/math_kernels.h"

namespace tpulab::engine {

namespace {

class QuantizeReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    const TensorRef& in = ctx.in(0);
    TensorRef& out = ctx.out(0);
    out.shape = in.shape;
    check_supported(is_8bit(out.dtype), ctx, "QUANTIZE to " + dtype_name(out.dtype));
    check_quantized(out, ctx, "output");
    check_supported(out.quant->scale.size() == 1, ctx, "per-channel QUANTIZE");
    in_type_ = in.dtype;
    out_type_ = out.dtype;
    scale_ = out.scale();
    zo_ = out.zero_point();
    if (in.dtype == DType::kFloat32) return;
    check_supported(is_8bit(in.dtype), ctx, "QUANTIZE from " + dtype_name(in.dtype));
    check_quantized(in, ctx, "input");
    zi_ = in.zero_point();
    m_ = quantize_multiplier(static_cast<double>(in.scale()) / static_cast<double>(out.scale()));
  }

  void eval(const OpContext& ctx) const override {
    const int64_t n = ctx.in(0).num_elements();
    if (out_type_ == DType::kUInt8)
      from_input<uint8_t>(ctx, n);
    else
      from_input<int8_t>(ctx, n);
  }

 private:
  template <typename Out>
  void from_input(const OpContext& ctx, int64_t n) const {
    Out* y = ctx.out(0).as<Out>();
    switch (in_type_) {
      case DType::kFloat32: {
        const float* x = ctx.in(0).as<float>();
        for (int64_t i = 0; i < n; ++i) {
          y[i] = static_cast<Out>(quantize_float(x[i], scale_, zo_, out_type_));
        }
        break;
      }
      case DType::kUInt8:
        requantize(ctx.in(0).as<uint8_t>(), y, n);
        break;
      default:
        requantize(ctx.in(0).as<int8_t>(), y, n);
        break;
    }
  }
  template <typename In, typename Out>
  void requantize(const In* x, Out* y, int64_t n) const {
    for (int64_t i = 0; i < n; ++i) {
      const int32_t q = multiply_by_quantized_multiplier(int32_t{x[i]} - zi_, m_) + zo_;
      y[i] = static_cast<Out>(std::clamp(q, qmin(out_type_), qmax(out_type_)));
    }
  }

  DType in_type_ = DType::kFloat32, out_type_ = DType::kUInt8;
  double scale_ = 1.0;
  int32_t zi_ = 0, zo_ = 0;
  QuantizedMultiplier m_;
};

}  // namespace

std::unique_ptr<Kernel> make_reference_quantize() { return std::make_unique<QuantizeReference>(); }

}  // namespace tpulab::engine
