// Where the profile strategy gets a segment's latency: the device model, or a measurement on a
// device. libcoral's profiling partitioner compiles and runs each candidate segment on an Edge
// TPU; a source that does that plugs in here once tpulab has a device runtime.
#pragma once

#include <cstdint>

#include "device/platform.h"
#include "model/graph.h"
#include "partition/stage_cost.h"

namespace tpulab::partition {

class SegmentLatency {
 public:
  virtual ~SegmentLatency() = default;
  // Latency in ms of ops [first, end) of `graph`'s main subgraph run as one stand-alone segment.
  // Sources may cache per range, so callers pass the same graph to one source.
  virtual double latency_ms(const Graph& graph, int32_t first, int32_t end) = 0;
};

// The device model's segment latency on a platform (what `tpulab simulate` reports per segment).
class ModelLatency final : public SegmentLatency {
 public:
  // `graph` and `platform` must outlive this; latency_ms() takes that graph only (UsageError).
  ModelLatency(const Graph& graph, const device::Platform& platform);
  double latency_ms(const Graph& graph, int32_t first, int32_t end) override;

 private:
  const Graph* graph_;
  StageCosts costs_;
};

}  // namespace tpulab::partition
