#include "model/analysis.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "model/edgetpu_package.h"

namespace tpulab {

namespace {

const Tensor* input(const Subgraph& sg, const Op& op, size_t i) {
  if (i >= op.inputs.size() || op.inputs[i] < 0) return nullptr;
  return &sg.tensors[static_cast<size_t>(op.inputs[i])];
}
const Tensor* output(const Subgraph& sg, const Op& op, size_t i) {
  if (i >= op.outputs.size() || op.outputs[i] < 0) return nullptr;
  return &sg.tensors[static_cast<size_t>(op.outputs[i])];
}
int64_t dim(const Tensor* t, size_t i) {
  return (t != nullptr && i < t->shape.size()) ? t->shape[i] : 0;
}

}  // namespace

int64_t op_macs(const Subgraph& sg, const Op& op) {
  const Tensor* in = input(sg, op, 0);
  const Tensor* w = input(sg, op, 1);
  const Tensor* out = output(sg, op, 0);
  if (out == nullptr) return 0;
  if (op.is(BuiltinOp::kConv2D)) {
    // filter [O, KH, KW, I/groups]
    return out->num_elements() * dim(w, 1) * dim(w, 2) * dim(w, 3);
  }
  if (op.is(BuiltinOp::kDepthwiseConv2D)) {
    // filter [1, KH, KW, O]
    return out->num_elements() * dim(w, 1) * dim(w, 2);
  }
  if (op.is(BuiltinOp::kFullyConnected)) {
    // weights [O, I]
    return out->num_elements() * dim(w, 1);
  }
  if (op.is(BuiltinOp::kTransposeConv)) {
    // inputs: output shape, filter [O, KH, KW, I], input
    const Tensor* f = input(sg, op, 1);
    const Tensor* x = input(sg, op, 2);
    return x ? x->num_elements() * dim(f, 0) * dim(f, 1) * dim(f, 2) : 0;
  }
  if (op.is(BuiltinOp::kBatchMatMul)) {
    if (in == nullptr || in->shape.empty()) return 0;
    const auto* o = op.options_as<BatchMatMulOptions>();
    size_t r = in->shape.size();
    int64_t k = (o && o->adj_x && r >= 2) ? in->shape[r - 2] : in->shape[r - 1];
    return out->num_elements() * k;
  }
  if (op.is(BuiltinOp::kUnidirectionalSequenceLstm) || op.is(BuiltinOp::kLstm)) {
    // 4 gates, each an input matmul [cell, input] and a recurrent matmul [cell, output].
    const Tensor* input_to_forget = input(sg, op, 2);
    const Tensor* recurrent_to_forget = input(sg, op, 6);
    if (in == nullptr || input_to_forget == nullptr || recurrent_to_forget == nullptr) return 0;
    int64_t n_input = in->shape.empty() ? 0 : in->shape.back();
    int64_t rows = n_input > 0 ? in->num_elements() / n_input : 0;  // batch * time
    int64_t cells = dim(input_to_forget, 0);
    return rows * 4 * cells * (n_input + dim(recurrent_to_forget, 1));
  }
  return 0;
}

int64_t op_weight_bytes(const Subgraph& sg, const Op& op) {
  std::set<int32_t> seen;
  int64_t n = 0;
  for (int32_t t : op.inputs) {
    if (t < 0 || !seen.insert(t).second) continue;
    n += static_cast<int64_t>(sg.tensors[static_cast<size_t>(t)].data.size());
  }
  return n;
}

int64_t peak_activation_bytes(const Subgraph& sg, int32_t* at_op) {
  const auto n_ops = static_cast<int32_t>(sg.ops.size());
  const int32_t end = std::max(n_ops - 1, 0);
  const TensorUses uses = tensor_uses(sg);
  // Sweep: +size at first use, -size after last use. Activations only: an op's intermediates
  // are engine scratch.
  std::vector<int64_t> delta(static_cast<size_t>(end) + 2, 0);
  for (size_t t = 0; t < sg.tensors.size(); ++t) {
    const Tensor& x = sg.tensors[t];
    if (!uses.used(t) || uses.scratch_op[t] >= 0 || x.is_constant()) continue;
    int32_t first = uses.first(t), last = uses.last(t);
    if (uses.graph_output[t] || x.is_variable) last = end;  // read after the run / state
    if (x.is_variable) first = 0;
    const int64_t size = x.byte_size();
    delta[static_cast<size_t>(std::min(first, end))] += size;
    delta[static_cast<size_t>(std::min(last, end)) + 1] -= size;
  }
  int64_t live = 0, peak = 0;
  int32_t peak_op = -1;
  for (int32_t i = 0; i <= end; ++i) {
    live += delta[static_cast<size_t>(i)];
    if (live > peak) {
      peak = live;
      peak_op = i;
    }
  }
  if (at_op) *at_op = n_ops == 0 ? -1 : peak_op;
  return peak;
}

GraphStats analyze(const Graph& graph, size_t subgraph) {
  const Subgraph& sg = graph.subgraphs.at(subgraph);
  GraphStats s;
  std::set<const uint8_t*> counted;
  for (const auto& t : sg.tensors)
    if (t.is_constant() && counted.insert(t.data.data()).second)
      s.parameter_bytes += static_cast<int64_t>(t.data.size());
  for (size_t i = 0; i < sg.ops.size(); ++i) {
    const Op& op = sg.ops[i];
    OpStats o;
    o.index = static_cast<int32_t>(i);
    o.name = op.name();
    o.weight_bytes = op_weight_bytes(sg, op);
    if (op.is_custom() && op.custom_name == kEdgeTpuCustomOp) {
      // Compiled ops carry their weights inside the package, not as tensors.
      auto pkg = parse_edgetpu_package(op.custom_options.span(), "", fmt::format("op {}", i));
      int64_t params = pkg.cached_parameter_bytes() + pkg.streamed_parameter_bytes();
      o.weight_bytes += params;
      s.parameter_bytes += params;
    }
    o.macs = op_macs(sg, op);
    for (int32_t t : op.outputs)
      if (t >= 0) o.output_bytes += sg.tensors[static_cast<size_t>(t)].byte_size();
    s.macs += o.macs;
    s.op_counts[o.name]++;
    s.ops.push_back(std::move(o));
  }
  s.peak_activation_bytes = peak_activation_bytes(sg, &s.peak_at_op);
  return s;
}

}  // namespace tpulab
