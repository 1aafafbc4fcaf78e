// Bad input never crashes, hangs or allocates wildly: each case is a ModelError naming the file
// and what is wrong.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <span>

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

TEST(BadInput, EmptyFile) {
  EXPECT_EQ(load_error(std::vector<uint8_t>{}), "bad.tflite: file is empty");
}

TEST(BadInput, TooShort) {
  EXPECT_THAT(load_error(std::vector<uint8_t>{1, 2, 3}), HasSubstr("too short"));
}

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
    for (int k = 0; k < 3; ++k)
      bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    std::string r = load_error(bytes);  // loads (a harmless flip) or a clean ModelError
    EXPECT_TRUE(r == "<loaded>" || r.rfind("bad.tflite: ", 0) == 0) << r;
  }
}

TEST(BadInput, OpInputOutOfRange) {
  Graph g = testing::tiny_conv_model();
  g.main().ops[0].inputs[0] = 99;
  EXPECT_THAT(
      load_error(g),
      HasSubstr("input 99 is not a tensor (the subgraph has 5) (subgraph 0, op 0 CONV_2D)"));
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
  EXPECT_THAT(load_error(g),
              HasSubstr("constant data is 54 bytes but shape [3,3,3,3] of uint8 needs 81"));
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
std::vector<uint8_t> raw_model(uint32_t tensor_buffer, uint32_t opcode_index,
                               uint64_t buffer_offset) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<tfl::Buffer>> buffers = {tfl::CreateBuffer(fbb)};
  buffers.push_back(tfl::CreateBuffer(fbb, 0, buffer_offset, buffer_offset ? 16 : 0));
  std::vector<int32_t> shape = {4};
  std::vector<flatbuffers::Offset<tfl::Tensor>> tensors = {
      tfl::CreateTensorDirect(fbb, &shape, tfl::TensorType::INT32, tensor_buffer, "a"),
      tfl::CreateTensorDirect(fbb, &shape, tfl::TensorType::INT32, 0, "b")};
  std::vector<int32_t> in = {0}, out = {1};
  std::vector<flatbuffers::Offset<tfl::Operator>> ops = {
      tfl::CreateOperatorDirect(fbb, opcode_index, &in, &out)};
  std::vector<flatbuffers::Offset<tfl::SubGraph>> sgs = {
      tfl::CreateSubGraphDirect(fbb, &tensors, &in, &out, &ops)};
  std::vector<flatbuffers::Offset<tfl::OperatorCode>> codes = {
      tfl::CreateOperatorCode(fbb, 19, 0, 1, tfl::BuiltinOperator::RELU)};
  fbb.Finish(tfl::CreateModelDirect(fbb, 3, &codes, &sgs, nullptr, &buffers),
             tfl::ModelIdentifier());
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

TEST(BadInput, HandBuiltModelLoads) { EXPECT_EQ(load_error(raw_model(0, 0, 0)), "<loaded>"); }

TEST(BadInput, BufferIndexOutOfRange) {
  EXPECT_THAT(load_error(raw_model(7, 0, 0)),
              HasSubstr("tensor 0 \"a\" uses buffer 7 but the model has 2"));
}

TEST(BadInput, OperatorCodeOutOfRange) {
  EXPECT_THAT(load_error(raw_model(0, 5, 0)),
              HasSubstr("op uses operator code 5 but the model has 1"));
}

TEST(BadInput, BufferOverrunsTheFile) {
  EXPECT_THAT(load_error(raw_model(1, 0, 1'000'000)), HasSubstr("overruns the file"));
}

// A model whose one tensor has per-channel zero points stored as a vector of int64 that is
// 4-byte but not 8-byte aligned: the FlatBuffers verifier accepts it (it checks the alignment of
// the length only). `pad` 4-byte words before the vector shift it by 4 bytes.
std::vector<uint8_t> int64_vector_model(const std::vector<int64_t>& zero_points, int pad) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<tfl::Buffer>> buffers = {tfl::CreateBuffer(fbb)};
  std::vector<float> scales(zero_points.size(), 0.5f);
  auto scale = fbb.CreateVector(scales);
  for (int i = 0; i < pad; ++i) fbb.PushElement<uint32_t>(0);
  // Built from 32-bit halves, which the builder aligns to 4 bytes only.
  fbb.StartVector(2 * zero_points.size(), sizeof(uint32_t));
  for (auto it = zero_points.rbegin(); it != zero_points.rend(); ++it) {
    const auto u = static_cast<uint64_t>(*it);
    fbb.PushElement(static_cast<uint32_t>(u >> 32));
    fbb.PushElement(static_cast<uint32_t>(u));
  }
  flatbuffers::Offset<flatbuffers::Vector<int64_t>> zp(fbb.EndVector(zero_points.size()));
  auto quant = tfl::CreateQuantizationParameters(fbb, 0, 0, scale, zp);
  std::vector<int32_t> shape = {static_cast<int32_t>(zero_points.size())};
  std::vector<flatbuffers::Offset<tfl::Tensor>> tensors = {
      tfl::CreateTensor(fbb, fbb.CreateVector(shape), tfl::TensorType::UINT8, 0,
                        fbb.CreateString("a"), quant),
      tfl::CreateTensor(fbb, fbb.CreateVector(shape), tfl::TensorType::UINT8, 0,
                        fbb.CreateString("b"))};
  std::vector<int32_t> in = {0}, out = {1};
  std::vector<flatbuffers::Offset<tfl::Operator>> ops = {
      tfl::CreateOperatorDirect(fbb, 0, &in, &out)};
  std::vector<flatbuffers::Offset<tfl::SubGraph>> sgs = {
      tfl::CreateSubGraphDirect(fbb, &tensors, &in, &out, &ops)};
  std::vector<flatbuffers::Offset<tfl::OperatorCode>> codes = {
      tfl::CreateOperatorCode(fbb, 19, 0, 1, tfl::BuiltinOperator::RELU)};
  fbb.Finish(tfl::CreateModelDirect(fbb, 3, &codes, &sgs, nullptr, &buffers),
             tfl::ModelIdentifier());
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

// Where the zero points of tensor 0 start, relative to the file's start.
size_t zero_point_offset(const std::vector<uint8_t>& bytes) {
  const auto* zp = tfl::GetModel(bytes.data())
                       ->subgraphs()
                       ->Get(0)
                       ->tensors()
                       ->Get(0)
                       ->quantization()
                       ->zero_point();
  return static_cast<size_t>(reinterpret_cast<const uint8_t*>(zp) - bytes.data()) +
         sizeof(uint32_t);
}

TEST(BadInput, MisalignedInt64VectorIsReadSafely) {
  const std::vector<int64_t> zero_points = {3, 250, 7};
  // Padding moves the vector by 4 bytes at a time; where it lands depends on how the builder
  // aligns what follows, so take the first padding that leaves it misaligned.
  std::vector<uint8_t> bytes;
  for (int pad = 0; pad < 4; ++pad) {
    bytes = int64_vector_model(zero_points, pad);
    if (zero_point_offset(bytes) % 8 == 4) break;
  }
  if (zero_point_offset(bytes) % 8 != 4)
    GTEST_SKIP() << "!!! this build's FlatBufferBuilder keeps the vector 8-byte aligned: the "
                    "misaligned case is covered by the sanitizer build and SharedFuzzFindings !!!";
  // The ASan+UBSan build fails here on a misaligned 8-byte load.
  Graph g = read_tflite_bytes(bytes, "misaligned.tflite");
  EXPECT_EQ(g.main().tensors[0].quant.zero_point, zero_points);
  EXPECT_EQ(write_tflite(g), write_tflite(read_tflite_bytes(write_tflite(g), "again")));
}

TEST(BadInput, MisalignedFileStartIsReadFromACopy) {
  const std::vector<uint8_t> good = write_tflite(testing::tiny_conv_model());
  // One byte in: every 4- and 8-byte field the reader loads would be misaligned in place.
  std::vector<uint8_t> shifted(good.size() + 1);
  std::copy(good.begin(), good.end(), shifted.begin() + 1);
  Graph g = read_tflite_bytes(std::span<const uint8_t>(shifted).subspan(1), "shifted.tflite");
  EXPECT_TRUE(g == read_tflite_bytes(good, "aligned.tflite"));
}

TEST(BadInput, ConstantDataIsAlignedForTheKernels) {
  // The writer aligns buffers to 16 as the schema asks; a file made by other tools may not.
  const std::vector<uint8_t> bytes = raw_model(1, 0, 0);
  auto file = std::make_shared<const std::vector<uint8_t>>(bytes);
  for (const Graph& g :
       {read_tflite_bytes(*file, "view.tflite", file), read_tflite_bytes(bytes, "copy.tflite")}) {
    for (const Tensor& t : g.main().tensors) {
      if (!t.data.empty()) {
        EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data.data()) % 16, 0u) << t.name;
      }
    }
  }
}

// The inputs fuzzing once found (../shared/fuzz-findings): each loads, or fails with a
// ModelError, without undefined behaviour (the ASan+UBSan build checks the latter).
TEST(BadInput, SharedFuzzFindings) {
  TPULAB_REQUIRE_SHARED();
  const auto dir = testing::shared_dir() / "fuzz-findings";
  if (!std::filesystem::is_directory(dir))
    GTEST_SKIP() << "!!! " << dir << " not found: test SKIPPED !!!";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".bin") continue;
    ++files;
    const std::vector<uint8_t> bytes = testing::read_bytes(entry.path());
    try {
      Graph g = read_tflite_bytes(bytes, "finding.tflite");
      // Zero points as stored, read without loading misaligned int64s.
      const auto* sg = tfl::GetModel(bytes.data())->subgraphs()->Get(0);
      for (uint32_t i = 0; i < sg->tensors()->size(); ++i) {
        const auto* q = sg->tensors()->Get(i)->quantization();
        if (q == nullptr || q->zero_point() == nullptr) continue;
        std::vector<int64_t> stored(q->zero_point()->size());
        std::memcpy(stored.data(), reinterpret_cast<const uint8_t*>(q->zero_point()) + 4,
                    stored.size() * 8);
        EXPECT_EQ(g.main().tensors[i].quant.zero_point, stored) << entry.path() << " tensor " << i;
      }
    } catch (const ModelError& e) {
      EXPECT_THAT(e.what(), StartsWith("finding.tflite: ")) << entry.path();
    }
  }
  EXPECT_GT(files, 0) << "no *.bin in " << dir;
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
