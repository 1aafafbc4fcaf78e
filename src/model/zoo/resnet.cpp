// ResNet-50 v1 (bottleneck with the stride on the 3x3 conv, as TF-slim resnet_v1 and ResNet
// v1.5 do) and the pre-activation ResNet v2 family (50/101/152, as Keras applications
// ResNet50V2/101V2/152V2 build it). Batch norms that follow a conv are folded into it; the
// pre-activation batch norms of v2 cannot be, so they stay as per-channel MUL + ADD.
//
// Structure sources: He et al. 2015 / 2016 ("Identity Mappings in Deep Residual Networks"),
// Keras applications resnet.py / resnet_v2.py, TF-slim nets/resnet_v1.py.
#include <fmt/format.h>

#include <array>

#include "model/zoo/builder.h"
#include "model/zoo/families.h"

namespace tpulab::zoo {

namespace {

TensorId keras_head(ZooBuilder& b, TensorId x, int32_t classes) {
  x = b.mean_hw(x);
  x = b.reshape(x, {1, b.channels(x)});
  x = b.fully_connected(x, classes, kLinear);
  return b.softmax(x);
}

}  // namespace

Graph build_resnet50_v1(const ZooOptions& o) {
  ZooBuilder b(fmt::format("resnet50_v1_{}", o.input), DType::kUInt8, o.seed);
  TensorId x = b.input({1, o.input, o.input, 3});
  x = b.conv(x, 64, 7, 2, kRelu);
  x = b.max_pool(x, 3, 2, Padding::kSame);
  const std::array<std::pair<int32_t, int>, 4> stages = {{{64, 3}, {128, 4}, {256, 6}, {512, 3}}};
  for (size_t s = 0; s < stages.size(); ++s) {
    auto [width, blocks] = stages[s];
    for (int i = 0; i < blocks; ++i) {
      int32_t stride = (i == 0 && s > 0) ? 2 : 1;
      TensorId shortcut = i == 0 ? b.conv(x, 4 * width, 1, stride, kLinear) : x;
      TensorId r = b.conv(x, width, 1, 1, kRelu);
      r = b.conv(r, width, 3, stride, kRelu);
      r = b.conv(r, 4 * width, 1, 1, kLinear);
      x = b.add(shortcut, r, kRelu);
    }
  }
  b.output(keras_head(b, x, 1000));
  return b.finish();
}

Graph build_resnet_v2(const ZooOptions& o, int depth) {
  std::array<int, 4> blocks{};
  switch (depth) {
    case 50:
      blocks = {3, 4, 6, 3};
      break;
    case 101:
      blocks = {3, 4, 23, 3};
      break;
    default:
      blocks = {3, 8, 36, 3};
      break;
  }
  ZooBuilder b(fmt::format("resnet{}_v2_{}", depth, o.input), DType::kInt8, o.seed);
  TensorId x = b.input({1, o.input, o.input, 3});
  x = b.conv(x, 64, 7, 2, kLinear);  // no batch norm after the stem conv in v2
  x = b.max_pool(x, 3, 2, Padding::kSame);
  const std::array<int32_t, 4> widths = {64, 128, 256, 512};
  for (size_t s = 0; s < widths.size(); ++s) {
    for (int i = 0; i < blocks[s]; ++i) {
      // Keras v2 strides in the last block of each stack but the last stack.
      int32_t stride = (i == blocks[s] - 1 && s + 1 < widths.size()) ? 2 : 1;
      TensorId preact = b.channel_affine(x, kRelu);
      TensorId shortcut = x;
      if (i == 0)
        shortcut = b.conv(preact, 4 * widths[s], 1, stride, kLinear);
      else if (stride > 1)
        shortcut = b.max_pool(x, 1, stride, Padding::kSame);
      TensorId r = b.conv(preact, widths[s], 1, 1, kRelu);
      r = b.conv(r, widths[s], 3, stride, kRelu);
      r = b.conv(r, 4 * widths[s], 1, 1, kLinear);
      x = b.add(shortcut, r);
    }
  }
  x = b.channel_affine(x, kRelu);
  b.output(keras_head(b, x, 1000));
  return b.finish();
}

}  // namespace tpulab::zoo
