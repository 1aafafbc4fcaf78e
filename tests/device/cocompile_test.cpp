// Co-compilation against the three co-compiled rows of edgetpu_compiled_models.csv.
// Those files ("..._cocompiled_with_3quant") come from ONE co-compile of four models, in this
// order: mobilenet_v1 1.0/224, 0.25/128, 0.5/160, 0.75/192 (Coral's compiler test script,
// google-coral/edgetpu scripts/compiler/edgetpu_compiler_tests.py). The 1.0/224 source is not in
// shared/models; the zoo's mobilenet_v1 at 224 has the same layers (our layout of its first 27
// ops equals that of the real mobilenet_v1_1.0_224_quant_embedding_extractor).
#include "device/edgetpu/cocompile.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "common/error.h"
#include "model/tflite.h"
#include "model/zoo/zoo.h"
#include "testing/testing.h"

namespace tpulab::device {
namespace {

struct Row {
  const char* source;
  int64_t cached, streamed;  // the real compiler's co-compiled output
};
constexpr Row kRows[] = {{"mobilenet_v1_0.25_128_quant.tflite", 315840, 251072},
                         {"mobilenet_v1_0.5_160_quant.tflite", 1024960, 448320},
                         {"mobilenet_v1_0.75_192_quant.tflite", 2619456, 158144}};

std::vector<Graph> load_rows() {
  std::vector<Graph> graphs;
  const auto dir = testing::shared_dir() / "models";
  for (const Row& r : kRows) {
    if (testing::shared_dir().empty() || !std::filesystem::exists(dir / r.source)) return {};
    graphs.push_back(read_tflite((dir / r.source).string()));
  }
  return graphs;
}

// The first of the four co-compiled models.
Graph first_model() { return zoo::build_zoo_model("mobilenet_v1", {.input = 224, .width = 1.0}); }

std::vector<const Graph*> pointers(const std::vector<Graph>& graphs) {
  std::vector<const Graph*> p;
  for (const Graph& g : graphs) p.push_back(&g);
  return p;
}

int64_t depthwise_bytes(const Graph& g, const ChipSpec& chip) {
  int64_t n = 0;
  for (const OpPlacement& o : compile(g, chip).ops)
    if (o.on_tpu &&
        g.subgraphs.front().ops[static_cast<size_t>(o.op)].is(BuiltinOp::kDepthwiseConv2D))
      n += o.param_bytes;
  return n;
}

void print_rows(const CoCompiled& c, size_t first_row) {
  for (size_t m = 0; m < 3; ++m) {
    const Placement& p = c.models[first_row + m];
    std::printf("  %-38s cached %9ld real %9ld (%+5.1f %%)  streamed %8ld real %8ld (%+5.1f %%)\n",
                kRows[m].source, static_cast<long>(p.cached_bytes),
                static_cast<long>(kRows[m].cached),
                100 * testing::relative_error(p.cached_bytes, kRows[m].cached),
                static_cast<long>(p.streamed_bytes), static_cast<long>(kRows[m].streamed),
                100 * testing::relative_error(p.streamed_bytes, kRows[m].streamed));
  }
}

TEST(CoCompile, KeepsEachModelsLayoutAndStaysWithinTheBudget) {
  const auto graphs = load_rows();
  if (graphs.empty()) GTEST_SKIP() << "shared models not found";
  const ChipSpec chip;
  const CoCompiled c = co_compile(pointers(graphs), chip, {.budget_bytes = 2'000'000});
  ASSERT_EQ(c.models.size(), 3u);
  int64_t cached = 0;
  for (size_t m = 0; m < 3; ++m) {
    const Placement alone = compile(graphs[m], chip);
    EXPECT_EQ(c.models[m].parameter_bytes, alone.parameter_bytes);
    EXPECT_EQ(c.models[m].cached_bytes + c.models[m].streamed_bytes, alone.parameter_bytes);
    EXPECT_GE(c.models[m].streamed_bytes, 0);
    EXPECT_LE(c.models[m].sram_used_bytes, chip.sram_bytes);
    cached += c.models[m].cached_bytes;
  }
  EXPECT_EQ(cached, c.cached_bytes);
  EXPECT_EQ(c.budget_bytes, 2'000'000);
  EXPECT_LE(c.cached_bytes, 2'000'000);
  EXPECT_GT(c.cached_bytes, 1'900'000);  // small layers fill what the big ones leave
  // Largest layers first: the biggest model keeps the largest share.
  EXPECT_GT(c.models[2].cached_bytes, c.models[0].cached_bytes);
  EXPECT_THROW(co_compile({}, chip), UsageError);
  EXPECT_THROW(co_compile({nullptr}, chip), UsageError);
}

TEST(CoCompile, DepthwiseLayersAreCachedBeforeAnyOtherLayer) {
  // In the three real files every depthwise layer is cached, also ones larger than streamed
  // layers of the same model. A budget of exactly the depthwise bytes caches them and nothing
  // else.
  const auto graphs = load_rows();
  if (graphs.empty()) GTEST_SKIP() << "shared models not found";
  const ChipSpec chip;
  int64_t total = 0;
  for (const Graph& g : graphs) total += depthwise_bytes(g, chip);
  const CoCompiled c = co_compile(pointers(graphs), chip, {.budget_bytes = total});
  for (size_t m = 0; m < 3; ++m)
    EXPECT_EQ(c.models[m].cached_bytes, depthwise_bytes(graphs[m], chip)) << kRows[m].source;
}

TEST(CoCompile, TheFourModelCoCompileReproducesTheRealRowsWithTheChipBudget) {
  auto rows = load_rows();
  if (rows.empty()) GTEST_SKIP() << "shared models not found";
  std::vector<Graph> graphs;
  graphs.push_back(first_model());
  for (Graph& g : rows) graphs.push_back(std::move(g));
  const ChipSpec chip;
  const CoCompiled c = co_compile(pointers(graphs), chip);
  EXPECT_EQ(c.budget_bytes, chip.sram_bytes - kCoCompileWithheldBytes);
  std::printf("  budget %ld (%.2f MiB), mobilenet_v1 1.0/224 cached %ld of %ld\n",
              static_cast<long>(c.budget_bytes), static_cast<double>(c.budget_bytes) / (1 << 20),
              static_cast<long>(c.models[0].cached_bytes),
              static_cast<long>(c.models[0].parameter_bytes));
  print_rows(c, 1);
  for (size_t m = 0; m < 3; ++m) {
    const Placement& p = c.models[m + 1];
    EXPECT_LT(std::fabs(testing::relative_error(p.cached_bytes, kRows[m].cached)), 0.05)
        << kRows[m].source;
    EXPECT_LT(std::fabs(testing::relative_error(p.streamed_bytes, kRows[m].streamed)), 0.05)
        << kRows[m].source;
  }
}

TEST(CoCompile, TheRowsHoldAcrossTheBudgetsTheRealFilesAllow) {
  // The rows pin the withheld SRAM to 135.0-145.4 KiB (cached and streamed bytes of all three
  // within 5 %; 0.75 streams only 5.7 % of its parameters, so one small layer more or less is 10-30
  // % of its streamed bytes): kCoCompileWithheldBytes (140 KiB) is the middle, not a knife edge.
  // Just outside, the 0.75 row's streamed bytes are off by more than 5 %.
  auto rows = load_rows();
  if (rows.empty()) GTEST_SKIP() << "shared models not found";
  std::vector<Graph> graphs;
  graphs.push_back(first_model());
  for (Graph& g : rows) graphs.push_back(std::move(g));
  auto worst = [&](int64_t withheld) {
    const CoCompiled c = co_compile(pointers(graphs), ChipSpec{},
                                    {.budget_bytes = ChipSpec{}.sram_bytes - withheld});
    double w = 0;
    for (size_t m = 0; m < 3; ++m)
      w = std::max(
          {w, std::fabs(testing::relative_error(c.models[m + 1].cached_bytes, kRows[m].cached)),
           std::fabs(testing::relative_error(c.models[m + 1].streamed_bytes, kRows[m].streamed))});
    return w;
  };
  for (int64_t withheld = 136 << 10; withheld <= 145 << 10; withheld += 256)
    EXPECT_LT(worst(withheld), 0.05) << "withheld " << withheld;
  EXPECT_GT(worst(134 << 10), 0.05);
  EXPECT_GT(worst(146 << 10), 0.05);
}

TEST(CoCompile, WithoutTheFirstModelTheThreeFitAndEverythingIsCached) {
  // Why the rows cannot come from a co-compile of the three alone: their 4.8 MB fit the chip's
  // cache, so every rule caches all of them (the real files stream 18 %).
  const auto graphs = load_rows();
  if (graphs.empty()) GTEST_SKIP() << "shared models not found";
  const CoCompiled c = co_compile(pointers(graphs), ChipSpec{});
  int64_t params = 0;
  for (const Placement& p : c.models) {
    params += p.parameter_bytes;
    EXPECT_EQ(p.streamed_bytes, 0);
  }
  EXPECT_EQ(c.cached_bytes, params);
  EXPECT_GT(c.budget_bytes, params);
}

TEST(CoCompile, GivenTheRealTotalTheRuleSplitsItAsTheCompilerDid) {
  // The sharing rule alone, without the budget: the three given their real total.
  const auto graphs = load_rows();
  if (graphs.empty()) GTEST_SKIP() << "shared models not found";
  int64_t total = 0;
  for (const Row& r : kRows) total += r.cached;
  const CoCompiled c = co_compile(pointers(graphs), ChipSpec{}, {.budget_bytes = total});
  print_rows(c, 0);
  for (size_t m = 0; m < 3; ++m)
    EXPECT_LT(std::fabs(testing::relative_error(c.models[m].cached_bytes, kRows[m].cached)), 0.05)
        << kRows[m].source;
}

}  // namespace
}  // namespace tpulab::device
