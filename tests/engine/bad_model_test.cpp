// Bad models never crash the engine: bit-flipped copies of a small CNN either fail to load, fail
// to prepare with a typed error, or run (prepare must catch every tensor that does not fit).
#include <gtest/gtest.h>

#include <random>

#include "common/error.h"
#include "engine/interpreter.h"
#include "model/tflite.h"
#include "testing/fashion_cnn.h"

namespace tpulab::engine {
namespace {

TEST(BadModel, BitFlippedModelsFailCleanlyOrRun) {
  const std::vector<uint8_t> good = write_tflite(testing::fashion_cnn());
  // Flips land anywhere; most hit weights (which still run), some hit shapes, types, options.
  std::mt19937 rng(99);
  int loaded = 0, prepared = 0;
  for (int i = 0; i < 400; ++i) {
    std::vector<uint8_t> bytes = good;
    for (int k = 0; k < 2; ++k)
      bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    Graph g;
    try {
      g = read_tflite_bytes(bytes, "flipped.tflite");
    } catch (const Error&) {
      continue;
    }
    ++loaded;
    try {
      for (KernelSet set : {KernelSet::kReference, KernelSet::kOptimized}) {
        Interpreter in(g, "flipped.tflite", {set});
        for (size_t t = 0; t < in.num_inputs(); ++t)
          for (uint8_t& b : in.input_bytes(t)) b = static_cast<uint8_t>(rng());
        in.invoke();
      }
      ++prepared;
    } catch (const Error&) {
    }
  }
  EXPECT_GT(loaded, 0);
  EXPECT_GT(prepared, 0);
}

}  // namespace
}  // namespace tpulab::engine
