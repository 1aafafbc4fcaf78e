// Static analysis of a Graph: parameter bytes, multiply-accumulates and activation memory, per op
// and in total. Used by `tpulab inspect` and by the device cost models.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/graph.h"

namespace tpulab {

struct OpStats {
  int32_t index = 0;
  std::string name;
  int64_t weight_bytes = 0;  // constant inputs (for a compiled Edge TPU op: its parameters)
  int64_t macs = 0;          // multiply-accumulates (conv, depthwise, fully connected, ...)
  int64_t output_bytes = 0;  // activation bytes the op writes
};

struct GraphStats {
  std::vector<OpStats> ops;
  std::map<std::string, int> op_counts;  // by op name
  int64_t parameter_bytes = 0;           // all constant data (each buffer once)
  int64_t macs = 0;
  int64_t peak_activation_bytes = 0;  // most non-constant bytes live at once, in execution order
  int32_t peak_at_op = -1;
};

// Multiply-accumulates one op performs (0 for ops without a MAC-shaped inner loop).
int64_t op_macs(const Subgraph& sg, const Op& op);
// Bytes of the constant tensors an op reads (each tensor once).
int64_t op_weight_bytes(const Subgraph& sg, const Op& op);
// Peak live activation memory when ops run in order and each tensor lives from its producer
// (or the start, for inputs) to its last consumer (or the end, for outputs). Sets *at_op.
int64_t peak_activation_bytes(const Subgraph& sg, int32_t* at_op = nullptr);

// Stats of one subgraph; compiled Edge TPU ops count their package's parameters as weights.
GraphStats analyze(const Graph& graph, size_t subgraph = 0);

}  // namespace tpulab
