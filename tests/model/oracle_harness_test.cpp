// Checks the TFLite oracle harness itself (tools/oracle + tests/testing/oracle.h), so that tests
// comparing tpulab with TFLite can trust it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <random>

#include "testing/oracle.h"
#include "testing/testing.h"

namespace tpulab::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::filesystem::path model_path(const std::string& name) { return shared_dir() / "models" / name; }

// The same bytes on every platform: mt19937's output sequence is fixed by the C++ standard
// (unlike the distributions').
std::vector<uint8_t> pseudo_random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> out(n);
  for (auto& b : out) b = static_cast<uint8_t>(rng() >> 24);
  return out;
}

size_t argmax(const std::vector<uint8_t>& v) {
  return static_cast<size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

TEST(OracleHarness, InfoDescribesMobilenetV1) {
  TPULAB_REQUIRE_SHARED();
  TPULAB_REQUIRE_ORACLE();
  const OracleResult r = oracle_info(model_path("mobilenet_v1_0.25_128_quant.tflite"));
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.inputs.size(), 1u);
  EXPECT_THAT(r.inputs[0].shape, ElementsAre(1, 128, 128, 3));
  EXPECT_EQ(r.inputs[0].dtype, "uint8");
  ASSERT_EQ(r.outputs.size(), 1u);
  EXPECT_THAT(r.outputs[0].shape, ElementsAre(1, 1001));
  EXPECT_EQ(r.outputs[0].dtype, "uint8");
}

// XNNPACK rounds a few outputs differently from LiteRT's reference kernels, so differing outputs
// prove that the default run really uses the reference kernels, not XNNPACK.
TEST(OracleHarness, BuiltinKernelsDifferSlightlyFromXnnpack) {
  TPULAB_REQUIRE_SHARED();
  TPULAB_REQUIRE_ORACLE();
  const auto model = model_path("mobilenet_v1_0.25_128_quant.tflite");
  const auto input = pseudo_random_bytes(128 * 128 * 3, 42);
  const OracleResult builtin = oracle_run(model, {input});
  const OracleResult xnnpack = oracle_run(model, {input}, /*xnnpack=*/true);
  ASSERT_TRUE(builtin.ok) << builtin.error;
  ASSERT_TRUE(xnnpack.ok) << xnnpack.error;
  ASSERT_EQ(builtin.outputs.size(), 1u);
  ASSERT_EQ(xnnpack.outputs.size(), 1u);
  const auto& a = builtin.outputs[0].bytes;
  const auto& b = xnnpack.outputs[0].bytes;
  ASSERT_EQ(a.size(), 1001u);
  ASSERT_EQ(b.size(), 1001u);
  EXPECT_EQ(builtin.inputs[0].bytes, input);
  size_t differing = 0;
  int max_delta = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    differing += a[i] != b[i];
    max_delta = std::max(max_delta, std::abs(a[i] - b[i]));
  }
  EXPECT_GT(differing, 0u) << "identical outputs: the XNNPACK patch had no effect";
  EXPECT_LE(differing, 50u) << "too different for a rounding difference";
  EXPECT_LE(max_delta, 16) << "too different for a rounding difference";
}

TEST(OracleHarness, BuiltinRunIsDeterministic) {
  TPULAB_REQUIRE_SHARED();
  TPULAB_REQUIRE_ORACLE();
  const auto model = model_path("mobilenet_v2_1.0_224_quant.tflite");
  // A smooth fixed pattern rather than noise, so the top class is clear.
  std::vector<uint8_t> input(224 * 224 * 3);
  for (size_t i = 0; i < input.size(); ++i) {
    const size_t y = i / (224 * 3), x = i / 3 % 224, c = i % 3;
    input[i] = static_cast<uint8_t>((x + 2 * y + 85 * c) % 256);
  }
  const OracleResult first = oracle_run(model, {input});
  const OracleResult second = oracle_run(model, {input});
  ASSERT_TRUE(first.ok) << first.error;
  ASSERT_TRUE(second.ok) << second.error;
  ASSERT_EQ(first.outputs.size(), 1u);
  ASSERT_EQ(second.outputs.size(), 1u);
  ASSERT_EQ(first.outputs[0].bytes.size(), 1001u);
  EXPECT_EQ(argmax(first.outputs[0].bytes), argmax(second.outputs[0].bytes));
  EXPECT_EQ(first.outputs[0].bytes, second.outputs[0].bytes);
  EXPECT_GT(first.ms_per_inference, 0);
}

TEST(OracleHarness, RejectsWrongInputSize) {
  TPULAB_REQUIRE_SHARED();
  TPULAB_REQUIRE_ORACLE();
  const OracleResult r =
      oracle_run(model_path("mobilenet_v1_0.25_128_quant.tflite"), {std::vector<uint8_t>(10)});
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.error, HasSubstr("needs 49152 bytes"));
}

TEST(OracleHarness, InfoFailsOnGarbage) {
  TPULAB_REQUIRE_ORACLE();
  TempDir dir;
  const auto garbage = dir / "garbage.tflite";
  write_bytes(garbage, pseudo_random_bytes(1000, 7));
  const OracleResult r = oracle_info(garbage);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.error.empty());
  EXPECT_THAT(r.error, HasSubstr("not a valid"));
  EXPECT_THAT(r.error, HasSubstr("garbage.tflite"));
}

}  // namespace
}  // namespace tpulab::testing
