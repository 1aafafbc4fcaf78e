// Reader of the Edge TPU compiler's output: what one edgetpu-custom-op carries (its executables,
// parameter bytes to cache on chip or stream per inference, instruction sizes, caching token).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "model/graph.h"

namespace tpulab {

enum class ExecutableType : int16_t { kStandalone = 0, kParameterCaching = 1, kExecutionOnly = 2 };
std::string executable_type_name(ExecutableType t);  // "stand-alone", "parameter-caching", ...

struct EdgeTpuLayer {
  std::string name;
  int64_t size_bytes = 0;  // padded as the TPU lays it out
};

struct EdgeTpuExecutable {
  ExecutableType type = ExecutableType::kStandalone;
  int64_t parameter_bytes = 0;
  int64_t instruction_bytes = 0;  // sum of the instruction bitstreams
  int64_t scratch_bytes = 0;
  int64_t narrow_memory_bytes_per_tile = 0;
  uint64_t caching_token = 0;
  std::vector<EdgeTpuLayer> inputs, outputs;
};

struct EdgeTpuPackage {
  std::vector<EdgeTpuExecutable> executables;

  // Parameters kept in on-chip SRAM (loaded once by the parameter-caching executable).
  int64_t cached_parameter_bytes() const;
  // Parameters streamed from the host on every inference (execution-only or stand-alone).
  int64_t streamed_parameter_bytes() const;
  int64_t instruction_bytes() const;
  // The token of the parameter-caching executable (0 when nothing is cached).
  uint64_t caching_token() const;
  // The executable that runs each inference (execution-only, else stand-alone).
  const EdgeTpuExecutable* runner() const;
};

// Parses an edgetpu-custom-op's custom options (a FlexBuffer map whose key "4" holds the package).
// Verifies every nested buffer. Throws ModelError(file, what, where).
EdgeTpuPackage parse_edgetpu_package(std::span<const uint8_t> custom_options, const std::string& file,
                                     const std::string& where);

// Every compiled Edge TPU op of a graph's main subgraph, with its op index.
struct EdgeTpuOp {
  int32_t op_index = 0;
  EdgeTpuPackage package;
};
std::vector<EdgeTpuOp> edgetpu_ops(const Graph& graph, const std::string& file);

}  // namespace tpulab
