// Operators of the Graph IR: what an op is (builtin code or custom name), its typed options,
// and which tensors it reads and writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "model/bytes.h"
#include "model/dtype.h"

namespace tpulab {

// Builtin operator codes. The numbers are the TFLite format's; only the codes tpulab's modules
// refer to by name are listed. Any other code is still read, kept and written unchanged, and
// op_name() names every code the format defines.
enum class BuiltinOp : int32_t {
  kAdd = 0,
  kAveragePool2D = 1,
  kConcatenation = 2,
  kConv2D = 3,
  kDepthwiseConv2D = 4,
  kDepthToSpace = 5,
  kDequantize = 6,
  kFloor = 8,
  kFullyConnected = 9,
  kL2Normalization = 11,
  kL2Pool2D = 12,
  kLocalResponseNormalization = 13,
  kLogistic = 14,
  kLstm = 16,
  kMaxPool2D = 17,
  kMul = 18,
  kRelu = 19,
  kReluN1To1 = 20,
  kRelu6 = 21,
  kReshape = 22,
  kResizeBilinear = 23,
  kSoftmax = 25,
  kSpaceToDepth = 26,
  kTanh = 28,
  kCustom = 32,
  kPad = 34,
  kGather = 36,
  kBatchToSpaceND = 37,
  kSpaceToBatchND = 38,
  kTranspose = 39,
  kMean = 40,
  kSub = 41,
  kDiv = 42,
  kSqueeze = 43,
  kUnidirectionalSequenceLstm = 44,
  kStridedSlice = 45,
  kExp = 47,
  kSplit = 49,
  kLogSoftmax = 50,
  kCast = 53,
  kPrelu = 54,
  kMaximum = 55,
  kArgMax = 56,
  kMinimum = 57,
  kPadV2 = 60,
  kSlice = 65,
  kTransposeConv = 67,
  kTile = 69,
  kExpandDims = 70,
  kSum = 74,
  kSqrt = 75,
  kRsqrt = 76,
  kShape = 77,
  kArgMin = 79,
  kReduceProd = 81,
  kReduceMax = 82,
  kPack = 83,
  kUnpack = 88,
  kReduceMin = 89,
  kFloorDiv = 90,
  kSquare = 92,
  kFill = 94,
  kResizeNearestNeighbor = 97,
  kLeakyRelu = 98,
  kSquaredDifference = 99,
  kMirrorPad = 100,
  kAbs = 101,
  kSplitV = 102,
  kGatherNd = 107,
  kQuantize = 114,
  kHardSwish = 117,
  kBatchMatMul = 126,
  kGelu = 150,
};

// Name of a builtin code as the format spells it ("CONV_2D"); "BUILTIN_<n>" when unknown.
std::string builtin_op_name(int32_t code);

enum class Activation : uint8_t { kNone = 0, kRelu = 1, kReluN1To1 = 2, kRelu6 = 3, kTanh = 4, kSignBit = 5 };
enum class Padding : uint8_t { kSame = 0, kValid = 1 };
std::string activation_name(Activation a);
std::string padding_name(Padding p);

// ---- Typed options (one struct per option table that tpulab's modules read) --------------
struct Conv2DOptions {
  Padding padding = Padding::kSame;
  int32_t stride_w = 1, stride_h = 1;
  Activation activation = Activation::kNone;
  int32_t dilation_w = 1, dilation_h = 1;
  DType quantized_bias_type = DType::kFloat32;  // format default (0): "not set"
  bool operator==(const Conv2DOptions&) const = default;
};
struct DepthwiseConv2DOptions {
  Padding padding = Padding::kSame;
  int32_t stride_w = 1, stride_h = 1;
  int32_t depth_multiplier = 1;
  Activation activation = Activation::kNone;
  int32_t dilation_w = 1, dilation_h = 1;
  bool operator==(const DepthwiseConv2DOptions&) const = default;
};
struct TransposeConvOptions {
  Padding padding = Padding::kSame;
  int32_t stride_w = 1, stride_h = 1;
  Activation activation = Activation::kNone;
  DType quantized_bias_type = DType::kFloat32;
  bool operator==(const TransposeConvOptions&) const = default;
};
struct Pool2DOptions {
  Padding padding = Padding::kSame;
  int32_t stride_w = 1, stride_h = 1;
  int32_t filter_w = 1, filter_h = 1;
  Activation activation = Activation::kNone;
  bool operator==(const Pool2DOptions&) const = default;
};
struct FullyConnectedOptions {
  Activation activation = Activation::kNone;
  uint8_t weights_format = 0;  // 0 default, 1 shuffled 4x16 int8
  bool keep_num_dims = false;
  bool asymmetric_quantize_inputs = false;
  DType quantized_bias_type = DType::kFloat32;
  bool operator==(const FullyConnectedOptions&) const = default;
};
struct SoftmaxOptions {
  float beta = 1.0f;
  bool operator==(const SoftmaxOptions&) const = default;
};
struct ConcatenationOptions {
  int32_t axis = 0;
  Activation activation = Activation::kNone;
  bool operator==(const ConcatenationOptions&) const = default;
};
// ADD and SUB.
struct AddSubOptions {
  Activation activation = Activation::kNone;
  bool pot_scale_int16 = true;
  bool operator==(const AddSubOptions&) const = default;
};
// MUL and DIV.
struct MulDivOptions {
  Activation activation = Activation::kNone;
  bool operator==(const MulDivOptions&) const = default;
};
struct ReshapeOptions {
  std::optional<std::vector<int32_t>> new_shape;
  bool operator==(const ReshapeOptions&) const = default;
};
struct SqueezeOptions {
  std::vector<int32_t> squeeze_dims;
  bool operator==(const SqueezeOptions&) const = default;
};
struct StridedSliceOptions {
  int32_t begin_mask = 0, end_mask = 0, ellipsis_mask = 0, new_axis_mask = 0, shrink_axis_mask = 0;
  bool offset = false;
  bool operator==(const StridedSliceOptions&) const = default;
};
// SPLIT and SPLIT_V.
struct SplitOptions {
  int32_t num_splits = 0;
  bool operator==(const SplitOptions&) const = default;
};
// RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR.
struct ResizeOptions {
  bool align_corners = false;
  bool half_pixel_centers = false;
  bool operator==(const ResizeOptions&) const = default;
};
// ARG_MAX and ARG_MIN.
struct ArgMinMaxOptions {
  DType output_type = DType::kFloat32;  // format default 0; kernels treat it as int64 unless int32
  bool operator==(const ArgMinMaxOptions&) const = default;
};
// MEAN, SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD, ...
struct ReducerOptions {
  bool keep_dims = false;
  bool operator==(const ReducerOptions&) const = default;
};
struct PackOptions {
  int32_t values_count = 0;
  int32_t axis = 0;
  bool operator==(const PackOptions&) const = default;
};
struct UnpackOptions {
  int32_t num = 0;
  int32_t axis = 0;
  bool operator==(const UnpackOptions&) const = default;
};
struct GatherOptions {
  int32_t axis = 0;
  int32_t batch_dims = 0;
  bool operator==(const GatherOptions&) const = default;
};
struct CastOptions {
  DType in_type = DType::kFloat32;
  DType out_type = DType::kFloat32;
  bool operator==(const CastOptions&) const = default;
};
struct LeakyReluOptions {
  float alpha = 0.0f;
  bool operator==(const LeakyReluOptions&) const = default;
};
// SPACE_TO_DEPTH and DEPTH_TO_SPACE.
struct BlockSizeOptions {
  int32_t block_size = 0;
  bool operator==(const BlockSizeOptions&) const = default;
};
struct LstmOptions {
  Activation activation = Activation::kNone;
  float cell_clip = 0.0f;
  float proj_clip = 0.0f;
  uint8_t kernel_type = 0;  // 0 full, 1 basic
  bool asymmetric_quantize_inputs = false;
  bool operator==(const LstmOptions&) const = default;
};
struct SequenceLstmOptions {
  Activation activation = Activation::kNone;
  float cell_clip = 0.0f;
  float proj_clip = 0.0f;
  bool time_major = false;
  bool asymmetric_quantize_inputs = false;
  bool diagonal_recurrent_tensors = false;
  bool operator==(const SequenceLstmOptions&) const = default;
};
struct BatchMatMulOptions {
  bool adj_x = false, adj_y = false;
  bool asymmetric_quantize_inputs = false;
  bool operator==(const BatchMatMulOptions&) const = default;
};
struct MirrorPadOptions {
  uint8_t mode = 0;  // 0 reflect, 1 symmetric
  bool operator==(const MirrorPadOptions&) const = default;
};
struct ShapeOptions {
  DType out_type = DType::kFloat32;  // format default 0 means int32 for SHAPE
  bool operator==(const ShapeOptions&) const = default;
};

// Any other option table, kept exactly as read so that writing reproduces it. `table` is the
// format's union member number; `flatbuffer` holds the table as a stand-alone flatbuffer.
// Empty option tables (PadOptions, QuantizeOptions, ...) are kept this way too.
struct OtherOptions {
  uint8_t table = 0;
  Bytes flatbuffer;
  bool second_union = false;  // from the format's second options union (builtin_options_2)
  bool operator==(const OtherOptions&) const = default;
};

using OpOptions =
    std::variant<std::monostate, Conv2DOptions, DepthwiseConv2DOptions, TransposeConvOptions,
                 Pool2DOptions, FullyConnectedOptions, SoftmaxOptions, ConcatenationOptions,
                 AddSubOptions, MulDivOptions, ReshapeOptions, SqueezeOptions, StridedSliceOptions,
                 SplitOptions, ResizeOptions, ArgMinMaxOptions, ReducerOptions, PackOptions,
                 UnpackOptions, GatherOptions, CastOptions, LeakyReluOptions, BlockSizeOptions,
                 LstmOptions, SequenceLstmOptions, BatchMatMulOptions, MirrorPadOptions,
                 ShapeOptions, OtherOptions>;

constexpr int32_t kNoTensor = -1;  // an omitted optional input

struct Op {
  int32_t code = 0;         // builtin code (BuiltinOp for the named ones); kCustom for custom ops
  std::string custom_name;  // custom ops only, e.g. "edgetpu-custom-op"
  int32_t version = 1;
  std::vector<int32_t> inputs;   // tensor indices in the subgraph; kNoTensor when omitted
  std::vector<int32_t> outputs;
  std::vector<int32_t> intermediates;
  std::vector<bool> mutating_variable_inputs;
  OpOptions options;
  Bytes custom_options;  // custom ops: FlexBuffer bytes as stored in the file

  bool is(BuiltinOp b) const { return code == static_cast<int32_t>(b); }
  bool is_custom() const { return code == static_cast<int32_t>(BuiltinOp::kCustom); }
  // "CONV_2D", or the custom name for custom ops.
  std::string name() const;
  template <typename T>
  const T* options_as() const {
    return std::get_if<T>(&options);
  }
  bool operator==(const Op&) const = default;
};

// The custom op name the Edge TPU compiler gives to the ops it compiled.
inline constexpr const char* kEdgeTpuCustomOp = "edgetpu-custom-op";

}  // namespace tpulab
