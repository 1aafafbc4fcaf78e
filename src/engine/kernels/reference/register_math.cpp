#include "engine/kernel_registry.h"
#include "engine/kernels/reference/math_kernels.h"

namespace tpulab::engine {

// Arithmetic reference kernels register here (one op per file in this folder).
void register_reference_math(KernelRegistry& r) {
  r.add(BuiltinOp::kConv2D, make_reference_conv_2d);
  r.add(BuiltinOp::kDepthwiseConv2D, make_reference_depthwise_conv_2d);
  r.add(BuiltinOp::kFullyConnected, make_reference_fully_connected);
  r.add(BuiltinOp::kAveragePool2D, make_reference_average_pool_2d);
  r.add(BuiltinOp::kMaxPool2D, make_reference_max_pool_2d);
  r.add(BuiltinOp::kAdd, make_reference_add);
  r.add(BuiltinOp::kSub, make_reference_sub);
  r.add(BuiltinOp::kMul, make_reference_mul);
  r.add(BuiltinOp::kMean, make_reference_mean);
  r.add(BuiltinOp::kSoftmax, make_reference_softmax);
  r.add(BuiltinOp::kLogistic, make_reference_logistic);
  r.add(BuiltinOp::kTanh, make_reference_tanh);
  r.add(BuiltinOp::kRelu, make_reference_relu);
  r.add(BuiltinOp::kRelu6, make_reference_relu6);
  r.add(BuiltinOp::kHardSwish, make_reference_hard_swish);
  r.add(BuiltinOp::kQuantize, make_reference_quantize);
  r.add(BuiltinOp::kDequantize, make_reference_dequantize);
}

}  // namespace tpulab::engine
