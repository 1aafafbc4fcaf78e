// Graphviz DOT export of a subgraph's op graph.
#pragma once

#include <string>

#include "model/graph.h"

namespace tpulab {

// Ops are boxes (index, name, output shape); graph inputs and outputs are ellipses; each edge is
// a tensor, labelled with its shape and dtype. Constant tensors are folded into their op.
std::string to_dot(const Graph& graph, size_t subgraph = 0);

}  // namespace tpulab
