// The plain classics: VGG-16/19 (Simonyan & Zisserman 2014, Keras applications vgg16.py /
// vgg19.py), SqueezeNet 1.0 (Iandola et al. 2016) and DenseNet-121 (Huang et al. 2017, Keras
// applications densenet.py / torchvision). DenseNet's pre-activation batch norms stay as
// per-channel MUL + ADD; those right after a conv are folded into it.
#include <fmt/format.h>

#include <array>

#include "model/zoo/builder.h"
#include "model/zoo/families.h"

namespace tpulab::zoo {

Graph build_vgg(const ZooOptions& o, int depth) {
  ZooBuilder b(fmt::format("vgg{}_{}", depth, o.input), DType::kInt8, o.seed);
  TensorId x = b.input({1, o.input, o.input, 3});
  const std::array<int32_t, 5> widths = {64, 128, 256, 512, 512};
  const std::array<int, 5> convs16 = {2, 2, 3, 3, 3}, convs19 = {2, 2, 4, 4, 4};
  for (size_t s = 0; s < widths.size(); ++s) {
    int n = depth == 19 ? convs19[s] : convs16[s];
    for (int i = 0; i < n; ++i) x = b.conv(x, widths[s], 3, 1, kRelu);
    x = b.max_pool(x, 2, 2, Padding::kValid);
  }
  const auto s = b.shape(x);
  x = b.reshape(x, {1, s[1] * s[2] * s[3]});
  x = b.fully_connected(x, 4096, kRelu);
  x = b.fully_connected(x, 4096, kRelu);
  x = b.fully_connected(x, 1000, kLinear);
  b.output(b.softmax(x));
  return b.finish();
}

Graph build_squeezenet(const ZooOptions& o) {
  ZooBuilder b(fmt::format("squeezenet_{}", o.input), DType::kUInt8, o.seed);
  TensorId x = b.input({1, o.input, o.input, 3});
  auto fire = [&](TensorId in, int32_t squeeze, int32_t expand) {
    TensorId s = b.conv(in, squeeze, 1, 1, kRelu);
    return b.concat({b.conv(s, expand, 1, 1, kRelu), b.conv(s, expand, 3, 1, kRelu)});
  };
  x = b.conv(x, 96, 7, 2, kRelu, Padding::kValid);
  x = b.max_pool(x, 3, 2, Padding::kValid);
  x = fire(x, 16, 64);
  x = fire(x, 16, 64);
  x = fire(x, 32, 128);
  x = b.max_pool(x, 3, 2, Padding::kValid);
  x = fire(x, 32, 128);
  x = fire(x, 48, 192);
  x = fire(x, 48, 192);
  x = fire(x, 64, 256);
  x = b.max_pool(x, 3, 2, Padding::kValid);
  x = fire(x, 64, 256);
  x = b.conv(x, 1000, 1, 1, kRelu);
  x = b.global_avg_pool(x);
  x = b.reshape(x, {1, 1000});
  b.output(b.softmax(x));
  return b.finish();
}

Graph build_densenet121(const ZooOptions& o) {
  ZooBuilder b(fmt::format("densenet121_{}", o.input), DType::kInt8, o.seed);
  TensorId x = b.input({1, o.input, o.input, 3});
  constexpr int32_t kGrowth = 32;
  x = b.conv(x, 64, 7, 2, kRelu);
  x = b.max_pool(x, 3, 2, Padding::kSame);
  const std::array<int, 4> layers = {6, 12, 24, 16};
  for (size_t blk = 0; blk < layers.size(); ++blk) {
    for (int i = 0; i < layers[blk]; ++i) {
      TensorId y = b.channel_affine(x, kRelu);
      y = b.conv(y, 4 * kGrowth, 1, 1, kRelu);
      y = b.conv(y, kGrowth, 3, 1, kLinear);
      x = b.concat({x, y});
    }
    if (blk + 1 < layers.size()) {  // transition: halve channels and resolution
      x = b.channel_affine(x, kRelu);
      x = b.conv(x, b.channels(x) / 2, 1, 1, kLinear);
      x = b.avg_pool(x, 2, 2, Padding::kValid);
    }
  }
  x = b.channel_affine(x, kRelu);
  x = b.mean_hw(x);
  x = b.reshape(x, {1, b.channels(x)});
  x = b.fully_connected(x, 1000, kLinear);
  b.output(b.softmax(x));
  return b.finish();
}

}  // namespace tpulab::zoo
