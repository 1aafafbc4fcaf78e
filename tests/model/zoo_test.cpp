#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include "common/error.h"
#include "model/tflite.h"
#include "model/zoo/builder.h"
#include "model/zoo/zoo.h"
#include "testing/testing.h"

namespace tpulab::zoo {
namespace {

bool is_8bit(DType t) { return t == DType::kInt8 || t == DType::kUInt8; }

TEST(Zoo, EveryModelIsQuantizedAndHasThePublishedParameterCount) {
  auto start = std::chrono::steady_clock::now();
  for (const ZooModel& m : zoo_models()) {
    SCOPED_TRACE(m.name);
    Graph g = build_zoo_model(m.name);
    const Subgraph& sg = g.main();
    ASSERT_FALSE(sg.ops.empty());
    // Fully 8-bit: every activation an op writes is int8/uint8 (ARG_MAX's index output aside).
    for (const Op& op : sg.ops)
      for (int32_t t : op.outputs)
        if (!op.is(BuiltinOp::kArgMax)) {
          EXPECT_TRUE(is_8bit(sg.tensors[static_cast<size_t>(t)].dtype)) << op.name();
          EXPECT_FALSE(sg.tensors[static_cast<size_t>(t)].quant.scale.empty()) << op.name();
        }
    if (m.published_params > 0) {
      double count = static_cast<double>(parameter_count(g));
      EXPECT_NEAR(count, static_cast<double>(m.published_params),
                  0.01 * static_cast<double>(m.published_params))
          << "published by " << m.params_source;
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 30.0) << "the whole zoo should build in seconds";
}

// The op sequence, options that shape tensors, and every tensor shape of the real files.
void expect_same_structure(const Graph& zoo, const Graph& real) {
  const Subgraph& a = zoo.main();
  const Subgraph& b = real.main();
  ASSERT_EQ(a.ops.size(), b.ops.size());
  for (size_t i = 0; i < a.ops.size(); ++i) {
    SCOPED_TRACE("op " + std::to_string(i) + " " + b.ops[i].name());
    EXPECT_EQ(a.ops[i].code, b.ops[i].code);
    ASSERT_EQ(a.ops[i].inputs.size(), b.ops[i].inputs.size());
    for (size_t k = 0; k < a.ops[i].inputs.size(); ++k)
      EXPECT_EQ(a.tensors[static_cast<size_t>(a.ops[i].inputs[k])].shape,
                b.tensors[static_cast<size_t>(b.ops[i].inputs[k])].shape);
    ASSERT_EQ(a.ops[i].outputs.size(), b.ops[i].outputs.size());
    for (size_t k = 0; k < a.ops[i].outputs.size(); ++k) {
      const Tensor& x = a.tensors[static_cast<size_t>(a.ops[i].outputs[k])];
      const Tensor& y = b.tensors[static_cast<size_t>(b.ops[i].outputs[k])];
      EXPECT_EQ(x.shape, y.shape);
      EXPECT_EQ(x.dtype, y.dtype);
    }
    if (const auto* c = b.ops[i].options_as<Conv2DOptions>()) {
      ASSERT_NE(a.ops[i].options_as<Conv2DOptions>(), nullptr);
      EXPECT_EQ(a.ops[i].options_as<Conv2DOptions>()->activation, c->activation);
      EXPECT_EQ(a.ops[i].options_as<Conv2DOptions>()->stride_w, c->stride_w);
    }
    if (const auto* c = b.ops[i].options_as<DepthwiseConv2DOptions>()) {
      ASSERT_NE(a.ops[i].options_as<DepthwiseConv2DOptions>(), nullptr);
      EXPECT_EQ(a.ops[i].options_as<DepthwiseConv2DOptions>()->dilation_w, c->dilation_w);
    }
  }
}

TEST(Zoo, MobileNetV1MatchesTheRealFilesAtEachWidth) {
  TPULAB_REQUIRE_SHARED();
  struct Case {
    double width;
    int32_t input;
    const char* file;
  };
  for (const Case& c : {Case{0.25, 128, "mobilenet_v1_0.25_128_quant.tflite"},
                        Case{0.5, 160, "mobilenet_v1_0.5_160_quant.tflite"},
                        Case{0.75, 192, "mobilenet_v1_0.75_192_quant.tflite"}}) {
    SCOPED_TRACE(c.file);
    ZooOptions o;
    o.width = c.width;
    o.input = c.input;
    Graph real = read_tflite((testing::shared_dir() / "models" / c.file).string());
    Graph zoo = build_zoo_model("mobilenet_v1", o);
    expect_same_structure(zoo, real);
    EXPECT_EQ(parameter_count(zoo), parameter_count(real));
  }
}

TEST(Zoo, MobileNetV2AndDeepLabMatchTheRealFiles) {
  TPULAB_REQUIRE_SHARED();
  auto models = testing::shared_dir() / "models";
  expect_same_structure(build_zoo_model("mobilenet_v2"),
                        read_tflite((models / "mobilenet_v2_1.0_224_quant.tflite").string()));
  Graph real = read_tflite((models / "deeplabv3_mnv2_pascal_quant.tflite").string());
  Graph zoo = build_zoo_model("deeplab_v3_mnv2");
  expect_same_structure(zoo, real);
  EXPECT_NEAR(static_cast<double>(parameter_count(zoo)), static_cast<double>(parameter_count(real)),
              8.0);
}

TEST(Zoo, WritesAValidFileThatReadsBackEqual) {
  Graph g = build_zoo_model("squeezenet");
  std::vector<uint8_t> bytes = write_tflite(g);
  Graph back = read_tflite_bytes(bytes, "squeezenet");
  EXPECT_EQ(back.main().ops, g.main().ops);
  EXPECT_EQ(back.main().tensors.size(), g.main().tensors.size());
  EXPECT_EQ(parameter_count(back), parameter_count(g));
}

TEST(Zoo, SeedDecidesTheWeights) {
  ZooOptions a, b;
  a.seed = 7;
  b.seed = 8;
  Graph g1 = build_zoo_model("mobilenet_v1", a), g2 = build_zoo_model("mobilenet_v1", a),
        g3 = build_zoo_model("mobilenet_v1", b);
  const Tensor& w1 = g1.main().tensors[1];
  ASSERT_TRUE(w1.is_constant());
  EXPECT_EQ(w1.data, g2.main().tensors[1].data);
  EXPECT_NE(w1.data, g3.main().tensors[1].data);
}

TEST(Zoo, RejectsBadOptions) {
  EXPECT_THROW(build_zoo_model("resnet51"), UsageError);
  ZooOptions width;
  width.width = 0.5;
  EXPECT_THROW(build_zoo_model("resnet50_v1", width), UsageError);
  ZooOptions tiny;
  tiny.input = 8;
  EXPECT_THROW(build_zoo_model("inception_v3", tiny), UsageError);
  try {
    build_zoo_model("nope");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("mobilenet_v1"), std::string::npos) << e.what();
  }
}

TEST(ZooBuilder, WindowOutputFollowsTfliteRules) {
  EXPECT_EQ(window_output(224, 3, 2, Padding::kSame), 112);
  EXPECT_EQ(window_output(299, 3, 2, Padding::kValid), 149);
  EXPECT_EQ(window_output(147, 3, 1, Padding::kValid), 145);
  EXPECT_EQ(window_output(33, 3, 1, Padding::kValid, 2), 29);
}

}  // namespace
}  // namespace tpulab::zoo
