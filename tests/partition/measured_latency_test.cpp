// Segment latencies measured on the CPU engine, and the profile strategy searching on them
// (tpulab segment --measure). Timing on a shared machine is noisy: comparisons between fresh
// measurements use wide margins and a few attempts; comparisons between cached values are exact.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "common/error.h"
#include "device/platform.h"
#include "model/tflite.h"
#include "model/zoo/zoo.h"
#include "partition/measured_latency.h"
#include "partition/segment_latency.h"
#include "partition/strategy.h"
#include "testing/testing.h"

namespace tpulab::partition {
namespace {

int32_t op_count(const Graph& g) { return static_cast<int32_t>(g.main().ops.size()); }

// True when `check` holds in one of `attempts` tries: a timing claim that a loaded machine may
// disturb once but not every time.
bool holds_in_some_attempt(int attempts, const std::function<bool()>& check) {
  for (int a = 0; a < attempts; ++a)
    if (check()) return true;
  return false;
}

// Counts the latencies asked of a source (cache hits included).
class CountingLatency final : public SegmentLatency {
 public:
  explicit CountingLatency(SegmentLatency& inner) : inner_(inner) {}
  double latency_ms(const Graph& graph, int32_t first, int32_t end) override {
    ++requests;
    return inner_.latency_ms(graph, first, end);
  }
  int64_t requests = 0;

 private:
  SegmentLatency& inner_;
};

// The slowest of a plan's segments according to `latency`.
double slowest_segment_ms(const Graph& g, const Plan& plan, SegmentLatency& latency) {
  double m = 0;
  for (const auto& r : ranges_of(plan.starts, op_count(g)))
    m = std::max(m, latency.latency_ms(g, r.first, r.last));
  return m;
}

TEST(MeasuredLatency, TimesRealWork) {
  // The same layers at 3x the resolution: 9x the MACs of every conv.
  Graph small = zoo::build_zoo_model("mobilenet_v1", {.input = 64, .width = 0.25});
  Graph big = zoo::build_zoo_model("mobilenet_v1", {.input = 192, .width = 0.25});
  ASSERT_EQ(op_count(small), op_count(big));
  EXPECT_TRUE(holds_in_some_attempt(3, [&] {
    MeasuredLatency m({.runs = 3});
    const double s = m.latency_ms(small, 0, op_count(small));
    const double b = m.latency_ms(big, 0, op_count(big));
    EXPECT_GT(s, 0.0);
    return b > 3 * s;
  })) << "9x the MACs never measured even 3x slower";
  // A longer prefix of the same model does more work (the first half of MobileNet v1 holds most
  // of its MACs at high resolution; the first op alone is one small conv).
  EXPECT_TRUE(holds_in_some_attempt(3, [&] {
    MeasuredLatency m({.runs = 3});
    return m.latency_ms(big, 0, op_count(big) / 2) > 2 * m.latency_ms(big, 0, 1);
  }));
}

TEST(MeasuredLatency, MeasuresEachRangeOnce) {
  Graph g = zoo::build_zoo_model("mobilenet_v1", {.input = 64, .width = 0.25});
  const int32_t n = op_count(g);
  MeasuredLatency m({.runs = 1, .warmup = 0});
  const double whole = m.latency_ms(g, 0, n);
  EXPECT_EQ(m.latency_ms(g, 0, n), whole);  // the cached value, not a new timing
  EXPECT_EQ(m.measurements(), 1);
  m.latency_ms(g, 3, n - 2);
  m.latency_ms(g, 3, n - 2);
  EXPECT_EQ(m.measurements(), 2);
  EXPECT_THROW(m.latency_ms(g, 4, 4), UsageError);
  EXPECT_THROW(m.latency_ms(g, 0, n + 1), UsageError);
  EXPECT_EQ(m.measurements(), 2);

  // Profile asks for the same ranges on every bisection step; each is timed once, and a second
  // search times nothing new.
  Options o;
  o.segments = 3;
  o.diff_threshold_ms = 1e-4;
  const device::Platform pf = device::load_platform("asus-8x-pcie");
  MeasuredLatency fresh({.runs = 1, .warmup = 0});
  CountingLatency counting(fresh);
  Plan first = partition_profile(g, pf, o, counting);
  EXPECT_GT(counting.requests, fresh.measurements());
  const int64_t measured = fresh.measurements();
  EXPECT_LE(measured, int64_t{n} * (n + 1) / 2);  // no more than the distinct ranges
  Plan again = partition_profile(g, pf, o, counting);
  EXPECT_EQ(fresh.measurements(), measured);
  EXPECT_EQ(again.starts, first.starts);

  // Another model's ranges are other segments.
  Graph other = zoo::build_zoo_model("mobilenet_v1", {.input = 96, .width = 0.25});
  m.latency_ms(other, 0, n);
  EXPECT_EQ(m.measurements(), 3);
  EXPECT_THROW(MeasuredLatency({.runs = 0}), UsageError);
}

TEST(MeasuredLatency, ProfileOnMeasuredLatenciesBeatsTheParamsSplit) {
  TPULAB_REQUIRE_SHARED();
  Graph g = read_tflite(
      (testing::shared_dir() / "models" / "mobilenet_v1_0.25_128_quant.tflite").string());
  const int32_t n = op_count(g);
  const device::Platform pf = device::load_platform("asus-8x-pcie");
  for (int k : {2, 4}) {
    SCOPED_TRACE("K=" + std::to_string(k));
    Options o;
    o.segments = k;
    o.diff_threshold_ms = 0.005;  // the whole model runs in about 1 ms on one core
    MeasuredLatency m({.runs = 3});
    Plan params = partition_params(g, pf, o);
    Plan prof = partition_profile(g, pf, o, m);
    EXPECT_EQ(prof.strategy, Strategy::kProfile);
    ASSERT_EQ(prof.segments(), k);
    ASSERT_EQ(prof.simulation.costs.size(), static_cast<size_t>(k));  // costed by the model too
    for (size_t i = 0; i < prof.starts.size(); ++i) {
      EXPECT_GT(prof.starts[i], i == 0 ? 0 : prof.starts[i - 1]);
      EXPECT_LT(prof.starts[i], n);
    }
    // On the latencies it searched (the cache), the search only ever moves below the params
    // split's slowest segment.
    EXPECT_LE(slowest_segment_ms(g, prof, m), slowest_segment_ms(g, params, m));
    // Timed afresh, the plans keep that order up to noise.
    EXPECT_TRUE(holds_in_some_attempt(3, [&] {
      MeasuredLatency again({.runs = 5});
      const double p = slowest_segment_ms(g, prof, again);
      const double q = slowest_segment_ms(g, params, again);
      return p <= 1.2 * q;
    }));
  }
}

TEST(ModelLatency, IsTheSimulatedSegmentLatency) {
  Graph g = zoo::build_zoo_model("mobilenet_v2", {.input = 96});
  const device::Platform pf = device::load_platform("asus-8x-pcie");
  ModelLatency model(g, pf);
  const int32_t n = op_count(g);
  for (auto [first, end] : {std::pair{0, n}, std::pair{0, 5}, std::pair{7, n - 3}})
    EXPECT_DOUBLE_EQ(model.latency_ms(g, first, end),
                     device::simulate(g, {{first, end}}, pf).costs.front().latency_ms());
  Graph other = g;
  EXPECT_THROW(model.latency_ms(other, 0, n), UsageError);
}

}  // namespace
}  // namespace tpulab::partition
