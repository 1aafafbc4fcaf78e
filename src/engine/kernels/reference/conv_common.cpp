#include "engine/kernels/reference/conv_common.h"

#include <string>
#include <tuple>

#include "engine/kernels/quantization.h"

namespace tpulab::engine {

void set_conv_geometry(ConvPlan& p, OpContext& ctx, Padding padding, int32_t stride_h,
                       int32_t stride_w, int32_t dilation_h, int32_t dilation_w) {
  check_model(stride_h > 0 && stride_w > 0 && dilation_h > 0 && dilation_w > 0, ctx,
              "strides and dilations must be positive");
  check_model(p.k_h > 0 && p.k_w > 0 && p.out_c > 0, ctx, "empty filter");
  p.stride_h = stride_h;
  p.stride_w = stride_w;
  p.dil_h = dilation_h;
  p.dil_w = dilation_w;
  p.out_h = conv_output_size(padding, p.in_h, p.k_h, stride_h, dilation_h);
  p.out_w = conv_output_size(padding, p.in_w, p.k_w, stride_w, dilation_w);
  check_model(p.out_h > 0 && p.out_w > 0, ctx, "filter larger than the (padded) input");
  p.pad_h = conv_padding(stride_h, dilation_h, p.in_h, p.k_h, p.out_h);
  p.pad_w = conv_padding(stride_w, dilation_w, p.in_w, p.k_w, p.out_w);
  ctx.out(0).shape = {p.batches, p.out_h, p.out_w, p.out_c};
}

void set_conv_quantization(ConvPlan& p, OpContext& ctx, Activation activation, int channel_axis) {
  const TensorRef& input = ctx.in(0);
  const TensorRef& filter = ctx.in(1);
  const TensorRef* bias = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
  TensorRef& output = ctx.out(0);
  p.dtype = input.dtype;
  check_model(output.dtype == input.dtype, ctx, "output type differs from input type");
  if (bias)
    check_model(bias->num_elements() == p.out_c, ctx, "bias size differs from output channels");
  if (input.dtype == DType::kFloat32) {
    check_supported(filter.dtype == DType::kFloat32, ctx,
                    "hybrid (float input, quantized filter) convolution");
    if (bias)
      check_model(bias->dtype == DType::kFloat32, ctx, "float convolution needs a float bias");
    std::tie(p.f_min, p.f_max) = float_activation_range(activation);
    return;
  }
  check_supported(is_8bit(input.dtype), ctx, "convolution on " + dtype_name(input.dtype));
  check_model(filter.dtype == input.dtype, ctx, "filter type differs from input type");
  if (bias)
    check_model(bias->dtype == DType::kInt32, ctx, "quantized convolution needs an int32 bias");
  check_quantized(input, ctx, "input");
  check_quantized(output, ctx, "output");
  check_model(filter.quant != nullptr && !filter.quant->scale.empty(), ctx,
              "filter has no quantization");
  const Quantization& fq = *filter.quant;
  const size_t n = fq.scale.size();
  check_model(n == 1 || (n == static_cast<size_t>(p.out_c) && fq.axis == channel_axis), ctx,
              "filter scales must be per tensor or per output channel");
  check_supported(n == 1 || input.dtype == DType::kInt8, ctx, "per-channel uint8 filter");
  check_model(fq.zero_point.empty() || fq.zero_point.size() == n, ctx,
              "filter zero points do not match scales");
  p.input_zp = input.zero_point();
  p.output_zp = output.zero_point();
  p.filter_zp.assign(p.out_c, 0);
  p.multiplier.resize(p.out_c);
  p.shift.resize(p.out_c);
  for (int32_t c = 0; c < p.out_c; ++c) {
    const size_t i = n == 1 ? 0 : static_cast<size_t>(c);
    int32_t zp = fq.zero_point.empty() ? 0 : static_cast<int32_t>(fq.zero_point[i]);
    if (input.dtype == DType::kInt8 && zp != 0) {
      // int8 filters are symmetric. Observed on the oracle: TFLite's CONV_2D refuses a non-zero
      // zero point at prepare; its DEPTHWISE_CONV_2D accepts it and computes as if it were 0.
      check_model(channel_axis != 0, ctx, "int8 filter with a non-zero zero point");
      zp = 0;
    }
    check_model(zp >= qmin(input.dtype) && zp <= qmax(input.dtype), ctx,
                "filter zero point out of range");
    p.filter_zp[c] = zp;
    // uint8 (per-tensor) takes TFLite's legacy GetQuantizedConvolutionMultipler, whose
    // input * filter scale product is a float; int8 per-channel multiplies in double.
    const double product =
        input.dtype == DType::kUInt8
            ? static_cast<double>(input.scale() * fq.scale[i])
            : static_cast<double>(input.scale()) * static_cast<double>(fq.scale[i]);
    const double real = product / static_cast<double>(output.scale());
    const QuantizedMultiplier m = quantize_multiplier(real);
    p.multiplier[c] = m.multiplier;
    p.shift[c] = m.shift;
  }
  std::tie(p.act_min, p.act_max) = quantized_activation_range(activation, output);
}

}  // namespace tpulab::engine
