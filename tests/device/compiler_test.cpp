#include "device/edgetpu/compiler.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "model/tflite.h"
#include "model/zoo/zoo.h"
#include "testing/testing.h"
#include "testing/tiny_models.h"

namespace tpulab::device {
namespace {

Graph float_version(Graph g) {
  for (Tensor& t : g.main().tensors) {
    if (t.dtype == DType::kUInt8 || t.dtype == DType::kInt8) {
      t.dtype = DType::kFloat32;
      if (t.is_constant()) t.data = Bytes::own(std::vector<uint8_t>(t.data.size() * 4));
    }
    t.quant = {};
  }
  return g;
}

TEST(Compiler, LayoutPadsChannelsAsTheCompilerDoes) {
  // tiny conv: 3 filters 3x3 over 2 channels, then RELU.
  Graph g = testing::tiny_conv_model();
  ChipSpec c;
  Placement p = compile(g, c);
  ASSERT_EQ(p.tpu_ops, 2);
  // out channels 3 -> 4, in channels 2 -> 4 per tap: 4 x (4 B bias + 9 taps x 4 B) = 160 B,
  // padded to a 64-byte row.
  EXPECT_EQ(p.ops[0].param_bytes, 192);
  // 16 positions x 9 taps x 4 x 64 array MACs (the array's 64 columns); the RELU is vector work.
  EXPECT_EQ(p.array_macs, 16 * 9 * 4 * 64);
  EXPECT_EQ(p.macs, 16 * 9 * 2 * 3);
  EXPECT_EQ(p.input_bytes, 32);
  EXPECT_EQ(p.output_bytes, 48);
  EXPECT_EQ(p.cached_bytes, p.parameter_bytes);
  EXPECT_EQ(p.streamed_bytes, 0);
}

TEST(Compiler, LayoutRulesPerOpKind) {
  // The rules of ChipSpec on the zoo's MobileNet v1 1.0/224 (uint8, per-tensor), whose layers the
  // real compiled files match byte for byte (layout_test.cpp).
  Graph g = zoo::build_zoo_model("mobilenet_v1", {.input = 224, .width = 1.0});
  const ChipSpec c;
  auto bytes = [&](const Graph& m, size_t op) { return compile(m, c).ops[op].param_bytes; };
  const Subgraph& sg = g.main();
  ASSERT_TRUE(sg.ops[0].is(BuiltinOp::kConv2D));           // 32 x 3x3x3
  ASSERT_TRUE(sg.ops[1].is(BuiltinOp::kDepthwiseConv2D));  // 32 x 3x3
  EXPECT_EQ(bytes(g, 0), 32 * (4 + 9 * 4));                // bias + 9 taps x 3 inputs padded to 4
  EXPECT_EQ(bytes(g, 1), 32 * (4 + 9 * 4));                // bias + 9 taps x a 4-byte word
  const size_t n = sg.ops.size();
  ASSERT_TRUE(sg.ops[n - 1].is(BuiltinOp::kSoftmax));
  EXPECT_EQ(bytes(g, n - 1), 3 * 16 * 1004 + 64);  // 3 tables x 16 B x classes padded to 4

  // An all-zero bias is left out; a per-channel quantized filter adds 8 B per padded output.
  Graph no_bias = g;
  Tensor& bias = no_bias.main().tensors[static_cast<size_t>(no_bias.main().ops[0].inputs[2])];
  bias.data = Bytes::own(std::vector<uint8_t>(bias.data.size(), 0));
  EXPECT_EQ(bytes(no_bias, 0), 32 * 9 * 4);
  Graph per_channel = g;
  Tensor& w = per_channel.main().tensors[static_cast<size_t>(per_channel.main().ops[0].inputs[1])];
  w.quant.scale.assign(32, 0.01f);
  w.quant.zero_point.assign(32, 0);
  EXPECT_EQ(bytes(per_channel, 0), 32 * (4 + 8 + 9 * 4));

  // A later compiler writes no softmax tables (the mobilenet_v2 file in shared/models).
  ChipSpec later = c;
  later.softmax_bytes_per_class = 0;
  later.softmax_extra_bytes = 0;
  EXPECT_EQ(compile(g, later).ops[n - 1].param_bytes, 0);
}

TEST(Compiler, FloatModelRunsOnTheCpuAndSaysSo) {
  Placement p = compile(float_version(testing::tiny_conv_model()), ChipSpec{});
  EXPECT_EQ(p.tpu_ops, 0);
  EXPECT_EQ(p.cpu_ops, 2);
  ASSERT_FALSE(p.warnings.empty());
  EXPECT_NE(p.warnings[0].find("not quantized"), std::string::npos);
  EXPECT_NE(p.ops[0].cpu_reason.find("float32"), std::string::npos);
  EXPECT_GT(p.cpu_macs, 0);
}

TEST(Compiler, AnAlreadyCompiledModelIsRefusedNotCostedOnTheCpu) {
  TPULAB_REQUIRE_SHARED();
  const Graph g = read_tflite(
      (testing::shared_dir() / "models" / "mobilenet_v2_1.0_224_quant_edgetpu.tflite").string());
  try {
    compile(g, ChipSpec{});
    FAIL() << "a compiled model was costed";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(e.problem().find("already compiled for the Edge TPU"), std::string::npos);
    EXPECT_NE(e.problem().find("the model this one was compiled from"), std::string::npos);
    EXPECT_EQ(e.where(), "op #0 edgetpu-custom-op");
  }
}

TEST(Compiler, EverythingAfterTheFirstUnmappedOpRunsOnTheCpu) {
  // deeplab: the 1x1 -> 33x33 resize cannot map; the convs after it run on the CPU too.
  Graph g = zoo::build_zoo_model("deeplab_v3_mnv2");
  Placement p = compile(g, ChipSpec{});
  EXPECT_EQ(p.tpu_first, 0);
  EXPECT_EQ(p.tpu_last, 64);
  EXPECT_TRUE(g.main().ops[64].is(BuiltinOp::kResizeBilinear));
  EXPECT_NE(p.ops[64].cpu_reason.find("RESIZE_BILINEAR"), std::string::npos);
  EXPECT_EQ(p.ops[67].cpu_reason, "after the first op the TPU cannot run");
  EXPECT_TRUE(g.main().ops[67].is(BuiltinOp::kConv2D));
  EXPECT_GT(p.cpu_macs, 100'000'000);  // the two 33x33 convs
}

TEST(Compiler, BigModelsStreamWhatDoesNotFitInSram) {
  ChipSpec c;
  Placement vgg = compile(zoo::build_zoo_model("vgg16"), c);
  EXPECT_LE(vgg.cached_bytes + vgg.instruction_bytes + vgg.activation_reserve_bytes, c.sram_bytes);
  EXPECT_GT(vgg.streamed_bytes, 130'000'000);
  EXPECT_EQ(vgg.cached_bytes + vgg.streamed_bytes, vgg.parameter_bytes);
  // ResNet-50: the compiler caches 6.25 MiB and streams the rest (edgetpu.md).
  Placement r50 = compile(zoo::build_zoo_model("resnet50_v1"), c);
  EXPECT_NEAR(static_cast<double>(r50.cached_bytes) / (1 << 20), 6.25, 0.35);
}

TEST(SegmentCompiler, RangesAddUpAndMatchAtTheirBoundaries) {
  Graph g = zoo::build_zoo_model("mobilenet_v1");
  SegmentCompiler sc(g, ChipSpec{});
  Placement all = sc.place(0, sc.num_ops());
  for (int32_t cut : {1, 5, 14, 27}) {
    Placement a = sc.place(0, cut), b = sc.place(cut, sc.num_ops());
    EXPECT_EQ(a.parameter_bytes + b.parameter_bytes, all.parameter_bytes);
    EXPECT_EQ(a.array_macs + b.array_macs, all.array_macs);
    EXPECT_EQ(a.macs + b.macs, all.macs);
    // A chain: what one side sends is what the other receives.
    EXPECT_EQ(a.output_bytes, b.input_bytes);
    EXPECT_GT(a.output_bytes, 0);
  }
  EXPECT_EQ(all.input_bytes, 224 * 224 * 3);
  EXPECT_EQ(all.output_bytes, 1001);
}

TEST(SegmentCompiler, SkipConnectionsCountOnBothSides) {
  // ResNet: cutting inside a block sends the block input (the shortcut) across too.
  Graph g = zoo::build_zoo_model("resnet50_v1");
  SegmentCompiler sc(g, ChipSpec{});
  int32_t add = -1;
  for (size_t i = 0; i < g.main().ops.size() && add < 0; ++i)
    if (g.main().ops[i].is(BuiltinOp::kAdd) && i > 10) add = static_cast<int32_t>(i);
  ASSERT_GT(add, 0);
  Placement before = sc.place(0, add - 1);
  const auto& sg = g.main();
  int64_t r =
      sg.tensors[static_cast<size_t>(sg.ops[static_cast<size_t>(add) - 1].outputs[0])].byte_size();
  EXPECT_GT(before.output_bytes, r);  // the residual branch's tensor and the shortcut
}

TEST(SegmentCompiler, RejectsEmptyAndOutOfRangeSegments) {
  Graph g = testing::tiny_conv_model();
  SegmentCompiler sc(g, ChipSpec{});
  EXPECT_THROW(sc.place(1, 1), UsageError);
  EXPECT_THROW(sc.place(0, 3), UsageError);
  EXPECT_THROW(sc.place(-1, 1), UsageError);
  Graph empty = g;
  empty.main().ops.clear();
  EXPECT_THROW(compile(empty, ChipSpec{}), UsageError);
}

}  // namespace
}  // namespace tpulab::device
