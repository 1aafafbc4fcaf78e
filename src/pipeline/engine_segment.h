// One segment prepared on the CPU engine, fed and read by tensor name. Shared by the devices
// that compute real outputs (CpuDevice, and SimEdgeTpu unless timing-only).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/interpreter.h"
#include "pipeline/device.h"

namespace tpulab::pipeline {

class EngineSegment {
 public:
  // Keeps its own copy of `segment` (the interpreter points into it).
  EngineSegment(const Graph& segment, const std::string& name);

  // Copies `inputs` in by name, runs, and returns every output by name.
  TensorMap run(const TensorMap& inputs);

  const std::vector<std::string>& input_names() const { return input_names_; }
  const std::vector<std::string>& output_names() const { return output_names_; }

 private:
  std::unique_ptr<const Graph> graph_;  // stable address for the interpreter
  std::string name_;
  std::unique_ptr<engine::Interpreter> interpreter_;
  std::vector<std::string> input_names_, output_names_;
};

// Input and output names of a segment graph, without preparing it.
std::vector<std::string> graph_input_names(const Graph& g);
std::vector<std::string> graph_output_names(const Graph& g);

// Checks that `inputs` holds each of `g`'s inputs with its byte size (UsageError otherwise).
void check_inputs(const Graph& g, const TensorMap& inputs, const std::string& name);

}  // namespace tpulab::pipeline
