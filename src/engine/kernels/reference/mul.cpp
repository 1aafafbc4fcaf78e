// MUL reference kernel. 8-bit: out = MultiplyByQuantizedMultiplier((a - za) * (b - zb), M) + zo
// with M = sa * sb / so computed in float as TFLite does; int32: the wrapping product clamped to
// the fused activation's range; 4-D broadcasting.
#include <algorithm>
#include <tuple>

#include "engine/kernels/quantization.h"
#include "engine/kernels/reference/math_kernels.h"

namespace tpulab::engine {

MulPlan plan_mul(OpContext& ctx) {
  const auto o = options_or_default<MulDivOptions>(ctx);
  const TensorRef& a = ctx.in(0);
  const TensorRef& b = ctx.in(1);
  TensorRef& out = ctx.out(0);
  check_model(a.dtype == b.dtype && out.dtype == a.dtype, ctx, "input and output types differ");
  MulPlan p;
  p.dtype = a.dtype;
  out.shape = broadcast_shape(a.shape, b.shape, ctx);
  p.bc = broadcast_4d(a.shape, b.shape);
  if (a.dtype == DType::kFloat32) {
    std::tie(p.f_min, p.f_max) = float_activation_range(o.activation);
    return p;
  }
  if (a.dtype == DType::kInt32) {
    std::tie(p.act_min, p.act_max) = int32_activation_range(o.activation);
    return p;
  }
  check_supported(is_8bit(a.dtype), ctx, "MUL on " + dtype_name(a.dtype));
  check_quantized(a, ctx, "input 1");
  check_quantized(b, ctx, "input 2");
  check_quantized(out, ctx, "output");
  p.za = a.zero_point();
  p.zb = b.zero_point();
  p.zo = out.zero_point();
  // float product and quotient, widened afterwards (TFLite's expression has float operands).
  const float real = a.scale() * b.scale() / out.scale();
  const QuantizedMultiplier m = quantize_multiplier(static_cast<double>(real));
  p.multiplier = m.multiplier;
  p.shift = m.shift;
  std::tie(p.act_min, p.act_max) = quantized_activation_range(o.activation, out);
  return p;
}

template <typename T>
T mul_element(const MulPlan& p, T a, T b) {
  if constexpr (std::is_same_v<T, float>) {
    return std::min(std::max(a * b, p.f_min), p.f_max);
  } else if constexpr (std::is_same_v<T, int32_t>) {
    return std::clamp(wrapping_mul(a, b), p.act_min, p.act_max);
  } else {
    const int32_t prod = (int32_t{a} - p.za) * (int32_t{b} - p.zb);
    const int32_t r = multiply_by_quantized_multiplier(prod, {p.multiplier, p.shift}) + p.zo;
    return static_cast<T>(std::clamp(r, p.act_min, p.act_max));
  }
}
template uint8_t mul_element<uint8_t>(const MulPlan&, uint8_t, uint8_t);
template int8_t mul_element<int8_t>(const MulPlan&, int8_t, int8_t);

namespace {

template <typename T>
void mul(const MulPlan& p, const OpContext& ctx) {
  const T* a = ctx.in(0).as<T>();
  const T* b = ctx.in(1).as<T>();
  T* out = ctx.out(0).as<T>();
  const Broadcast4D& bc = p.bc;
  const auto& d = bc.out;
  int64_t i = 0;
  for (int32_t n = 0; n < d[0]; ++n)
    for (int32_t y = 0; y < d[1]; ++y)
      for (int32_t x = 0; x < d[2]; ++x)
        for (int32_t c = 0; c < d[3]; ++c, ++i) {
          const T va =
              a[n * bc.stride_a[0] + y * bc.stride_a[1] + x * bc.stride_a[2] + c * bc.stride_a[3]];
          const T vb =
              b[n * bc.stride_b[0] + y * bc.stride_b[1] + x * bc.stride_b[2] + c * bc.stride_b[3]];
          out[i] = mul_element<T>(p, va, vb);
        }
}

class MulReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override { plan_ = plan_mul(ctx); }
  void eval(const OpContext& ctx) const override { mul_reference(plan_, ctx); }

 private:
  MulPlan plan_;
};

}  // namespace

void mul_reference(const MulPlan& p, const OpContext& ctx) {
  switch (p.dtype) {
    case DType::kUInt8:
      mul<uint8_t>(p, ctx);
      break;
    case DType::kInt8:
      mul<int8_t>(p, ctx);
      break;
    case DType::kInt32:
      mul<int32_t>(p, ctx);
      break;
    default:
      mul<float>(p, ctx);
      break;
  }
}

std::unique_ptr<Kernel> make_reference_mul() { return std::make_unique<MulReference>(); }

}  // namespace tpulab::engine
