// The interpreter with small test kernels (registered in a test-local registry): kernel lookup
// and its errors, shape propagation through prepare, the memory plan, scratch, variables.
#include "engine/interpreter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <iostream>
#include <random>

#include "common/error.h"
#include "engine/kernel_registry.h"
#include "engine/thread_pool.h"
#include "model/analysis.h"
#include "model/tflite.h"
#include "testing/testing.h"

namespace tpulab::engine {
namespace {

using ::testing::HasSubstr;

// out = in + 1 (uint8, any shape); prepare copies the input shape to the output.
class PlusOne : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    if (ctx.in(0).dtype != DType::kUInt8) throw ModelError(ctx.model, "needs uint8", ctx.where());
    ctx.out(0).shape = ctx.in(0).shape;
  }
  void eval(const OpContext& ctx) const override {
    const auto n = ctx.in(0).num_elements();
    for (int64_t i = 0; i < n; ++i)
      ctx.out(0).data[i] = static_cast<uint8_t>(ctx.in(0).data[i] + 1);
  }
};

// Doubles the last dimension (output = input twice, side by side): shapes change at prepare.
class Widen : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    ctx.out(0).dtype = ctx.in(0).dtype;
    ctx.out(0).shape = ctx.in(0).shape;
    ctx.out(0).shape.back() *= 2;
  }
  size_t scratch_bytes(int threads) const override { return 100 * static_cast<size_t>(threads); }
  void eval(const OpContext& ctx) const override {
    // Scratch is there, aligned, and as large as asked.
    if (ctx.scratch.size() != 100 * static_cast<size_t>(ctx.pool ? ctx.pool->size() : 1) ||
        reinterpret_cast<uintptr_t>(ctx.scratch.data()) % 64 != 0)
      std::abort();
    const int64_t rows = ctx.in(0).num_elements() / ctx.in(0).shape.back();
    const int64_t w = ctx.in(0).shape.back();
    for (int64_t r = 0; r < rows; ++r) {
      std::memcpy(ctx.out(0).data + r * 2 * w, ctx.in(0).data + r * w, static_cast<size_t>(w));
      std::memcpy(ctx.out(0).data + r * 2 * w + w, ctx.in(0).data + r * w, static_cast<size_t>(w));
    }
  }
};

// state += in; out = state (uint8). Input 1 is a variable tensor.
class Accumulate : public Kernel {
 public:
  void prepare(OpContext& ctx) override { ctx.out(0).shape = ctx.in(0).shape; }
  void eval(const OpContext& ctx) const override {
    for (int64_t i = 0; i < ctx.in(0).num_elements(); ++i) {
      ctx.in(1).data[i] = static_cast<uint8_t>(ctx.in(1).data[i] + ctx.in(0).data[i]);
      ctx.out(0).data[i] = ctx.in(1).data[i];
    }
  }
};

const KernelRegistry& test_kernels() {
  static const KernelRegistry r = [] {
    KernelRegistry k;
    k.add(BuiltinOp::kAdd, [] { return std::make_unique<PlusOne>(); });
    k.add_custom("widen", [] { return std::make_unique<Widen>(); });
    k.add_custom("accumulate", [] { return std::make_unique<Accumulate>(); });
    return k;
  }();
  return r;
}

InterpreterOptions with_test_kernels(ThreadPool* pool = nullptr) {
  InterpreterOptions o;
  o.extra_kernels = &test_kernels();
  o.pool = pool;
  return o;
}

struct GraphBuilder {
  Graph g;
  GraphBuilder() { g.subgraphs.emplace_back(); }
  Subgraph& sg() { return g.main(); }
  int32_t tensor(std::vector<int32_t> shape, DType dt = DType::kUInt8) {
    Tensor t;
    t.name = "t" + std::to_string(sg().tensors.size());
    t.dtype = dt;
    t.shape = std::move(shape);
    sg().tensors.push_back(t);
    return static_cast<int32_t>(sg().tensors.size() - 1);
  }
  void op(int32_t code, std::vector<int32_t> in, std::vector<int32_t> out,
          std::string custom = "") {
    Op o;
    o.code = code;
    o.custom_name = std::move(custom);
    o.inputs = std::move(in);
    o.outputs = std::move(out);
    sg().ops.push_back(o);
  }
  void add(int32_t in, int32_t out) { op(static_cast<int32_t>(BuiltinOp::kAdd), {in}, {out}); }
  void custom(const std::string& name, std::vector<int32_t> in, std::vector<int32_t> out) {
    op(static_cast<int32_t>(BuiltinOp::kCustom), std::move(in), std::move(out), name);
  }
};

// input -> +1 -> +1 -> ... (n ops) -> output, every tensor `elems` bytes.
Graph chain(int n, int32_t elems) {
  GraphBuilder b;
  int32_t x = b.tensor({1, elems});
  b.sg().inputs = {x};
  for (int i = 0; i < n; ++i) {
    const int32_t y = b.tensor({1, elems});
    b.add(x, y);
    x = y;
  }
  b.sg().outputs = {x};
  return b.g;
}

TEST(Interpreter, RunsAChainAndReusesMemory) {
  const Graph g = chain(6, 1000);
  Interpreter in(g, "chain.tflite", with_test_kernels());
  ASSERT_EQ(in.num_inputs(), 1u);
  ASSERT_EQ(in.num_outputs(), 1u);
  auto input = in.input_bytes(0);
  ASSERT_EQ(input.size(), 1000u);
  for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<uint8_t>(i);
  in.invoke();
  auto out = in.output_bytes(0);
  ASSERT_EQ(out.size(), 1000u);
  for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], static_cast<uint8_t>(i + 6));
  // Inputs keep their bytes, so a second invoke gives the same answer.
  in.invoke();
  for (size_t i = 0; i < out.size(); ++i)
    ASSERT_EQ(in.output_bytes(0)[i], static_cast<uint8_t>(i + 6));

  // 7 tensors of 1024 aligned bytes: input and output pinned, two intermediates at a time.
  EXPECT_EQ(in.naive_arena_bytes(), 7u * 1024);
  EXPECT_LE(in.arena_bytes(), 4u * 1024);
  EXPECT_GE(static_cast<int64_t>(in.arena_bytes()), peak_activation_bytes(g.main()));
}

TEST(Interpreter, PreserveAllTensorsKeepsEveryIntermediate) {
  const Graph g = chain(6, 1000);
  InterpreterOptions opts = with_test_kernels();
  opts.preserve_all_tensors = true;
  Interpreter kept(g, "chain.tflite", opts);
  Interpreter reused(g, "chain.tflite", with_test_kernels());
  for (Interpreter* in : {&kept, &reused}) {
    auto input = in->input_bytes(0);
    for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<uint8_t>(i);
    in->invoke();
  }
  EXPECT_EQ(kept.arena_bytes(), kept.naive_arena_bytes());
  // Tensor k of the chain holds input + k after the invoke.
  for (size_t k = 0; k <= 6; ++k) {
    EXPECT_TRUE(kept.holds_value_after_invoke(k)) << k;
    EXPECT_EQ(reused.holds_value_after_invoke(k), k == 0 || k == 6) << k;
    const TensorRef& t = kept.tensor(k);
    for (size_t i = 0; i < 1000; ++i)
      ASSERT_EQ(t.data[i], static_cast<uint8_t>(i + k)) << "tensor " << k << " byte " << i;
  }
}

TEST(Interpreter, PrepareSetsShapesDownstreamAndScratch) {
  GraphBuilder b;
  const int32_t x = b.tensor({2, 3});
  const int32_t w = b.tensor({2, 3});  // shape in the file is wrong: prepare fixes it
  const int32_t y = b.tensor({});
  b.custom("widen", {x}, {w});
  b.add(w, y);
  b.sg().inputs = {x};
  b.sg().outputs = {y};
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    Interpreter in(b.g, "widen.tflite", with_test_kernels(&pool));
    EXPECT_EQ(in.output(0).shape, (std::vector<int32_t>{2, 6}));
    const uint8_t src[6] = {1, 2, 3, 4, 5, 6};
    std::memcpy(in.input_bytes(0).data(), src, 6);
    in.invoke();
    const std::vector<uint8_t> got(in.output_bytes(0).begin(), in.output_bytes(0).end());
    EXPECT_EQ(got, (std::vector<uint8_t>{2, 3, 4, 2, 3, 4, 5, 6, 7, 5, 6, 7}));
  }
}

TEST(Interpreter, UnsupportedOpNamesOpAndModel) {
  GraphBuilder b;
  const int32_t x = b.tensor({4});
  const int32_t y = b.tensor({4});
  const int32_t z = b.tensor({4});
  b.add(x, y);
  b.custom("no-such-op", {y}, {z});
  b.sg().inputs = {x};
  b.sg().outputs = {z};
  try {
    Interpreter in(b.g, "model.tflite", with_test_kernels());
    FAIL() << "prepared a model with an unknown op";
  } catch (const UnsupportedError& e) {
    EXPECT_STREQ(e.what(), "op #1 no-such-op (model.tflite) is not supported");
  }
}

TEST(Interpreter, EdgeTpuOpPointsAtTheCpuModel) {
  GraphBuilder b;
  const int32_t x = b.tensor({4});
  const int32_t y = b.tensor({4});
  b.custom(kEdgeTpuCustomOp, {x}, {y});
  b.sg().inputs = {x};
  b.sg().outputs = {y};
  try {
    Interpreter in(b.g, "m_edgetpu.tflite");
    FAIL();
  } catch (const UnsupportedError& e) {
    EXPECT_THAT(e.what(), HasSubstr("op #0 edgetpu-custom-op (m_edgetpu.tflite)"));
    EXPECT_THAT(e.what(), HasSubstr("Edge TPU"));
    EXPECT_THAT(e.what(), HasSubstr("the CPU model it was compiled from"));
  }
}

TEST(Interpreter, PrepareErrorsPropagate) {
  GraphBuilder b;
  const int32_t x = b.tensor({4}, DType::kFloat32);
  const int32_t y = b.tensor({4});
  b.add(x, y);
  b.sg().inputs = {x};
  b.sg().outputs = {y};
  try {
    Interpreter in(b.g, "bad.tflite", with_test_kernels());
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_THAT(e.what(), HasSubstr("needs uint8"));
    EXPECT_THAT(e.what(), HasSubstr("op #0 ADD (bad.tflite)"));
  }
}

TEST(Interpreter, RejectsOpsWritingConstantsAndBrokenGraphs) {
  GraphBuilder b;
  const int32_t x = b.tensor({4});
  const int32_t c = b.tensor({4});
  b.sg().tensors[static_cast<size_t>(c)].data = Bytes::own({1, 2, 3, 4});
  b.add(x, c);
  b.sg().inputs = {x};
  b.sg().outputs = {c};
  EXPECT_THROW(Interpreter(b.g, "const.tflite", with_test_kernels()), ModelError);

  GraphBuilder e;
  const int32_t t = e.tensor({4});
  e.add(t, 7);  // no tensor 7
  e.sg().inputs = {t};
  EXPECT_THROW(Interpreter(e.g, "broken.tflite", with_test_kernels()), ModelError);
}

TEST(Interpreter, VariablesPersistAcrossInvokesUntilReset) {
  GraphBuilder b;
  const int32_t x = b.tensor({3});
  const int32_t state = b.tensor({3});
  b.sg().tensors[static_cast<size_t>(state)].is_variable = true;
  const int32_t y = b.tensor({3});
  b.custom("accumulate", {x, state}, {y});
  b.sg().inputs = {x};
  b.sg().outputs = {y};
  Interpreter in(b.g, "state.tflite", with_test_kernels());
  const uint8_t v[3] = {1, 2, 3};
  std::memcpy(in.input_bytes(0).data(), v, 3);
  in.invoke();
  in.invoke();
  EXPECT_EQ(in.output_bytes(0)[2], 6);
  in.reset_variables();
  in.invoke();
  EXPECT_EQ(in.output_bytes(0)[2], 3);
}

TEST(Interpreter, RandomDagsComputeTheRightValues) {
  // Random DAGs of +1 ops with random tensor sizes: any aliasing mistake in the plan shows up as
  // a wrong value. Each tensor's expected value is its depth from the input.
  std::mt19937 rng(3);
  for (int round = 0; round < 50; ++round) {
    GraphBuilder b;
    const int32_t size = 1 + static_cast<int32_t>(rng() % 300);
    std::vector<int32_t> tensors{b.tensor({size})};
    std::vector<int> depth{0};
    b.sg().inputs = {tensors[0]};
    const int ops = 1 + static_cast<int>(rng() % 25);
    for (int i = 0; i < ops; ++i) {
      const size_t src = rng() % tensors.size();
      const int32_t y = b.tensor({size});
      b.add(tensors[src], y);
      tensors.push_back(y);
      depth.push_back(depth[src] + 1);
    }
    // A few random outputs.
    std::vector<size_t> outs;
    for (int k = 0; k < 3; ++k) outs.push_back(1 + rng() % (tensors.size() - 1));
    for (size_t o : outs) b.sg().outputs.push_back(tensors[o]);
    Interpreter in(b.g, "dag.tflite", with_test_kernels());
    std::memset(in.input_bytes(0).data(), 10, static_cast<size_t>(size));
    in.invoke();
    for (size_t k = 0; k < outs.size(); ++k)
      for (uint8_t v : in.output_bytes(k)) ASSERT_EQ(v, 10 + depth[outs[k]]) << "round " << round;
    EXPECT_LE(in.arena_bytes(), in.naive_arena_bytes());
  }
}

TEST(Interpreter, KernelSetNames) {
  EXPECT_EQ(kernel_set_from_name("reference"), KernelSet::kReference);
  EXPECT_EQ(kernel_set_from_name("optimized"), KernelSet::kOptimized);
  EXPECT_EQ(kernel_set_name(KernelSet::kReference), "reference");
  EXPECT_THROW(kernel_set_from_name("fast"), UsageError);
}

}  // namespace
}  // namespace tpulab::engine

namespace tpulab::engine {
namespace {

// Real models: the planned arena can never be below the peak of live activations (analysis.h),
// and buffer reuse must save most of the naive sum.
TEST(InterpreterArena, RealModelsReuseMemory) {
  TPULAB_REQUIRE_SHARED();
  for (const char* name :
       {"mobilenet_v2_1.0_224_quant.tflite", "tf2_mobilenet_v2_1.0_224_ptq.tflite",
        "deeplabv3_mnv2_pascal_quant.tflite"}) {
    const Graph g = read_tflite((testing::shared_dir() / "models" / name).string());
    Interpreter in(g, name);
    const int64_t peak = peak_activation_bytes(g.main());
    EXPECT_GE(static_cast<int64_t>(in.arena_bytes()), peak) << name;
    EXPECT_LT(in.arena_bytes() * 2, in.naive_arena_bytes()) << name;
    std::cout << name << ": arena " << in.arena_bytes() << " bytes, peak live activations " << peak
              << ", naive sum " << in.naive_arena_bytes() << "\n";
  }
}

}  // namespace
}  // namespace tpulab::engine
