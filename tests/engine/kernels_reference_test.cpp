// Reference kernels on small cases whose expected values are worked out by hand (in the
// comments), covering padding, stride, dilation, depth multiplier, per-channel scales, rounding
// half away from zero, broadcasting, and the error paths of prepare.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "common/error.h"
#include "engine/kernel_registry.h"
#include "engine/kernels/kernel_util.h"
#include "engine/kernels/quantization.h"
#include "kernels_harness.h"

namespace tpulab {
namespace {

using engine::KernelSet;
using testing::KTensor;
using testing::make_op;
using testing::make_output;
using testing::make_tensor;
using testing::run_kernel;
using testing::values_of;
constexpr auto kRef = KernelSet::kReference;
using u8 = std::vector<uint8_t>;
using i8 = std::vector<int8_t>;
using i32 = std::vector<int32_t>;
using f32 = std::vector<float>;

TEST(KernelsQuantization, MultiplierDoubleRounding) {
  // M = 0.25 is multiplier 2^30 (0.5 in Q31) with shift -1: x * 0.5 rounded (half up, i.e.
  // toward +inf, by the doubling high multiply), then / 2 rounded half away from zero.
  const auto m = engine::quantize_multiplier(0.25);
  EXPECT_EQ(m.multiplier, 1 << 30);
  EXPECT_EQ(m.shift, -1);
  EXPECT_EQ(engine::multiply_by_quantized_multiplier(10, m), 3);    // 5 -> 2.5 -> 3
  EXPECT_EQ(engine::multiply_by_quantized_multiplier(-10, m), -3);  // -5 -> -2.5 -> -3
  EXPECT_EQ(engine::multiply_by_quantized_multiplier(9, m), 3);     // 4.5 -> 5 -> 2.5 -> 3
  EXPECT_EQ(engine::multiply_by_quantized_multiplier(-9, m), -2);   // -4.5 -> -4 -> -2
  // M = 0.5 (shift 0): only the high multiply rounds: 1.5 -> 2, -1.5 -> -1.
  const auto half = engine::quantize_multiplier(0.5);
  EXPECT_EQ(half.shift, 0);
  EXPECT_EQ(engine::multiply_by_quantized_multiplier(3, half), 2);
  EXPECT_EQ(engine::multiply_by_quantized_multiplier(-3, half), -1);
  // 3.0 = 0.75 * 2^2: multiplier 0.75 * 2^31, shift 2.
  const auto m3 = engine::quantize_multiplier(3.0);
  EXPECT_EQ(m3.multiplier, 1610612736);
  EXPECT_EQ(m3.shift, 2);
  EXPECT_EQ(engine::multiply_by_quantized_multiplier(-7, m3), -21);
  EXPECT_EQ(engine::quantize_multiplier(0.0).multiplier, 0);
}

TEST(KernelsUtil, PaddingAndOutputSize) {
  // SAME: ceil(in / stride); padding = ((out - 1) * stride + filter - in) / 2.
  EXPECT_EQ(engine::conv_output_size(Padding::kSame, 224, 3, 2, 1), 112);
  EXPECT_EQ(engine::conv_padding(2, 1, 224, 3, 112), 0);  // total 1: the odd pixel goes right
  EXPECT_EQ(engine::conv_output_size(Padding::kSame, 5, 3, 1, 2), 5);
  EXPECT_EQ(engine::conv_padding(1, 2, 5, 3, 5), 2);  // effective filter 5
  EXPECT_EQ(engine::conv_output_size(Padding::kValid, 7, 3, 2, 1), 3);
  EXPECT_EQ(engine::conv_output_size(Padding::kValid, 7, 3, 1, 3), 1);  // effective filter 7
}

TEST(KernelsReference, ConvSamePaddingCountsInBoundsTaps) {
  // 3x3 input of ones (uint8, zp 0), 3x3 filter of ones, SAME: each output counts the taps
  // inside the image: corners 4, edges 6, centre 9.
  Conv2DOptions o;
  o.padding = Padding::kSame;
  const Op op = make_op(BuiltinOp::kConv2D, o);
  auto out = run_kernel(op,
                        {make_tensor(DType::kUInt8, {1, 3, 3, 1}, u8(9, 1), 1.0f, 0),
                         make_tensor(DType::kUInt8, {1, 3, 3, 1}, u8(9, 1), 1.0f, 0, true),
                         make_tensor(DType::kInt32, {1}, i32{0}, 1.0f, 0, true)},
                        make_output(DType::kUInt8, 1.0f, 0), kRef);
  EXPECT_EQ(out.shape, (std::vector<int32_t>{1, 3, 3, 1}));
  EXPECT_EQ(values_of<uint8_t>(out), (u8{4, 6, 4, 6, 9, 6, 4, 6, 4}));
}

TEST(KernelsReference, ConvStrideTwoSameAndZeroPoints) {
  // Same image with stride 2: out 2x2, padding ((2-1)*2 + 3 - 3) / 2 = 1, every window sees 4
  // taps. Input zp 1 on values 2 (real 1), filter zp 3 on values 5 (real 2): 4 * 1 * 2 = 8,
  // bias 1 -> 9, output scale 2 -> 4.5 -> 5, + zp 10 = 15.
  Conv2DOptions o;
  o.padding = Padding::kSame;
  o.stride_h = o.stride_w = 2;
  auto out = run_kernel(make_op(BuiltinOp::kConv2D, o),
                        {make_tensor(DType::kUInt8, {1, 3, 3, 1}, u8(9, 2), 1.0f, 1),
                         make_tensor(DType::kUInt8, {1, 3, 3, 1}, u8(9, 5), 1.0f, 3, true),
                         make_tensor(DType::kInt32, {1}, i32{1}, 1.0f, 0, true)},
                        make_output(DType::kUInt8, 2.0f, 10), kRef);
  EXPECT_EQ(out.shape, (std::vector<int32_t>{1, 2, 2, 1}));
  EXPECT_EQ(values_of<uint8_t>(out), (u8{15, 15, 15, 15}));
}

TEST(KernelsReference, ConvDilationValid) {
  // 5x5 input with value = 5*y + x, 2x2 filter of ones, dilation 2, VALID: effective filter 3,
  // out 3x3; out(0,0) = in(0,0) + in(0,2) + in(2,0) + in(2,2) = 0 + 2 + 10 + 12 = 24,
  // out(2,2) = in(2,2) + in(2,4) + in(4,2) + in(4,4) = 12 + 14 + 22 + 24 = 72.
  Conv2DOptions o;
  o.padding = Padding::kValid;
  o.dilation_h = o.dilation_w = 2;
  u8 in(25);
  for (int i = 0; i < 25; ++i) in[i] = static_cast<uint8_t>(i);
  auto out = run_kernel(make_op(BuiltinOp::kConv2D, o),
                        {make_tensor(DType::kUInt8, {1, 5, 5, 1}, in, 1.0f, 0),
                         make_tensor(DType::kUInt8, {1, 2, 2, 1}, u8(4, 1), 1.0f, 0, true)},
                        make_output(DType::kUInt8, 1.0f, 0), kRef, nullptr, {false, false});
  EXPECT_EQ(out.shape, (std::vector<int32_t>{1, 3, 3, 1}));
  const auto v = values_of<uint8_t>(out);
  EXPECT_EQ(v[0], 24);
  EXPECT_EQ(v[1], 28);  // 1 + 3 + 11 + 13
  EXPECT_EQ(v[8], 72);
}

TEST(KernelsReference, ConvInt8PerChannelAndRelu6) {
  // One input pixel with 2 channels (int8, scale 1, zp -1): values 3, 4 -> real 4, 5.
  // Filters [1, 1] (scale 0.5) and [1, 2] (scale 0.25), int8 zp 0: acc 9 and 14.
  // ch0: 9 * 0.5 = 4.5 -> 5; ch1: 14 * 0.25 = 3.5 -> 4. Output scale 1, zp 0, RELU6 -> [0, 6].
  // A third filter [-4, -4] (scale 1): acc -36 -> clamped to 0 by RELU6.
  Conv2DOptions o;
  o.padding = Padding::kValid;
  o.activation = Activation::kRelu6;
  KTensor filter = make_tensor(DType::kInt8, {3, 1, 1, 2}, i8{1, 1, 1, 2, -4, -4}, 1.0f, 0, true);
  filter.quant.scale = {0.5f, 0.25f, 1.0f};
  filter.quant.zero_point = {0, 0, 0};
  auto out = run_kernel(make_op(BuiltinOp::kConv2D, o),
                        {make_tensor(DType::kInt8, {1, 1, 1, 2}, i8{3, 4}, 1.0f, -1), filter,
                         make_tensor(DType::kInt32, {3}, i32{0, 0, 0}, 1.0f, 0, true)},
                        make_output(DType::kInt8, 1.0f, 0), kRef);
  EXPECT_EQ(values_of<int8_t>(out), (i8{5, 4, 0}));
}

TEST(KernelsReference, DepthwiseMultiplierTwo) {
  // Input channels [3, 5], depth multiplier 2, filter [1, 2, 3, 4]: output channel c reads
  // input channel c / 2: [3*1, 3*2, 5*3, 5*4] = [3, 6, 15, 20]; bias [0, 1, 0, -1].
  DepthwiseConv2DOptions o;
  o.padding = Padding::kValid;
  o.depth_multiplier = 2;
  auto out = run_kernel(make_op(BuiltinOp::kDepthwiseConv2D, o),
                        {make_tensor(DType::kUInt8, {1, 1, 1, 2}, u8{3, 5}, 1.0f, 0),
                         make_tensor(DType::kUInt8, {1, 1, 1, 4}, u8{1, 2, 3, 4}, 1.0f, 0, true),
                         make_tensor(DType::kInt32, {4}, i32{0, 1, 0, -1}, 1.0f, 0, true)},
                        make_output(DType::kUInt8, 1.0f, 0), kRef);
  EXPECT_EQ(values_of<uint8_t>(out), (u8{3, 7, 15, 19}));
}

TEST(KernelsReference, DepthwiseSamePaddingFloat) {
  // 2x2 image [1 2; 3 4], 3x3 filter of ones, SAME: every output sums the whole image = 10.
  DepthwiseConv2DOptions o;
  o.padding = Padding::kSame;
  auto out = run_kernel(make_op(BuiltinOp::kDepthwiseConv2D, o),
                        {make_tensor(DType::kFloat32, {1, 2, 2, 1}, f32{1, 2, 3, 4}),
                         make_tensor(DType::kFloat32, {1, 3, 3, 1}, f32(9, 1.0f), 0.0f, 0, true),
                         make_tensor(DType::kFloat32, {1}, f32{0.5f}, 0.0f, 0, true)},
                        make_output(DType::kFloat32), kRef);
  EXPECT_EQ(values_of<float>(out), (f32{10.5f, 10.5f, 10.5f, 10.5f}));
}

TEST(KernelsReference, FullyConnectedUInt8) {
  // Input zp 128: [129, 130, 127] -> [1, 2, -1]. Filter zp 128: rows [1, 1, 1] and [2, -2, 0].
  // Dots 2 and -2, bias [1, -1] -> 3 and -3; output scale 2: 1.5 -> 2 and -1.5 -> -2 (LiteRT
  // requantizes FULLY_CONNECTED in double, rounding halves away from zero); + zp 100 -> 102, 98.
  auto out = run_kernel(
      make_op(BuiltinOp::kFullyConnected, FullyConnectedOptions{}),
      {make_tensor(DType::kUInt8, {1, 3}, u8{129, 130, 127}, 1.0f, 128),
       make_tensor(DType::kUInt8, {2, 3}, u8{129, 129, 129, 130, 126, 128}, 1.0f, 128, true),
       make_tensor(DType::kInt32, {2}, i32{1, -1}, 1.0f, 0, true)},
      make_output(DType::kUInt8, 2.0f, 100), kRef);
  EXPECT_EQ(out.shape, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(values_of<uint8_t>(out), (u8{102, 98}));
}

TEST(KernelsReference, FullyConnectedKeepNumDims) {
  FullyConnectedOptions o;
  o.keep_num_dims = true;
  auto out = run_kernel(make_op(BuiltinOp::kFullyConnected, o),
                        {make_tensor(DType::kFloat32, {2, 1, 2}, f32{1, 2, 3, 4}),
                         make_tensor(DType::kFloat32, {1, 2}, f32{1, -1}, 0.0f, 0, true)},
                        make_output(DType::kFloat32), kRef, nullptr, {false, false});
  EXPECT_EQ(out.shape, (std::vector<int32_t>{2, 1, 1}));
  EXPECT_EQ(values_of<float>(out), (f32{-1, -1}));
}

TEST(KernelsReference, AveragePoolRoundsHalfAwayFromZero) {
  // int8 1x1x2 window over [-1, -2] -> -1.5 -> -2; over [1, 2] -> 1.5 -> 2.
  Pool2DOptions o;
  o.padding = Padding::kValid;
  o.filter_w = 2;
  o.stride_w = 2;
  auto out = run_kernel(make_op(BuiltinOp::kAveragePool2D, o),
                        {make_tensor(DType::kInt8, {1, 1, 4, 1}, i8{-1, -2, 1, 2}, 0.5f, 0)},
                        make_output(DType::kInt8, 0.5f, 0), kRef);
  EXPECT_EQ(values_of<int8_t>(out), (i8{-2, 2}));
}

TEST(KernelsReference, PoolingSamePaddingExcludesPadding) {
  // 3x3 uint8 [1..9], 2x2 window, stride 2, SAME: out 2x2, padding 0 (total 1 goes right/bottom).
  // avg: (1+2+4+5)/4 = 3, (3+6)/2 = 4.5 -> 5, (7+8)/2 = 7.5 -> 8, 9; max: 5, 6, 8, 9.
  Pool2DOptions o;
  o.padding = Padding::kSame;
  o.filter_w = o.filter_h = 2;
  o.stride_w = o.stride_h = 2;
  const KTensor in =
      make_tensor(DType::kUInt8, {1, 3, 3, 1}, u8{1, 2, 3, 4, 5, 6, 7, 8, 9}, 1.0f, 0);
  auto avg = run_kernel(make_op(BuiltinOp::kAveragePool2D, o), {in},
                        make_output(DType::kUInt8, 1.0f, 0), kRef);
  EXPECT_EQ(values_of<uint8_t>(avg), (u8{3, 5, 8, 9}));
  auto max = run_kernel(make_op(BuiltinOp::kMaxPool2D, o), {in},
                        make_output(DType::kUInt8, 1.0f, 0), kRef);
  EXPECT_EQ(values_of<uint8_t>(max), (u8{5, 6, 8, 9}));
}

TEST(KernelsReference, AddRescalesAndBroadcasts) {
  // a [2,1] scale 0.5: [4, 6] -> [2, 3]; b [3] scale 0.25 zp 4: [8, 12, 0] -> [1, 2, -1].
  // Sums [[3, 4, 1], [4, 5, 2]] on output scale 1, zp 10.
  auto out = run_kernel(make_op(BuiltinOp::kAdd, AddSubOptions{}),
                        {make_tensor(DType::kUInt8, {2, 1}, u8{4, 6}, 0.5f, 0),
                         make_tensor(DType::kUInt8, {3}, u8{8, 12, 0}, 0.25f, 4)},
                        make_output(DType::kUInt8, 1.0f, 10), kRef);
  EXPECT_EQ(out.shape, (std::vector<int32_t>{2, 3}));
  EXPECT_EQ(values_of<uint8_t>(out), (u8{13, 14, 11, 14, 15, 12}));
}

TEST(KernelsReference, SubAndMulInt8) {
  // SUB: 3 - 5 = -2 (scales 1, zps 0) -> output scale 0.5: -4. MUL: 3 * 5 = 15 at output scale
  // 2 -> 7.5 -> 8; with RELU and negative operand -3 * 5 = -15 -> 0.
  auto sub = run_kernel(make_op(BuiltinOp::kSub, AddSubOptions{}),
                        {make_tensor(DType::kInt8, {1}, i8{3}, 1.0f, 0),
                         make_tensor(DType::kInt8, {1}, i8{5}, 1.0f, 0)},
                        make_output(DType::kInt8, 0.5f, 0), kRef);
  EXPECT_EQ(values_of<int8_t>(sub), (i8{-4}));
  MulDivOptions relu;
  relu.activation = Activation::kRelu;
  auto mul = run_kernel(make_op(BuiltinOp::kMul, relu),
                        {make_tensor(DType::kInt8, {2}, i8{3, -3}, 1.0f, 0),
                         make_tensor(DType::kInt8, {1}, i8{5}, 1.0f, 0)},
                        make_output(DType::kInt8, 2.0f, 0), kRef);
  EXPECT_EQ(values_of<int8_t>(mul), (i8{8, 0}));
}

TEST(KernelsReference, MeanSpatialAndGeneral) {
  // uint8 [1,2,2,1] = [1, 2, 3, 5], axis [1, 2], keep_dims: 11 / 4 = 2.75 -> 3.
  ReducerOptions keep;
  keep.keep_dims = true;
  const KTensor axis = make_tensor(DType::kInt32, {2}, i32{1, 2}, 0.0f, 0, true);
  auto out = run_kernel(make_op(BuiltinOp::kMean, keep),
                        {make_tensor(DType::kUInt8, {1, 2, 2, 1}, u8{1, 2, 3, 5}, 1.0f, 0), axis},
                        make_output(DType::kUInt8, 1.0f, 0), kRef);
  EXPECT_EQ(out.shape, (std::vector<int32_t>{1, 1, 1, 1}));
  EXPECT_EQ(values_of<uint8_t>(out), (u8{3}));
  // Without keep_dims, equal quantization: LiteRT rounds the same way (it used to truncate:
  // 11 / 4 -> 2); shape [1, 1].
  auto trunc = run_kernel(make_op(BuiltinOp::kMean, ReducerOptions{}),
                          {make_tensor(DType::kUInt8, {1, 2, 2, 1}, u8{1, 2, 3, 5}, 1.0f, 0), axis},
                          make_output(DType::kUInt8, 1.0f, 0), kRef);
  EXPECT_EQ(trunc.shape, (std::vector<int32_t>{1, 1}));
  EXPECT_EQ(values_of<uint8_t>(trunc), (u8{3}));
  // Different output scale: 2.75 * (1 / 0.5) = 5.5 -> 6.
  auto rescaled =
      run_kernel(make_op(BuiltinOp::kMean, ReducerOptions{}),
                 {make_tensor(DType::kUInt8, {1, 2, 2, 1}, u8{1, 2, 3, 5}, 1.0f, 0), axis},
                 make_output(DType::kUInt8, 0.5f, 0), kRef);
  EXPECT_EQ(values_of<uint8_t>(rescaled), (u8{6}));
  // Float over the last axis of [2, 2]: [1, 2] -> 1.5, [3, 5] -> 4.
  auto f = run_kernel(make_op(BuiltinOp::kMean, ReducerOptions{}),
                      {make_tensor(DType::kFloat32, {2, 2}, f32{1, 2, 3, 5}),
                       make_tensor(DType::kInt32, {1}, i32{-1}, 0.0f, 0, true)},
                      make_output(DType::kFloat32), kRef);
  EXPECT_EQ(values_of<float>(f), (f32{1.5f, 4.0f}));
}

TEST(KernelsReference, SoftmaxUniformRows) {
  // Equal inputs: probability 1/n. uint8 output scale 1/256: 1/2 -> 128, 1/4 -> 64.
  SoftmaxOptions o;
  auto out =
      run_kernel(make_op(BuiltinOp::kSoftmax, o),
                 {make_tensor(DType::kUInt8, {2, 4}, u8{7, 7, 7, 7, 200, 200, 200, 200}, 0.1f, 0)},
                 make_output(DType::kUInt8, 1.0f / 256, 0), kRef);
  EXPECT_EQ(values_of<uint8_t>(out), (u8{64, 64, 64, 64, 64, 64, 64, 64}));
  // int8, output zp -128: 1/2 -> 128 - 128 = 0.
  auto i = run_kernel(make_op(BuiltinOp::kSoftmax, o),
                      {make_tensor(DType::kInt8, {1, 2}, i8{-5, -5}, 0.1f, 0)},
                      make_output(DType::kInt8, 1.0f / 256, -128), kRef);
  EXPECT_EQ(values_of<int8_t>(i), (i8{0, 0}));
  // One dominant logit (difference 100 * 0.5 = 50 in real units): ~1 -> 255 and ~0 -> 0.
  auto d = run_kernel(make_op(BuiltinOp::kSoftmax, o),
                      {make_tensor(DType::kUInt8, {1, 2}, u8{0, 100}, 0.5f, 0)},
                      make_output(DType::kUInt8, 1.0f / 256, 0), kRef);
  EXPECT_EQ(values_of<uint8_t>(d), (u8{0, 255}));
}

TEST(KernelsReference, LogisticTanhAtZeroAndSaturation) {
  // Input zp 128 scale 0.1: 128 -> 0 -> sigmoid 0.5 -> 128 (scale 1/256); 255 -> 12.7 -> ~1 ->
  // 256 clamped to 255; 0 -> -12.8 -> ~0 -> 0. tanh on output scale 1/128, zp 128: 0 -> 128.
  const KTensor in = make_tensor(DType::kUInt8, {3}, u8{128, 255, 0}, 0.1f, 128);
  auto s = run_kernel(make_op(BuiltinOp::kLogistic), {in},
                      make_output(DType::kUInt8, 1.0f / 256, 0), kRef);
  EXPECT_EQ(values_of<uint8_t>(s), (u8{128, 255, 0}));
  auto t = run_kernel(make_op(BuiltinOp::kTanh), {in}, make_output(DType::kUInt8, 1.0f / 128, 128),
                      kRef);
  EXPECT_EQ(values_of<uint8_t>(t), (u8{128, 255, 0}));
}

TEST(KernelsReference, ReluAndRelu6Requantize) {
  // Input scale 0.1 zp 10, output scale 0.2 zp 0. RELU: 5 -> -0.5 -> 0; 40 -> 3.0 -> 15.
  // RELU6 clamps at round(6 / 0.2) = 30: 100 -> 9.0 -> 45 -> 30.
  const KTensor in = make_tensor(DType::kUInt8, {3}, u8{5, 40, 100}, 0.1f, 10);
  auto r = run_kernel(make_op(BuiltinOp::kRelu), {in}, make_output(DType::kUInt8, 0.2f, 0), kRef);
  EXPECT_EQ(values_of<uint8_t>(r), (u8{0, 15, 45}));
  auto r6 = run_kernel(make_op(BuiltinOp::kRelu6), {in}, make_output(DType::kUInt8, 0.2f, 0), kRef);
  EXPECT_EQ(values_of<uint8_t>(r6), (u8{0, 15, 30}));
}

TEST(KernelsReference, HardSwishCloseToFormula) {
  // The fixed-point path tracks x * relu6(x + 3) / 6 within one output step.
  i8 in(256);
  for (int v = -128; v < 128; ++v) in[v + 128] = static_cast<int8_t>(v);
  const float si = 0.05f, so = 0.03f;
  auto out =
      run_kernel(make_op(BuiltinOp::kHardSwish), {make_tensor(DType::kInt8, {256}, in, si, 3)},
                 make_output(DType::kInt8, so, -20), kRef);
  const auto v = values_of<int8_t>(out);
  for (int i = 0; i < 256; ++i) {
    const float x = si * static_cast<float>(in[i] - 3);
    const float y = x * std::min(6.0f, std::max(0.0f, x + 3)) / 6;
    const float expect = std::clamp(std::round(y / so) - 20, -128.0f, 127.0f);
    EXPECT_NEAR(v[i], expect, 1.0) << "input " << int{in[i]};
  }
  auto f =
      run_kernel(make_op(BuiltinOp::kHardSwish), {make_tensor(DType::kFloat32, {3}, f32{-4, 1, 4})},
                 make_output(DType::kFloat32), kRef);
  EXPECT_EQ(values_of<float>(f), (f32{-0.0f, 4.0f / 6, 4}));
}

TEST(KernelsReference, QuantizeAndDequantize) {
  // float -> uint8 scale 0.5 zp 10: 0.75 / 0.5 = 1.5 -> 2 -> 12; -1.25 -> -2.5 -> -3 -> 7;
  // 1000 -> saturates at 255.
  auto q = run_kernel(make_op(BuiltinOp::kQuantize),
                      {make_tensor(DType::kFloat32, {3}, f32{0.75f, -1.25f, 1000})},
                      make_output(DType::kUInt8, 0.5f, 10), kRef);
  EXPECT_EQ(values_of<uint8_t>(q), (u8{12, 7, 255}));
  // int8 -> uint8 with the same scale: zp -128 -> 0 shifts by 128.
  auto rq = run_kernel(make_op(BuiltinOp::kQuantize),
                       {make_tensor(DType::kInt8, {2}, i8{-128, 5}, 0.1f, -128)},
                       make_output(DType::kUInt8, 0.1f, 0), kRef);
  EXPECT_EQ(values_of<uint8_t>(rq), (u8{0, 133}));
  auto dq = run_kernel(make_op(BuiltinOp::kDequantize),
                       {make_tensor(DType::kUInt8, {2}, u8{130, 126}, 0.5f, 128)},
                       make_output(DType::kFloat32), kRef);
  EXPECT_EQ(values_of<float>(dq), (f32{1.0f, -1.0f}));
}

TEST(KernelsReference, PrepareRejectsBadModels) {
  Conv2DOptions o;
  // Filter depth 2 on a 1-channel input: a malformed model.
  EXPECT_THROW(run_kernel(make_op(BuiltinOp::kConv2D, o),
                          {make_tensor(DType::kUInt8, {1, 3, 3, 1}, u8(9, 1), 1.0f, 0),
                           make_tensor(DType::kUInt8, {1, 1, 1, 2}, u8(2, 1), 1.0f, 0, true)},
                          make_output(DType::kUInt8, 1.0f, 0), kRef, nullptr, {false, false}),
               ModelError);
  // Quantized input without quantization parameters.
  EXPECT_THROW(
      run_kernel(make_op(BuiltinOp::kAdd, AddSubOptions{}),
                 {make_tensor(DType::kUInt8, {1}, u8{1}), make_tensor(DType::kUInt8, {1}, u8{1})},
                 make_output(DType::kUInt8, 1.0f, 0), kRef),
      ModelError);
  // Shapes that do not broadcast.
  EXPECT_THROW(run_kernel(make_op(BuiltinOp::kAdd, AddSubOptions{}),
                          {make_tensor(DType::kFloat32, {2}, f32{1, 2}),
                           make_tensor(DType::kFloat32, {3}, f32{1, 2, 3})},
                          make_output(DType::kFloat32), kRef),
               ModelError);
  // Valid but not implemented: int16 ADD.
  using i16 = std::vector<int16_t>;
  EXPECT_THROW(run_kernel(make_op(BuiltinOp::kAdd, AddSubOptions{}),
                          {make_tensor(DType::kInt16, {1}, i16{1}, 1.0f, 0),
                           make_tensor(DType::kInt16, {1}, i16{1}, 1.0f, 0)},
                          make_output(DType::kInt16, 1.0f, 0), kRef),
               UnsupportedError);
}

TEST(KernelsReference, Int32AddSubMulWrapAndClamp) {
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  // [2,2] + [2] broadcast along rows; no activation: INT32_MAX + 1 wraps to INT32_MIN.
  auto add = run_kernel(make_op(BuiltinOp::kAdd, AddSubOptions{}),
                        {make_tensor(DType::kInt32, {2, 2}, i32{kMax, 5, -7, 40}),
                         make_tensor(DType::kInt32, {2}, i32{1, -10})},
                        make_output(DType::kInt32), kRef);
  EXPECT_EQ(add.shape, (i32{2, 2}));
  EXPECT_EQ(values_of<int32_t>(add), (i32{kMin, -5, -6, 30}));
  // RELU6 clamps to [0, 6] on int32: 3-1=2, 3-10=-7->0, 20-1=19->6, INT32_MIN-1 wraps to MAX->6.
  AddSubOptions relu6{Activation::kRelu6};
  auto sub = run_kernel(make_op(BuiltinOp::kSub, relu6),
                        {make_tensor(DType::kInt32, {2, 2}, i32{3, 3, 20, kMin}),
                         make_tensor(DType::kInt32, {2, 2}, i32{1, 10, 1, 1})},
                        make_output(DType::kInt32), kRef);
  EXPECT_EQ(values_of<int32_t>(sub), (i32{2, 0, 6, 6}));
  // movenet's index arithmetic: [1,1] * scalar 48; 65536 * 65536 = 2^32 wraps to 0; RELU keeps
  // positives and zeroes negatives.
  auto mul = run_kernel(make_op(BuiltinOp::kMul, MulDivOptions{Activation::kRelu}),
                        {make_tensor(DType::kInt32, {1, 3}, i32{7, 65536, -2}),
                         make_tensor(DType::kInt32, {}, i32{48})},
                        make_output(DType::kInt32), kRef);
  EXPECT_EQ(values_of<int32_t>(mul), (i32{336, 3145728, 0}));
  auto wrap = run_kernel(
      make_op(BuiltinOp::kMul, MulDivOptions{}),
      {make_tensor(DType::kInt32, {1}, i32{65536}), make_tensor(DType::kInt32, {1}, i32{65536})},
      make_output(DType::kInt32), kRef);
  EXPECT_EQ(values_of<int32_t>(wrap), (i32{0}));
}

// int8 filters are symmetric: TFLite's CONV_2D rejects a non-zero filter zero point, its
// DEPTHWISE_CONV_2D computes as if it were 0 (both observed on the oracle).
TEST(KernelsReference, Int8FilterZeroPoint) {
  Conv2DOptions co;
  co.padding = Padding::kValid;
  const auto x = make_tensor(DType::kInt8, {1, 1, 1, 2}, i8{10, -20}, 1.0f, 0);
  EXPECT_THROW(run_kernel(make_op(BuiltinOp::kConv2D, co),
                          {x, make_tensor(DType::kInt8, {1, 1, 1, 2}, i8{1, 2}, 1.0f, 3, true)},
                          make_output(DType::kInt8, 1.0f, 0), kRef, nullptr, {false, false}),
               ModelError);
  DepthwiseConv2DOptions d;
  d.padding = Padding::kValid;
  // 10 * 3 = 30 and -20 * -2 = 40, not (3 - 5) * 10 and (-2 - 5) * -20.
  auto out = run_kernel(make_op(BuiltinOp::kDepthwiseConv2D, d),
                        {x, make_tensor(DType::kInt8, {1, 1, 1, 2}, i8{3, -2}, 1.0f, 5, true)},
                        make_output(DType::kInt8, 1.0f, 0), kRef, nullptr, {false, false});
  EXPECT_EQ(values_of<int8_t>(out), (i8{30, 40}));
}

}  // namespace
}  // namespace tpulab
