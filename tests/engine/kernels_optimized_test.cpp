// Optimized kernels against the reference kernels on randomized shapes, strides, paddings,
// dilations, zero points, per-channel scales, both 8-bit types and 1-3 threads: outputs must be
// byte-identical.
#include <gtest/gtest.h>

#include <random>

#include "engine/kernel_registry.h"
#include "engine/kernels/optimized/conv_gemm.h"
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

// Runs on both GEMMs when the CPU has AVX-512 VNNI: the parameter switches the VNNI GEMM off.
class KernelsOptimized : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { engine::use_vnni_gemm(GetParam()); }
  void TearDown() override { engine::use_vnni_gemm(true); }
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
    const int kh = r.i(1, 5), kw = r.i(1, 5), cin = r.i(1, 35), cout = cin * o.depth_multiplier;
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

INSTANTIATE_TEST_SUITE_P(Gemm, KernelsOptimized, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return i.param ? "VnniIfAvailable" : "Avx2";
                         });

}  // namespace
}  // namespace tpulab
