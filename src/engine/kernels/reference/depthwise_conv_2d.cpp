// DEPTHWISE_CONV_2D reference kernel (TFLite's reference_ops::DepthwiseConv /
// reference_integer_ops::DepthwiseConvPerChannel semantics): filter [1, kh, kw, in_c * m],
// output channel c = ic * m + j reads input channel ic.
#include <algorithm>

#include "engine/kernels/quantization.h"
#include "engine/kernels/reference/conv_common.h"

namespace tpulab::engine {

ConvPlan plan_depthwise_conv_2d(OpContext& ctx) {
  const auto o = options_or_default<DepthwiseConv2DOptions>(ctx);
  const TensorRef& input = ctx.in(0);
  const TensorRef& filter = ctx.in(1);
  check_model(input.rank() == 4 && filter.rank() == 4, ctx, "input and filter must be 4-D");
  check_model(filter.dim(0) == 1, ctx, "depthwise filter must have shape [1, h, w, channels]");
  ConvPlan p;
  p.batches = input.dim(0);
  p.in_h = input.dim(1);
  p.in_w = input.dim(2);
  p.in_c = input.dim(3);
  p.k_h = filter.dim(1);
  p.k_w = filter.dim(2);
  p.out_c = filter.dim(3);
  check_model(p.in_c > 0 && p.out_c % p.in_c == 0, ctx,
              "filter channels are not a multiple of input channels");
  // The filter shape decides; TFLite's kernels assume the option agrees with it.
  p.depth_multiplier = p.out_c / p.in_c;
  set_conv_geometry(p, ctx, o.padding, o.stride_h, o.stride_w, o.dilation_h, o.dilation_w);
  set_conv_quantization(p, ctx, o.activation, /*channel_axis=*/3);
  return p;
}

namespace {

template <typename T>
void depthwise_quantized(const ConvPlan& p, const OpContext& ctx) {
  const T* in = ctx.in(0).as<T>();
  const T* w = ctx.in(1).as<T>();
  const int32_t* bias =
      ctx.inputs.size() > 2 && ctx.inputs[2] ? ctx.inputs[2]->as<int32_t>() : nullptr;
  T* out = ctx.out(0).as<T>();
  for (int32_t b = 0; b < p.batches; ++b)
    for (int32_t oy = 0; oy < p.out_h; ++oy)
      for (int32_t ox = 0; ox < p.out_w; ++ox)
        for (int32_t oc = 0; oc < p.out_c; ++oc) {
          const int32_t ic = oc / p.depth_multiplier;
          int32_t acc = 0;
          for (int32_t ky = 0; ky < p.k_h; ++ky) {
            const int32_t iy = oy * p.stride_h - p.pad_h + ky * p.dil_h;
            if (iy < 0 || iy >= p.in_h) continue;
            for (int32_t kx = 0; kx < p.k_w; ++kx) {
              const int32_t ix = ox * p.stride_w - p.pad_w + kx * p.dil_w;
              if (ix < 0 || ix >= p.in_w) continue;
              const int32_t x = in[((int64_t{b} * p.in_h + iy) * p.in_w + ix) * p.in_c + ic];
              const int32_t f = w[(int64_t{ky} * p.k_w + kx) * p.out_c + oc];
              acc += (x - p.input_zp) * (f - p.filter_zp[oc]);
            }
          }
          if (bias) acc += bias[oc];
          acc =
              multiply_by_quantized_multiplier(acc, {p.multiplier[oc], p.shift[oc]}) + p.output_zp;
          acc = std::clamp(acc, p.act_min, p.act_max);
          out[((int64_t{b} * p.out_h + oy) * p.out_w + ox) * p.out_c + oc] = static_cast<T>(acc);
        }
}

void depthwise_float(const ConvPlan& p, const OpContext& ctx) {
  const float* in = ctx.in(0).as<float>();
  const float* w = ctx.in(1).as<float>();
  const float* bias = ctx.inputs.size() > 2 && ctx.inputs[2] ? ctx.inputs[2]->as<float>() : nullptr;
  float* out = ctx.out(0).as<float>();
  for (int32_t b = 0; b < p.batches; ++b)
    for (int32_t oy = 0; oy < p.out_h; ++oy)
      for (int32_t ox = 0; ox < p.out_w; ++ox)
        for (int32_t oc = 0; oc < p.out_c; ++oc) {
          const int32_t ic = oc / p.depth_multiplier;
          // LiteRT's reference kernel sums the taps from zero and adds the bias last.
          float acc = 0.0f;
          for (int32_t ky = 0; ky < p.k_h; ++ky) {
            const int32_t iy = oy * p.stride_h - p.pad_h + ky * p.dil_h;
            if (iy < 0 || iy >= p.in_h) continue;
            for (int32_t kx = 0; kx < p.k_w; ++kx) {
              const int32_t ix = ox * p.stride_w - p.pad_w + kx * p.dil_w;
              if (ix < 0 || ix >= p.in_w) continue;
              acc += in[((int64_t{b} * p.in_h + iy) * p.in_w + ix) * p.in_c + ic] *
                     w[(int64_t{ky} * p.k_w + kx) * p.out_c + oc];
            }
          }
          if (bias) acc += bias[oc];
          out[((int64_t{b} * p.out_h + oy) * p.out_w + ox) * p.out_c + oc] =
              std::min(std::max(acc, p.f_min), p.f_max);
        }
}

class DepthwiseConv2DReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override { plan_ = plan_depthwise_conv_2d(ctx); }
  void eval(const OpContext& ctx) const override { depthwise_conv_2d_reference(plan_, ctx); }

 private:
  ConvPlan plan_;
};

}  // namespace

void depthwise_conv_2d_reference(const ConvPlan& p, const OpContext& ctx) {
  switch (p.dtype) {
    case DType::kUInt8:
      depthwise_quantized<uint8_t>(p, ctx);
      break;
    case DType::kInt8:
      depthwise_quantized<int8_t>(p, ctx);
      break;
    default:
      depthwise_float(p, ctx);
      break;
  }
}

std::unique_ptr<Kernel> make_reference_depthwise_conv_2d() {
  return std::make_unique<DepthwiseConv2DReference>();
}

}  // namespace tpulab::engine
