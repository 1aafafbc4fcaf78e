// Segment latencies measured by running each segment on the CPU engine: the stand-alone segment
// graph (as split_into_segments writes it) is prepared once, run `warmup` times, then timed
// `runs` times; the median is the latency. Results are cached per op range, since the profile
// strategy asks for the same ranges again on every bisection step.
#pragma once

#include <cstdint>
#include <map>
#include <utility>

#include "engine/kernel.h"
#include "partition/segment_latency.h"

namespace tpulab::engine {
class ThreadPool;
}

namespace tpulab::partition {

struct MeasureOptions {
  int runs = 5;    // timed runs per range (median)
  int warmup = 1;  // untimed runs first: caches, page faults of the arena
  engine::KernelSet kernels = engine::KernelSet::kOptimized;
  engine::ThreadPool* pool = nullptr;  // null = one thread, the steadiest timing
  uint64_t seed = 1;                   // input bytes
};

class MeasuredLatency final : public SegmentLatency {
 public:
  // UsageError when runs < 1 or warmup < 0.
  explicit MeasuredLatency(MeasureOptions opts = {});
  // Throws UsageError for an empty or out-of-bounds range, UnsupportedError for an op the CPU
  // engine cannot run (Edge TPU custom ops).
  double latency_ms(const Graph& graph, int32_t first, int32_t end) override;
  // Ranges measured so far (each once; cache hits do not count).
  int64_t measurements() const { return measurements_; }

 private:
  double measure(const Graph& graph, int32_t first, int32_t end) const;

  MeasureOptions opts_;
  const Graph* graph_ = nullptr;  // the cache belongs to this graph
  std::map<std::pair<int32_t, int32_t>, double> cache_;
  int64_t measurements_ = 0;
};

}  // namespace tpulab::partition
