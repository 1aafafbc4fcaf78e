// tpulab inspect MODEL.tflite [--format table|json|csv] [--dot FILE]
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/error.h"
#include "common/file_io.h"
#include "common/json_text.h"
#include "common/table.h"
#include "model/analysis.h"
#include "model/dot.h"
#include "model/edgetpu_package.h"
#include "model/summary.h"
#include "model/tflite.h"
#include "model/zoo/model_spec.h"

namespace tpulab::cli {

namespace {

using nlohmann::json;

std::string quant_string(const Quantization& q) {
  if (q.scale.empty()) return "-";
  if (q.per_channel()) return fmt::format("per-channel x{} (axis {})", q.scale.size(), q.axis);
  return fmt::format("scale {:.6g}, zero point {}", q.scale[0],
                     q.zero_point.empty() ? 0 : q.zero_point[0]);
}

std::string tensors_brief(const Subgraph& sg, const std::vector<int32_t>& ids,
                          bool skip_constants) {
  std::string out;
  for (int32_t t : ids) {
    if (t < 0) continue;
    const Tensor& x = sg.tensors[static_cast<size_t>(t)];
    if (skip_constants && x.is_constant()) continue;
    if (!out.empty()) out += " ";
    out += shape_string(x.shape) + ":" + dtype_name(x.dtype);
  }
  return out.empty() ? "-" : out;
}

TextTable op_table(const ModelSummary& r) {
  const Subgraph& sg = r.graph->main();
  TextTable t({"#", "op", "inputs", "outputs", "weight bytes", "MACs", "output bytes"});
  t.right_align({0, 4, 5, 6});
  for (const auto& o : r.stats.ops) {
    const Op& op = sg.ops[static_cast<size_t>(o.index)];
    t.add({std::to_string(o.index), o.name, tensors_brief(sg, op.inputs, true),
           tensors_brief(sg, op.outputs, false), with_commas(o.weight_bytes), with_commas(o.macs),
           with_commas(o.output_bytes)});
  }
  return t;
}

std::string to_table(const ModelSummary& r) {
  const Subgraph& sg = r.graph->main();
  std::string out = fmt::format("Model {}\n", r.path);
  out += fmt::format("  schema version {}, {} subgraph(s), {} ops, {} tensors{}\n",
                     r.graph->version, r.graph->subgraphs.size(), sg.ops.size(), sg.tensors.size(),
                     r.graph->description.empty() ? "" : ", \"" + r.graph->description + "\"");
  auto io = [&](const char* title, const std::vector<int32_t>& ids) {
    TextTable t({"#", "name", "shape", "dtype", "quantization"});
    for (int32_t id : ids) {
      const Tensor& x = sg.tensors[static_cast<size_t>(id)];
      t.add({std::to_string(id), x.name, shape_string(x.shape), dtype_name(x.dtype),
             quant_string(x.quant)});
    }
    return fmt::format("\n{}\n{}", title, t.str());
  };
  out += io("Inputs", sg.inputs);
  out += io("Outputs", sg.outputs);
  out += "\nOps by type\n";
  std::vector<std::pair<std::string, int>> counts(r.stats.op_counts.begin(),
                                                  r.stats.op_counts.end());
  std::stable_sort(counts.begin(), counts.end(),
                   [](auto& a, auto& b) { return a.second > b.second; });
  for (const auto& [name, n] : counts) out += fmt::format("  {:<32} {:>5}\n", name, n);
  out += fmt::format("\nParameters              {:>15} bytes ({})\n",
                     with_commas(r.stats.parameter_bytes), human_bytes(r.stats.parameter_bytes));
  out += fmt::format("MACs                    {:>15}\n", with_commas(r.stats.macs));
  out += fmt::format("Peak activation memory  {:>15} bytes ({}, at op {})\n",
                     with_commas(r.stats.peak_activation_bytes),
                     human_bytes(r.stats.peak_activation_bytes), r.stats.peak_at_op);
  out += "\nOps\n" + op_table(r).str();
  if (!r.tpu.empty()) {
    out += "\nEdge TPU executables\n";
    TextTable t(
        {"op", "executable", "type", "parameter bytes", "instruction bytes", "caching token"});
    t.right_align({0, 1, 3, 4});
    int64_t cached = 0, streamed = 0;
    for (const auto& op : r.tpu) {
      for (size_t i = 0; i < op.package.executables.size(); ++i) {
        const auto& x = op.package.executables[i];
        t.add({std::to_string(op.op_index), std::to_string(i), executable_type_name(x.type),
               with_commas(x.parameter_bytes), with_commas(x.instruction_bytes),
               hex_token(x.caching_token)});
      }
      cached += op.package.cached_parameter_bytes();
      streamed += op.package.streamed_parameter_bytes();
    }
    out += t.str();
    out += fmt::format("Cached parameters   {:>12} bytes (on-chip SRAM, loaded once)\n",
                       with_commas(cached));
    out += fmt::format("Streamed parameters {:>12} bytes (sent with every inference)\n",
                       with_commas(streamed));
  }
  return out;
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "inspect",
      "Summarize a .tflite model: I/O, ops, parameters, MACs, memory, Edge TPU executables");
  struct Opts {
    std::string model, format = "table", dot;
  };
  auto opts = std::make_shared<Opts>();
  cmd->add_option("model", opts->model, "Model file (.tflite) or zoo:NAME")->required();
  cmd->add_option("--format", opts->format, "Output format")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  cmd->add_option("--dot", opts->dot, "Also write the op graph as Graphviz DOT to this file");
  cmd->callback([opts] {
    Graph graph = load_model(opts->model);
    const ModelSummary r = summarize_model(graph, opts->model);
    if (!opts->dot.empty()) {
      std::string dot = to_dot(graph);
      write_file_atomic(opts->dot, {reinterpret_cast<const uint8_t*>(dot.data()), dot.size()});
    }
    if (opts->format == "json")
      std::cout << json_text(to_json(r)) << "\n";
    else if (opts->format == "csv")
      std::cout << op_table(r).csv();
    else
      std::cout << to_table(r);
  });
}

}  // namespace tpulab::cli
