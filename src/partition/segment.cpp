#include "partition/segment.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "common/error.h"

namespace tpulab {

namespace {

std::vector<int32_t> boundaries(const Graph& graph, const std::vector<int32_t>& starts) {
  const auto n = static_cast<int32_t>(graph.main().ops.size());
  if (n == 0) throw UsageError("cannot split a model without ops", "");
  std::vector<int32_t> b = {0};
  for (int32_t s : starts) {
    if (s <= b.back() || s >= n)
      throw UsageError(fmt::format("cut points must increase strictly within 1..{}, got {}", n - 1, s), "");
    b.push_back(s);
  }
  b.push_back(n);
  return b;
}

bool is_data(const Tensor& t) { return !t.is_constant(); }

}  // namespace

std::vector<std::vector<int32_t>> tensors_crossing_cuts(const Graph& graph, const std::vector<int32_t>& starts) {
  const Subgraph& sg = graph.main();
  auto b = boundaries(graph, starts);
  TensorUses uses = tensor_uses(sg);
  std::set<int32_t> model_outputs(sg.outputs.begin(), sg.outputs.end());
  std::vector<std::vector<int32_t>> crossing(b.size() - 2);
  for (size_t t = 0; t < sg.tensors.size(); ++t) {
    const Tensor& tensor = sg.tensors[t];
    if (!is_data(tensor) || tensor.is_variable) continue;
    const auto& readers = uses.consumers[t];
    int32_t born = uses.producer[t];  // -1: a model input, available before op 0
    bool is_model_input = std::find(sg.inputs.begin(), sg.inputs.end(), static_cast<int32_t>(t)) != sg.inputs.end();
    if (born < 0 && !is_model_input) continue;
    int32_t last = readers.empty() ? -1 : readers.back();
    for (size_t c = 0; c + 2 < b.size(); ++c) {
      int32_t cut = b[c + 1];
      bool produced_before = born < cut;
      bool needed_after = last >= cut || (model_outputs.count(static_cast<int32_t>(t)) && born >= 0);
      if (produced_before && needed_after) crossing[c].push_back(static_cast<int32_t>(t));
    }
  }
  return crossing;
}

std::vector<Segment> split_into_segments(const Graph& graph, const std::vector<int32_t>& starts) {
  const Subgraph& sg = graph.main();
  auto b = boundaries(graph, starts);
  TensorUses uses = tensor_uses(sg);
  std::set<int32_t> model_inputs(sg.inputs.begin(), sg.inputs.end());
  std::set<int32_t> model_outputs(sg.outputs.begin(), sg.outputs.end());
  std::vector<Segment> out;
  for (size_t s = 0; s + 1 < b.size(); ++s) {
    const int32_t first = b[s], end = b[s + 1];
    Segment seg;
    seg.first_op = first;
    seg.end_op = end;
    // Inputs: data tensors read here but not written here, in the model's input order first,
    // then by tensor index.
    std::set<int32_t> read_here, written_here;
    for (int32_t i = first; i < end; ++i) {
      const Op& op = sg.ops[static_cast<size_t>(i)];
      for (int32_t t : op.inputs)
        if (t >= 0) read_here.insert(t);
      for (int32_t t : op.outputs)
        if (t >= 0) written_here.insert(t);
    }
    std::vector<int32_t> inputs;
    for (int32_t t : sg.inputs)
      if (read_here.count(t) && !written_here.count(t)) inputs.push_back(t);
    for (int32_t t : read_here) {
      const Tensor& x = sg.tensors[static_cast<size_t>(t)];
      if (!is_data(x) || x.is_variable || written_here.count(t) || model_inputs.count(t)) continue;
      if (uses.producer[static_cast<size_t>(t)] < 0) continue;  // read but never written: stays internal
      inputs.push_back(t);
    }
    // Outputs: tensors written here that a later segment reads or that the model outputs.
    std::vector<int32_t> outputs;
    for (int32_t t : sg.outputs)
      if (written_here.count(t)) outputs.push_back(t);
    for (int32_t t : written_here) {
      if (model_outputs.count(t)) continue;
      const auto& readers = uses.consumers[static_cast<size_t>(t)];
      if (!readers.empty() && readers.back() >= end) outputs.push_back(t);
    }
    // The segment's tensors: everything its ops touch, renumbered in original order.
    std::set<int32_t> used(read_here);
    used.insert(written_here.begin(), written_here.end());
    for (int32_t i = first; i < end; ++i)
      for (int32_t t : sg.ops[static_cast<size_t>(i)].intermediates) used.insert(t);
    std::vector<int32_t> new_index(sg.tensors.size(), -1);
    Subgraph part;
    part.name = sg.name;
    for (int32_t t : used) {
      new_index[static_cast<size_t>(t)] = static_cast<int32_t>(part.tensors.size());
      part.tensors.push_back(sg.tensors[static_cast<size_t>(t)]);
    }
    auto remap = [&](const std::vector<int32_t>& v) {
      std::vector<int32_t> r;
      r.reserve(v.size());
      for (int32_t t : v) r.push_back(t < 0 ? t : new_index[static_cast<size_t>(t)]);
      return r;
    };
    for (int32_t i = first; i < end; ++i) {
      Op op = sg.ops[static_cast<size_t>(i)];
      op.inputs = remap(op.inputs);
      op.outputs = remap(op.outputs);
      op.intermediates = remap(op.intermediates);
      part.ops.push_back(std::move(op));
    }
    part.inputs = remap(inputs);
    part.outputs = remap(outputs);
    seg.inputs = inputs;
    seg.outputs = outputs;
    seg.graph.version = graph.version;
    seg.graph.description = graph.description;
    seg.graph.metadata = graph.metadata;
    seg.graph.subgraphs.push_back(std::move(part));
    // Other subgraphs (control flow bodies) travel with every segment unchanged.
    for (size_t k = 1; k < graph.subgraphs.size(); ++k) seg.graph.subgraphs.push_back(graph.subgraphs[k]);
    out.push_back(std::move(seg));
  }
  return out;
}

std::string segment_file_name(const std::string& model_stem, size_t index, size_t count) {
  return fmt::format("{}_segment_{}_of_{}.tflite", model_stem, index, count);
}

}  // namespace tpulab
