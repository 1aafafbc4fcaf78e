// CONV_2D reference kernel (TFLite's reference_ops::Conv / reference_integer_ops::ConvPerChannel
// semantics): NHWC input, OHWI filter, optional bias, padding SAME/VALID, stride, dilation.
#include <algorithm>

#include "engine/kernels/quantization.h"
#include "engine/kernels/reference/conv_common.h"
#include "engine/kernels/reference/math_kernels.h"

namespace tpulab::engine {

ConvPlan plan_conv_2d(OpContext& ctx) {
  const auto o = options_or_default<Conv2DOptions>(ctx);
  const TensorRef& input = ctx.in(0);
  const TensorRef& filter = ctx.in(1);
  check_model(input.rank() == 4 && filter.rank() == 4, ctx, "input and filter must be 4-D");
  ConvPlan p;
  p.batches = input.dim(0);
  p.in_h = input.dim(1);
  p.in_w = input.dim(2);
  p.in_c = input.dim(3);
  p.out_c = filter.dim(0);
  p.k_h = filter.dim(1);
  p.k_w = filter.dim(2);
  check_model(filter.dim(3) == p.in_c, ctx, "filter depth differs from input channels");
  set_conv_geometry(p, ctx, o.padding, o.stride_h, o.stride_w, o.dilation_h, o.dilation_w);
  set_conv_quantization(p, ctx, o.activation, /*channel_axis=*/0);
  return p;
}

namespace {

template <typename T>
void conv_quantized(const ConvPlan& p, const OpContext& ctx) {
  const T* in = ctx.in(0).as<T>();
  const T* w = ctx.in(1).as<T>();
  const int32_t* bias =
      ctx.inputs.size() > 2 && ctx.inputs[2] ? ctx.inputs[2]->as<int32_t>() : nullptr;
  T* out = ctx.out(0).as<T>();
  for (int32_t b = 0; b < p.batches; ++b)
    for (int32_t oy = 0; oy < p.out_h; ++oy)
      for (int32_t ox = 0; ox < p.out_w; ++ox)
        for (int32_t oc = 0; oc < p.out_c; ++oc) {
          int32_t acc = 0;
          for (int32_t ky = 0; ky < p.k_h; ++ky) {
            const int32_t iy = oy * p.stride_h - p.pad_h + ky * p.dil_h;
            if (iy < 0 || iy >= p.in_h) continue;
            for (int32_t kx = 0; kx < p.k_w; ++kx) {
              const int32_t ix = ox * p.stride_w - p.pad_w + kx * p.dil_w;
              if (ix < 0 || ix >= p.in_w) continue;
              const T* pin = in + ((int64_t{b} * p.in_h + iy) * p.in_w + ix) * p.in_c;
              const T* pw = w + ((int64_t{oc} * p.k_h + ky) * p.k_w + kx) * p.in_c;
              for (int32_t ic = 0; ic < p.in_c; ++ic)
                acc += (int32_t{pin[ic]} - p.input_zp) * (int32_t{pw[ic]} - p.filter_zp[oc]);
            }
          }
          if (bias) acc += bias[oc];
          // uint8 and int8 alike round twice (LiteRT's reference kernels; the older TFLite
          // that ran int8 through ruy rounded once).
          acc =
              multiply_by_quantized_multiplier(acc, {p.multiplier[oc], p.shift[oc]}) + p.output_zp;
          acc = std::clamp(acc, p.act_min, p.act_max);
          out[((int64_t{b} * p.out_h + oy) * p.out_w + ox) * p.out_c + oc] = static_cast<T>(acc);
        }
}

void conv_float(const ConvPlan& p, const OpContext& ctx) {
  const float* in = ctx.in(0).as<float>();
  const float* w = ctx.in(1).as<float>();
  const float* bias = ctx.inputs.size() > 2 && ctx.inputs[2] ? ctx.inputs[2]->as<float>() : nullptr;
  float* out = ctx.out(0).as<float>();
  for (int32_t b = 0; b < p.batches; ++b)
    for (int32_t oy = 0; oy < p.out_h; ++oy)
      for (int32_t ox = 0; ox < p.out_w; ++ox)
        for (int32_t oc = 0; oc < p.out_c; ++oc) {
          float acc = 0.0f;
          for (int32_t ky = 0; ky < p.k_h; ++ky) {
            const int32_t iy = oy * p.stride_h - p.pad_h + ky * p.dil_h;
            if (iy < 0 || iy >= p.in_h) continue;
            for (int32_t kx = 0; kx < p.k_w; ++kx) {
              const int32_t ix = ox * p.stride_w - p.pad_w + kx * p.dil_w;
              if (ix < 0 || ix >= p.in_w) continue;
              const float* pin = in + ((int64_t{b} * p.in_h + iy) * p.in_w + ix) * p.in_c;
              const float* pw = w + ((int64_t{oc} * p.k_h + ky) * p.k_w + kx) * p.in_c;
              for (int32_t ic = 0; ic < p.in_c; ++ic) acc += pin[ic] * pw[ic];
            }
          }
          if (bias) acc += bias[oc];
          out[((int64_t{b} * p.out_h + oy) * p.out_w + ox) * p.out_c + oc] =
              std::min(std::max(acc, p.f_min), p.f_max);
        }
}

class Conv2DReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override { plan_ = plan_conv_2d(ctx); }
  void eval(const OpContext& ctx) const override { conv_2d_reference(plan_, ctx); }

 private:
  ConvPlan plan_;
};

}  // namespace

void conv_2d_reference(const ConvPlan& p, const OpContext& ctx) {
  switch (p.dtype) {
    case DType::kUInt8:
      conv_quantized<uint8_t>(p, ctx);
      break;
    case DType::kInt8:
      conv_quantized<int8_t>(p, ctx);
      break;
    default:
      conv_float(p, ctx);
      break;
  }
}

std::unique_ptr<Kernel> make_reference_conv_2d() { return std::make_unique<Conv2DReference>(); }

}  // namespace tpulab::engine
