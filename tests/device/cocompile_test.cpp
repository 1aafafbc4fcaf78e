// Co-compilation against the three co-compiled rows of edgetpu_compiled_models.csv
// (mobilenet_v1 0.25/128, 0.5/160, 0.75/192 compiled together, one caching token).
#include "device/edgetpu/cocompile.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "common/error.h"
#include "model/tflite.h"
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

std::vector<const Graph*> pointers(const std::vector<Graph>& graphs) {
  std::vector<const Graph*> p;
  for (const Graph& g : graphs) p.push_back(&g);
  return p;
}

double rel(int64_t predicted, int64_t real) {
  return static_cast<double>(predicted - real) / static_cast<double>(real);
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
    cached += c.models[m].cached_bytes;
  }
  EXPECT_EQ(cached, c.cached_bytes);
  EXPECT_LE(c.cached_bytes, 2'000'000);
  EXPECT_GT(c.cached_bytes, 1'900'000);  // small layers fill what the big ones leave
  // Largest layers first: the biggest model keeps the largest share.
  EXPECT_GT(c.models[2].cached_bytes, c.models[0].cached_bytes);
  EXPECT_THROW(co_compile({}, chip), UsageError);
}

TEST(CoCompile, LargestLayersFirstReproducesTheRealSharesOfTheCache) {
  const auto graphs = load_rows();
  if (graphs.empty()) GTEST_SKIP() << "shared models not found";
  // Given the real compiler's total, does the sharing rule split it as the compiler did?
  int64_t total = 0;
  for (const Row& r : kRows) total += r.cached;
  const CoCompiled c = co_compile(pointers(graphs), ChipSpec{}, {.budget_bytes = total});
  for (size_t m = 0; m < 3; ++m) {
    const double e = rel(c.models[m].cached_bytes, kRows[m].cached);
    std::printf(
        "  %-38s cached %9ld real %9ld (%+5.1f %%)  streamed %8ld real %8ld\n", kRows[m].source,
        static_cast<long>(c.models[m].cached_bytes), static_cast<long>(kRows[m].cached), 100 * e,
        static_cast<long>(c.models[m].streamed_bytes), static_cast<long>(kRows[m].streamed));
    // 0.5 and 0.75 within 2 %; 0.25 at +8.3 % (its few small layers make whole-layer
    // granularity coarse).
    EXPECT_LT(std::fabs(e), m == 0 ? 0.09 : 0.02) << kRows[m].source;
  }
}

TEST(CoCompile, TheChipBudgetCachesEverythingWhereTheRealCompilerStreams18Percent) {
  // A known gap, kept visible: the budget from the chip (8 MiB minus the largest activation
  // reserve and all instructions) holds all 4.8 MB of these parameters, but the real compiler
  // cached only 3.96 MB. When this starts failing the budget rule has been improved.
  const auto graphs = load_rows();
  if (graphs.empty()) GTEST_SKIP() << "shared models not found";
  const CoCompiled c = co_compile(pointers(graphs), ChipSpec{});
  int64_t params = 0, real = 0;
  for (size_t m = 0; m < 3; ++m) {
    params += c.models[m].parameter_bytes;
    real += kRows[m].cached;
    EXPECT_EQ(c.models[m].streamed_bytes, 0);
  }
  EXPECT_EQ(c.cached_bytes, params);
  EXPECT_GT(c.budget_bytes, params);
  EXPECT_GT(rel(c.cached_bytes, real), 0.15);
}

}  // namespace
}  // namespace tpulab::device
