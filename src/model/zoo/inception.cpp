// Inception v1 (GoogLeNet as TF-slim builds it: the "5x5" branches use 3x3 convs), Inception
// v3, Inception v4 and Inception-ResNet v2. Batch norms are folded into the convs (biases).
//
// Structure sources: TF-slim nets/inception_v1.py, inception_v3.py, inception_v4.py,
// inception_resnet_v2.py (and Keras applications for v3 / Inception-ResNet v2, which agree);
// papers: Szegedy et al. 2014, 2015 ("Rethinking the Inception Architecture"), 2016
// ("Inception-v4, Inception-ResNet and the Impact of Residual Connections").
#include <fmt/format.h>

#include "model/zoo/builder.h"
#include "model/zoo/families.h"

namespace tpulab::zoo {

namespace {

// Conv + folded BN + ReLU, the unit every Inception network is made of.
struct Convs {
  ZooBuilder& b;
  TensorId operator()(TensorId x, int32_t c, int32_t kh, int32_t kw, int32_t stride = 1,
                      Padding p = kSame) const {
    return b.conv(x, c, kh, kw, stride, p, Activation::kRelu);
  }
  TensorId operator()(TensorId x, int32_t c, int32_t k) const { return (*this)(x, c, k, k); }
  // Average pool 3x3 then a 1x1 projection: the pooling branch of every Inception block.
  TensorId pool_proj(TensorId x, int32_t c) const {
    return b.conv(b.avg_pool(x, 3, 1, kSame), c, 1, 1, 1, kSame, Activation::kRelu);
  }
};

TensorId classifier(ZooBuilder& b, TensorId x, int32_t classes) {
  x = b.global_avg_pool(x);
  x = b.conv(x, classes, 1, 1, 1, kSame, Activation::kNone);
  x = b.reshape(x, {1, classes});
  return b.softmax(x);
}

}  // namespace

Graph build_inception_v1(const ZooOptions& o) {
  ZooBuilder b(fmt::format("inception_v1_{}", o.input), DType::kUInt8, o.seed);
  Convs c{b};
  TensorId x = b.input({1, o.input, o.input, 3});
  x = c(x, 64, 7, 7, 2);
  x = b.max_pool(x, 3, 2, kSame);
  x = c(x, 64, 1);
  x = c(x, 192, 3);
  x = b.max_pool(x, 3, 2, kSame);
  struct Mixed {
    int b0, b1a, b1b, b2a, b2b, b3;
  };
  auto mixed = [&](TensorId in, Mixed m) {
    return b.concat({c(in, m.b0, 1), c(c(in, m.b1a, 1), m.b1b, 3), c(c(in, m.b2a, 1), m.b2b, 3),
                     c(b.max_pool(in, 3, 1, kSame), m.b3, 1)});
  };
  x = mixed(x, {64, 96, 128, 16, 32, 32});    // 3b
  x = mixed(x, {128, 128, 192, 32, 96, 64});  // 3c
  x = b.max_pool(x, 3, 2, kSame);
  x = mixed(x, {192, 96, 208, 16, 48, 64});     // 4b
  x = mixed(x, {160, 112, 224, 24, 64, 64});    // 4c
  x = mixed(x, {128, 128, 256, 24, 64, 64});    // 4d
  x = mixed(x, {112, 144, 288, 32, 64, 64});    // 4e
  x = mixed(x, {256, 160, 320, 32, 128, 128});  // 4f
  x = b.max_pool(x, 2, 2, kSame);
  x = mixed(x, {256, 160, 320, 32, 128, 128});  // 5b
  x = mixed(x, {384, 192, 384, 48, 128, 128});  // 5c
  b.output(classifier(b, x, 1001));
  return b.finish();
}

// The stem Inception v3 and Inception-ResNet v2 share: 299x299x3 -> 35x35x192.
static TensorId inception_v3_stem(ZooBuilder& b, Convs& c, TensorId x) {
  x = c(x, 32, 3, 3, 2, kValid);
  x = c(x, 32, 3, 3, 1, kValid);
  x = c(x, 64, 3);
  x = b.max_pool(x, 3, 2, kValid);
  x = c(x, 80, 1, 1, 1, kValid);
  x = c(x, 192, 3, 3, 1, kValid);
  x = b.max_pool(x, 3, 2, kValid);
  return x;
}

Graph build_inception_v3(const ZooOptions& o) {
  ZooBuilder b(fmt::format("inception_v3_{}", o.input), DType::kUInt8, o.seed);
  Convs c{b};
  TensorId x = inception_v3_stem(b, c, b.input({1, o.input, o.input, 3}));
  // 35x35: mixed 5b, 5c, 5d
  for (int32_t pool : {32, 64, 64}) {
    x = b.concat({c(x, 64, 1), c(c(x, 48, 1), 64, 5), c(c(c(x, 64, 1), 96, 3), 96, 3),
                  c.pool_proj(x, pool)});
  }
  // 6a: to 17x17
  x = b.concat({c(x, 384, 3, 3, 2, kValid), c(c(c(x, 64, 1), 96, 3), 96, 3, 3, 2, kValid),
                b.max_pool(x, 3, 2, kValid)});
  // 17x17: mixed 6b..6e
  for (int32_t m : {128, 160, 160, 192}) {
    TensorId b1 = c(c(c(x, m, 1), m, 1, 7), 192, 7, 1);
    TensorId b2 = c(c(c(c(c(x, m, 1), m, 7, 1), m, 1, 7), m, 7, 1), 192, 1, 7);
    x = b.concat({c(x, 192, 1), b1, b2, c.pool_proj(x, 192)});
  }
  // 7a: to 8x8
  x = b.concat({c(c(x, 192, 1), 320, 3, 3, 2, kValid),
                c(c(c(c(x, 192, 1), 192, 1, 7), 192, 7, 1), 192, 3, 3, 2, kValid),
                b.max_pool(x, 3, 2, kValid)});
  // 8x8: mixed 7b, 7c
  for (int i = 0; i < 2; ++i) {
    TensorId b1 = c(x, 384, 1);
    b1 = b.concat({c(b1, 384, 1, 3), c(b1, 384, 3, 1)});
    TensorId b2 = c(c(x, 448, 1), 384, 3);
    b2 = b.concat({c(b2, 384, 1, 3), c(b2, 384, 3, 1)});
    x = b.concat({c(x, 320, 1), b1, b2, c.pool_proj(x, 192)});
  }
  b.output(classifier(b, x, 1001));
  return b.finish();
}

Graph build_inception_v4(const ZooOptions& o) {
  ZooBuilder b(fmt::format("inception_v4_{}", o.input), DType::kUInt8, o.seed);
  Convs c{b};
  TensorId x = b.input({1, o.input, o.input, 3});
  // Stem
  x = c(x, 32, 3, 3, 2, kValid);
  x = c(x, 32, 3, 3, 1, kValid);
  x = c(x, 64, 3);
  x = b.concat({b.max_pool(x, 3, 2, kValid), c(x, 96, 3, 3, 2, kValid)});
  x = b.concat({c(c(x, 64, 1), 96, 3, 3, 1, kValid),
                c(c(c(c(x, 64, 1), 64, 1, 7), 64, 7, 1), 96, 3, 3, 1, kValid)});
  x = b.concat({c(x, 192, 3, 3, 2, kValid), b.max_pool(x, 3, 2, kValid)});
  // 4 x Inception-A (35x35x384)
  for (int i = 0; i < 4; ++i)
    x = b.concat(
        {c(x, 96, 1), c(c(x, 64, 1), 96, 3), c(c(c(x, 64, 1), 96, 3), 96, 3), c.pool_proj(x, 96)});
  // Reduction-A
  x = b.concat({c(x, 384, 3, 3, 2, kValid), c(c(c(x, 192, 1), 224, 3), 256, 3, 3, 2, kValid),
                b.max_pool(x, 3, 2, kValid)});
  // 7 x Inception-B (17x17x1024)
  for (int i = 0; i < 7; ++i) {
    TensorId b1 = c(c(c(x, 192, 1), 224, 1, 7), 256, 7, 1);
    TensorId b2 = c(c(c(c(c(x, 192, 1), 192, 7, 1), 224, 1, 7), 224, 7, 1), 256, 1, 7);
    x = b.concat({c(x, 384, 1), b1, b2, c.pool_proj(x, 128)});
  }
  // Reduction-B
  x = b.concat({c(c(x, 192, 1), 192, 3, 3, 2, kValid),
                c(c(c(c(x, 256, 1), 256, 1, 7), 320, 7, 1), 320, 3, 3, 2, kValid),
                b.max_pool(x, 3, 2, kValid)});
  // 3 x Inception-C (8x8x1536)
  for (int i = 0; i < 3; ++i) {
    TensorId b1 = c(x, 384, 1);
    b1 = b.concat({c(b1, 256, 1, 3), c(b1, 256, 3, 1)});
    TensorId b2 = c(c(c(x, 384, 1), 448, 3, 1), 512, 1, 3);
    b2 = b.concat({c(b2, 256, 1, 3), c(b2, 256, 3, 1)});
    x = b.concat({c(x, 256, 1), b1, b2, c.pool_proj(x, 256)});
  }
  b.output(classifier(b, x, 1001));
  return b.finish();
}

Graph build_inception_resnet_v2(const ZooOptions& o) {
  ZooBuilder b(fmt::format("inception_resnet_v2_{}", o.input), DType::kUInt8, o.seed);
  Convs c{b};
  TensorId x = inception_v3_stem(b, c, b.input({1, o.input, o.input, 3}));
  // Mixed 5b (35x35x320)
  x = b.concat(
      {c(x, 96, 1), c(c(x, 48, 1), 64, 5), c(c(c(x, 64, 1), 96, 3), 96, 3), c.pool_proj(x, 64)});
  // The residual branch ends in a linear 1x1 conv (its scale folded into the weights), then
  // ADD with the block input and ReLU.
  auto residual = [&](TensorId in, TensorId mixed, bool relu) {
    TensorId up = b.conv(mixed, b.channels(in), 1, 1, 1, kSame, Activation::kNone);
    return b.add(in, up, relu ? Activation::kRelu : Activation::kNone);
  };
  for (int i = 0; i < 10; ++i)  // block35
    x = residual(x, b.concat({c(x, 32, 1), c(c(x, 32, 1), 32, 3), c(c(c(x, 32, 1), 48, 3), 64, 3)}),
                 true);
  // Mixed 6a (17x17x1088)
  x = b.concat({c(x, 384, 3, 3, 2, kValid), c(c(c(x, 256, 1), 256, 3), 384, 3, 3, 2, kValid),
                b.max_pool(x, 3, 2, kValid)});
  for (int i = 0; i < 20; ++i)  // block17
    x = residual(x, b.concat({c(x, 192, 1), c(c(c(x, 128, 1), 160, 1, 7), 192, 7, 1)}), true);
  // Mixed 7a (8x8x2080)
  x = b.concat({c(c(x, 256, 1), 384, 3, 3, 2, kValid), c(c(x, 256, 1), 288, 3, 3, 2, kValid),
                c(c(c(x, 256, 1), 288, 3), 320, 3, 3, 2, kValid), b.max_pool(x, 3, 2, kValid)});
  for (int i = 0; i < 10; ++i)  // block8; the last one without ReLU
    x = residual(x, b.concat({c(x, 192, 1), c(c(c(x, 192, 1), 224, 1, 3), 256, 3, 1)}), i < 9);
  x = c(x, 1536, 1);
  b.output(classifier(b, x, 1001));
  return b.finish();
}

}  // namespace tpulab::zoo
