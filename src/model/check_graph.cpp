// Semantic checks that the FlatBuffers verifier cannot do: cross references and sizes.
#include <fmt/format.h>

#include "common/error.h"
#include "model/tflite.h"

namespace tpulab {

namespace {
// Far beyond any real model, small enough that sizes never overflow 64 bits.
constexpr int64_t kMaxElements = int64_t{1} << 40;
}  // namespace

void check_graph(const Graph& g, const std::string& file) {
  auto fail = [&](const std::string& what, const std::string& where) {
    throw ModelError(file, what, where);
  };
  if (g.subgraphs.empty()) fail("model has no subgraphs", "");
  for (size_t s = 0; s < g.subgraphs.size(); ++s) {
    const Subgraph& sg = g.subgraphs[s];
    const auto n = static_cast<int64_t>(sg.tensors.size());
    for (size_t i = 0; i < sg.tensors.size(); ++i) {
      const Tensor& t = sg.tensors[i];
      auto where = fmt::format("subgraph {}, tensor {} \"{}\"", s, i, t.name);
      int64_t elems = 1;
      for (int32_t d : t.shape) {
        if (d < 0) fail(fmt::format("negative dimension in shape {}", shape_string(t.shape)), where);
        if (d > 0 && elems > kMaxElements / d)
          fail(fmt::format("shape {} is impossibly large", shape_string(t.shape)), where);
        elems *= d;
      }
      if (!t.shape_signature.empty() && t.shape_signature.size() != t.shape.size())
        fail(fmt::format("shape {} and shape signature {} have different ranks", shape_string(t.shape),
                         shape_string(t.shape_signature)),
             where);
      if (t.is_constant() && dtype_size(t.dtype) > 0 && t.sparsity.empty()) {
        auto need = static_cast<uint64_t>(t.byte_size());
        if (t.data.size() != need)
          fail(fmt::format("constant data is {} bytes but shape {} of {} needs {}", t.data.size(),
                           shape_string(t.shape), dtype_name(t.dtype), need),
               where);
      }
      const Quantization& q = t.quant;
      if (!q.zero_point.empty() && q.zero_point.size() != q.scale.size())
        fail(fmt::format("quantization has {} scales but {} zero points", q.scale.size(), q.zero_point.size()),
             where);
      if (q.scale.size() > 1) {
        if (q.axis < 0 || static_cast<size_t>(q.axis) >= t.shape.size())
          fail(fmt::format("per-channel quantization axis {} is outside shape {}", q.axis, shape_string(t.shape)),
               where);
        if (static_cast<int64_t>(q.scale.size()) != t.shape[static_cast<size_t>(q.axis)])
          fail(fmt::format("{} quantization scales for dimension {} of size {}", q.scale.size(), q.axis,
                           t.shape[static_cast<size_t>(q.axis)]),
               where);
      }
    }
    auto check_index = [&](int32_t t, bool optional, const std::string& what, const std::string& where) {
      if ((t == kNoTensor && optional)) return;
      if (t < 0 || t >= n) fail(fmt::format("{} {} is not a tensor (the subgraph has {})", what, t, n), where);
    };
    for (int32_t t : sg.inputs) check_index(t, false, "input", fmt::format("subgraph {}", s));
    for (int32_t t : sg.outputs) check_index(t, false, "output", fmt::format("subgraph {}", s));

    // Execution order must be topological: every tensor an op reads is a constant, a variable,
    // a subgraph input, or written by an earlier op. A read of a later op's output is a cycle.
    std::vector<int32_t> producer(sg.tensors.size(), -1);
    for (size_t i = 0; i < sg.ops.size(); ++i) {
      const Op& op = sg.ops[i];
      auto where = fmt::format("subgraph {}, op {} {}", s, i, op.name());
      for (int32_t t : op.outputs) {
        check_index(t, false, "output", where);
        auto& p = producer[static_cast<size_t>(t)];
        if (p >= 0) fail(fmt::format("tensor {} is written by op {} and again by op {}", t, p, i), where);
        p = static_cast<int32_t>(i);
      }
      for (int32_t t : op.intermediates) check_index(t, false, "intermediate", where);
      if (!op.mutating_variable_inputs.empty() && op.mutating_variable_inputs.size() != op.inputs.size())
        fail("mutating_variable_inputs does not match the inputs", where);
    }
    for (size_t i = 0; i < sg.ops.size(); ++i) {
      const Op& op = sg.ops[i];
      auto where = fmt::format("subgraph {}, op {} {}", s, i, op.name());
      for (int32_t t : op.inputs) {
        check_index(t, true, "input", where);
        if (t == kNoTensor) continue;
        int32_t p = producer[static_cast<size_t>(t)];
        if (p >= static_cast<int32_t>(i))
          fail(fmt::format("reads tensor {} which op {} writes later: the graph has a cycle or is out of order", t,
                           p),
               where);
      }
    }
  }
}

}  // namespace tpulab
