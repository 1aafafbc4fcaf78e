#include "partition/segment_latency.h"

#include "common/error.h"

namespace tpulab::partition {

ModelLatency::ModelLatency(const Graph& graph, const device::Platform& platform)
    : graph_(&graph), costs_(graph, platform) {}

double ModelLatency::latency_ms(const Graph& graph, int32_t first, int32_t end) {
  // StageCosts precomputes per-op costs of one graph; another graph would read stale numbers.
  if (&graph != graph_)
    throw UsageError("asked about a graph it was not built for", "ModelLatency");
  return costs_.stage(first, end).ms;
}

}  // namespace tpulab::partition
