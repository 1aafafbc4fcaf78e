// Shape and quantization checks shared by AVERAGE_POOL_2D and MAX_POOL_2D.
#include <tuple>

#include "engine/kernels/quantization.h"
#include "engine/kernels/reference/math_kernels.h"

namespace tpulab::engine {

PoolPlan plan_pool_2d(OpContext& ctx) {
  const auto o = options_or_default<Pool2DOptions>(ctx);
  const TensorRef& input = ctx.in(0);
  TensorRef& output = ctx.out(0);
  check_model(input.rank() == 4, ctx, "input must be 4-D");
  check_model(o.stride_h > 0 && o.stride_w > 0 && o.filter_h > 0 && o.filter_w > 0, ctx,
              "filter size and strides must be positive");
  check_model(output.dtype == input.dtype, ctx, "output type differs from input type");
  PoolPlan p;
  p.dtype = input.dtype;
  p.batches = input.dim(0);
  p.in_h = input.dim(1);
  p.in_w = input.dim(2);
  p.channels = input.dim(3);
  p.filter_h = o.filter_h;
  p.filter_w = o.filter_w;
  p.stride_h = o.stride_h;
  p.stride_w = o.stride_w;
  p.out_h = conv_output_size(o.padding, p.in_h, p.filter_h, p.stride_h, 1);
  p.out_w = conv_output_size(o.padding, p.in_w, p.filter_w, p.stride_w, 1);
  check_model(p.out_h > 0 && p.out_w > 0, ctx, "pooling window larger than the input");
  p.pad_h = conv_padding(p.stride_h, 1, p.in_h, p.filter_h, p.out_h);
  p.pad_w = conv_padding(p.stride_w, 1, p.in_w, p.filter_w, p.out_w);
  output.shape = {p.batches, p.out_h, p.out_w, p.channels};
  if (input.dtype == DType::kFloat32) {
    std::tie(p.f_min, p.f_max) = float_activation_range(o.activation);
    return p;
  }
  check_supported(is_8bit(input.dtype), ctx, "pooling on " + dtype_name(input.dtype));
  check_quantized(input, ctx, "input");
  check_quantized(output, ctx, "output");
  // TFLite's quantized pooling does not rescale.
  check_model(input.scale() == output.scale() && input.zero_point() == output.zero_point(), ctx,
              "quantized pooling needs equal input and output quantization");
  std::tie(p.act_min, p.act_max) = quantized_activation_range(o.activation, output);
  return p;
}

}  // namespace tpulab::engine
