// evaluate_classifier: predictions equal a plain one-image-at-a-time loop, whatever the thread
// count; the confusion matrix adds up; models that do not fit the dataset are refused.
#include "data/evaluate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "common/error.h"
#include "engine/interpreter.h"
#include "testing/fashion_cnn.h"
#include "testing/tiny_models.h"

namespace tpulab::data {
namespace {

using engine::Interpreter;
using engine::KernelSet;

LabeledImages random_dataset(int32_t count) {
  std::mt19937 rng(11);
  LabeledImages d;
  d.name = "random";
  d.count = count;
  d.height = d.width = 28;
  d.pixels.resize(static_cast<size_t>(count) * 28 * 28);
  for (auto& p : d.pixels) p = static_cast<uint8_t>(rng());
  for (int32_t i = 0; i < count; ++i) d.labels.push_back(static_cast<uint8_t>(rng() % 10));
  for (int c = 0; c < 10; ++c) d.class_names.push_back("class" + std::to_string(c));
  return d;
}

TEST(Evaluate, MatchesAPlainLoopForAnyThreadCount) {
  const Graph g = testing::fashion_cnn(3);
  const LabeledImages d = random_dataset(300);

  Interpreter in(g, "cnn", {KernelSet::kReference});
  std::vector<std::vector<int32_t>> expected(10, std::vector<int32_t>(10, 0));
  int32_t correct = 0;
  for (int32_t i = 0; i < d.count; ++i) {
    pixels_to_tensor({d.image(i), 784}, in.input(0), in.input_bytes(0));
    in.invoke();
    const auto out = in.output_bytes(0);
    // int8 scores: compare as signed.
    int32_t best = 0;
    for (int32_t c = 1; c < 10; ++c)
      if (static_cast<int8_t>(out[static_cast<size_t>(c)]) >
          static_cast<int8_t>(out[static_cast<size_t>(best)]))
        best = c;
    ++expected[d.labels[static_cast<size_t>(i)]][static_cast<size_t>(best)];
    if (best == d.labels[static_cast<size_t>(i)]) ++correct;
  }

  for (int threads : {1, 2, 3}) {
    for (KernelSet set : {KernelSet::kReference, KernelSet::kOptimized}) {
      EvalOptions opts;
      opts.threads = threads;
      opts.kernels = set;
      int32_t last_done = 0, calls = 0;
      opts.progress = [&](int32_t done, int32_t total) {
        EXPECT_GT(done, last_done);
        EXPECT_EQ(total, 300);
        last_done = done;
        ++calls;
      };
      const EvalResult r = evaluate_classifier(g, "cnn", d, opts);
      EXPECT_EQ(r.images, 300);
      EXPECT_EQ(r.confusion, expected) << threads << " threads, " << kernel_set_name(set);
      EXPECT_EQ(r.correct, correct);
      EXPECT_EQ(last_done, 300);
      EXPECT_GE(calls, 1);
    }
  }
}

TEST(Evaluate, LimitTakesTheFirstImages) {
  const Graph g = testing::fashion_cnn(3);
  const LabeledImages d = random_dataset(50);
  EvalOptions opts;
  opts.limit = 20;
  const EvalResult r = evaluate_classifier(g, "cnn", d, opts);
  EXPECT_EQ(r.images, 20);
  int32_t sum = 0;
  for (const auto& row : r.confusion)
    for (int32_t v : row) sum += v;
  EXPECT_EQ(sum, 20);
  for (int c = 0; c < 10; ++c) {
    int32_t row = 0;
    for (int32_t v : r.confusion[static_cast<size_t>(c)]) row += v;
    EXPECT_EQ(row, std::count(d.labels.begin(), d.labels.begin() + 20, c));
  }
}

TEST(Evaluate, RefusesModelsThatDoNotFit) {
  // The tiny conv model takes [1,4,4,2] and outputs 48 values: neither fits 28x28 / 10 classes.
  const Graph g = testing::tiny_conv_model();
  EXPECT_THROW(evaluate_classifier(g, "tiny", random_dataset(5), {}), UsageError);
}

}  // namespace
}  // namespace tpulab::data
