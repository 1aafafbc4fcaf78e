#include "engine/kernel_registry.h"
#include "engine/kernels/optimized/optimized_kernels.h"

namespace tpulab::engine {

// Optimized kernels register here; ops without one fall back to the reference kernel.
void register_optimized(KernelRegistry& r) {
  r.add(BuiltinOp::kConv2D, make_optimized_conv_2d);
  r.add(BuiltinOp::kDepthwiseConv2D, make_optimized_depthwise_conv_2d);
  r.add(BuiltinOp::kFullyConnected, make_optimized_fully_connected);
  r.add(BuiltinOp::kQuantize, make_optimized_quantize);
  r.add(BuiltinOp::kMean, make_optimized_mean);
  r.add(BuiltinOp::kAdd, make_optimized_add);
  r.add(BuiltinOp::kSub, make_optimized_sub);
  r.add(BuiltinOp::kMul, make_optimized_mul);
  r.add(BuiltinOp::kAveragePool2D, make_optimized_average_pool_2d);
  r.add(BuiltinOp::kMaxPool2D, make_optimized_max_pool_2d);
}

}  // namespace tpulab::engine
