// Small hand-built graphs for tests.
#pragma once

#include "model/graph.h"

namespace tpulab::testing {

// input [1,4,4,2] uint8 -> CONV_2D (3 filters 3x3, SAME) -> [1,4,4,3] -> RELU -> output.
Graph tiny_conv_model();

}  // namespace tpulab::testing
