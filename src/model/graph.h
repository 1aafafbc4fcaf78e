// The Graph IR: tpulab's own in-memory model. Every module (engine, device, partitioner, ...)
// works on this, never on the file format's types.
//
//   Graph ── subgraphs ── Subgraph ── tensors[]  (shape, dtype, quantization, constant data)
//                                 └─ ops[]      (in execution order; inputs/outputs index tensors)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/bytes.h"
#include "model/dtype.h"
#include "model/op.h"

namespace tpulab {

// real = scale * (q - zero_point). One scale/zero point per tensor, or one per slice along
// `axis` (per-channel). Empty scale = not quantized.
struct Quantization {
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  std::vector<float> min, max;  // kept for round trips; engines do not use them
  int32_t axis = 0;             // the format's quantized_dimension
  Bytes custom;                 // the format's CustomQuantization details, if any

  bool empty() const {
    return scale.empty() && zero_point.empty() && min.empty() && max.empty() && custom.empty();
  }
  bool per_channel() const { return scale.size() > 1; }
  bool operator==(const Quantization&) const = default;
};

struct Tensor {
  std::string name;
  DType dtype = DType::kFloat32;
  std::vector<int32_t> shape;
  std::vector<int32_t> shape_signature;  // empty when the file has none; -1 = dynamic dim
  Quantization quant;
  Bytes data;  // constant data; empty for activations
  bool is_variable = false;
  bool has_rank = false;
  Bytes sparsity;  // the format's sparsity table (stand-alone flatbuffer), if any

  bool is_constant() const { return !data.empty(); }
  int64_t num_elements() const;
  // Bytes the tensor's elements take (num_elements * dtype size); 0 for variable-size types.
  int64_t byte_size() const;
  bool operator==(const Tensor&) const = default;
};

struct Subgraph {
  std::string name;
  std::vector<Tensor> tensors;
  std::vector<Op> ops;  // execution order
  std::vector<int32_t> inputs;
  std::vector<int32_t> outputs;
  bool operator==(const Subgraph&) const = default;
};

struct Metadata {
  std::string name;
  Bytes data;
  bool operator==(const Metadata&) const = default;
};

struct SignatureTensor {
  std::string name;
  uint32_t tensor = 0;
  bool operator==(const SignatureTensor&) const = default;
};
struct Signature {
  std::string key;
  uint32_t subgraph = 0;
  std::vector<SignatureTensor> inputs, outputs;
  bool operator==(const Signature&) const = default;
};

struct Graph {
  uint32_t version = 3;
  std::string description;
  std::vector<Subgraph> subgraphs;  // [0] is the main graph
  std::vector<Metadata> metadata;
  std::vector<Signature> signatures;

  Subgraph& main() { return subgraphs.at(0); }
  const Subgraph& main() const { return subgraphs.at(0); }
  bool operator==(const Graph&) const = default;
};

// Who produces and who consumes each tensor of a subgraph (derived on demand, never stored,
// so it cannot go stale after an edit). Every lifetime convention is derived from it (activation
// peaks, the engine's memory plan, the Edge TPU compiler's SRAM reserve and cut crossings), so
// they cannot drift apart.
struct TensorUses {
  std::vector<int32_t> producer;                // op index, or -1 (graph input or constant)
  std::vector<std::vector<int32_t>> consumers;  // op indices in execution order
  std::vector<int32_t> scratch_op;  // the op using it as an intermediate (LSTM gates), or -1
  std::vector<uint8_t> graph_input, graph_output;

  // Read, written or exchanged with the caller at all.
  bool used(size_t t) const;
  // First and last op position it is alive at, inclusive: from its producer (graph inputs: 0; a
  // tensor only read: its first reader) through its last reader.
  int32_t first(size_t t) const;
  int32_t last(size_t t) const;
};
TensorUses tensor_uses(const Subgraph& sg);

// "[1,224,224,3]"
std::string shape_string(const std::vector<int32_t>& shape);

}  // namespace tpulab
