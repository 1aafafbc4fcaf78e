// Optimized kernels against the reference kernels on randomized shapes, strides, paddings,
// dilations, zero points, per-channel scales, both 8-bit types and 1-3 threads: outputs must be
// byte-identical.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "engine/kernel_registry.h"
#include "engine/kernels/optimized/avx512.h"
#include "engine/thread_pool.h"
#include "kernels_harness.h"

namespace tpulab {
namespace {

using engine::KernelSet;
using testing::KTensor;
using testing::make_op;
using testing::make_output;
using testing::make_tensor;
using testing::random_values;
using testing::run_kernel;

struct Rand {
  std::mt19937 rng;
  explicit Rand(uint32_t seed) : rng(seed) {}
  int i(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
  float f(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng); }
};

KTensor random_activation(Rand& r, DType t, std::vector<int32_t> shape, float scale, int zp) {
  int64_t n = 1;
  for (int32_t d : shape) n *= d;
  const int lo = t == DType::kUInt8 ? 0 : -128, hi = t == DType::kUInt8 ? 255 : 127;
  auto v = random_values<uint8_t>(r.rng, static_cast<size_t>(n), lo, hi);  // byte patterns
  return make_tensor(t, std::move(shape), v, scale, zp);
}

// Filter with per-tensor (uint8) or per-channel (int8) scales along `axis`.
KTensor random_filter(Rand& r, DType t, std::vector<int32_t> shape, int channels, int axis) {
  KTensor f = random_activation(r, t, std::move(shape), 1.0f, 0);
  f.constant = true;
  f.quant.axis = axis;
  if (t == DType::kUInt8) {
    f.quant.scale = {r.f(0.002f, 0.05f)};
    f.quant.zero_point = {r.i(0, 255)};
  } else {
    f.quant.scale.clear();
    f.quant.zero_point.clear();
    for (int c = 0; c < channels; ++c) {
      f.quant.scale.push_back(r.f(0.001f, 0.05f));
      f.quant.zero_point.push_back(0);
    }
  }
  return f;
}

KTensor random_bias(Rand& r, int n) {
  std::vector<int32_t> b(n);
  for (auto& x : b) x = r.i(-20000, 20000);
  return make_tensor(DType::kInt32, {n}, b, 1.0f, 0, true);
}

int zp_for(Rand& r, DType t) { return t == DType::kUInt8 ? r.i(0, 255) : r.i(-128, 127); }

Activation random_activation_fn(Rand& r) {
  const Activation a[] = {Activation::kNone, Activation::kRelu, Activation::kRelu6,
                          Activation::kReluN1To1};
  return a[r.i(0, 3)];
}

void expect_same(const KTensor& ref, const KTensor& opt, const std::string& what) {
  ASSERT_EQ(ref.shape, opt.shape) << what;
  ASSERT_EQ(ref.bytes.size(), opt.bytes.size()) << what;
  size_t diffs = 0, first = 0;
  for (size_t i = 0; i < ref.bytes.size(); ++i)
    if (ref.bytes[i] != opt.bytes[i] && diffs++ == 0) first = i;
  EXPECT_EQ(diffs, 0u) << what << ": first difference at byte " << first << " (ref "
                       << int{ref.bytes[first]} << ", optimized " << int{opt.bytes[first]} << ")";
}

// Runs the AVX-512 paths (VNNI GEMM, 32-channel depthwise) and, with them switched off, the AVX2
// paths, when the CPU has both.
class KernelsOptimized : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { engine::avx512::allow(GetParam()); }
  void TearDown() override { engine::avx512::allow(true); }
  engine::ThreadPool pool2{2}, pool3{3};
  engine::ThreadPool* pool_for(int i) {
    return i % 3 == 0 ? nullptr : i % 3 == 1 ? &pool2 : &pool3;
  }
};

TEST_P(KernelsOptimized, Conv2DMatchesReference) {
  Rand r(1234);
  for (int trial = 0; trial < 120; ++trial) {
    const DType t = trial % 2 ? DType::kInt8 : DType::kUInt8;
    Conv2DOptions o;
    o.padding = r.i(0, 1) ? Padding::kSame : Padding::kValid;
    o.stride_h = r.i(1, 3);
    o.stride_w = r.i(1, 3);
    o.dilation_h = r.i(0, 3) == 0 ? 2 : 1;
    o.dilation_w = r.i(0, 3) == 0 ? r.i(1, 3) : 1;
    o.activation = random_activation_fn(r);
    const int kh = r.i(1, 3), kw = r.i(1, 3), cin = r.i(1, 20), cout = r.i(1, 40);
    const int h = r.i(kh + 2 * o.dilation_h, 14), w = r.i(kw + 2 * o.dilation_w, 14), n = r.i(1, 2);
    const float si = r.f(0.01f, 0.1f), so = r.f(0.05f, 0.5f);
    std::vector<KTensor> in = {random_activation(r, t, {n, h, w, cin}, si, zp_for(r, t)),
                               random_filter(r, t, {cout, kh, kw, cin}, cout, 0),
                               random_bias(r, cout)};
    std::vector<bool> omitted;
    if (r.i(0, 4) == 0) omitted = {false, false, true};
    const Op op = make_op(BuiltinOp::kConv2D, o);
    const KTensor out = make_output(t, so, zp_for(r, t));
    const auto ref = run_kernel(op, in, out, KernelSet::kReference, nullptr, omitted);
    const auto opt = run_kernel(op, in, out, KernelSet::kOptimized, pool_for(trial), omitted);
    expect_same(ref, opt, "conv trial " + std::to_string(trial));
  }
}

// 1x1 stride-1 convolutions (MobileNet's expansions and projections) take a contiguous im2col
// path when the channel count is even: tiles spanning rows and batches, odd counts for contrast.
TEST_P(KernelsOptimized, PointwiseConv2DMatchesReference) {
  Rand r(4321);
  for (int trial = 0; trial < 40; ++trial) {
    const DType t = trial % 2 ? DType::kInt8 : DType::kUInt8;
    Conv2DOptions o;
    o.padding = r.i(0, 1) ? Padding::kSame : Padding::kValid;
    o.activation = random_activation_fn(r);
    const int cin = r.i(1, 48) * (trial % 4 == 3 ? 1 : 2), cout = r.i(1, 70);
    const int h = r.i(1, 20), w = r.i(1, 20), n = r.i(1, 2);
    std::vector<KTensor> in = {
        random_activation(r, t, {n, h, w, cin}, r.f(0.01f, 0.1f), zp_for(r, t)),
        random_filter(r, t, {cout, 1, 1, cin}, cout, 0), random_bias(r, cout)};
    const Op op = make_op(BuiltinOp::kConv2D, o);
    const KTensor out = make_output(t, r.f(0.05f, 0.5f), zp_for(r, t));
    const auto ref = run_kernel(op, in, out, KernelSet::kReference);
    const auto opt = run_kernel(op, in, out, KernelSet::kOptimized, pool_for(trial));
    expect_same(ref, opt, "pointwise conv trial " + std::to_string(trial));
  }
}

TEST_P(KernelsOptimized, DepthwiseConv2DMatchesReference) {
  Rand r(99);
  for (int trial = 0; trial < 120; ++trial) {
    const DType t = trial % 2 ? DType::kInt8 : DType::kUInt8;
    DepthwiseConv2DOptions o;
    o.padding = r.i(0, 1) ? Padding::kSame : Padding::kValid;
    o.stride_h = r.i(1, 2);
    o.stride_w = r.i(1, 2);
    o.dilation_h = r.i(0, 3) == 0 ? 2 : 1;
    o.dilation_w = r.i(0, 3) == 0 ? 2 : 1;
    o.depth_multiplier = r.i(0, 4) == 0 ? 2 : 1;
    o.activation = random_activation_fn(r);
    // Channel counts cover every path: blocks of 32 (AVX-512), 16, 8 and the scalar tail.
    const int kh = r.i(1, 5), kw = r.i(1, 5), cin = trial % 3 == 0 ? r.i(32, 120) : r.i(1, 35);
    const int cout = cin * o.depth_multiplier;
    const int h = r.i(kh * o.dilation_h, 16), w = r.i(kw * o.dilation_w, 16), n = r.i(1, 2);
    std::vector<KTensor> in = {
        random_activation(r, t, {n, h, w, cin}, r.f(0.01f, 0.1f), zp_for(r, t)),
        random_filter(r, t, {1, kh, kw, cout}, cout, 3), random_bias(r, cout)};
    const Op op = make_op(BuiltinOp::kDepthwiseConv2D, o);
    const KTensor out = make_output(t, r.f(0.02f, 0.3f), zp_for(r, t));
    const auto ref = run_kernel(op, in, out, KernelSet::kReference);
    const auto opt = run_kernel(op, in, out, KernelSet::kOptimized, pool_for(trial));
    expect_same(ref, opt, "depthwise trial " + std::to_string(trial));
  }
}

// 8-bit FULLY_CONNECTED: depths around the 16- and 32-element vector steps, per-tensor (uint8)
// and per-unit (int8) filter scales, batches, keep_num_dims, with and without a bias.
TEST_P(KernelsOptimized, FullyConnectedMatchesReference) {
  Rand r(77);
  for (int trial = 0; trial < 60; ++trial) {
    const DType t = trial % 2 ? DType::kInt8 : DType::kUInt8;
    FullyConnectedOptions o;
    o.activation = random_activation_fn(r);
    o.keep_num_dims = trial % 5 == 4;
    const int depth = trial % 3 == 0 ? r.i(1, 70) : r.i(100, 1300), units = r.i(1, 90);
    const int batches = r.i(1, 3);
    std::vector<KTensor> in = {
        random_activation(r, t, {batches, depth}, r.f(0.01f, 0.1f), zp_for(r, t)),
        random_filter(r, t, {units, depth}, units, 0), random_bias(r, units)};
    std::vector<bool> omitted;
    if (r.i(0, 4) == 0) omitted = {false, false, true};
    const Op op = make_op(BuiltinOp::kFullyConnected, o);
    const KTensor out = make_output(t, r.f(0.05f, 2.0f), zp_for(r, t));
    const auto ref = run_kernel(op, in, out, KernelSet::kReference, nullptr, omitted);
    const auto opt = run_kernel(op, in, out, KernelSet::kOptimized, pool_for(trial), omitted);
    expect_same(ref, opt, "fully connected trial " + std::to_string(trial));
  }
}

// QUANTIZE from float: ties at exactly half a step (which rounding by adding 0.5 gets wrong
// just below them), values far outside the range, infinities and NaN, odd lengths.
TEST_P(KernelsOptimized, QuantizeFromFloatMatchesReference) {
  Rand r(31);
  for (int trial = 0; trial < 40; ++trial) {
    const DType t = trial % 2 ? DType::kInt8 : DType::kUInt8;
    const float scale = r.f(0.001f, 0.2f);
    const int zp = zp_for(r, t), n = r.i(1, 40000);
    std::vector<float> x(n);
    for (auto& v : x) {
      switch (r.i(0, 9)) {
        case 0:
          v = (static_cast<float>(r.i(-300, 300)) + 0.5f) * scale;  // near a tie
          break;
        case 1:
          v = std::nextafter((static_cast<float>(r.i(-300, 300)) + 0.5f) * scale, 0.0f);
          break;
        case 2:
          v = r.f(-1e30f, 1e30f);
          break;
        case 3: {
          const float special[] = {std::numeric_limits<float>::infinity(),
                                   -std::numeric_limits<float>::infinity(),
                                   std::numeric_limits<float>::quiet_NaN(), -0.0f, 0.0f};
          v = special[r.i(0, 4)];
          break;
        }
        default:
          v = r.f(-300.0f, 300.0f) * scale;
      }
    }
    const Op op = make_op(BuiltinOp::kQuantize);
    std::vector<KTensor> in = {make_tensor(DType::kFloat32, {1, n}, x)};
    const KTensor out = make_output(t, scale, zp);
    const auto ref = run_kernel(op, in, out, KernelSet::kReference);
    const auto opt = run_kernel(op, in, out, KernelSet::kOptimized, pool_for(trial));
    expect_same(ref, opt, "quantize trial " + std::to_string(trial));
  }
}

// QUANTIZE between 8-bit types (a table in the optimized kernel): every input byte, random scales.
TEST_P(KernelsOptimized, RequantizeMatchesReference) {
  Rand r(32);
  for (int trial = 0; trial < 40; ++trial) {
    const DType ti = trial % 2 ? DType::kInt8 : DType::kUInt8;
    const DType to = trial % 4 < 2 ? DType::kInt8 : DType::kUInt8;
    std::vector<uint8_t> x(512);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<uint8_t>(i * 7 + trial);
    std::vector<KTensor> in = {make_tensor(ti, {2, 256}, x, r.f(0.001f, 0.5f), zp_for(r, ti))};
    const Op op = make_op(BuiltinOp::kQuantize);
    const KTensor out = make_output(to, r.f(0.001f, 0.5f), zp_for(r, to));
    const auto ref = run_kernel(op, in, out, KernelSet::kReference);
    const auto opt = run_kernel(op, in, out, KernelSet::kOptimized, pool_for(trial));
    expect_same(ref, opt, "requantize trial " + std::to_string(trial));
  }
}

// 8-bit MEAN: spatial means of NHWC (the contiguous-run path, kept channels around the 8-lane
// step), other contiguous runs, and gapped or trailing axes (reference fallback).
TEST_P(KernelsOptimized, MeanMatchesReference) {
  Rand r(41);
  const std::vector<std::vector<int32_t>> axes_sets = {{1, 2}, {1, 2}, {2, 1}, {1},     {2},
                                                       {0, 1}, {1, 3}, {3},    {-3, -2}};
  for (int trial = 0; trial < 60; ++trial) {
    const DType t = trial % 2 ? DType::kInt8 : DType::kUInt8;
    ReducerOptions o;
    o.keep_dims = r.i(0, 1) == 1;
    const std::vector<int32_t> axes = axes_sets[static_cast<size_t>(trial) % axes_sets.size()];
    const std::vector<int32_t> shape = {r.i(1, 2), r.i(1, 9), r.i(1, 9), r.i(1, 70)};
    std::vector<KTensor> in = {
        random_activation(r, t, shape, r.f(0.01f, 0.2f), zp_for(r, t)),
        make_tensor(DType::kInt32, {static_cast<int32_t>(axes.size())}, axes, 0.0f, 0, true)};
    const Op op = make_op(BuiltinOp::kMean, o);
    const KTensor out = make_output(t, r.f(0.005f, 0.3f), zp_for(r, t));
    const auto ref = run_kernel(op, in, out, KernelSet::kReference);
    const auto opt = run_kernel(op, in, out, KernelSet::kOptimized, pool_for(trial));
    expect_same(ref, opt, "mean trial " + std::to_string(trial));
  }
}

// Same shapes (AVX2 path), a small input repeating along the output from either side (table
// path: per-channel vectors and scalars, as in movenet), and general broadcasting (reference).
TEST_P(KernelsOptimized, AddSubMulMatchesReference) {
  Rand r(5);
  const BuiltinOp ops[] = {BuiltinOp::kAdd, BuiltinOp::kSub, BuiltinOp::kMul};
  for (int trial = 0; trial < 150; ++trial) {
    const DType t = trial % 2 ? DType::kInt8 : DType::kUInt8;
    const BuiltinOp code = ops[(trial / 2) % 3];
    const Activation act = random_activation_fn(r);
    std::vector<int32_t> shape = {r.i(1, 2), r.i(1, 20), r.i(1, 20), r.i(1, 37)};
    std::vector<int32_t> shape_b = shape;
    switch (trial % 5) {
      case 1:  // movenet-like: a large image and a per-channel vector
        shape = {1, r.i(40, 64), r.i(40, 64), r.i(2, 6)};
        shape_b = {shape.back()};
        break;
      case 2:
        shape_b = {1, 1, shape[2], shape[3]};
        break;
      case 3:
        shape_b = {};
        break;
      case 4:
        shape_b = {shape[0], 1, shape[2], 1};  // not periodic: reference
        break;
      default:
        break;
    }
    std::vector<KTensor> in = {random_activation(r, t, shape, r.f(0.01f, 0.2f), zp_for(r, t)),
                               random_activation(r, t, shape_b, r.f(0.01f, 0.2f), zp_for(r, t))};
    if (trial % 7 == 3) std::swap(in[0], in[1]);  // the small input first
    const Op op = code == BuiltinOp::kMul ? make_op(code, MulDivOptions{act})
                                          : make_op(code, AddSubOptions{act});
    const KTensor out = make_output(t, r.f(0.02f, 0.4f), zp_for(r, t));
    const auto ref = run_kernel(op, in, out, KernelSet::kReference);
    const auto opt = run_kernel(op, in, out, KernelSet::kOptimized, pool_for(trial));
    expect_same(ref, opt, op.name() + " trial " + std::to_string(trial));
  }
}

TEST_P(KernelsOptimized, PoolingMatchesReference) {
  Rand r(31);
  for (int trial = 0; trial < 120; ++trial) {
    const DType types[] = {DType::kUInt8, DType::kInt8, DType::kFloat32};
    const DType t = types[trial % 3];
    const bool average = (trial / 3) % 2 == 0;
    Pool2DOptions o;
    o.padding = r.i(0, 1) ? Padding::kSame : Padding::kValid;
    o.stride_h = r.i(1, 3);
    o.stride_w = r.i(1, 3);
    o.filter_h = r.i(1, 7);
    o.filter_w = r.i(1, 7);
    o.activation = random_activation_fn(r);
    const int h = r.i(o.filter_h, 15), w = r.i(o.filter_w, 15), c = r.i(1, 70), n = r.i(1, 2);
    const float scale = r.f(0.01f, 0.2f);
    const int zp = zp_for(r, t);
    KTensor x;
    if (t == DType::kFloat32) {
      std::vector<float> v(static_cast<size_t>(n * h * w * c));
      for (auto& e : v) e = r.f(-8.0f, 8.0f);
      x = make_tensor(t, {n, h, w, c}, v);
    } else {
      x = random_activation(r, t, {n, h, w, c}, scale, zp);
    }
    const Op op = make_op(average ? BuiltinOp::kAveragePool2D : BuiltinOp::kMaxPool2D, o);
    const KTensor out = t == DType::kFloat32 ? make_output(t) : make_output(t, scale, zp);
    const auto ref = run_kernel(op, {x}, out, KernelSet::kReference);
    const auto opt = run_kernel(op, {x}, out, KernelSet::kOptimized, pool_for(trial));
    expect_same(ref, opt,
                std::string(average ? "average" : "max") + " pool trial " + std::to_string(trial));
  }
}

INSTANTIATE_TEST_SUITE_P(Paths, KernelsOptimized, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return i.param ? "Avx512IfAvailable" : "Avx2";
                         });

}  // namespace
}  // namespace tpulab
