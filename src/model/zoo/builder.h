// ZooBuilder: a small layer for writing quantized TFLite-style graphs layer by layer, as the
// model zoo's family builders do. Each call adds one op with its weights (seeded random bytes)
// and plausible quantization, works out the output shape, and returns the output tensor.
//
// Two quantization styles, as the TFLite converter produces them:
//   uint8 (TF1 quantization-aware training): per-tensor weights with a zero point near 128;
//   int8 (TF2 post-training quantization):    per-channel symmetric weights, zero point 0.
// Biases are int32 with scale = input scale x weight scale, as TFLite requires.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/graph.h"

namespace tpulab::zoo {

using TensorId = int32_t;

// Shorthands the family builders share.
inline constexpr auto kRelu = Activation::kRelu;
inline constexpr auto kRelu6 = Activation::kRelu6;
inline constexpr auto kLinear = Activation::kNone;
inline constexpr auto kValid = Padding::kValid;
inline constexpr auto kSame = Padding::kSame;

class ZooBuilder {
 public:
  // `type` is kUInt8 or kInt8; `seed` makes the weights reproducible.
  ZooBuilder(std::string model_name, DType type, uint64_t seed);

  // A graph input of shape NHWC (or any shape).
  TensorId input(std::vector<int32_t> shape, const std::string& name = "input");
  void output(TensorId t);

  // Convolutions. `bias` = false leaves the bias input omitted (e.g. before a folded-away BN
  // there is always a bias in TFLite, so this is rarely false).
  TensorId conv(TensorId x, int32_t out_channels, int32_t kh, int32_t kw, int32_t stride,
                Padding padding, Activation act, int32_t dilation = 1);
  TensorId conv(TensorId x, int32_t out_channels, int32_t k, int32_t stride, Activation act,
                Padding padding = Padding::kSame) {
    return conv(x, out_channels, k, k, stride, padding, act);
  }
  TensorId depthwise(TensorId x, int32_t k, int32_t stride, Activation act,
                     Padding padding = Padding::kSame, int32_t dilation = 1,
                     int32_t multiplier = 1);
  // TRANSPOSE_CONV (an upsampling conv): output spatial = input x stride (SAME padding).
  TensorId transpose_conv(TensorId x, int32_t out_channels, int32_t k, int32_t stride);
  // FULLY_CONNECTED over the last dimension of a [1, N] tensor (reshape first if needed).
  TensorId fully_connected(TensorId x, int32_t units, Activation act);

  TensorId max_pool(TensorId x, int32_t k, int32_t stride, Padding padding);
  TensorId avg_pool(TensorId x, int32_t k, int32_t stride, Padding padding);
  // Average pool over the whole spatial extent ([1,H,W,C] -> [1,1,1,C]).
  TensorId global_avg_pool(TensorId x);
  // MEAN over H and W with keep_dims (the TF2 converter's global pooling).
  TensorId mean_hw(TensorId x);

  TensorId add(TensorId a, TensorId b, Activation act = Activation::kNone);
  // A folded-away batch norm that could not merge into a conv (pre-activation networks):
  // MUL by a per-channel constant, then ADD a per-channel constant with `act` fused.
  TensorId channel_affine(TensorId x, Activation act);
  TensorId concat(const std::vector<TensorId>& xs, int32_t axis = -1);
  TensorId reshape(TensorId x, std::vector<int32_t> shape);
  TensorId softmax(TensorId x);
  TensorId logistic(TensorId x);
  TensorId relu(TensorId x);
  TensorId resize_bilinear(TensorId x, int32_t h, int32_t w, bool align_corners);
  // QUANTIZE to a new scale (requantization, as converters insert before a concat).
  TensorId requantize(TensorId x);
  TensorId arg_max(TensorId x);  // over the last axis, int64 output

  const std::vector<int32_t>& shape(TensorId t) const;
  int32_t channels(TensorId t) const { return shape(t).back(); }
  DType type() const { return type_; }

  // The finished graph (checked). The builder is left empty.
  Graph finish();

 private:
  TensorId add_tensor(std::string name, DType dtype, std::vector<int32_t> shape);
  TensorId activation(const std::string& op, std::vector<int32_t> shape, Activation act);
  TensorId constant_weights(const std::string& name, std::vector<int32_t> shape, int32_t channels,
                            int32_t axis);
  TensorId constant_bias(const std::string& name, TensorId x, TensorId w, int32_t channels);
  TensorId constant_int32(const std::string& name, std::vector<int32_t> values,
                          std::vector<int32_t> shape);
  TensorId pool(BuiltinOp code, TensorId x, int32_t kh, int32_t kw, int32_t stride,
                Padding padding);
  void add_op(BuiltinOp code, std::vector<int32_t> inputs, std::vector<int32_t> outputs,
              OpOptions options);
  std::string next_name(const std::string& op);
  Bytes random_bytes(size_t n);

  std::string model_name_;
  DType type_;
  uint64_t rng_;
  Subgraph sg_;
  int32_t layer_ = 0;
  int64_t weight_bytes_ = 0;
};

// Spatial output size of a window op: SAME = ceil(in / stride), VALID = ceil((in - eff_k + 1) /
// stride) with eff_k = (k - 1) * dilation + 1.
int32_t window_output(int32_t in, int32_t k, int32_t stride, Padding padding, int32_t dilation = 1);

// Number of parameters: elements of every constant tensor (each buffer once), as frameworks
// count them after folding batch norms into the convolutions.
int64_t parameter_count(const Graph& graph);

}  // namespace tpulab::zoo
