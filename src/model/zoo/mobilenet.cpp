// MobileNet v1/v2 classifiers and the networks built on them: SSD MobileNet v1/v2 (detection,
// without the post-processing op), DeepLab v3 MobileNet v2 (segmentation) and the
// MobileNet v2 U-Net of the TensorFlow segmentation tutorial.
//
// Structure sources: TF-slim mobilenet_v1.py / mobilenet_v2.py (1001 classes, min depth 8,
// channels rounded to multiples of 8 for v2), the TF Object Detection API feature extractors
// (ssd_mobilenet_v1/v2: extra layers 512-256-256-128 of 1x1 + 3x3/2 convs, 3 anchors on the
// first map and 6 on the others, 1x1 box predictors, 91 classes), DeepLab's mobilenet_v2 at
// output stride 16 (checked op for op against shared/models/deeplabv3_mnv2_pascal_quant.tflite),
// and the TF image segmentation tutorial (pix2pix upsample blocks).
#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <cmath>

#include "model/zoo/builder.h"
#include "model/zoo/families.h"

namespace tpulab::zoo {

namespace {

// ---- MobileNet v1 -------------------------------------------------------------------------

struct V1Taps {
  TensorId conv11 = -1;  // pointwise 11 (512 channels at stride 16): SSD's first feature map
};

TensorId mobilenet_v1_body(ZooBuilder& b, TensorId x, double width, V1Taps* taps) {
  auto depth = [&](int d) { return std::max(static_cast<int32_t>(d * width), 8); };
  x = b.conv(x, depth(32), 3, 2, kRelu6);
  const std::array<std::pair<int, int>, 13> layers = {{{64, 1},
                                                       {128, 2},
                                                       {128, 1},
                                                       {256, 2},
                                                       {256, 1},
                                                       {512, 2},
                                                       {512, 1},
                                                       {512, 1},
                                                       {512, 1},
                                                       {512, 1},
                                                       {512, 1},
                                                       {1024, 2},
                                                       {1024, 1}}};
  for (size_t i = 0; i < layers.size(); ++i) {
    x = b.depthwise(x, 3, layers[i].second, kRelu6);
    x = b.conv(x, depth(layers[i].first), 1, 1, kRelu6);
    if (i == 10 && taps) taps->conv11 = x;
  }
  return x;
}

// ---- MobileNet v2 -------------------------------------------------------------------------

int32_t make_divisible(double v, int32_t divisor = 8) {
  auto r = std::max(divisor, static_cast<int32_t>(v + divisor / 2.0) / divisor * divisor);
  if (r < 0.9 * v) r += divisor;
  return r;
}

// Blocks numbered as Keras does (block 0 has no expansion, blocks 1..16).
struct V2Taps {
  std::array<TensorId, 17> expand{};   // expansion conv output (block 0: its input)
  std::array<TensorId, 17> project{};  // block output
};

// `output_stride` 0 = no limit; otherwise strides beyond it become dilations (DeepLab).
TensorId mobilenet_v2_body(ZooBuilder& b, TensorId x, double width, int output_stride, V2Taps* taps,
                           int last_block = 16) {
  struct Stage {
    int t, c, n, s;
  };
  const std::array<Stage, 7> stages = {{{1, 16, 1, 1},
                                        {6, 24, 2, 2},
                                        {6, 32, 3, 2},
                                        {6, 64, 4, 2},
                                        {6, 96, 3, 1},
                                        {6, 160, 3, 2},
                                        {6, 320, 1, 1}}};
  x = b.conv(x, make_divisible(32 * width), 3, 2, kRelu6);
  int stride = 2, rate = 1, block = 0;
  for (const Stage& st : stages) {
    for (int r = 0; r < st.n; ++r, ++block) {
      if (block > last_block) return x;
      int s = r == 0 ? st.s : 1;
      int layer_rate = rate;
      if (output_stride > 0 && stride >= output_stride && s > 1) {
        rate *= s;  // keep the resolution; later layers dilate instead
        s = 1;
      } else {
        stride *= s;
      }
      TensorId in = x;
      int32_t in_c = b.channels(x);
      int32_t out_c = make_divisible(st.c * width);
      if (st.t != 1) x = b.conv(x, in_c * st.t, 1, 1, kRelu6);
      if (taps) taps->expand[static_cast<size_t>(block)] = x;
      x = b.depthwise(x, 3, s, kRelu6, Padding::kSame, layer_rate);
      x = b.conv(x, out_c, 1, 1, kLinear);
      if (s == 1 && in_c == out_c) x = b.add(x, in);
      if (taps) taps->project[static_cast<size_t>(block)] = x;
    }
  }
  return x;
}

// Classifier head of the slim models: average pool (stride 2 as slim writes it), 1x1 conv
// logits, reshape to [1, classes], softmax.
TensorId slim_head(ZooBuilder& b, TensorId x, int32_t classes) {
  const auto s = b.shape(x);
  x = b.avg_pool(x, s[1], 2, Padding::kValid);
  x = b.conv(x, classes, 1, 1, kLinear);
  x = b.reshape(x, {1, classes});
  return b.softmax(x);
}

// ---- SSD ----------------------------------------------------------------------------------

void ssd_heads(ZooBuilder& b, const std::vector<TensorId>& maps) {
  constexpr int32_t kClasses = 91;
  std::vector<TensorId> boxes, scores;
  for (size_t i = 0; i < maps.size(); ++i) {
    int32_t anchors = i == 0 ? 3 : 6;
    const auto s = b.shape(maps[i]);
    int32_t n = s[1] * s[2] * anchors;
    TensorId box = b.conv(maps[i], anchors * 4, 1, 1, kLinear);
    boxes.push_back(b.reshape(box, {1, n, 4}));
    TensorId cls = b.conv(maps[i], anchors * kClasses, 1, 1, kLinear);
    scores.push_back(b.reshape(cls, {1, n, kClasses}));
  }
  b.output(b.concat(boxes, 1));
  b.output(b.logistic(b.concat(scores, 1)));
}

// Extra feature maps: 1x1 conv to half depth, then 3x3 stride-2 conv.
void ssd_extras(ZooBuilder& b, TensorId x, std::vector<TensorId>& maps) {
  for (int32_t d : {512, 256, 256, 128}) {
    x = b.conv(x, d / 2, 1, 1, kRelu6);
    x = b.conv(x, d, 3, 2, kRelu6);
    maps.push_back(x);
  }
}

}  // namespace

Graph build_mobilenet_v1(const ZooOptions& o) {
  ZooBuilder b(fmt::format("mobilenet_v1_{}_{}", o.width, o.input), DType::kUInt8, o.seed);
  TensorId x = b.input({1, o.input, o.input, 3});
  x = mobilenet_v1_body(b, x, o.width, nullptr);
  b.output(slim_head(b, x, 1001));
  return b.finish();
}

Graph build_mobilenet_v2(const ZooOptions& o) {
  ZooBuilder b(fmt::format("mobilenet_v2_{}_{}", o.width, o.input), DType::kUInt8, o.seed);
  TensorId x = b.input({1, o.input, o.input, 3});
  x = mobilenet_v2_body(b, x, o.width, 0, nullptr);
  // The last conv keeps 1280 channels for widths below 1.
  x = b.conv(x, o.width > 1.0 ? make_divisible(1280 * o.width) : 1280, 1, 1, kRelu6);
  x = b.global_avg_pool(x);
  x = b.conv(x, 1001, 1, 1, kLinear);
  x = b.reshape(x, {1, 1001});
  b.output(b.softmax(x));
  return b.finish();
}

Graph build_ssd_mobilenet(const ZooOptions& o, int version) {
  ZooBuilder b(fmt::format("ssd_mobilenet_v{}_{}", version, o.input), DType::kUInt8, o.seed);
  TensorId x = b.input({1, o.input, o.input, 3});
  std::vector<TensorId> maps;
  if (version == 1) {
    V1Taps taps;
    x = mobilenet_v1_body(b, x, 1.0, &taps);
    maps = {taps.conv11, x};
  } else {
    V2Taps taps;
    x = mobilenet_v2_body(b, x, 1.0, 0, &taps);
    x = b.conv(x, 1280, 1, 1, kRelu6);
    maps = {taps.expand[13], x};  // slim's layer_15/expansion_output (19x19x576), layer_19
  }
  ssd_extras(b, x, maps);
  ssd_heads(b, maps);
  return b.finish();
}

Graph build_deeplab_v3_mnv2(const ZooOptions& o) {
  ZooBuilder b(fmt::format("deeplab_v3_mnv2_{}", o.input), DType::kUInt8, o.seed);
  TensorId x = b.input({1, o.input, o.input, 3});
  x = mobilenet_v2_body(b, x, 1.0, 16, nullptr);
  const auto s = b.shape(x);
  // ASPP of the MobileNet variant: image pooling branch + 1x1 conv branch.
  TensorId pooled = b.avg_pool(x, s[1], 1, Padding::kValid);
  TensorId branch = b.conv(x, 256, 1, 1, Activation::kRelu);
  pooled = b.conv(pooled, 256, 1, 1, Activation::kRelu);
  pooled = b.resize_bilinear(pooled, s[1], s[2], true);
  pooled = b.requantize(pooled);
  x = b.concat({pooled, branch});
  x = b.conv(x, 256, 1, 1, Activation::kRelu);
  x = b.conv(x, 21, 1, 1, kLinear);
  x = b.resize_bilinear(x, s[1], s[2], true);
  x = b.resize_bilinear(x, o.input, o.input, true);
  b.output(b.arg_max(x));
  return b.finish();
}

Graph build_unet_mv2(const ZooOptions& o) {
  ZooBuilder b(fmt::format("unet_mv2_{}", o.input), DType::kInt8, o.seed);
  TensorId x = b.input({1, o.input, o.input, 3});
  V2Taps taps;
  x = mobilenet_v2_body(b, x, 1.0, 0, &taps, 16);
  const std::array<TensorId, 4> skips = {taps.expand[13], taps.expand[6], taps.expand[3],
                                         taps.expand[1]};
  const std::array<int32_t, 4> filters = {512, 256, 128, 64};
  for (size_t i = 0; i < skips.size(); ++i) {
    x = b.relu(b.transpose_conv(x, filters[i], 3, 2));  // pix2pix upsample: deconv + BN + ReLU
    x = b.concat({x, skips[i]});
  }
  b.output(b.transpose_conv(x, 3, 3, 2));  // 3 classes, logits
  return b.finish();
}

}  // namespace tpulab::zoo
