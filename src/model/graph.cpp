#include "model/graph.h"

#include <fmt/format.h>

#include <fmt/ranges.h>
#include <algorithm>

namespace tpulab {

int64_t Tensor::num_elements() const {
  int64_t n = 1;
  for (int32_t d : shape) n *= d < 0 ? 0 : d;
  return n;
}

int64_t Tensor::byte_size() const {
  return num_elements() * static_cast<int64_t>(dtype_size(dtype));
}

TensorUses tensor_uses(const Subgraph& sg) {
  TensorUses u;
  u.producer.assign(sg.tensors.size(), -1);
  u.consumers.assign(sg.tensors.size(), {});
  u.scratch_op.assign(sg.tensors.size(), -1);
  u.graph_input.assign(sg.tensors.size(), 0);
  u.graph_output.assign(sg.tensors.size(), 0);
  auto valid = [&](int32_t t) { return t >= 0 && static_cast<size_t>(t) < sg.tensors.size(); };
  for (int32_t t : sg.inputs)
    if (valid(t)) u.graph_input[static_cast<size_t>(t)] = 1;
  for (int32_t t : sg.outputs)
    if (valid(t)) u.graph_output[static_cast<size_t>(t)] = 1;
  for (size_t i = 0; i < sg.ops.size(); ++i) {
    const Op& op = sg.ops[i];
    for (int32_t t : op.inputs) {
      if (t < 0 || static_cast<size_t>(t) >= sg.tensors.size()) continue;
      auto& c = u.consumers[static_cast<size_t>(t)];
      if (c.empty() || c.back() != static_cast<int32_t>(i)) c.push_back(static_cast<int32_t>(i));
    }
    for (int32_t t : op.outputs) {
      if (t >= 0 && static_cast<size_t>(t) < sg.tensors.size())
        u.producer[static_cast<size_t>(t)] = static_cast<int32_t>(i);
    }
    for (int32_t t : op.intermediates)
      if (valid(t)) u.scratch_op[static_cast<size_t>(t)] = static_cast<int32_t>(i);
  }
  return u;
}

bool TensorUses::used(size_t t) const {
  return graph_input[t] || graph_output[t] || producer[t] >= 0 || !consumers[t].empty() ||
         scratch_op[t] >= 0;
}

int32_t TensorUses::first(size_t t) const {
  if (graph_input[t]) return 0;
  if (producer[t] >= 0) return producer[t];
  int32_t f = consumers[t].empty() ? scratch_op[t] : consumers[t].front();
  if (scratch_op[t] >= 0) f = std::min(f, scratch_op[t]);
  return std::max(f, 0);
}

int32_t TensorUses::last(size_t t) const {
  int32_t l = first(t);
  if (!consumers[t].empty()) l = std::max(l, consumers[t].back());
  return std::max(l, scratch_op[t]);
}

std::string shape_string(const std::vector<int32_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ","));
}

}  // namespace tpulab
