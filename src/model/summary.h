// What `tpulab inspect` reports about a model, as data: the model's I/O, op counts, parameters,
// MACs, peak activation memory, per-op figures and, for compiled models, the Edge TPU executables.
// The CLI prints it as a table or JSON; the Python package returns it from Model.summary().
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/analysis.h"
#include "model/edgetpu_package.h"
#include "model/graph.h"

namespace tpulab {

struct ModelSummary {
  std::string path;
  const Graph* graph = nullptr;  // not owned: the summary is read while the graph lives
  GraphStats stats;
  std::vector<EdgeTpuOp> tpu;  // compiled Edge TPU ops and their packages
};

// `path` names the model in the report and in errors about its Edge TPU packages.
ModelSummary summarize_model(const Graph& graph, const std::string& path);

// {"file", "version", "description", "subgraphs", "tensors", "inputs", "outputs", "op_counts",
// "op_total", "parameter_bytes", "macs", "peak_activation_bytes", "peak_activation_at_op",
// "ops": [...], and "edgetpu" for compiled models}.
nlohmann::json to_json(const ModelSummary& s);

// {"ops": [per compiled op: executables, cached/streamed parameter and instruction bytes, caching
// token], "cached_parameter_bytes", "streamed_parameter_bytes"}: the "edgetpu" part above.
nlohmann::json edgetpu_json(const std::vector<EdgeTpuOp>& tpu);

// "0x0123456789abcdef": how caching tokens are shown.
std::string hex_token(uint64_t token);

}  // namespace tpulab
