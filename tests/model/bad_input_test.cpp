// Bad input never crashes, hangs or allocates wildly: each case is a ModelError naming the file
// and what is wrong.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "common/error.h"
#include "model/tflite.h"
#include "schema/tflite_generated.h"
#include "testing/testing.h"
#include "testing/tiny_models.h"

namespace tpulab {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string load_error(const std::vector<uint8_t>& bytes) {
  try {
    read_tflite_bytes(bytes, "bad.tflite");
  } catch (const ModelError& e) {
    return e.what();
  }
  return "<loaded>";
}

std::string load_error(Graph g) { return load_error(write_tflite(g)); }

TEST(BadInput, EmptyFile) { EXPECT_EQ(load_error(std::vector<uint8_t>{}), "bad.tflite: file is empty"); }

TEST(BadInput, TooShort) { EXPECT_THAT(load_error(std::vector<uint8_t>{1, 2, 3}), HasSubstr("too short")); }

TEST(BadInput, WrongFileIdentifier) {
  auto bytes = write_tflite(testing::tiny_conv_model());
  bytes[4] = 'X';
  EXPECT_THAT(load_error(bytes), HasSubstr("not a TFLite model: file identifier is \"XFL3\""));
}

TEST(BadInput, EveryTruncationIsRejected) {
  auto bytes = write_tflite(testing::tiny_conv_model());
  ASSERT_EQ(load_error(bytes), "<loaded>");
  for (size_t len = 0; len < bytes.size(); ++len) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(len));
    EXPECT_THAT(load_error(cut), StartsWith("bad.tflite: ")) << "truncated to " << len;
  }
}

TEST(BadInput, RandomBytesAndBitFlipsNeverCrash) {
  std::mt19937 rng(42);
  for (int i = 0; i < 300; ++i) {
    std::vector<uint8_t> junk(rng() % 4096);
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    EXPECT_THAT(load_error(junk), StartsWith("bad.tflite: "));
  }
  auto good = write_tflite(testing::tiny_conv_model());
  for (int i = 0; i < 2000; ++i) {
    auto bytes = good;
    for (int k = 0; k < 3; ++k) bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    std::string r = load_error(bytes);  // loads (a harmless flip) or a clean ModelError
    EXPECT_TRUE(r == "<loaded>" || r.rfind("bad.tflite: ", 0) == 0) << r;
  }
}

TEST(BadInput, OpInputOutOfRange) {
  Graph g = testing::tiny_conv_model();
  g.main().ops[0].inputs[0] = 99;
  EXPECT_THAT(load_error(g), HasSubstr("input 99 is not a tensor (the subgraph has 5) (subgraph 0, op 0 CONV_2D)"));
}

TEST(BadInput, SubgraphOutputOutOfRange) {
  Graph g = testing::tiny_conv_model();
  g.main().outputs = {-3};
  EXPECT_THAT(load_error(g), HasSubstr("output -3 is not a tensor"));
}

TEST(BadInput, Cycle) {
  Graph g = testing::tiny_conv_model();
  // The conv now reads the relu's output, which the relu computes from the conv.
  g.main().ops[0].inputs[0] = 4;
  EXPECT_THAT(load_error(g), HasSubstr("has a cycle"));
}

TEST(BadInput, TensorWrittenTwice) {
  Graph g = testing::tiny_conv_model();
  g.main().ops[1].outputs = {3};
  EXPECT_THAT(load_error(g), HasSubstr("tensor 3 is written by op 0 and again by op 1"));
}

TEST(BadInput, ConstantDataDoesNotMatchShape) {
  Graph g = testing::tiny_conv_model();
  g.main().tensors[1].shape = {3, 3, 3, 3};
  EXPECT_THAT(load_error(g), HasSubstr("constant data is 54 bytes but shape [3,3,3,3] of uint8 needs 81"));
}

TEST(BadInput, ShapeSignatureRankDiffers) {
  Graph g = testing::tiny_conv_model();
  g.main().tensors[0].shape_signature = {-1, 4, 4};
  EXPECT_THAT(load_error(g), HasSubstr("different ranks"));
}

TEST(BadInput, NegativeAndHugeShapes) {
  Graph g = testing::tiny_conv_model();
  g.main().tensors[3].shape = {1, -4, 4, 3};
  EXPECT_THAT(load_error(g), HasSubstr("negative dimension"));
  g.main().tensors[3].shape = {1 << 30, 1 << 30, 1 << 30, 3};
  EXPECT_THAT(load_error(g), HasSubstr("impossibly large"));
}

TEST(BadInput, QuantizationArraysSizedWrong) {
  Graph g = testing::tiny_conv_model();
  g.main().tensors[1].quant.scale = {0.1f, 0.2f};
  g.main().tensors[1].quant.zero_point = {0, 0};
  g.main().tensors[1].quant.axis = 0;
  EXPECT_THAT(load_error(g), HasSubstr("2 quantization scales for dimension 0 of size 3"));
  g.main().tensors[1].quant.zero_point = {0};
  EXPECT_THAT(load_error(g), HasSubstr("2 scales but 1 zero points"));
  g.main().tensors[1].quant.zero_point = {0, 0};
  g.main().tensors[1].quant.axis = 7;
  EXPECT_THAT(load_error(g), HasSubstr("axis 7 is outside shape"));
}

// Hand-built flatbuffers for what the Graph API cannot express.
std::vector<uint8_t> raw_model(uint32_t tensor_buffer, uint32_t opcode_index, uint64_t buffer_offset) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<tfl::Buffer>> buffers = {tfl::CreateBuffer(fbb)};
  buffers.push_back(tfl::CreateBuffer(fbb, 0, buffer_offset, buffer_offset ? 16 : 0));
  std::vector<int32_t> shape = {4};
  std::vector<flatbuffers::Offset<tfl::Tensor>> tensors = {
      tfl::CreateTensorDirect(fbb, &shape, tfl::TensorType::INT32, tensor_buffer, "a"),
      tfl::CreateTensorDirect(fbb, &shape, tfl::TensorType::INT32, 0, "b")};
  std::vector<int32_t> in = {0}, out = {1};
  std::vector<flatbuffers::Offset<tfl::Operator>> ops = {tfl::CreateOperatorDirect(fbb, opcode_index, &in, &out)};
  std::vector<flatbuffers::Offset<tfl::SubGraph>> sgs = {tfl::CreateSubGraphDirect(fbb, &tensors, &in, &out, &ops)};
  std::vector<flatbuffers::Offset<tfl::OperatorCode>> codes = {
      tfl::CreateOperatorCode(fbb, 19, 0, 1, tfl::BuiltinOperator::RELU)};
  fbb.Finish(tfl::CreateModelDirect(fbb, 3, &codes, &sgs, nullptr, &buffers), tfl::ModelIdentifier());
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

TEST(BadInput, HandBuiltModelLoads) { EXPECT_EQ(load_error(raw_model(0, 0, 0)), "<loaded>"); }

TEST(BadInput, BufferIndexOutOfRange) {
  EXPECT_THAT(load_error(raw_model(7, 0, 0)), HasSubstr("tensor 0 \"a\" uses buffer 7 but the model has 2"));
}

TEST(BadInput, OperatorCodeOutOfRange) {
  EXPECT_THAT(load_error(raw_model(0, 5, 0)), HasSubstr("op uses operator code 5 but the model has 1"));
}

TEST(BadInput, BufferOverrunsTheFile) {
  EXPECT_THAT(load_error(raw_model(1, 0, 1'000'000)), HasSubstr("overruns the file"));
}

TEST(BadInput, UnknownOpCodesAreKeptByNumber) {
  Graph g = testing::tiny_conv_model();
  g.main().ops[1].code = 1000;
  std::vector<uint8_t> bytes = write_tflite(g);
  Graph back = read_tflite_bytes(bytes, "m");
  EXPECT_EQ(back.main().ops[1].code, 1000);
  EXPECT_EQ(back.main().ops[1].name(), "BUILTIN_1000");
}

}  // namespace
}  // namespace tpulab
