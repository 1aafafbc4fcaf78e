// Shape and quantization checks shared by CONV_2D and DEPTHWISE_CONV_2D plans.
#pragma once

#include "engine/kernels/reference/math_kernels.h"

namespace tpulab::engine {

// Fills out_h/out_w/pad_* from the input size and the filter (TFLite's padding arithmetic), and
// sets the output shape [batches, out_h, out_w, out_c].
void set_conv_geometry(ConvPlan& p, OpContext& ctx, Padding padding, int32_t stride_h,
                       int32_t stride_w, int32_t dilation_h, int32_t dilation_w);
// Checks dtypes, quantization and bias, and precomputes the per-channel multipliers (filter
// scales along `channel_axis`) and the activation range.
void set_conv_quantization(ConvPlan& p, OpContext& ctx, Activation activation, int channel_axis);

}  // namespace tpulab::engine
