#include "model/analysis.h"

#include <gtest/gtest.h>

#include "model/dot.h"
#include "model/tflite.h"
#include "testing/testing.h"
#include "testing/tiny_models.h"

namespace tpulab {
namespace {

TEST(Analysis, TinyConvCounts) {
  Graph g = testing::tiny_conv_model();
  GraphStats s = analyze(g);
  ASSERT_EQ(s.ops.size(), 2u);
  // 4x4 outputs x 3 filters x (3x3 window x 2 channels)
  EXPECT_EQ(s.ops[0].macs, 4 * 4 * 3 * 3 * 3 * 2);
  EXPECT_EQ(s.ops[0].weight_bytes, 54 + 12);
  EXPECT_EQ(s.ops[0].output_bytes, 48);
  EXPECT_EQ(s.ops[1].macs, 0);
  EXPECT_EQ(s.parameter_bytes, 66);
  EXPECT_EQ(s.op_counts.at("CONV_2D"), 1);
  // During the conv: input (32) + conv out (48); during the relu: conv out + output (48 + 48).
  EXPECT_EQ(s.peak_activation_bytes, 96);
  EXPECT_EQ(s.peak_at_op, 1);
}

TEST(Analysis, TensorUsesFollowTheGraph) {
  Graph g = testing::tiny_conv_model();
  TensorUses u = tensor_uses(g.main());
  EXPECT_EQ(u.producer[0], -1);
  EXPECT_EQ(u.producer[3], 0);
  EXPECT_EQ(u.producer[4], 1);
  EXPECT_EQ(u.consumers[3], std::vector<int32_t>{1});
  EXPECT_EQ(u.consumers[1], std::vector<int32_t>{0});
}

TEST(Analysis, MobileNetV2MatchesPublishedSize) {
  TPULAB_REQUIRE_SHARED();
  Graph g = read_tflite((testing::shared_dir() / "models" / "mobilenet_v2_1.0_224_quant.tflite").string());
  GraphStats s = analyze(g);
  // Published: 3.5 M parameters and 300 M MACs (shared/reference/edgetpu.md); int8 weights are
  // one byte each, plus int32 biases.
  EXPECT_NEAR(static_cast<double>(s.macs), 300e6, 0.01 * 300e6);
  EXPECT_NEAR(static_cast<double>(s.parameter_bytes), 3.5e6, 0.05 * 3.5e6);
  EXPECT_EQ(s.op_counts.at("CONV_2D"), 36);
  EXPECT_EQ(s.op_counts.at("DEPTHWISE_CONV_2D"), 17);
  // The largest live set is two 112x112x96 (or similar) uint8 activations: between 1 and 4 MB.
  EXPECT_GT(s.peak_activation_bytes, 1'000'000);
  EXPECT_LT(s.peak_activation_bytes, 4'000'000);
}

TEST(Dot, NamesEveryOpAndEdge) {
  Graph g = testing::tiny_conv_model();
  std::string dot = to_dot(g);
  EXPECT_NE(dot.find("digraph"), std::string::npos);
  EXPECT_NE(dot.find("op0 [shape=box"), std::string::npos);
  EXPECT_NE(dot.find("#1 RELU"), std::string::npos);
  EXPECT_NE(dot.find("t0 -> op0"), std::string::npos);
  EXPECT_NE(dot.find("op0 -> op1"), std::string::npos);
  EXPECT_NE(dot.find("op1 -> o4"), std::string::npos);
}

}  // namespace
}  // namespace tpulab
