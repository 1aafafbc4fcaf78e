#include "testing/fashion_cnn.h"

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace tpulab::testing {

namespace {

struct Builder {
  Subgraph& sg;
  std::mt19937 rng;

  int32_t tensor(std::string name, DType dt, std::vector<int32_t> shape,
                 std::vector<float> scale = {}, std::vector<int64_t> zp = {}, int32_t axis = 0) {
    Tensor t;
    t.name = std::move(name);
    t.dtype = dt;
    t.shape = std::move(shape);
    t.quant.scale = std::move(scale);
    t.quant.zero_point = std::move(zp);
    t.quant.axis = axis;
    sg.tensors.push_back(std::move(t));
    return static_cast<int32_t>(sg.tensors.size() - 1);
  }
  template <typename T>
  void set_data(int32_t t, const std::vector<T>& v) {
    std::vector<uint8_t> bytes(v.size() * sizeof(T));
    std::memcpy(bytes.data(), v.data(), bytes.size());
    sg.tensors[static_cast<size_t>(t)].data = Bytes::own(std::move(bytes));
  }
  std::vector<int8_t> random_int8(size_t n) {
    std::uniform_int_distribution<int> d(-127, 127);
    std::vector<int8_t> v(n);
    for (auto& x : v) x = static_cast<int8_t>(d(rng));
    return v;
  }
  std::vector<int32_t> random_bias(size_t n, int32_t range) {
    std::uniform_int_distribution<int32_t> d(-range, range);
    std::vector<int32_t> v(n);
    for (auto& x : v) x = d(rng);
    return v;
  }
  void op(BuiltinOp code, int32_t version, std::vector<int32_t> in, std::vector<int32_t> out,
          OpOptions options) {
    Op o;
    o.code = static_cast<int32_t>(code);
    o.version = version;
    o.inputs = std::move(in);
    o.outputs = std::move(out);
    o.options = std::move(options);
    sg.ops.push_back(std::move(o));
  }

  // 3x3 SAME conv + RELU with per-channel int8 weights (zero points 0, as TFLite requires).
  int32_t conv(const std::string& name, int32_t in, int32_t channels, float w_range,
               float out_scale) {
    const Tensor& x = sg.tensors[static_cast<size_t>(in)];
    const std::vector<int32_t> xs = x.shape;
    const float in_scale = x.quant.scale[0];
    const int32_t cin = xs[3];
    std::vector<float> w_scale(static_cast<size_t>(channels)),
        b_scale(static_cast<size_t>(channels));
    for (int32_t c = 0; c < channels; ++c) {
      // Slightly different scale per channel so per-channel requantization matters.
      w_scale[static_cast<size_t>(c)] =
          w_range / 127.0f * (0.75f + 0.5f * static_cast<float>(c) / static_cast<float>(channels));
      b_scale[static_cast<size_t>(c)] = in_scale * w_scale[static_cast<size_t>(c)];
    }
    const int32_t w = tensor(name + "/weights", DType::kInt8, {channels, 3, 3, cin}, w_scale,
                             std::vector<int64_t>(static_cast<size_t>(channels), 0), 0);
    set_data(w, random_int8(static_cast<size_t>(channels) * 9 * static_cast<size_t>(cin)));
    const int32_t b = tensor(name + "/bias", DType::kInt32, {channels}, b_scale,
                             std::vector<int64_t>(static_cast<size_t>(channels), 0), 0);
    set_data(b, random_bias(static_cast<size_t>(channels), 2000));
    const int32_t y = tensor(name, DType::kInt8, {1, xs[1], xs[2], channels}, {out_scale}, {-128});
    Conv2DOptions o;
    o.padding = Padding::kSame;
    o.activation = Activation::kRelu;
    op(BuiltinOp::kConv2D, 3, {in, w, b}, {y}, o);
    return y;
  }

  int32_t max_pool(const std::string& name, int32_t in) {
    const Tensor& x = sg.tensors[static_cast<size_t>(in)];
    const std::vector<int32_t> xs = x.shape;
    const Quantization q = x.quant;
    const int32_t y =
        tensor(name, DType::kInt8, {1, xs[1] / 2, xs[2] / 2, xs[3]}, q.scale, q.zero_point);
    Pool2DOptions o;
    o.padding = Padding::kValid;
    o.stride_w = o.stride_h = 2;
    o.filter_w = o.filter_h = 2;
    op(BuiltinOp::kMaxPool2D, 2, {in}, {y}, o);
    return y;
  }
};

}  // namespace

Graph fashion_cnn(uint32_t seed) {
  Graph g;
  g.description = "tpulab test CNN for 28x28 grey images (random weights)";
  g.subgraphs.emplace_back();
  Subgraph& sg = g.main();
  sg.name = "main";
  Builder b{sg, std::mt19937(seed)};

  const int32_t input = b.tensor("input", DType::kInt8, {1, 28, 28, 1}, {1.0f / 255.0f}, {-128});
  int32_t x = b.conv("conv1", input, 8, 0.5f, 4.0f / 255.0f);
  x = b.max_pool("pool1", x);
  x = b.conv("conv2", x, 16, 0.1f, 2.0f / 255.0f);
  x = b.max_pool("pool2", x);

  const Quantization pooled = sg.tensors[static_cast<size_t>(x)].quant;
  const int32_t shape = b.tensor("flatten/shape", DType::kInt32, {2});
  b.set_data(shape, std::vector<int32_t>{1, 784});
  const int32_t flat = b.tensor("flatten", DType::kInt8, {1, 784}, pooled.scale, pooled.zero_point);
  ReshapeOptions ro;
  ro.new_shape = std::vector<int32_t>{1, 784};
  b.op(BuiltinOp::kReshape, 1, {x, shape}, {flat}, ro);

  const float fc_w_scale = 0.05f / 127.0f;
  const int32_t fw = b.tensor("fc/weights", DType::kInt8, {10, 784}, {fc_w_scale}, {0});
  b.set_data(fw, b.random_int8(10 * 784));
  const int32_t fb = b.tensor("fc/bias", DType::kInt32, {10}, {pooled.scale[0] * fc_w_scale}, {0});
  b.set_data(fb, b.random_bias(10, 20000));
  const int32_t logits = b.tensor("logits", DType::kInt8, {1, 10}, {8.0f / 255.0f}, {0});
  b.op(BuiltinOp::kFullyConnected, 4, {flat, fw, fb}, {logits}, FullyConnectedOptions{});

  // TFLite requires int8 softmax outputs to use scale 1/256 and zero point -128.
  const int32_t probs = b.tensor("probabilities", DType::kInt8, {1, 10}, {1.0f / 256.0f}, {-128});
  b.op(BuiltinOp::kSoftmax, 2, {logits}, {probs}, SoftmaxOptions{});

  sg.inputs = {input};
  sg.outputs = {probs};
  return g;
}

}  // namespace tpulab::testing
