#include "model/graph.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

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
  }
  return u;
}

std::string shape_string(const std::vector<int32_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ","));
}

}  // namespace tpulab
