// The optimal strategy is checked against brute force: every combination of cut points of small
// models is costed with device::simulate() and the best one found independently.
#include <gtest/gtest.h>

#include <functional>
#include <limits>

#include "common/error.h"
#include "device/platform.h"
#include "model/zoo/zoo.h"
#include "partition/segment.h"
#include "partition/strategy.h"

namespace tpulab::partition {
namespace {

// The first `ops` ops of a zoo model as a stand-alone model (its skip connections and branches
// included): small enough to enumerate every plan.
Graph head_of(const std::string& zoo_name, int32_t ops, int32_t input = 0) {
  zoo::ZooOptions o;
  o.input = input;
  Graph g = zoo::build_zoo_model(zoo_name, o);
  if (static_cast<int32_t>(g.main().ops.size()) <= ops) return g;
  return std::move(split_into_segments(g, {ops}).front().graph);
}

struct Brute {
  double best_bottleneck = std::numeric_limits<double>::infinity();
  double best_latency_at_best_bottleneck = std::numeric_limits<double>::infinity();
  double best_latency_under_floor = std::numeric_limits<double>::infinity();
  int plans = 0;
};

// Every plan of K segments; `floor_ms` bounds the bottleneck for the latency objective.
Brute brute_force(const Graph& g, int k, const device::Platform& pf, double floor_ms) {
  const auto n = static_cast<int32_t>(g.main().ops.size());
  std::vector<device::Simulation> sims;
  std::vector<int32_t> starts;
  std::function<void(int32_t)> rec = [&](int32_t from) {
    if (static_cast<int>(starts.size()) == k - 1) {
      sims.push_back(device::simulate(g, ranges_of(starts, n), pf));
      return;
    }
    for (int32_t c = from; c < n; ++c) {
      starts.push_back(c);
      rec(c + 1);
      starts.pop_back();
    }
  };
  rec(1);
  Brute b;
  b.plans = static_cast<int>(sims.size());
  for (const auto& s : sims) b.best_bottleneck = std::min(b.best_bottleneck, s.bottleneck_ms);
  for (const auto& s : sims) {
    if (s.bottleneck_ms == b.best_bottleneck)
      b.best_latency_at_best_bottleneck = std::min(b.best_latency_at_best_bottleneck, s.latency_ms);
    if (s.bottleneck_ms <= floor_ms)
      b.best_latency_under_floor = std::min(b.best_latency_under_floor, s.latency_ms);
  }
  return b;
}

void expect_matches_brute_force(const Graph& g, const device::Platform& pf, int max_k) {
  for (int k = 2; k <= max_k; ++k) {
    SCOPED_TRACE(pf.name + " K=" + std::to_string(k));
    Options o;
    o.segments = k;
    Plan opt = partition_optimal(g, pf, o);
    ASSERT_EQ(opt.segments(), k);
    // A floor between the best and the params split's bottleneck makes the constraint bite.
    Plan params = partition_params(g, pf, o);
    double floor_ms = (opt.simulation.bottleneck_ms + params.simulation.bottleneck_ms) / 2;
    Brute b = brute_force(g, k, pf, floor_ms);
    ASSERT_GT(b.plans, 0);
    EXPECT_EQ(opt.simulation.bottleneck_ms, b.best_bottleneck);
    EXPECT_EQ(opt.simulation.latency_ms, b.best_latency_at_best_bottleneck);

    o.objective = Objective::kLatency;
    o.min_throughput_ips = 1e3 / floor_ms;
    Plan lat = partition_optimal(g, pf, o);
    Brute bl = brute_force(g, k, pf, 1e3 / o.min_throughput_ips);
    EXPECT_LE(lat.simulation.bottleneck_ms, 1e3 / o.min_throughput_ips);
    EXPECT_EQ(lat.simulation.latency_ms, bl.best_latency_under_floor);
    // No floor: never slower than the params split.
    o.min_throughput_ips = 0;
    Plan lat0 = partition_optimal(g, pf, o);
    EXPECT_LE(lat0.simulation.bottleneck_ms, params.simulation.bottleneck_ms);
    EXPECT_LE(lat0.simulation.latency_ms, params.simulation.latency_ms);
  }
}

device::Platform board() { return device::load_platform("asus-8x-pcie"); }

// Eight TPUs each on its own link, no shared upstream: stages alone decide the bottleneck.
device::Platform independent_links() {
  device::Platform pf = board();
  pf.name = "8x-no-shared-link";
  pf.shared_link_mb_s = 0;
  return pf;
}

// A starved shared link: the bottleneck is the sum of every segment's bytes, so fewer, thinner
// cuts and cached parameters win over balanced stages.
device::Platform starved_link() {
  device::Platform pf = board();
  pf.name = "8x-starved-link";
  pf.shared_link_mb_s = 150;
  return pf;
}

TEST(Optimal, MatchesBruteForceOnResNetHead) {
  // Residual blocks: skip connections cross the cuts.
  Graph g = head_of("resnet50_v1", 22, 96);
  for (const auto& pf : {board(), independent_links(), starved_link()})
    expect_matches_brute_force(g, pf, 4);
}

TEST(Optimal, MatchesBruteForceOnInceptionHead) {
  // Branches and concatenations: several tensors cross most cuts.
  Graph g = head_of("inception_v3", 24, 139);
  for (const auto& pf : {board(), starved_link()}) expect_matches_brute_force(g, pf, 4);
}

TEST(Optimal, MatchesBruteForceOnVgg16) {
  // 138 M parameters: any segment with a big share spills past the SRAM and streams.
  Graph g = zoo::build_zoo_model("vgg16", {.input = 64});
  ASSERT_LE(g.main().ops.size(), 40u);
  for (const auto& pf : {board(), independent_links(), starved_link()})
    expect_matches_brute_force(g, pf, 4);
}

TEST(Optimal, MatchesBruteForceWithUpToEightSegmentsAndATinySram) {
  // A small SRAM makes most plans stream parameters: the pruning bound's SRAM term must count
  // once per segment for the search to stay exact with many segments.
  Graph g = head_of("resnet50_v1", 15, 96);
  for (auto pf : {board(), starved_link()}) {
    pf.chip.sram_bytes = 64 * 1024;
    pf.name += "-64k-sram";
    expect_matches_brute_force(g, pf, 8);
  }
}

TEST(Optimal, FindsPlansTheHeuristicsMissWithFiveOrMoreSegments) {
  // An early search had an invalid pruning bound that emptied its candidate set for K >= 5 and
  // silently returned the better heuristic plan. Here, at K = 5, both heuristics (profile finely
  // bisected) are strictly worse than the true optimum, so only an exact search matches brute
  // force. (At K = 6 the fine profile happens to find the optimum.)
  Graph g = head_of("resnet50_v1", 22, 96);
  for (const auto& pf : {board(), starved_link()}) {
    for (int k = 5; k <= 5; ++k) {
      SCOPED_TRACE(pf.name + " K=" + std::to_string(k));
      Options o;
      o.segments = k;
      o.diff_threshold_ms = 1e-4;
      const Plan opt = partition_optimal(g, pf, o);
      ASSERT_EQ(opt.segments(), k);
      const Brute b = brute_force(g, k, pf, 0);
      EXPECT_EQ(opt.simulation.bottleneck_ms, b.best_bottleneck);
      EXPECT_EQ(opt.simulation.latency_ms, b.best_latency_at_best_bottleneck);
      EXPECT_LT(opt.simulation.bottleneck_ms, partition_params(g, pf, o).simulation.bottleneck_ms);
      EXPECT_LT(opt.simulation.bottleneck_ms, partition_profile(g, pf, o).simulation.bottleneck_ms);
    }
  }
}

TEST(Optimal, NeverWorseThanTheOtherStrategies) {
  for (const char* name : {"mobilenet_v2", "squeezenet", "resnet50_v1", "efficientnet_edgetpu_s"}) {
    Graph g = zoo::build_zoo_model(name);
    for (int k = 1; k <= 8; ++k) {
      SCOPED_TRACE(std::string(name) + " K=" + std::to_string(k));
      Options o;
      o.segments = k;
      Plan opt = partition_optimal(g, board(), o);
      EXPECT_LE(opt.simulation.bottleneck_ms,
                partition_params(g, board(), o).simulation.bottleneck_ms);
      EXPECT_LE(opt.simulation.bottleneck_ms,
                partition_profile(g, board(), o).simulation.bottleneck_ms);
    }
  }
}

TEST(Optimal, RejectsImpossibleRequests) {
  Graph g = head_of("resnet50_v1", 6, 64);
  Options o;
  o.segments = 0;
  EXPECT_THROW(partition_optimal(g, board(), o), UsageError);
  o.segments = 7;
  EXPECT_THROW(partition_optimal(g, board(), o), UsageError);
  o.segments = 2;
  EXPECT_THROW(partition_optimal(g, device::load_platform("usb3-1x"), o), UsageError);
  o.objective = Objective::kLatency;
  o.min_throughput_ips = 1e9;  // no plan is that fast
  EXPECT_THROW(partition_optimal(g, board(), o), UsageError);
  Graph two = g;
  two.subgraphs.push_back(two.main());
  o = Options{};
  EXPECT_THROW(partition_optimal(two, board(), o), UnsupportedError);
}

}  // namespace
}  // namespace tpulab::partition
