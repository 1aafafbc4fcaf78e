// The zoo's registry: names, defaults, published parameter counts and where they come from.
#include <fmt/format.h>

#include <cmath>

#include "common/error.h"
#include "model/zoo/families.h"
#include "model/zoo/zoo.h"

namespace tpulab::zoo {

namespace {

constexpr const char* kEdgeTpuMd = "shared/reference/edgetpu.md";

std::vector<ZooModel> make_registry() {
  std::vector<ZooModel> m;
  auto add = [&](std::string name, std::string summary, int32_t input, int64_t params,
                 std::string source, std::function<Graph(const ZooOptions&)> build) {
    ZooModel z;
    z.name = std::move(name);
    z.summary = std::move(summary);
    z.default_input = input;
    z.published_params = params;
    z.params_source = std::move(source);
    z.build = std::move(build);
    m.push_back(std::move(z));
    return &m.back();
  };
  ZooModel* v1 = add("mobilenet_v1", "MobileNet v1 (TF-slim, uint8), width 0.25-1.0", 224,
                     4'200'000, kEdgeTpuMd, build_mobilenet_v1);
  v1->has_width = true;
  ZooModel* v2 = add("mobilenet_v2", "MobileNet v2 (TF-slim, uint8)", 224, 3'500'000, kEdgeTpuMd,
                     build_mobilenet_v2);
  v2->has_width = true;
  add("inception_v1", "Inception v1 / GoogLeNet (TF-slim, uint8)", 224, 6'600'000, kEdgeTpuMd,
      build_inception_v1);
  add("inception_v3", "Inception v3 (TF-slim, uint8)", 299, 23'800'000, kEdgeTpuMd,
      build_inception_v3)
      ->min_input = 75;
  add("inception_v4", "Inception v4 (TF-slim, uint8)", 299, 42'700'000, kEdgeTpuMd,
      build_inception_v4)
      ->min_input = 75;
  add("inception_resnet_v2", "Inception-ResNet v2 (uint8)", 299, 55'800'000, kEdgeTpuMd,
      build_inception_resnet_v2)
      ->min_input = 75;
  add("resnet50_v1", "ResNet-50 v1 (stride on the 3x3 conv, uint8)", 224, 25'600'000, kEdgeTpuMd,
      build_resnet50_v1);
  add("resnet50_v2", "ResNet-50 v2, pre-activation (Keras, int8)", 224, 25'613'800,
      "Keras applications ResNet50V2 summary",
      [](const ZooOptions& o) { return build_resnet_v2(o, 50); });
  add("resnet101_v2", "ResNet-101 v2, pre-activation (Keras, int8)", 224, 44'500'000, kEdgeTpuMd,
      [](const ZooOptions& o) { return build_resnet_v2(o, 101); });
  add("resnet152_v2", "ResNet-152 v2, pre-activation (Keras, int8)", 224, 60'200'000, kEdgeTpuMd,
      [](const ZooOptions& o) { return build_resnet_v2(o, 152); });
  add("densenet121", "DenseNet-121 (Keras, int8)", 224, 8'000'000, kEdgeTpuMd, build_densenet121);
  add("squeezenet", "SqueezeNet 1.0 (uint8)", 224, 1'250'000, kEdgeTpuMd, build_squeezenet)
      ->min_input = 64;
  add("vgg16", "VGG-16 (Keras, int8)", 224, 138'400'000, kEdgeTpuMd,
      [](const ZooOptions& o) { return build_vgg(o, 16); });
  add("vgg19", "VGG-19 (Keras, int8)", 224, 143'700'000, kEdgeTpuMd,
      [](const ZooOptions& o) { return build_vgg(o, 19); });
  add("efficientnet_edgetpu_s", "EfficientNet-EdgeTPU-S (uint8)", 224, 5'400'000, kEdgeTpuMd,
      [](const ZooOptions& o) { return build_efficientnet_edgetpu(o, 's'); });
  add("efficientnet_edgetpu_m", "EfficientNet-EdgeTPU-M (uint8)", 240, 6'900'000, kEdgeTpuMd,
      [](const ZooOptions& o) { return build_efficientnet_edgetpu(o, 'm'); });
  add("efficientnet_edgetpu_l", "EfficientNet-EdgeTPU-L (uint8)", 300, 10'600'000, kEdgeTpuMd,
      [](const ZooOptions& o) { return build_efficientnet_edgetpu(o, 'l'); });
  add("ssd_mobilenet_v1", "SSD MobileNet v1 COCO, without post-processing (uint8)", 300, 0,
      "no published count: checked against the real compiler's 4 segments",
      [](const ZooOptions& o) { return build_ssd_mobilenet(o, 1); })
      ->min_input = 64;
  add("ssd_mobilenet_v2", "SSD MobileNet v2 COCO, without post-processing (uint8)", 300, 0,
      "no published count", [](const ZooOptions& o) { return build_ssd_mobilenet(o, 2); })
      ->min_input = 64;
  add("unet_mv2", "U-Net with a MobileNet v2 encoder (TF segmentation tutorial, int8)", 128, 0,
      "no published count", build_unet_mv2)
      ->min_input = 64;
  add("deeplab_v3_mnv2", "DeepLab v3 MobileNet v2, output stride 16, Pascal VOC (uint8)", 513, 0,
      "no published count: op-for-op equal to shared/models/deeplabv3_mnv2_pascal_quant.tflite",
      build_deeplab_v3_mnv2)
      ->min_input = 64;
  return m;
}

}  // namespace

const std::vector<ZooModel>& zoo_models() {
  static const std::vector<ZooModel> models = make_registry();
  return models;
}

const ZooModel& zoo_model(const std::string& name) {
  for (const ZooModel& m : zoo_models())
    if (m.name == name) return m;
  std::string names;
  for (const ZooModel& m : zoo_models()) names += (names.empty() ? "" : ", ") + m.name;
  throw UsageError(fmt::format("unknown zoo model '{}' (known: {})", name, names), "zoo");
}

Graph build_zoo_model(const std::string& name, const ZooOptions& options) {
  const ZooModel& m = zoo_model(name);
  ZooOptions o = options;
  if (o.input == 0) o.input = m.default_input;
  if (o.input < m.min_input || o.input > 2048)
    throw FieldError("input", fmt::format("input resolution {} is out of range for {} ({}..2048)",
                                          o.input, name, m.min_input));
  if (o.width == 0.0) {
    o.width = m.default_width;
  } else if (!m.has_width) {
    throw FieldError("width", fmt::format("{} has no width multiplier", name));
  } else if (!(o.width >= 0.1 && o.width <= 2.0)) {
    throw FieldError("width",
                     fmt::format("width multiplier {} is out of range (0.1..2.0)", o.width));
  }
  return m.build(o);
}

}  // namespace tpulab::zoo
