// The simulated compiler's per-layer parameter bytes against the real compiler's, layer by layer.
// The real sizes come from the compiled files in shared/models: each layer's block in the
// parameter-caching executable starts with its int32 biases (per-tensor quantized models), so the
// biases of the source model locate every layer and the distance to the next layer's biases is
// the layer's size. Layers without biases (softmax, add, pool, reshape) fall in the block of the
// layer before them: each block is compared with our bytes of the same ops.
#include <flatbuffers/flexbuffers.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "device/edgetpu/compiler.h"
#include "model/edgetpu_package.h"
#include "model/tflite.h"
#include "schema/edgetpu_package_generated.h"
#include "testing/testing.h"

namespace tpulab::device {
namespace {

// A flatbuffer nested in another one, copied so that it is aligned.
std::vector<uint8_t> copy(const uint8_t* data, size_t size) { return {data, data + size}; }

struct Executable {
  ExecutableType type = ExecutableType::kStandalone;
  std::vector<uint8_t> parameters;
  bool estimated_cycles_64bit = false;  // field 16: written by later compiler releases only
};

// The executables of a compiled file's one edgetpu-custom-op, with their parameter bytes (the
// package reader, which has verified them, keeps only their sizes).
std::vector<Executable> executables(const Graph& compiled, const std::string& file) {
  const auto ops = edgetpu_ops(compiled, file);  // verifies the package
  EXPECT_EQ(ops.size(), 1u);
  if (ops.size() != 1) return {};
  const Op& op = compiled.main().ops[static_cast<size_t>(ops[0].op_index)];
  const auto options = op.custom_options.span();
  const auto blob = flexbuffers::GetRoot(options.data(), options.size()).AsMap()["4"].AsBlob();
  const auto package = copy(blob.data(), blob.size());
  const auto* multi =
      flatbuffers::GetRoot<etpu::Package>(package.data())->serialized_multi_executable();
  const auto list = copy(multi->data(), multi->size());
  std::vector<Executable> out;
  for (const auto* s :
       *flatbuffers::GetRoot<etpu::MultiExecutable>(list.data())->serialized_executables()) {
    const auto bytes = copy(reinterpret_cast<const uint8_t*>(s->data()), s->size());
    const auto* exe = flatbuffers::GetRoot<etpu::Executable>(bytes.data());
    Executable e;
    e.type = static_cast<ExecutableType>(exe->type());
    if (exe->parameters())
      e.parameters.assign(exe->parameters()->begin(), exe->parameters()->end());
    // Field 16 sits at vtable offset 4 + 2 * 16.
    e.estimated_cycles_64bit = reinterpret_cast<const flatbuffers::Table*>(exe)->CheckField(36);
    out.push_back(std::move(e));
  }
  return out;
}

struct Block {
  int32_t op;      // the layer whose biases start the block
  int64_t offset;  // in the parameters
  int64_t size;    // to the next block (or the end)
};

// Blocks of the parameters, in their order, located by each layer's first biases (up to 4).
std::vector<Block> blocks(const Subgraph& sg, const std::vector<uint8_t>& params) {
  std::vector<Block> out;
  for (size_t i = 0; i < sg.ops.size(); ++i) {
    const Op& op = sg.ops[i];
    if (op.inputs.size() < 3 || op.inputs[2] < 0) continue;
    const Tensor& bias = sg.tensors[static_cast<size_t>(op.inputs[2])];
    if (bias.dtype != DType::kInt32 || bias.data.empty()) continue;
    const auto key = bias.data.span().first(std::min<size_t>(bias.data.size(), 16));
    auto it = std::search(params.begin(), params.end(), key.begin(), key.end());
    if (it == params.end()) continue;
    out.push_back({static_cast<int32_t>(i), it - params.begin(), 0});
  }
  std::sort(out.begin(), out.end(),
            [](const Block& a, const Block& b) { return a.offset < b.offset; });
  for (size_t k = 0; k < out.size(); ++k)
    out[k].size = (k + 1 < out.size() ? out[k + 1].offset : static_cast<int64_t>(params.size())) -
                  out[k].offset;
  return out;
}

// Compiles `stem`.tflite with `chip` and compares every block of the real stem_edgetpu.tflite
// with our bytes of the same ops. Returns the number of blocks compared.
size_t check_layers(const std::string& stem, const ChipSpec& chip, bool later_compiler) {
  const auto dir = testing::shared_dir() / "models";
  const Graph source = read_tflite((dir / (stem + ".tflite")).string());
  const std::string file = (dir / (stem + "_edgetpu.tflite")).string();
  const auto exes = executables(read_tflite(file), file);
  const Executable* cached = nullptr;
  for (const Executable& e : exes)
    if (e.type == ExecutableType::kParameterCaching) cached = &e;
  if (cached == nullptr) {
    ADD_FAILURE() << "no parameter-caching executable";
    return 0;
  }
  EXPECT_EQ(std::any_of(exes.begin(), exes.end(),
                        [](const Executable& e) { return e.estimated_cycles_64bit; }),
            later_compiler);
  for (const Executable& e : exes) {
    if (e.type != ExecutableType::kParameterCaching) {
      EXPECT_TRUE(e.parameters.empty());
    }
  }

  const Placement p = compile(source, chip);
  const auto bs = blocks(source.main(), cached->parameters);
  EXPECT_GT(bs.size(), 0u);
  if (bs.empty()) return 0;
  // The blocks follow the execution order; the first starts the parameters.
  EXPECT_EQ(bs.front().offset, 0);
  for (size_t k = 0; k + 1 < bs.size(); ++k) EXPECT_LT(bs[k].op, bs[k + 1].op);
  for (size_t k = 0; k < bs.size(); ++k) {
    const int32_t last = k + 1 < bs.size() ? bs[k + 1].op : p.tpu_last;
    int64_t ours = 0;
    std::string what;
    for (int32_t i = bs[k].op; i < last; ++i) {
      const OpPlacement& o = p.ops[static_cast<size_t>(i)];
      EXPECT_TRUE(o.on_tpu) << "op " << i;
      ours += o.param_bytes;
      if (o.param_bytes > 0) what += " " + o.name;
    }
    EXPECT_EQ(ours, bs[k].size) << "block at " << bs[k].offset << ": op " << bs[k].op << what;
  }
  return bs.size();
}

TEST(Layout, EveryLayerOfMobileNetV1MatchesTheRealCompiler) {
  TPULAB_REQUIRE_SHARED();
  // 27 conv / depthwise layers and the classifier (whose block holds the softmax's tables).
  for (const char* stem : {"mobilenet_v1_0.25_128_quant", "mobilenet_v1_0.5_160_quant",
                           "mobilenet_v1_0.75_192_quant"}) {
    SCOPED_TRACE(stem);
    EXPECT_EQ(check_layers(stem, ChipSpec{}, false), 28u);
  }
  SCOPED_TRACE("embedding extractor");
  EXPECT_EQ(check_layers("mobilenet_v1_1.0_224_quant_embedding_extractor", ChipSpec{}, false), 27u);
}

TEST(Layout, EveryLayerOfMobileNetV2AndDeepLabMatchesTheRealCompiler) {
  TPULAB_REQUIRE_SHARED();
  // The mobilenet_v2 file comes from a later compiler release (its executables carry field 16,
  // estimated_cycles_64bit), which writes no softmax tables.
  ChipSpec later;
  later.softmax_bytes_per_class = 0;
  later.softmax_extra_bytes = 0;
  {
    SCOPED_TRACE("mobilenet_v2");
    EXPECT_EQ(check_layers("mobilenet_v2_1.0_224_quant", later, true), 53u);
  }
  // DeepLab v3: dilated depthwise layers, the ASPP's 1x1 convs; the last two convs run on the CPU.
  SCOPED_TRACE("deeplab");
  EXPECT_EQ(check_layers("deeplabv3_mnv2_pascal_quant", ChipSpec{}, false), 53u);
}

}  // namespace
}  // namespace tpulab::device
