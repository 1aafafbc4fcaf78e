#include "model/zoo/builder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "common/error.h"
#include "model/tflite.h"

namespace tpulab::zoo {

namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Uniform in [lo, hi).
float uniform(uint64_t& state, float lo, float hi) {
  double u = static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;
  return lo + static_cast<float>(u) * (hi - lo);
}

// Activation ranges as quantization-aware training leaves them: ReLU6 spans [0, 6]; ReLU an
// observed [0, ~12]; linear outputs a symmetric [-16, 16].
struct Range {
  float lo, hi;
};
Range activation_range(Activation act) {
  switch (act) {
    case Activation::kRelu6:
      return {0.0f, 6.0f};
    case Activation::kRelu:
      return {0.0f, 12.0f};
    case Activation::kReluN1To1:
    case Activation::kTanh:
      return {-1.0f, 1.0f};
    default:
      return {-16.0f, 16.0f};
  }
}

int32_t version_for(BuiltinOp code, DType type) {
  if (type == DType::kUInt8) return 1;
  // The int8 versions the TFLite converter writes for per-channel int8 kernels.
  switch (code) {
    case BuiltinOp::kConv2D:
    case BuiltinOp::kDepthwiseConv2D:
      return 3;
    case BuiltinOp::kFullyConnected:
      return 4;
    case BuiltinOp::kTransposeConv:
      return 3;
    case BuiltinOp::kReshape:  // no int8 version: the converter writes 1, LiteRT knows only 1
      return 1;
    default:
      return 2;
  }
}

}  // namespace

int32_t window_output(int32_t in, int32_t k, int32_t stride, Padding padding, int32_t dilation) {
  int32_t eff = (k - 1) * dilation + 1;
  if (padding == Padding::kSame) return (in + stride - 1) / stride;
  return (in - eff + stride) / stride;
}

int64_t parameter_count(const Graph& graph) {
  std::set<const uint8_t*> seen;
  int64_t n = 0;
  for (const Tensor& t : graph.main().tensors)
    if (t.is_constant() && seen.insert(t.data.data()).second) n += t.num_elements();
  return n;
}

ZooBuilder::ZooBuilder(std::string model_name, DType type, uint64_t seed)
    : model_name_(std::move(model_name)), type_(type), rng_(seed * 0x2545f4914f6cdd1dULL + 1) {
  if (type != DType::kUInt8 && type != DType::kInt8)
    throw UsageError("zoo models are uint8 or int8 quantized", model_name_);
}

TensorId ZooBuilder::add_tensor(std::string name, DType dtype, std::vector<int32_t> shape) {
  Tensor t;
  t.name = std::move(name);
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.has_rank = true;
  sg_.tensors.push_back(std::move(t));
  return static_cast<TensorId>(sg_.tensors.size() - 1);
}

const std::vector<int32_t>& ZooBuilder::shape(TensorId t) const {
  return sg_.tensors.at(static_cast<size_t>(t)).shape;
}

std::string ZooBuilder::next_name(const std::string& op) {
  return fmt::format("{}/{}_{}", model_name_, op, layer_++);
}

Bytes ZooBuilder::random_bytes(size_t n) {
  std::vector<uint8_t> v(n);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t r = splitmix64(rng_);
    std::memcpy(v.data() + i, &r, 8);
  }
  if (i < n) {
    uint64_t r = splitmix64(rng_);
    std::memcpy(v.data() + i, &r, n - i);
  }
  return Bytes::own(std::move(v));
}

TensorId ZooBuilder::activation(const std::string& op, std::vector<int32_t> shape, Activation act) {
  TensorId t = add_tensor(next_name(op), type_, std::move(shape));
  Range r = activation_range(act);
  float scale = (r.hi - r.lo) / 255.0f;
  auto zero = static_cast<int64_t>(std::lround(-r.lo / scale));  // uint8 zero point
  if (type_ == DType::kInt8) zero -= 128;
  Quantization& q = sg_.tensors[static_cast<size_t>(t)].quant;
  q.scale = {scale};
  q.zero_point = {zero};
  return t;
}

TensorId ZooBuilder::constant_weights(const std::string& name, std::vector<int32_t> shape,
                                      int32_t channels, int32_t axis) {
  TensorId t = add_tensor(name + "/weights", type_, shape);
  Tensor& w = sg_.tensors[static_cast<size_t>(t)];
  // Refuse before allocating: a large --input can ask for more weights than a TFLite file holds
  // (vgg19 at 2048 px: 8 GiB in one fully connected layer).
  weight_bytes_ += w.byte_size();
  if (weight_bytes_ >= (int64_t{1} << 31))
    throw UsageError(fmt::format("{} would hold over {:.1f} GiB of weights, more than the 2 GiB a "
                                 "TFLite file can hold; choose a smaller input",
                                 model_name_, static_cast<double>(weight_bytes_) / (1 << 30)),
                     name);
  w.data = random_bytes(static_cast<size_t>(w.num_elements()));
  if (type_ == DType::kInt8) {
    w.quant.scale.resize(static_cast<size_t>(channels));
    for (float& s : w.quant.scale) s = uniform(rng_, 0.002f, 0.02f);
    w.quant.zero_point.assign(static_cast<size_t>(channels), 0);
    w.quant.axis = axis;
  } else {
    w.quant.scale = {uniform(rng_, 0.005f, 0.05f)};
    w.quant.zero_point = {static_cast<int64_t>(uniform(rng_, 100.0f, 156.0f))};
  }
  return t;
}

TensorId ZooBuilder::constant_bias(const std::string& name, TensorId x, TensorId w,
                                   int32_t channels) {
  TensorId t = add_tensor(name + "/bias", DType::kInt32, {channels});
  Tensor& b = sg_.tensors[static_cast<size_t>(t)];
  // Small biases (|b| < 2^12) keep the int32 accumulators far from overflow.
  std::vector<uint8_t> bytes(static_cast<size_t>(channels) * 4);
  for (int32_t c = 0; c < channels; ++c) {
    auto v = static_cast<int32_t>(splitmix64(rng_) % 8192) - 4096;
    std::memcpy(bytes.data() + 4 * c, &v, 4);
  }
  b.data = Bytes::own(std::move(bytes));
  float in_scale = sg_.tensors[static_cast<size_t>(x)].quant.scale.at(0);
  const auto& ws = sg_.tensors[static_cast<size_t>(w)].quant.scale;
  b.quant.scale.resize(ws.size());
  for (size_t i = 0; i < ws.size(); ++i) b.quant.scale[i] = in_scale * ws[i];
  b.quant.zero_point.assign(ws.size(), 0);
  return t;
}

TensorId ZooBuilder::constant_int32(const std::string& name, std::vector<int32_t> values,
                                    std::vector<int32_t> shape) {
  TensorId t = add_tensor(name, DType::kInt32, std::move(shape));
  std::vector<uint8_t> bytes(values.size() * 4);
  if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  sg_.tensors[static_cast<size_t>(t)].data = Bytes::own(std::move(bytes));
  return t;
}

void ZooBuilder::add_op(BuiltinOp code, std::vector<int32_t> inputs, std::vector<int32_t> outputs,
                        OpOptions options) {
  Op op;
  op.code = static_cast<int32_t>(code);
  op.version = version_for(code, type_);
  op.inputs = std::move(inputs);
  op.outputs = std::move(outputs);
  op.options = std::move(options);
  sg_.ops.push_back(std::move(op));
}

TensorId ZooBuilder::input(std::vector<int32_t> shape, const std::string& name) {
  TensorId t = add_tensor(name, type_, std::move(shape));
  Quantization& q = sg_.tensors[static_cast<size_t>(t)].quant;
  // Images scaled to [-1, 1] as the Inception/MobileNet preprocessing does.
  q.scale = {2.0f / 255.0f};
  q.zero_point = {type_ == DType::kInt8 ? 0 : 128};
  sg_.inputs.push_back(t);
  return t;
}

void ZooBuilder::output(TensorId t) { sg_.outputs.push_back(t); }

TensorId ZooBuilder::conv(TensorId x, int32_t out_channels, int32_t kh, int32_t kw, int32_t stride,
                          Padding padding, Activation act, int32_t dilation) {
  const auto in = shape(x);
  if (in.size() != 4) throw Error("conv needs an NHWC input", model_name_);
  std::string name = next_name("conv");
  TensorId w = constant_weights(name, {out_channels, kh, kw, in[3]}, out_channels, 0);
  TensorId b = constant_bias(name, x, w, out_channels);
  TensorId y = activation("conv",
                          {1, window_output(in[1], kh, stride, padding, dilation),
                           window_output(in[2], kw, stride, padding, dilation), out_channels},
                          act);
  Conv2DOptions o;
  o.padding = padding;
  o.stride_w = o.stride_h = stride;
  o.activation = act;
  o.dilation_w = o.dilation_h = dilation;
  add_op(BuiltinOp::kConv2D, {x, w, b}, {y}, o);
  return y;
}

TensorId ZooBuilder::depthwise(TensorId x, int32_t k, int32_t stride, Activation act,
                               Padding padding, int32_t dilation, int32_t multiplier) {
  const auto in = shape(x);
  std::string name = next_name("depthwise");
  int32_t c = in[3] * multiplier;
  TensorId w = constant_weights(name, {1, k, k, c}, c, 3);
  TensorId b = constant_bias(name, x, w, c);
  TensorId y = activation("depthwise",
                          {1, window_output(in[1], k, stride, padding, dilation),
                           window_output(in[2], k, stride, padding, dilation), c},
                          act);
  DepthwiseConv2DOptions o;
  o.padding = padding;
  o.stride_w = o.stride_h = stride;
  o.depth_multiplier = multiplier;
  o.activation = act;
  o.dilation_w = o.dilation_h = dilation;
  add_op(BuiltinOp::kDepthwiseConv2D, {x, w, b}, {y}, o);
  return y;
}

TensorId ZooBuilder::transpose_conv(TensorId x, int32_t out_channels, int32_t k, int32_t stride) {
  const auto in = shape(x);
  std::string name = next_name("transpose_conv");
  std::vector<int32_t> out_shape = {1, in[1] * stride, in[2] * stride, out_channels};
  TensorId os = constant_int32(name + "/output_shape", out_shape, {4});
  TensorId w = constant_weights(name, {out_channels, k, k, in[3]}, out_channels, 0);
  TensorId b = constant_bias(name, x, w, out_channels);
  TensorId y = activation("transpose_conv", out_shape, Activation::kNone);
  TransposeConvOptions o;
  o.padding = Padding::kSame;
  o.stride_w = o.stride_h = stride;
  add_op(BuiltinOp::kTransposeConv, {os, w, x, b}, {y}, o);
  return y;
}

TensorId ZooBuilder::fully_connected(TensorId x, int32_t units, Activation act) {
  const auto in = shape(x);
  std::string name = next_name("fc");
  TensorId w = constant_weights(name, {units, in.back()}, units, 0);
  TensorId b = constant_bias(name, x, w, units);
  TensorId y = activation("fc", {1, units}, act);
  FullyConnectedOptions o;
  o.activation = act;
  add_op(BuiltinOp::kFullyConnected, {x, w, b}, {y}, o);
  return y;
}

TensorId ZooBuilder::pool(BuiltinOp code, TensorId x, int32_t kh, int32_t kw, int32_t stride,
                          Padding padding) {
  const auto in = shape(x);
  TensorId y = add_tensor(next_name(code == BuiltinOp::kMaxPool2D ? "max_pool" : "avg_pool"), type_,
                          {1, window_output(in[1], kh, stride, padding),
                           window_output(in[2], kw, stride, padding), in[3]});
  // Pooling keeps the input's quantization (TFLite requires it for max pool).
  sg_.tensors[static_cast<size_t>(y)].quant = sg_.tensors[static_cast<size_t>(x)].quant;
  Pool2DOptions o;
  o.padding = padding;
  o.stride_w = o.stride_h = stride;
  o.filter_w = kw;
  o.filter_h = kh;
  add_op(code, {x}, {y}, o);
  return y;
}

TensorId ZooBuilder::max_pool(TensorId x, int32_t k, int32_t stride, Padding padding) {
  return pool(BuiltinOp::kMaxPool2D, x, k, k, stride, padding);
}
TensorId ZooBuilder::avg_pool(TensorId x, int32_t k, int32_t stride, Padding padding) {
  return pool(BuiltinOp::kAveragePool2D, x, k, k, stride, padding);
}
TensorId ZooBuilder::global_avg_pool(TensorId x) {
  const auto in = shape(x);
  return pool(BuiltinOp::kAveragePool2D, x, in[1], in[2], 1, Padding::kValid);
}

TensorId ZooBuilder::mean_hw(TensorId x) {
  const auto in = shape(x);
  TensorId axes = constant_int32(next_name("mean") + "/axes", {1, 2}, {2});
  TensorId y = add_tensor(next_name("mean"), type_, {1, 1, 1, in[3]});
  sg_.tensors[static_cast<size_t>(y)].quant = sg_.tensors[static_cast<size_t>(x)].quant;
  ReducerOptions o;
  o.keep_dims = true;
  add_op(BuiltinOp::kMean, {x, axes}, {y}, o);
  return y;
}

TensorId ZooBuilder::add(TensorId a, TensorId b, Activation act) {
  if (shape(a) != shape(b))
    throw Error(fmt::format("ADD of {} and {}", shape_string(shape(a)), shape_string(shape(b))),
                model_name_);
  TensorId y = activation("add", shape(a), act);
  AddSubOptions o;
  o.activation = act;
  add_op(BuiltinOp::kAdd, {a, b}, {y}, o);
  return y;
}

TensorId ZooBuilder::channel_affine(TensorId x, Activation act) {
  int32_t c = channels(x);
  std::string name = next_name("batchnorm");
  // Per-channel multiplier and offset, stored like activations ([C], per-tensor quantized).
  TensorId m = add_tensor(name + "/mul", type_, {c});
  TensorId k = add_tensor(name + "/offset", type_, {c});
  for (TensorId t : {m, k}) {
    Tensor& ct = sg_.tensors[static_cast<size_t>(t)];
    ct.data = random_bytes(static_cast<size_t>(c));
    ct.quant.scale = {uniform(rng_, 0.004f, 0.02f)};
    ct.quant.zero_point = {type_ == DType::kInt8 ? 0 : 128};
  }
  TensorId scaled = activation("batchnorm_mul", shape(x), Activation::kNone);
  MulDivOptions mo;
  add_op(BuiltinOp::kMul, {x, m}, {scaled}, mo);
  TensorId y = activation("batchnorm_add", shape(x), act);
  AddSubOptions ao;
  ao.activation = act;
  add_op(BuiltinOp::kAdd, {scaled, k}, {y}, ao);
  return y;
}

TensorId ZooBuilder::concat(const std::vector<TensorId>& xs, int32_t axis) {
  if (xs.empty()) throw Error("CONCATENATION of nothing", model_name_);
  std::vector<int32_t> out = shape(xs[0]);
  auto rank = static_cast<int32_t>(out.size());
  if (axis < 0) axis += rank;
  out[static_cast<size_t>(axis)] = 0;
  for (TensorId x : xs) out[static_cast<size_t>(axis)] += shape(x)[static_cast<size_t>(axis)];
  TensorId y = add_tensor(next_name("concat"), type_, out);
  sg_.tensors[static_cast<size_t>(y)].quant = sg_.tensors[static_cast<size_t>(xs[0])].quant;
  // TFLite's int8 CONCATENATION requires every input quantized as the output (the converter
  // makes the producers write that quantization); uint8 requantizes instead.
  if (type_ == DType::kInt8)
    for (TensorId x : xs) {
      Tensor& t = sg_.tensors[static_cast<size_t>(x)];
      if (!t.is_constant()) t.quant = sg_.tensors[static_cast<size_t>(y)].quant;
    }
  ConcatenationOptions o;
  o.axis = axis;
  add_op(BuiltinOp::kConcatenation, xs, {y}, o);
  return y;
}

TensorId ZooBuilder::reshape(TensorId x, std::vector<int32_t> new_shape) {
  std::string name = next_name("reshape");
  TensorId s = constant_int32(name + "/shape", new_shape, {static_cast<int32_t>(new_shape.size())});
  TensorId y = add_tensor(name, type_, new_shape);
  sg_.tensors[static_cast<size_t>(y)].quant = sg_.tensors[static_cast<size_t>(x)].quant;
  ReshapeOptions o;
  o.new_shape = new_shape;
  add_op(BuiltinOp::kReshape, {x, s}, {y}, o);
  return y;
}

TensorId ZooBuilder::softmax(TensorId x) {
  TensorId y = add_tensor(next_name("softmax"), type_, shape(x));
  // TFLite fixes softmax output quantization at 1/256 (zero point 0 or -128).
  sg_.tensors[static_cast<size_t>(y)].quant.scale = {1.0f / 256.0f};
  sg_.tensors[static_cast<size_t>(y)].quant.zero_point = {type_ == DType::kInt8 ? -128 : 0};
  add_op(BuiltinOp::kSoftmax, {x}, {y}, SoftmaxOptions{});
  return y;
}

TensorId ZooBuilder::logistic(TensorId x) {
  TensorId y = add_tensor(next_name("logistic"), type_, shape(x));
  sg_.tensors[static_cast<size_t>(y)].quant.scale = {1.0f / 256.0f};
  sg_.tensors[static_cast<size_t>(y)].quant.zero_point = {type_ == DType::kInt8 ? -128 : 0};
  add_op(BuiltinOp::kLogistic, {x}, {y}, std::monostate{});
  return y;
}

TensorId ZooBuilder::relu(TensorId x) {
  TensorId y = activation("relu", shape(x), Activation::kRelu);
  add_op(BuiltinOp::kRelu, {x}, {y}, std::monostate{});
  return y;
}

TensorId ZooBuilder::resize_bilinear(TensorId x, int32_t h, int32_t w, bool align_corners) {
  std::string name = next_name("resize_bilinear");
  TensorId size = constant_int32(name + "/size", {h, w}, {2});
  std::vector<int32_t> out = shape(x);
  out[1] = h;
  out[2] = w;
  TensorId y = add_tensor(name, type_, out);
  sg_.tensors[static_cast<size_t>(y)].quant = sg_.tensors[static_cast<size_t>(x)].quant;
  ResizeOptions o;
  o.align_corners = align_corners;
  add_op(BuiltinOp::kResizeBilinear, {x, size}, {y}, o);
  return y;
}

TensorId ZooBuilder::requantize(TensorId x) {
  TensorId y = activation("quantize", shape(x), Activation::kRelu);
  add_op(BuiltinOp::kQuantize, {x}, {y}, std::monostate{});
  return y;
}

TensorId ZooBuilder::arg_max(TensorId x) {
  std::string name = next_name("arg_max");
  auto rank = static_cast<int32_t>(shape(x).size());
  TensorId axis = constant_int32(name + "/axis", {rank - 1}, {});
  std::vector<int32_t> out = shape(x);
  out.pop_back();
  TensorId y = add_tensor(name, DType::kInt64, out);
  ArgMinMaxOptions o;
  o.output_type = DType::kInt64;
  add_op(BuiltinOp::kArgMax, {x, axis}, {y}, o);
  return y;
}

Graph ZooBuilder::finish() {
  if (sg_.outputs.empty() && !sg_.ops.empty()) sg_.outputs.push_back(sg_.ops.back().outputs[0]);
  Graph g;
  g.description = "tpulab zoo: " + model_name_;
  sg_.name = "main";
  g.subgraphs.push_back(std::move(sg_));
  sg_ = Subgraph{};
  check_graph(g, model_name_);
  return g;
}

}  // namespace tpulab::zoo
