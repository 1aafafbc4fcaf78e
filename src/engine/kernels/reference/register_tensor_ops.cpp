#include "engine/kernel_registry.h"
#include "engine/kernels/reference/tensor_kernels.h"

namespace tpulab::engine {

// Data-movement and sequence reference kernels register here (one op per file in this folder).
void register_reference_tensor_ops(KernelRegistry& r) {
  r.add(BuiltinOp::kReshape, make_reference_reshape);
  r.add(BuiltinOp::kSqueeze, make_reference_squeeze);
  r.add(BuiltinOp::kConcatenation, make_reference_concatenation);
  r.add(BuiltinOp::kPad, make_reference_pad);
  r.add(BuiltinOp::kPadV2, make_reference_pad);
  r.add(BuiltinOp::kStridedSlice, make_reference_strided_slice);
  r.add(BuiltinOp::kSlice, make_reference_slice);
  r.add(BuiltinOp::kSplit, make_reference_split);
  r.add(BuiltinOp::kResizeBilinear, make_reference_resize_bilinear);
  r.add(BuiltinOp::kArgMax, make_reference_arg_max);
  r.add(BuiltinOp::kArgMin, make_reference_arg_min);
  r.add(BuiltinOp::kCast, make_reference_cast);
  r.add(BuiltinOp::kDiv, make_reference_div);
  r.add(BuiltinOp::kFloorDiv, make_reference_floor_div);
  r.add(BuiltinOp::kGatherNd, make_reference_gather_nd);
  r.add(BuiltinOp::kPack, make_reference_pack);
  r.add(BuiltinOp::kUnpack, make_reference_unpack);
  r.add(BuiltinOp::kSqrt, make_reference_sqrt);
  r.add(BuiltinOp::kUnidirectionalSequenceLstm, make_reference_unidirectional_sequence_lstm);
}

}  // namespace tpulab::engine
