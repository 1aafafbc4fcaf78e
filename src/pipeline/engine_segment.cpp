#include "pipeline/engine_segment.h"

#include <algorithm>

#include "common/error.h"

namespace tpulab::pipeline {

namespace {

std::vector<std::string> names_of(const Subgraph& sg, const std::vector<int32_t>& indices) {
  std::vector<std::string> names;
  names.reserve(indices.size());
  for (int32_t t : indices) names.push_back(sg.tensors.at(static_cast<size_t>(t)).name);
  return names;
}

}  // namespace

std::vector<std::string> graph_input_names(const Graph& g) {
  return names_of(g.main(), g.main().inputs);
}

std::vector<std::string> graph_output_names(const Graph& g) {
  return names_of(g.main(), g.main().outputs);
}

void check_inputs(const Graph& g, const TensorMap& inputs, const std::string& name) {
  const Subgraph& sg = g.main();
  for (int32_t t : sg.inputs) {
    const Tensor& x = sg.tensors.at(static_cast<size_t>(t));
    auto it = inputs.find(x.name);
    if (it == inputs.end()) throw UsageError("missing input tensor '" + x.name + "'", name);
    if (static_cast<int64_t>(it->second.size()) != x.byte_size())
      throw UsageError("input tensor '" + x.name + "' has " + std::to_string(it->second.size()) +
                           " bytes, expected " + std::to_string(x.byte_size()),
                       name);
  }
}

EngineSegment::EngineSegment(const Graph& segment, const std::string& name)
    : graph_(std::make_unique<const Graph>(segment)),
      name_(name),
      interpreter_(std::make_unique<engine::Interpreter>(*graph_, name)),
      input_names_(graph_input_names(*graph_)),
      output_names_(graph_output_names(*graph_)) {}

TensorMap EngineSegment::run(const TensorMap& inputs) {
  check_inputs(*graph_, inputs, name_);
  for (size_t i = 0; i < interpreter_->num_inputs(); ++i) {
    const Bytes& src = inputs.at(interpreter_->input_name(i));
    auto dst = interpreter_->input_bytes(i);
    if (dst.size() != src.size())
      throw UsageError("input tensor '" + interpreter_->input_name(i) + "' has " +
                           std::to_string(src.size()) + " bytes, the prepared model takes " +
                           std::to_string(dst.size()),
                       name_);
    std::copy(src.begin(), src.end(), dst.begin());
  }
  interpreter_->invoke();
  TensorMap outputs;
  for (size_t i = 0; i < interpreter_->num_outputs(); ++i) {
    auto o = interpreter_->output_bytes(i);
    outputs.emplace(interpreter_->output_name(i), Bytes(o.begin(), o.end()));
  }
  return outputs;
}

}  // namespace tpulab::pipeline
