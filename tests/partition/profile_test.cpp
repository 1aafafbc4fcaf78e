// The profile strategy behaves as libcoral's profiling partitioner: bisection from the params
// split's slowest stage, greedy longest prefixes under the target.
#include <gtest/gtest.h>

#include <algorithm>

#include "device/platform.h"
#include "model/zoo/zoo.h"
#include "partition/strategy.h"

namespace tpulab::partition {
namespace {

double slowest_stage(const Plan& p) {
  double m = 0;
  for (const auto& c : p.simulation.costs) m = std::max(m, c.latency_ms());
  return m;
}

TEST(Profile, GreedyPrefixesBeatTheParamsSplit) {
  const device::Platform pf = device::load_platform("asus-8x-pcie");
  for (const char* name : {"resnet50_v1", "inception_v3", "mobilenet_v2"}) {
    Graph g = zoo::build_zoo_model(name);
    const auto n = static_cast<int32_t>(g.main().ops.size());
    for (int k = 2; k <= 8; k += 3) {
      SCOPED_TRACE(std::string(name) + " K=" + std::to_string(k));
      Options o;
      o.segments = k;
      o.diff_threshold_ms = 0.01;
      Plan params = partition_params(g, pf, o);
      Plan prof = partition_profile(g, pf, o);
      ASSERT_EQ(prof.segments(), k);
      // The search starts from the params split's slowest stage and only moves down.
      EXPECT_LE(slowest_stage(prof), slowest_stage(params));
      // Each segment but the last is the longest prefix meeting the target, and the target is at
      // least every such segment's latency: any longer prefix is slower than all of them.
      auto r = ranges_of(prof.starts, n);
      double slowest_head = 0;
      for (size_t s = 0; s + 1 < r.size(); ++s)
        slowest_head = std::max(slowest_head, prof.simulation.costs[s].latency_ms());
      for (size_t s = 0; s + 1 < r.size(); ++s) {
        const int32_t max_last = n - static_cast<int32_t>(r.size() - 1 - s);
        for (int32_t last = r[s].last + 1; last <= max_last; last += 7) {
          device::Simulation longer = device::simulate(g, {{r[s].first, last}}, pf);
          EXPECT_GT(longer.latency_ms, slowest_head) << "segment " << s << " to op " << last;
        }
      }
      // The exact search is never slower.
      EXPECT_LE(partition_optimal(g, pf, o).simulation.bottleneck_ms,
                prof.simulation.bottleneck_ms);
    }
  }
}

TEST(Profile, AThresholdWiderThanTheParamsSpreadKeepsTheParamsSplit) {
  const device::Platform pf = device::load_platform("asus-8x-pcie");
  Graph g = zoo::build_zoo_model("resnet50_v1");
  Options o;
  o.segments = 4;
  o.diff_threshold_ms = 1e6;
  EXPECT_EQ(partition_profile(g, pf, o).starts, partition_params(g, pf, o).starts);
}

}  // namespace
}  // namespace tpulab::partition
