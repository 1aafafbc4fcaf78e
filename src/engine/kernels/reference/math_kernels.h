// Reference arithmetic kernels: factories for register_math.cpp, and the prepared parameters
// ("plans") of the ops that also have optimized kernels, so that both kernel sets check and
// precompute identically and differ only in eval.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/kernel.h"
#include "engine/kernels/kernel_util.h"
#include "engine/kernels/quantization.h"

namespace tpulab::engine {

// CONV_2D and DEPTHWISE_CONV_2D. Quantized: acc = sum((in - input_zp) * (w - filter_zp[c])) +
// bias[c]; out = clamp(MultiplyByQuantizedMultiplier(acc, multiplier[c], shift[c]) + output_zp).
struct ConvPlan {
  DType dtype = DType::kFloat32;  // input and output type
  int32_t batches = 0, in_h = 0, in_w = 0, in_c = 0;
  int32_t out_h = 0, out_w = 0, out_c = 0;
  int32_t k_h = 0, k_w = 0;
  int32_t stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1, pad_h = 0, pad_w = 0;
  int32_t depth_multiplier = 1;  // depthwise only
  int32_t input_zp = 0;
  std::vector<int32_t> filter_zp;          // per output channel (0 for int8)
  std::vector<int32_t> multiplier, shift;  // per output channel
  int32_t output_zp = 0, act_min = 0, act_max = 0;
  float f_min = 0.0f, f_max = 0.0f;  // float outputs
};
ConvPlan plan_conv_2d(OpContext& ctx);
ConvPlan plan_depthwise_conv_2d(OpContext& ctx);
void conv_2d_reference(const ConvPlan& p, const OpContext& ctx);
void depthwise_conv_2d_reference(const ConvPlan& p, const OpContext& ctx);

// FULLY_CONNECTED: input flattened to [batches, depth], filter [units, depth].
struct FullyConnectedPlan {
  DType dtype = DType::kFloat32;
  int32_t batches = 0, depth = 0, units = 0;
  int32_t input_zp = 0;
  std::vector<int32_t> filter_zp;  // per unit
  // 8-bit: LiteRT's reference FULLY_CONNECTED requantizes in floating point,
  // round(acc * input_scale * filter_scale / output_scale) in double (half away from zero),
  // not with a fixed-point multiplier as CONV_2D does.
  std::vector<double> requant_scale;  // per unit
  int32_t output_zp = 0, act_min = 0, act_max = 0;
  float f_min = 0.0f, f_max = 0.0f;
};
FullyConnectedPlan plan_fully_connected(OpContext& ctx);
void fully_connected_reference(const FullyConnectedPlan& p, const OpContext& ctx);
// The 8-bit output stage of unit `u`: the accumulator (bias included) requantized, offset by the
// output zero point and clamped; shared with the optimized kernel, which only sums faster.
int32_t fully_connected_output(const FullyConnectedPlan& p, int32_t acc, int32_t u);

// AVERAGE_POOL_2D and MAX_POOL_2D (NHWC; input and output share quantization).
struct PoolPlan {
  DType dtype = DType::kFloat32;
  int32_t batches = 0, in_h = 0, in_w = 0, channels = 0, out_h = 0, out_w = 0;
  int32_t filter_h = 1, filter_w = 1, stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0;
  int32_t act_min = 0, act_max = 0;
  float f_min = 0.0f, f_max = 0.0f;
};
PoolPlan plan_pool_2d(OpContext& ctx);
void average_pool_2d_reference(const PoolPlan& p, const OpContext& ctx);
void max_pool_2d_reference(const PoolPlan& p, const OpContext& ctx);

// ADD and SUB: TFLite's 8-bit general path (both inputs rescaled to a common scale with 20
// extra bits, summed, rescaled to the output); float and int32 (act_min/act_max clamp) plain.
struct AddSubPlan {
  DType dtype = DType::kFloat32;
  bool subtract = false;
  Broadcast4D bc;
  int32_t input1_offset = 0, input2_offset = 0, output_offset = 0;
  int32_t input1_multiplier = 0, input2_multiplier = 0, output_multiplier = 0;
  int input1_shift = 0, input2_shift = 0, output_shift = 0;  // <= 0 (right shifts)
  int left_shift = 20;
  int32_t act_min = 0, act_max = 0;
  float f_min = 0.0f, f_max = 0.0f;
};
AddSubPlan plan_add_sub(OpContext& ctx, bool subtract);
void add_sub_reference(const AddSubPlan& p, const OpContext& ctx);
// One output element from its two input elements (8-bit T: uint8_t, int8_t).
template <typename T>
T add_sub_element(const AddSubPlan& p, T x, T y);

// MUL: 8-bit out = MultiplyByQuantizedMultiplier((a - za) * (b - zb), M) + zo; float and int32
// plain with the activation clamp.
struct MulPlan {
  DType dtype = DType::kFloat32;
  Broadcast4D bc;
  int32_t za = 0, zb = 0, zo = 0, multiplier = 0, shift = 0;
  int32_t act_min = 0, act_max = 0;
  float f_min = 0.0f, f_max = 0.0f;
};
MulPlan plan_mul(OpContext& ctx);
void mul_reference(const MulPlan& p, const OpContext& ctx);
template <typename T>
T mul_element(const MulPlan& p, T a, T b);  // 8-bit T

// MEAN over any axes (mean.cpp: LiteRT's arithmetic, the 1/count folded into the multiplier).
struct MeanPlan {
  static constexpr size_t kMaxRank = 8;
  DType dtype = DType::kFloat32;
  int32_t rank = 0;
  std::array<int32_t, kMaxRank> dims{};
  std::array<bool, kMaxRank> reduced{};
  int64_t count = 1;  // inputs per output
  int32_t zi = 0, zo = 0;
  QuantizedMultiplier m;
};
MeanPlan plan_mean(OpContext& ctx);
void mean_reference(const MeanPlan& p, const OpContext& ctx);
// The 8-bit output of one element from the int32 sum of its inputs; shared with the optimized
// kernel, which only sums faster.
int32_t mean_output(const MeanPlan& p, int32_t sum);

// Factories (register_math.cpp).
std::unique_ptr<Kernel> make_reference_conv_2d();
std::unique_ptr<Kernel> make_reference_depthwise_conv_2d();
std::unique_ptr<Kernel> make_reference_fully_connected();
std::unique_ptr<Kernel> make_reference_average_pool_2d();
std::unique_ptr<Kernel> make_reference_max_pool_2d();
std::unique_ptr<Kernel> make_reference_add();
std::unique_ptr<Kernel> make_reference_sub();
std::unique_ptr<Kernel> make_reference_mul();
std::unique_ptr<Kernel> make_reference_mean();
std::unique_ptr<Kernel> make_reference_softmax();
std::unique_ptr<Kernel> make_reference_logistic();
std::unique_ptr<Kernel> make_reference_tanh();
std::unique_ptr<Kernel> make_reference_relu();
std::unique_ptr<Kernel> make_reference_relu6();
std::unique_ptr<Kernel> make_reference_hard_swish();
std::unique_ptr<Kernel> make_reference_quantize();
// QUANTIZE of one float: round(x / scale) (double quotient, half away from zero) + zero point,
// clamped to `type`'s range; NaN gives the minimum, as LiteRT on x86 (its int32 conversion of
// NaN gives INT32_MIN, then clamped). Clamped as a double so that huge inputs saturate instead
// of overflowing the cast.
inline int32_t quantize_float(float x, double scale, int32_t zero_point, DType type) {
  const double q = std::round(static_cast<double>(x) / scale) + zero_point;
  const auto lo = static_cast<double>(qmin(type)), hi = static_cast<double>(qmax(type));
  return static_cast<int32_t>(std::isnan(q) ? lo : std::clamp(q, lo, hi));
}
std::unique_ptr<Kernel> make_reference_dequantize();

}  // namespace tpulab::engine
