// Splitting a model into K segments by parameter bytes, as `edgetpu_compiler --num_segments K`
// does (libcoral's open re-implementation of its heuristic, edgetpu.md): walk the ops in
// execution order, counting each op's weight bytes, and fill a segment while it stays at or below
// total / K; the last segment takes the rest. Used by `simulate --segments K` until the
// partitioner (latency-balanced strategies) lands beside it.
#pragma once

#include <vector>

#include "device/edgetpu/cost.h"
#include "model/graph.h"

namespace tpulab::device {

// K non-empty consecutive op ranges covering the main subgraph. Throws UsageError when K < 1 or
// the model has fewer than K ops.
std::vector<OpRange> split_by_parameters(const Graph& graph, int k);

}  // namespace tpulab::device
