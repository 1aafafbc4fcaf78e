#include "engine/kernel_registry.h"
#include "engine/kernels/optimized/optimized_kernels.h"

namespace tpulab::engine {

// Optimized kernels register here; ops without one fall back to the reference kernel.
// FULLY_CONNECTED has none: LiteRT requantizes it in floating point, which the fixed-point GEMM
// output stage cannot reproduce, and it is a small share of the models' time.
void register_optimized(KernelRegistry& r) {
  r.add(BuiltinOp::kConv2D, make_optimized_conv_2d);
  r.add(BuiltinOp::kDepthwiseConv2D, make_optimized_depthwise_conv_2d);
  r.add(BuiltinOp::kAdd, make_optimized_add);
  r.add(BuiltinOp::kSub, make_optimized_sub);
  r.add(BuiltinOp::kMul, make_optimized_mul);
  r.add(BuiltinOp::kAveragePool2D, make_optimized_average_pool_2d);
  r.add(BuiltinOp::kMaxPool2D, make_optimized_max_pool_2d);
}

}  // namespace tpulab::engine
