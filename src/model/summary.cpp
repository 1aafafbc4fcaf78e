#include "model/summary.h"

#include <fmt/format.h>

namespace tpulab {

using nlohmann::json;

namespace {

json quant_json(const Quantization& q) {
  if (q.scale.empty()) return nullptr;
  return {{"scale", q.scale}, {"zero_point", q.zero_point}, {"axis", q.axis}};
}

json tensor_json(const Subgraph& sg, int32_t t) {
  const Tensor& x = sg.tensors[static_cast<size_t>(t)];
  return {{"index", t},
          {"name", x.name},
          {"shape", x.shape},
          {"dtype", dtype_name(x.dtype)},
          {"quantization", quant_json(x.quant)}};
}

}  // namespace

std::string hex_token(uint64_t token) { return fmt::format("0x{:016x}", token); }

json edgetpu_json(const std::vector<EdgeTpuOp>& tpu) {
  json e = json::array();
  int64_t cached = 0, streamed = 0;
  for (const auto& t : tpu) {
    json exes = json::array();
    for (const auto& x : t.package.executables)
      exes.push_back({{"type", executable_type_name(x.type)},
                      {"parameter_bytes", x.parameter_bytes},
                      {"instruction_bytes", x.instruction_bytes},
                      {"caching_token", hex_token(x.caching_token)},
                      {"scratch_bytes", x.scratch_bytes}});
    cached += t.package.cached_parameter_bytes();
    streamed += t.package.streamed_parameter_bytes();
    e.push_back({{"op", t.op_index},
                 {"executables", exes},
                 {"cached_parameter_bytes", t.package.cached_parameter_bytes()},
                 {"streamed_parameter_bytes", t.package.streamed_parameter_bytes()},
                 {"instruction_bytes", t.package.instruction_bytes()},
                 {"caching_token", hex_token(t.package.caching_token())}});
  }
  return {{"ops", e}, {"cached_parameter_bytes", cached}, {"streamed_parameter_bytes", streamed}};
}

ModelSummary summarize_model(const Graph& graph, const std::string& path) {
  return {path, &graph, analyze(graph), edgetpu_ops(graph, path)};
}

json to_json(const ModelSummary& r) {
  const Subgraph& sg = r.graph->main();
  json j;
  j["file"] = r.path;
  j["version"] = r.graph->version;
  j["description"] = r.graph->description;
  j["subgraphs"] = r.graph->subgraphs.size();
  j["tensors"] = sg.tensors.size();
  j["inputs"] = json::array();
  for (int32_t t : sg.inputs) j["inputs"].push_back(tensor_json(sg, t));
  j["outputs"] = json::array();
  for (int32_t t : sg.outputs) j["outputs"].push_back(tensor_json(sg, t));
  j["op_counts"] = r.stats.op_counts;
  j["op_total"] = sg.ops.size();
  j["parameter_bytes"] = r.stats.parameter_bytes;
  j["macs"] = r.stats.macs;
  j["peak_activation_bytes"] = r.stats.peak_activation_bytes;
  j["peak_activation_at_op"] = r.stats.peak_at_op;
  j["ops"] = json::array();
  for (const auto& o : r.stats.ops) {
    const Op& op = sg.ops[static_cast<size_t>(o.index)];
    json in = json::array(), out = json::array();
    for (int32_t t : op.inputs)
      if (t >= 0)
        in.push_back({{"tensor", t},
                      {"shape", sg.tensors[static_cast<size_t>(t)].shape},
                      {"dtype", dtype_name(sg.tensors[static_cast<size_t>(t)].dtype)},
                      {"constant", sg.tensors[static_cast<size_t>(t)].is_constant()}});
    for (int32_t t : op.outputs)
      if (t >= 0)
        out.push_back({{"tensor", t},
                       {"shape", sg.tensors[static_cast<size_t>(t)].shape},
                       {"dtype", dtype_name(sg.tensors[static_cast<size_t>(t)].dtype)}});
    j["ops"].push_back({{"index", o.index},
                        {"op", o.name},
                        {"inputs", in},
                        {"outputs", out},
                        {"weight_bytes", o.weight_bytes},
                        {"macs", o.macs},
                        {"output_bytes", o.output_bytes}});
  }
  if (!r.tpu.empty()) j["edgetpu"] = edgetpu_json(r.tpu);
  return j;
}

}  // namespace tpulab
