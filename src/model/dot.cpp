#include "model/dot.h"

#include <fmt/format.h>

#include <algorithm>

namespace tpulab {

namespace {
std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}
std::string tensor_label(const Tensor& t) { return shape_string(t.shape) + " " + dtype_name(t.dtype); }
}  // namespace

std::string to_dot(const Graph& graph, size_t subgraph) {
  const Subgraph& sg = graph.subgraphs.at(subgraph);
  TensorUses uses = tensor_uses(sg);
  std::string out = "digraph model {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=8];\n";
  for (int32_t t : sg.inputs)
    out += fmt::format("  t{} [shape=ellipse, style=filled, fillcolor=\"#d0e8ff\", label=\"input {}\\n{}\"];\n", t,
                       escape(sg.tensors[static_cast<size_t>(t)].name), tensor_label(sg.tensors[static_cast<size_t>(t)]));
  for (int32_t t : sg.outputs)
    out += fmt::format("  o{} [shape=ellipse, style=filled, fillcolor=\"#ffe0c0\", label=\"output {}\\n{}\"];\n", t,
                       escape(sg.tensors[static_cast<size_t>(t)].name), tensor_label(sg.tensors[static_cast<size_t>(t)]));
  for (size_t i = 0; i < sg.ops.size(); ++i) {
    const Op& op = sg.ops[i];
    std::string shape = op.outputs.empty() || op.outputs[0] < 0
                            ? std::string()
                            : shape_string(sg.tensors[static_cast<size_t>(op.outputs[0])].shape);
    bool tpu = op.is_custom() && op.custom_name == kEdgeTpuCustomOp;
    out += fmt::format("  op{} [shape=box, style=filled, fillcolor=\"{}\", label=\"#{} {}\\n{}\"];\n", i,
                       tpu ? "#c8f0c8" : "#f4f4f4", i, escape(op.name()), shape);
  }
  for (size_t i = 0; i < sg.ops.size(); ++i) {
    for (int32_t t : sg.ops[i].inputs) {
      if (t < 0) continue;
      const Tensor& tensor = sg.tensors[static_cast<size_t>(t)];
      if (tensor.is_constant()) continue;
      int32_t p = uses.producer[static_cast<size_t>(t)];
      std::string from = p >= 0 ? fmt::format("op{}", p) : fmt::format("t{}", t);
      bool is_input = std::find(sg.inputs.begin(), sg.inputs.end(), t) != sg.inputs.end();
      if (p < 0 && !is_input) continue;  // read but never written (e.g. state): not drawn
      out += fmt::format("  {} -> op{} [label=\"{}\"];\n", from, i, tensor_label(tensor));
    }
  }
  for (int32_t t : sg.outputs) {
    int32_t p = uses.producer[static_cast<size_t>(t)];
    out += fmt::format("  {} -> o{};\n", p >= 0 ? fmt::format("op{}", p) : fmt::format("t{}", t), t);
  }
  out += "}\n";
  return out;
}

}  // namespace tpulab
