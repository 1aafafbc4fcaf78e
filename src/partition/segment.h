// Cutting a model into pipeline segments: each segment is a stand-alone Graph that runs one
// contiguous range of ops (in execution order) on its own device.
//
// Every tensor produced before a cut and read after it becomes an output of the segment that
// produces it and an input of each later segment that reads it, including skip connections that
// jump over whole segments (the pipeline runtime carries them along, as libcoral's does).
// Segment inputs and outputs keep the original tensor names, so any runtime can wire segments
// together by name. Constant data goes only into the segments that use it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/graph.h"

namespace tpulab {

struct Segment {
  Graph graph;
  int32_t first_op = 0;  // [first_op, end_op) of the original main subgraph
  int32_t end_op = 0;
  // Original tensor indices of this segment's inputs and outputs, in the segment's order.
  std::vector<int32_t> inputs, outputs;
};

// `starts` are the first op of each segment after the first, strictly increasing in (0, n_ops):
// K - 1 cut points give K segments. Throws UsageError for invalid cut points or an empty model.
std::vector<Segment> split_into_segments(const Graph& graph, const std::vector<int32_t>& starts);

// Tensors crossing each cut: for cut c (between segment c and c + 1), the original indices of
// the non-constant tensors produced at or before segment c and read after it (or model outputs
// produced before the cut). Their byte sizes are what the pipeline moves between devices.
std::vector<std::vector<int32_t>> tensors_crossing_cuts(const Graph& graph,
                                                        const std::vector<int32_t>& starts);

// "<stem>_segment_<i>_of_<K>.tflite", as the Edge TPU compiler names its segments.
std::string segment_file_name(const std::string& model_stem, size_t index, size_t count);

}  // namespace tpulab
