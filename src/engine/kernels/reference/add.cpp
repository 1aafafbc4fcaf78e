// ADD reference kernel, and the ADD/SUB plan and loop they share. 8-bit: TFLite's general
// rescaling path (both inputs shifted left by 20 bits, scaled to twice the larger input scale,
// summed, scaled to the output); int32: the wrapping sum clamped to the fused activation's
// range; 4-D broadcasting as TFLite's BroadcastAdd4DSlow.
#include <algorithm>
#include <tuple>

#include "engine/kernels/quantization.h"
#include "engine/kernels/reference/math_kernels.h"

namespace tpulab::engine {

AddSubPlan plan_add_sub(OpContext& ctx, bool subtract) {
  const auto o = options_or_default<AddSubOptions>(ctx);
  const TensorRef& a = ctx.in(0);
  const TensorRef& b = ctx.in(1);
  TensorRef& out = ctx.out(0);
  check_model(a.dtype == b.dtype && out.dtype == a.dtype, ctx, "input and output types differ");
  AddSubPlan p;
  p.dtype = a.dtype;
  p.subtract = subtract;
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
  check_supported(is_8bit(a.dtype), ctx, (subtract ? "SUB on " : "ADD on ") + dtype_name(a.dtype));
  check_quantized(a, ctx, "input 1");
  check_quantized(b, ctx, "input 2");
  check_quantized(out, ctx, "output");
  p.input1_offset = -a.zero_point();
  p.input2_offset = -b.zero_point();
  p.output_offset = out.zero_point();
  p.left_shift = 20;
  // Same types as TFLite: the doubled maximum is a float, the ratios are doubles.
  const double twice_max = 2 * std::max(a.scale(), b.scale());
  const double real1 = a.scale() / twice_max;
  const double real2 = b.scale() / twice_max;
  const double real_out = twice_max / ((1 << p.left_shift) * out.scale());
  check_supported(real_out < 1.0, ctx, "output scale too small for 8-bit ADD/SUB rescaling");
  const auto m1 = quantize_multiplier_smaller_than_one(real1);
  const auto m2 = quantize_multiplier_smaller_than_one(real2);
  const auto mo = quantize_multiplier_smaller_than_one(real_out);
  p.input1_multiplier = m1.multiplier;
  p.input1_shift = m1.shift;
  p.input2_multiplier = m2.multiplier;
  p.input2_shift = m2.shift;
  p.output_multiplier = mo.multiplier;
  p.output_shift = mo.shift;
  std::tie(p.act_min, p.act_max) = quantized_activation_range(o.activation, out);
  return p;
}

template <typename T>
T add_sub_element(const AddSubPlan& p, T x, T y) {
  if constexpr (std::is_same_v<T, float>) {
    const float r = p.subtract ? x - y : x + y;
    return std::min(std::max(r, p.f_min), p.f_max);
  } else if constexpr (std::is_same_v<T, int32_t>) {
    const int32_t r = p.subtract ? wrapping_sub(x, y) : wrapping_add(x, y);
    return std::clamp(r, p.act_min, p.act_max);
  } else {
    const int32_t sx = (p.input1_offset + x) * (1 << p.left_shift);
    const int32_t sy = (p.input2_offset + y) * (1 << p.left_shift);
    const int32_t x1 = multiply_by_quantized_multiplier(sx, {p.input1_multiplier, p.input1_shift});
    const int32_t y1 = multiply_by_quantized_multiplier(sy, {p.input2_multiplier, p.input2_shift});
    const int32_t raw = p.subtract ? x1 - y1 : x1 + y1;
    const int32_t r = multiply_by_quantized_multiplier(raw, {p.output_multiplier, p.output_shift}) +
                      p.output_offset;
    return static_cast<T>(std::clamp(r, p.act_min, p.act_max));
  }
}

template uint8_t add_sub_element<uint8_t>(const AddSubPlan&, uint8_t, uint8_t);
template int8_t add_sub_element<int8_t>(const AddSubPlan&, int8_t, int8_t);

namespace {

template <typename T>
void add_sub(const AddSubPlan& p, const OpContext& ctx) {
  const T* a = ctx.in(0).as<T>();
  const T* b = ctx.in(1).as<T>();
  T* out = ctx.out(0).as<T>();
  const auto& d = p.bc.out;
  int64_t i = 0;
  for (int32_t n = 0; n < d[0]; ++n)
    for (int32_t y = 0; y < d[1]; ++y)
      for (int32_t x = 0; x < d[2]; ++x)
        for (int32_t c = 0; c < d[3]; ++c, ++i) {
          const int64_t ia = n * p.bc.stride_a[0] + y * p.bc.stride_a[1] + x * p.bc.stride_a[2] +
                             c * p.bc.stride_a[3];
          const int64_t ib = n * p.bc.stride_b[0] + y * p.bc.stride_b[1] + x * p.bc.stride_b[2] +
                             c * p.bc.stride_b[3];
          out[i] = add_sub_element<T>(p, a[ia], b[ib]);
        }
}

class AddReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override { plan_ = plan_add_sub(ctx, /*subtract=*/false); }
  void eval(const OpContext& ctx) const override { add_sub_reference(plan_, ctx); }

 private:
  AddSubPlan plan_;
};

}  // namespace

void add_sub_reference(const AddSubPlan& p, const OpContext& ctx) {
  switch (p.dtype) {
    case DType::kUInt8:
      add_sub<uint8_t>(p, ctx);
      break;
    case DType::kInt8:
      add_sub<int8_t>(p, ctx);
      break;
    case DType::kInt32:
      add_sub<int32_t>(p, ctx);
      break;
    default:
      add_sub<float>(p, ctx);
      break;
  }
}

std::unique_ptr<Kernel> make_reference_add() { return std::make_unique<AddReference>(); }

}  // namespace tpulab::engine
