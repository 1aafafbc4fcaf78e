// A small int8 CNN for 28x28 grey images (Fashion-MNIST's shape), built with the Graph API, for
// engine tests and benchmarks until trained models arrive with the training issue. Its weights
// are seeded random numbers, so it computes real arithmetic but classifies at chance level.
#pragma once

#include <cstdint>

#include "model/graph.h"

namespace tpulab::testing {

// input int8 [1,28,28,1] (scale 1/255, zero point -128: pixels 0..255)
//   -> CONV_2D 3x3x8 SAME + RELU (per-channel weights) -> MAX_POOL_2D 2x2 -> [1,14,14,8]
//   -> CONV_2D 3x3x16 SAME + RELU (per-channel weights) -> MAX_POOL_2D 2x2 -> [1,7,7,16]
//   -> RESHAPE [1,784] -> FULLY_CONNECTED 10 -> SOFTMAX -> int8 [1,10]
Graph fashion_cnn(uint32_t seed = 1);

}  // namespace tpulab::testing
