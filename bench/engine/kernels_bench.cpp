// Hot kernels one at a time, optimized against reference, on MobileNet v2 (224, uint8) shapes
// and movenet's elementwise input normalization.
// Every "optimized" case also times the reference kernel on the same tensors and reports the
// speedup as the counter "x_vs_ref"; "gops" counts multiply-adds (or taps) per second.
//
//   bench_engine --benchmark_filter=kernels/
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/kernel.h"
#include "model/graph.h"

namespace {

using namespace tpulab;
using namespace tpulab::engine;

struct BenchTensor {
  DType dtype = DType::kUInt8;
  std::vector<int32_t> shape;
  Quantization quant;
  std::vector<uint8_t> bytes;
  bool constant = false;
};

BenchTensor tensor(DType dt, std::vector<int32_t> shape, float scale, int64_t zp,
                   bool constant = false, uint32_t seed = 1) {
  BenchTensor t;
  t.dtype = dt;
  t.shape = std::move(shape);
  t.quant.scale = {scale};
  t.quant.zero_point = {zp};
  int64_t n = 1;
  for (int32_t d : t.shape) n *= d;
  t.bytes.resize(static_cast<size_t>(n) * dtype_size(dt));
  std::mt19937 rng(seed);
  for (auto& b : t.bytes) b = static_cast<uint8_t>(rng());
  t.constant = constant;
  return t;
}

// An int32 bias with small values (random bytes would make every output saturate).
BenchTensor bias(int32_t n, float scale) {
  BenchTensor t = tensor(DType::kInt32, {n}, scale, 0, true);
  std::mt19937 rng(3);
  for (int32_t i = 0; i < n; ++i) {
    const auto v = static_cast<int32_t>(rng() % 2001) - 1000;
    std::memcpy(t.bytes.data() + 4 * static_cast<size_t>(i), &v, 4);
  }
  return t;
}

// One prepared kernel with its own tensors and scratch: eval() runs it once.
class PreparedKernel {
 public:
  PreparedKernel(Op op, std::vector<BenchTensor> inputs, BenchTensor output, KernelSet set)
      : op_(std::move(op)), inputs_(std::move(inputs)), output_(std::move(output)) {
    kernel_ = make_kernel(op_, set);
    refs_.resize(inputs_.size() + 1);
    ctx_.op = &op_;
    ctx_.model = "bench";
    for (size_t i = 0; i <= inputs_.size(); ++i) {
      BenchTensor& t = i < inputs_.size() ? inputs_[i] : output_;
      TensorRef& r = refs_[i];
      r.dtype = t.dtype;
      r.shape = t.shape;
      r.quant = t.quant.scale.empty() ? nullptr : &t.quant;
      r.data = t.bytes.data();
      r.bytes = t.bytes.size();
      r.is_constant = t.constant;
      (i < inputs_.size() ? ctx_.inputs : ctx_.outputs).push_back(&r);
    }
    kernel_->prepare(ctx_);
    TensorRef& out = refs_.back();
    output_.bytes.assign(static_cast<size_t>(out.byte_size()), 0);
    out.data = output_.bytes.data();
    out.bytes = output_.bytes.size();
    scratch_.assign(kernel_->scratch_bytes(1) + 64, 0);
    const auto base = reinterpret_cast<uintptr_t>(scratch_.data());
    ctx_.scratch =
        std::span<uint8_t>(scratch_.data() + (64 - base % 64) % 64, kernel_->scratch_bytes(1));
  }
  void eval() const { kernel_->eval(ctx_); }
  // Mean seconds per eval over at least `min_seconds`.
  double seconds_per_eval(double min_seconds) const {
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    int64_t n = 0;
    double elapsed = 0;
    do {
      eval();
      ++n;
      elapsed = std::chrono::duration<double>(clock::now() - t0).count();
    } while (elapsed < min_seconds);
    return elapsed / static_cast<double>(n);
  }

 private:
  Op op_;
  std::vector<BenchTensor> inputs_;
  BenchTensor output_;
  std::vector<TensorRef> refs_;
  OpContext ctx_;
  std::unique_ptr<Kernel> kernel_;
  std::vector<uint8_t> scratch_;
};

struct Case {
  std::string name;
  Op op;
  std::vector<BenchTensor> inputs;
  BenchTensor output;
  double ops;  // multiply-adds (or window taps) per eval
};

Op make_op(BuiltinOp code, OpOptions options) {
  Op op;
  op.code = static_cast<int32_t>(code);
  op.options = std::move(options);
  return op;
}

Case conv(int32_t hw, int32_t cin, int32_t cout, int32_t k, int32_t stride) {
  Conv2DOptions o;
  o.stride_h = o.stride_w = stride;
  o.activation = Activation::kRelu6;
  const int32_t out_hw = (hw + stride - 1) / stride;
  return {
      fmt::format("conv_2d/{}x{}x{}->{}/k{}s{}", hw, hw, cin, cout, k, stride),
      make_op(BuiltinOp::kConv2D, o),
      {tensor(DType::kUInt8, {1, hw, hw, cin}, 0.02f, 128),
       tensor(DType::kUInt8, {cout, k, k, cin}, 0.005f, 120, true, 2), bias(cout, 0.02f * 0.005f)},
      tensor(DType::kUInt8, {}, 0.05f, 0),
      double(out_hw) * out_hw * cout * k * k * cin};
}

Case depthwise(int32_t hw, int32_t c, int32_t stride, int32_t multiplier = 1) {
  DepthwiseConv2DOptions o;
  o.stride_h = o.stride_w = stride;
  o.depth_multiplier = multiplier;
  o.activation = Activation::kRelu6;
  const int32_t out_hw = (hw + stride - 1) / stride;
  return {fmt::format("depthwise_conv_2d/{}x{}x{}/k3s{}m{}", hw, hw, c, stride, multiplier),
          make_op(BuiltinOp::kDepthwiseConv2D, o),
          {tensor(DType::kUInt8, {1, hw, hw, c}, 0.02f, 128),
           tensor(DType::kUInt8, {1, 3, 3, c * multiplier}, 0.005f, 120, true, 2),
           bias(c * multiplier, 0.02f * 0.005f)},
          tensor(DType::kUInt8, {}, 0.05f, 0),
          double(out_hw) * out_hw * c * multiplier * 9};
}

std::vector<Case> cases() {
  std::vector<Case> v;
  // MobileNet v2 224: the stem, expansions and projections (1x1), the head.
  v.push_back(conv(224, 3, 32, 3, 2));
  v.push_back(conv(112, 32, 16, 1, 1));
  v.push_back(conv(56, 24, 144, 1, 1));
  v.push_back(conv(28, 192, 32, 1, 1));
  v.push_back(conv(14, 64, 384, 1, 1));
  v.push_back(conv(7, 320, 1280, 1, 1));
  v.push_back(depthwise(112, 96, 2));
  v.push_back(depthwise(56, 144, 1));
  v.push_back(depthwise(14, 384, 1));
  v.push_back(depthwise(7, 960, 1));
  v.push_back(depthwise(28, 32, 1, 2));  // multiplier 2: reference fallback
  v.push_back({"fully_connected/1280->1001",
               make_op(BuiltinOp::kFullyConnected, FullyConnectedOptions{}),
               {tensor(DType::kUInt8, {1, 1280}, 0.02f, 128),
                tensor(DType::kUInt8, {1001, 1280}, 0.005f, 120, true, 2), bias(1001, 0.0001f)},
               tensor(DType::kUInt8, {}, 0.1f, 60),
               1280.0 * 1001});
  v.push_back({"add/28x28x32",
               make_op(BuiltinOp::kAdd, AddSubOptions{}),
               {tensor(DType::kUInt8, {1, 28, 28, 32}, 0.1f, 120),
                tensor(DType::kUInt8, {1, 28, 28, 32}, 0.07f, 130, false, 2)},
               tensor(DType::kUInt8, {}, 0.15f, 125),
               28.0 * 28 * 32});
  // movenet's input normalization: a per-channel SUB and a scalar MUL (table path).
  v.push_back({"sub/192x192x3-[3]/int8",
               make_op(BuiltinOp::kSub, AddSubOptions{}),
               {tensor(DType::kInt8, {1, 192, 192, 3}, 1.0f, -128),
                tensor(DType::kInt8, {1, 1, 1, 3}, 1.0f, -128, true, 2)},
               tensor(DType::kInt8, {}, 1.0f, -128),
               192.0 * 192 * 3});
  v.push_back({"mul/192x192x3*scalar/int8",
               make_op(BuiltinOp::kMul, MulDivOptions{}),
               {tensor(DType::kInt8, {1, 192, 192, 3}, 1.0f, -128),
                tensor(DType::kInt8, {}, 0.0078431f, -128, true, 2)},
               tensor(DType::kInt8, {}, 0.00784314f, -128),
               192.0 * 192 * 3});
  v.push_back({"average_pool_2d/7x7x1280/global",
               make_op(BuiltinOp::kAveragePool2D,
                       Pool2DOptions{Padding::kValid, 1, 1, 7, 7, Activation::kNone}),
               {tensor(DType::kUInt8, {1, 7, 7, 1280}, 0.02f, 128)},
               tensor(DType::kUInt8, {}, 0.02f, 128),
               7.0 * 7 * 1280});
  v.push_back(
      {"max_pool_2d/112x112x64/k3s2",
       make_op(BuiltinOp::kMaxPool2D, Pool2DOptions{Padding::kSame, 2, 2, 3, 3, Activation::kNone}),
       {tensor(DType::kUInt8, {1, 112, 112, 64}, 0.02f, 128)},
       tensor(DType::kUInt8, {}, 0.02f, 128),
       56.0 * 56 * 64 * 9});
  return v;
}

void bm_kernel(benchmark::State& state, const Case* c, KernelSet set) {
  const PreparedKernel k(c->op, c->inputs, c->output, set);
  double ref_seconds = 0;
  if (set == KernelSet::kOptimized)
    ref_seconds =
        PreparedKernel(c->op, c->inputs, c->output, KernelSet::kReference).seconds_per_eval(0.05);
  for (auto _ : state) k.eval();
  state.counters["gops"] =
      benchmark::Counter(c->ops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  // 1 for the reference rows keeps one table layout for all rows.
  state.counters["x_vs_ref"] =
      set == KernelSet::kOptimized ? ref_seconds / k.seconds_per_eval(0.05) : 1.0;
}

// Registered before main() runs; the cases live as long as the program.
[[maybe_unused]] const bool kRegistered = [] {
  static const std::vector<Case> all = cases();
  for (const Case& c : all)
    for (KernelSet set : {KernelSet::kReference, KernelSet::kOptimized})
      benchmark::RegisterBenchmark(
          fmt::format("kernels/{}/{}", c.name,
                      set == KernelSet::kReference ? "reference" : "optimized")
              .c_str(),
          bm_kernel, &c, set)
          ->Unit(benchmark::kMicrosecond)
          ->MinTime(set == KernelSet::kReference ? 0.05 : 0.2);
  return true;
}();

}  // namespace
