// Partitioning strategies: where to cut a model into K pipeline segments, one Edge TPU each.
//
//   params   the Edge TPU compiler's rule (libcoral's open version): equal parameter bytes;
//   profile  libcoral's profiling partitioner: bisect a target stage latency, greedy prefixes
//            (latencies from the device model, or measured: segment_latency.h);
//   optimal  exact minimum of the objective over all cut points under the device model.
//
// Every strategy returns a Plan: the cut points and what the device model says each segment
// costs on the platform (segments are costed exactly as `tpulab simulate` does).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "device/edgetpu/cost.h"
#include "device/platform.h"
#include "model/graph.h"

namespace tpulab::partition {

class SegmentLatency;

enum class Strategy { kParams, kProfile, kOptimal };
enum class Objective {
  kThroughput,  // minimum bottleneck stage time (then the lowest latency among those)
  kLatency,     // minimum end-to-end latency with a throughput floor
};

// "params" / "profile" / "optimal" (UsageError otherwise) and back.
Strategy parse_strategy(const std::string& name);
std::string strategy_name(Strategy s);
Objective parse_objective(const std::string& name);
std::string objective_name(Objective o);
const std::vector<Strategy>& all_strategies();

struct Options {
  int segments = 1;  // K
  Objective objective = Objective::kThroughput;
  // Latency objective: the pipeline must reach this many inferences/s. 0 = as many as the params
  // split reaches (never slower than the compiler's split).
  double min_throughput_ips = 0;
  // Profile: stop bisecting when upper - lower <= this (libcoral's diff_threshold_ns, 1 ms).
  double diff_threshold_ms = 1.0;
};

struct Plan {
  Strategy strategy = Strategy::kParams;
  std::vector<int32_t> starts;    // first op of each segment after the first (K - 1 cut points)
  device::Simulation simulation;  // per-segment placements and costs, bottleneck, latency, ...
  int segments() const { return static_cast<int>(starts.size()) + 1; }
};

// Throws UsageError / UnsupportedError when `graph` cannot be cut into `k` segments on
// `platform`: K < 1, K above the number of ops, more segments than TPUs, several subgraphs or
// control flow.
void check_partitionable(const Graph& graph, int k, const device::Platform& platform);

// Segment ranges of cut points, and back.
std::vector<device::OpRange> ranges_of(const std::vector<int32_t>& starts, int32_t n_ops);
std::vector<int32_t> starts_of(const std::vector<device::OpRange>& ranges);

// Costs the segments given by `starts` on `platform`.
Plan evaluate(const Graph& graph, Strategy strategy, const std::vector<int32_t>& starts,
              const device::Platform& platform);

// The compiler's `--num_segments K` rule: walk the ops in execution order, counting each op's
// weight bytes, and fill a segment while it stays at or below total / K; the last segment takes
// the rest. K non-empty consecutive ranges. Throws UsageError when K < 1 or above the op count.
std::vector<device::OpRange> split_by_parameters(const Graph& graph, int k);

Plan partition_params(const Graph& graph, const device::Platform& platform, const Options& opts);
Plan partition_profile(const Graph& graph, const device::Platform& platform, const Options& opts);
// Profile searching on `latency`'s segment latencies (e.g. measured ones, segment_latency.h)
// instead of the device model's; the returned plan is still costed by the device model.
Plan partition_profile(const Graph& graph, const device::Platform& platform, const Options& opts,
                       SegmentLatency& latency);
Plan partition_optimal(const Graph& graph, const device::Platform& platform, const Options& opts);
Plan partition(const Graph& graph, Strategy strategy, const device::Platform& platform,
               const Options& opts);

// The value a strategy minimizes: the bottleneck (throughput) or the latency, in ms.
double objective_ms(const Plan& plan, Objective objective);

}  // namespace tpulab::partition
