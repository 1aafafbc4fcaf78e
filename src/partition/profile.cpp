// The `profile` strategy: libcoral's profiling partitioner (partition_with_profiling,
// edgetpu.md), with segment latencies from a SegmentLatency: the device model by default, or
// measurements (tpulab segment --measure) as libcoral gets them from compiling and running.
//
// For a target latency, each segment but the last takes the longest op prefix (searched from the
// longest down) whose latency meets the target, backing up when a later segment cannot take even
// one op; the last segment takes the rest. Bisection on the target starts between the fastest
// and slowest segment of the params split: a plan whose last segment beats the target moves the
// upper bound to the target; otherwise the target becomes the lower bound (and the plan still
// wins when its last segment beats the upper bound). It stops when upper - lower is within the
// threshold and returns the plan behind the upper bound (the params split if none was found).
#include <algorithm>
#include <limits>
#include <set>
#include <utility>

#include "partition/segment_latency.h"
#include "partition/strategy.h"

namespace tpulab::partition {

namespace {

class TargetSearch {
 public:
  TargetSearch(const Graph& graph, SegmentLatency& latency, int k, double target)
      : graph_(graph),
        latency_(latency),
        k_(k),
        n_(static_cast<int32_t>(graph.main().ops.size())),
        target_(target) {}

  // Cut points meeting the target for every segment but the last, or false.
  bool run(std::vector<int32_t>& starts) {
    starts.clear();
    return search(0, 0, starts);
  }

 private:
  bool search(int s, int32_t first, std::vector<int32_t>& starts) {
    if (s == k_ - 1) return true;  // the last segment takes the rest, whatever it costs
    if (failed_.count({s, first})) return false;
    const int32_t max_last = n_ - (k_ - 1 - s);  // one op for each later segment
    for (int32_t last = max_last; last > first; --last) {
      if (latency_.latency_ms(graph_, first, last) > target_) continue;
      starts.push_back(last);
      if (search(s + 1, last, starts)) return true;
      starts.pop_back();
    }
    failed_.insert({s, first});  // the same state fails the same way (libcoral caches latencies)
    return false;
  }

  const Graph& graph_;
  SegmentLatency& latency_;
  int k_;
  int32_t n_;
  double target_;
  std::set<std::pair<int, int32_t>> failed_;
};

}  // namespace

Plan partition_profile(const Graph& graph, const device::Platform& platform, const Options& opts) {
  ModelLatency model(graph, platform);
  return partition_profile(graph, platform, opts, model);
}

Plan partition_profile(const Graph& graph, const device::Platform& platform, const Options& opts,
                       SegmentLatency& latency) {
  Plan params = partition_params(graph, platform, opts);
  if (opts.segments == 1) {
    params.strategy = Strategy::kProfile;
    return params;
  }
  const auto n = static_cast<int32_t>(graph.main().ops.size());
  double lower = std::numeric_limits<double>::infinity();
  double upper = 0;
  for (const auto& r : ranges_of(params.starts, n)) {
    const double ms = latency.latency_ms(graph, r.first, r.last);
    lower = std::min(lower, ms);
    upper = std::max(upper, ms);
  }
  std::vector<int32_t> best = params.starts;
  const double threshold = std::max(opts.diff_threshold_ms, 1e-6);
  std::vector<int32_t> starts;
  while (upper - lower > threshold) {
    const double target = (lower + upper) / 2;
    TargetSearch search(graph, latency, opts.segments, target);
    if (!search.run(starts)) {
      lower = target;
      continue;
    }
    const int32_t first = starts.empty() ? 0 : starts.back();
    const double last_ms = latency.latency_ms(graph, first, n);
    if (last_ms < target) {
      best = starts;
      upper = target;
    } else {
      if (last_ms < upper) {
        best = starts;
        upper = last_ms;
      }
      lower = target;
    }
  }
  return evaluate(graph, Strategy::kProfile, best, platform);
}

}  // namespace tpulab::partition
