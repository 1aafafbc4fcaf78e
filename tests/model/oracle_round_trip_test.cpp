// Files tpulab re-writes must behave in the real TensorFlow Lite runtime exactly like the
// originals: same outputs, byte for byte, on the same inputs (and, for models TFLite cannot run
// here, such as compiled Edge TPU models, the same load error).
#include <gtest/gtest.h>

#include <random>
#include <regex>

#include "model/tflite.h"
#include "testing/oracle.h"
#include "testing/testing.h"

namespace tpulab {
namespace {

std::string without_path(std::string error, const std::string& path) {
  for (size_t p; (p = error.find(path)) != std::string::npos;) error.replace(p, path.size(), "<model>");
  return error;
}

TEST(OracleRoundTrip, RewrittenModelsRunIdenticallyInTfLite) {
  TPULAB_REQUIRE_SHARED();
  TPULAB_REQUIRE_ORACLE();
  testing::TempDir dir;
  std::mt19937 rng(2024);
  int compared = 0, both_rejected = 0;
  for (const auto& path : testing::shared_models()) {
    SCOPED_TRACE(path.string());
    Graph g = read_tflite(path.string());
    auto rewritten = dir / path.filename();
    write_tflite_file(g, rewritten.string());
    std::vector<std::vector<uint8_t>> inputs;
    for (int32_t t : g.main().inputs) {
      std::vector<uint8_t> bytes(static_cast<size_t>(g.main().tensors[static_cast<size_t>(t)].byte_size()));
      for (auto& b : bytes) b = static_cast<uint8_t>(rng());
      // Float inputs get small finite values rather than random bit patterns.
      if (g.main().tensors[static_cast<size_t>(t)].dtype == DType::kFloat32) {
        auto* f = reinterpret_cast<float*>(bytes.data());
        for (size_t i = 0; i < bytes.size() / 4; ++i) f[i] = static_cast<float>(rng() % 2001) / 1000.0f - 1.0f;
      }
      inputs.push_back(std::move(bytes));
    }
    auto a = testing::oracle_run(path, inputs);
    auto b = testing::oracle_run(rewritten, inputs);
    ASSERT_EQ(a.ok, b.ok) << "original: " << a.error << "\nrewritten: " << b.error;
    if (!a.ok) {
      EXPECT_EQ(without_path(a.error, path.string()), without_path(b.error, rewritten.string()));
      ++both_rejected;
      continue;
    }
    ASSERT_EQ(a.outputs.size(), b.outputs.size());
    for (size_t i = 0; i < a.outputs.size(); ++i) {
      EXPECT_EQ(a.outputs[i].shape, b.outputs[i].shape);
      EXPECT_TRUE(a.outputs[i].bytes == b.outputs[i].bytes) << "output " << i << " differs";
    }
    ++compared;
  }
  // The CPU models run; the compiled ones fail to prepare (no Edge TPU delegate in this runtime).
  EXPECT_GE(compared, 10);
  EXPECT_GE(both_rejected, 10);
}

}  // namespace
}  // namespace tpulab
