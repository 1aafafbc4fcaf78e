#include "data/evaluate.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>

#include "common/error.h"
#include "engine/interpreter.h"
#include "engine/thread_pool.h"

namespace tpulab::data {

namespace {

// Index of the largest element (first on ties), whatever the output's element type.
int32_t argmax(const engine::TensorRef& t) {
  auto best = [&](auto* p) {
    const int64_t n = t.num_elements();
    int64_t b = 0;
    for (int64_t i = 1; i < n; ++i)
      if (p[i] > p[b]) b = i;
    return static_cast<int32_t>(b);
  };
  switch (t.dtype) {
    case DType::kUInt8:
      return best(t.as<const uint8_t>());
    case DType::kInt8:
      return best(t.as<const int8_t>());
    case DType::kInt16:
      return best(t.as<const int16_t>());
    case DType::kInt32:
      return best(t.as<const int32_t>());
    case DType::kFloat32:
      return best(t.as<const float>());
    default:
      throw UnsupportedError(
          fmt::format("classifier outputs of type {} are not supported", dtype_name(t.dtype)), "");
  }
}

}  // namespace

EvalResult evaluate_classifier(const Graph& graph, const std::string& model_name,
                               const LabeledImages& data, const EvalOptions& opts) {
  const int threads = std::max(1, opts.threads);
  const int32_t total = opts.limit < 0 ? data.count : std::min(opts.limit, data.count);
  const auto classes = static_cast<int32_t>(data.class_names.size());

  std::vector<engine::Interpreter> interpreters;
  interpreters.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i)
    interpreters.emplace_back(graph, model_name, engine::InterpreterOptions{opts.kernels});
  engine::Interpreter& first = interpreters.front();
  if (first.num_inputs() != 1 || first.num_outputs() != 1)
    throw UsageError(
        fmt::format("a classifier has one input and one output; the model has {} and {}",
                    first.num_inputs(), first.num_outputs()),
        model_name);
  const int64_t pixels = int64_t{data.height} * data.width;
  if (first.input(0).num_elements() != pixels)
    throw UsageError(
        fmt::format("input {} {} does not hold one {}x{} image of {}", first.input_name(0),
                    shape_string(first.input(0).shape), data.height, data.width, data.name),
        model_name);
  if (first.output(0).num_elements() != classes)
    throw UsageError(
        fmt::format("output {} {} does not hold the {} class scores of {}", first.output_name(0),
                    shape_string(first.output(0).shape), classes, data.name),
        model_name);

  std::vector<int32_t> predicted(static_cast<size_t>(total), -1);
  engine::ThreadPool pool(threads);
  const auto t0 = std::chrono::steady_clock::now();
  // Batches keep the progress callback on the calling thread and reasonably frequent.
  const int32_t batch = std::max(256, threads * 64);
  for (int32_t start = 0; start < total; start += batch) {
    const int32_t len = std::min(batch, total - start);
    pool.parallel_for(len, [&](int64_t b, int64_t e) {
      engine::Interpreter& in =
          interpreters[static_cast<size_t>(engine::ThreadPool::worker_index())];
      for (int64_t k = b; k < e; ++k) {
        const int32_t i = start + static_cast<int32_t>(k);
        in.reset_variables();
        pixels_to_tensor({data.image(i), static_cast<size_t>(pixels)}, in.input(0),
                         in.input_bytes(0), opts.normalization);
        in.invoke();
        predicted[static_cast<size_t>(i)] = argmax(in.output(0));
      }
    });
    if (opts.progress) opts.progress(start + len, total);
  }
  const auto t1 = std::chrono::steady_clock::now();

  EvalResult r;
  r.dataset = data.name;
  r.images = total;
  r.seconds = std::chrono::duration<double>(t1 - t0).count();
  r.class_names = data.class_names;
  r.confusion.assign(static_cast<size_t>(classes),
                     std::vector<int32_t>(static_cast<size_t>(classes), 0));
  for (int32_t i = 0; i < total; ++i) {
    const int32_t truth = data.labels[static_cast<size_t>(i)];
    const int32_t p = predicted[static_cast<size_t>(i)];
    ++r.confusion[static_cast<size_t>(truth)][static_cast<size_t>(p)];
    if (p == truth) ++r.correct;
  }
  return r;
}

}  // namespace tpulab::data
