// CPU engine speed: ms per inference of three MobileNets with the reference and optimized kernels
// on 1 and 2 threads, against TensorFlow Lite (WebAssembly, XNNPACK, 1 thread: tools/oracle) on
// the same models, plus the Fashion-MNIST eval throughput. Each case repeats; the summary table
// quotes medians and ratios against peers measured in the same run.
//
//   bench_engine [--benchmark_filter=...]   (TPULAB_SHARED_DIR overrides ../shared)
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>

#include "common/table.h"
#include "data/datasets.h"
#include "data/evaluate.h"
#include "engine/interpreter.h"
#include "engine/thread_pool.h"
#include "model/tflite.h"
#include "testing/fashion_cnn.h"

namespace fs = std::filesystem;
using namespace tpulab;
using namespace tpulab::engine;
using namespace tpulab::data;

namespace {

const fs::path kRepo = fs::path(__FILE__).parent_path().parent_path().parent_path();

fs::path shared_dir() {
  const char* env = std::getenv("TPULAB_SHARED_DIR");
  return env ? fs::path(env) : kRepo / ".." / "shared";
}

const std::array<const char*, 3> kModels = {
    "mobilenet_v1_0.25_128_quant", "mobilenet_v2_1.0_224_quant", "tf2_mobilenet_v2_1.0_224_ptq"};

void bm_model(benchmark::State& state, const Graph* graph, std::string name, KernelSet set,
              int threads) {
  ThreadPool pool(threads);
  Interpreter in(*graph, name, {set, &pool});
  std::mt19937 rng(12345);
  for (size_t i = 0; i < in.num_inputs(); ++i)
    for (uint8_t& b : in.input_bytes(i)) b = static_cast<uint8_t>(rng());
  for (auto _ : state) in.invoke();
}

void bm_fashion_eval(benchmark::State& state, const LabeledImages* data, const Graph* graph,
                     int threads) {
  EvalOptions opts;
  opts.threads = threads;
  for (auto _ : state) {
    const EvalResult r = evaluate_classifier(*graph, "fashion_cnn", *data, opts);
    benchmark::DoNotOptimize(r.correct);
  }
  state.counters["images"] = data->count;
}

// TFLite's time for one model: tools/oracle/oracle.mjs bench (median of --repeat runs), or -1.
double tflite_ms(const fs::path& model, bool xnnpack) {
  const std::string cmd = fmt::format("node '{}' bench --model '{}' --repeat 30 {} 2>/dev/null",
                                      (kRepo / "tools/oracle/oracle.mjs").string(), model.string(),
                                      xnnpack ? "--xnnpack" : "");
  std::fflush(stdout);  // or the forked shell may inherit and repeat our buffered output
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) return -1;
  std::string out;
  std::array<char, 4096> buf{};
  while (size_t n = fread(buf.data(), 1, buf.size(), p.get())) out.append(buf.data(), n);
  try {
    return nlohmann::json::parse(out).at("ms_per_inference").get<double>();
  } catch (const std::exception&) {
    return -1;
  }
}

// Keeps each benchmark's median (in its time unit) for the summary.
class MedianReporter : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, double> medians;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs)
      if (r.aggregate_name == "median") medians[r.run_name.function_name] = r.GetAdjustedRealTime();
    ConsoleReporter::ReportRuns(runs);
  }
};

std::string ratio(double a, double b) {
  return a > 0 && b > 0 ? fmt::format("{:.2f}x", a / b) : "-";
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::map<std::string, Graph> graphs;
  for (const char* m : kModels) {
    const fs::path p = shared_dir() / "models" / (std::string(m) + ".tflite");
    if (!fs::exists(p)) {
      fmt::print(stderr, "!!! {} not found: set TPULAB_SHARED_DIR !!!\n", p.string());
      return 1;
    }
    graphs.emplace(m, read_tflite(p.string()));
  }
  for (const char* m : kModels)
    for (KernelSet set : {KernelSet::kReference, KernelSet::kOptimized})
      for (int threads : {1, 2}) {
        // The reference kernels are plain loops: fewer repetitions keep the run short.
        const bool ref = set == KernelSet::kReference;
        benchmark::RegisterBenchmark(
            fmt::format("{}/{}/threads:{}", m, kernel_set_name(set), threads).c_str(), bm_model,
            &graphs.at(m), std::string(m) + ".tflite", set, threads)
            ->Unit(benchmark::kMillisecond)
            ->MinTime(ref ? 0.01 : 0.5)
            ->Repetitions(ref ? 3 : 5)
            ->ReportAggregatesOnly(true)
            ->UseRealTime();
      }
  std::unique_ptr<LabeledImages> fashion;
  const Graph cnn = testing::fashion_cnn();
  try {
    fashion = std::make_unique<LabeledImages>(load_dataset("fashion-mnist:test"));
    for (int threads : {1, 2})
      benchmark::RegisterBenchmark(
          fmt::format("fashion_mnist_eval_10k/threads:{}", threads).c_str(), bm_fashion_eval,
          fashion.get(), &cnn, threads)
          ->Unit(benchmark::kMillisecond)
          ->MinTime(0.01)
          ->Repetitions(3)
          ->ReportAggregatesOnly(true)
          ->UseRealTime();
  } catch (const std::exception& e) {
    fmt::print(stderr, "!!! Fashion-MNIST eval not measured: {} !!!\n", e.what());
  }

  MedianReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);

  fmt::print("\nTFLite (WebAssembly SIMD build, 1 thread, median of 30) on random inputs:\n");
  TextTable t({"model", "kernels", "threads", "ms/inference", "vs reference 1T",
               "vs TFLite XNNPACK", "vs TFLite built-in"});
  t.right_align({2, 3, 4, 5, 6});
  for (const char* m : kModels) {
    const bool measured = std::any_of(reporter.medians.begin(), reporter.medians.end(),
                                      [&](const auto& kv) { return kv.first.rfind(m, 0) == 0; });
    if (!measured) continue;  // filtered out: no need to time TFLite on it either
    const fs::path p = shared_dir() / "models" / (std::string(m) + ".tflite");
    const double xnn = tflite_ms(p, true), builtin = tflite_ms(p, false);
    const auto ref1 = reporter.medians.find(fmt::format("{}/reference/threads:1", m));
    for (KernelSet set : {KernelSet::kReference, KernelSet::kOptimized})
      for (int threads : {1, 2}) {
        const auto it = reporter.medians.find(
            fmt::format("{}/{}/threads:{}", m, kernel_set_name(set), threads));
        if (it == reporter.medians.end()) continue;
        t.add({m, kernel_set_name(set), std::to_string(threads), fmt::format("{:.2f}", it->second),
               ref1 == reporter.medians.end() ? "-" : ratio(it->second, ref1->second),
               ratio(it->second, xnn), ratio(it->second, builtin)});
      }
    t.add({m, "TFLite XNNPACK", "1", xnn > 0 ? fmt::format("{:.2f}", xnn) : "n/a", "", "", ""});
    t.add({m, "TFLite built-in", "1", builtin > 0 ? fmt::format("{:.2f}", builtin) : "n/a", "", "",
           ""});
  }
  fmt::print("{}", t.str());
  for (int threads : {1, 2}) {
    const auto it =
        reporter.medians.find(fmt::format("fashion_mnist_eval_10k/threads:{}", threads));
    if (it != reporter.medians.end())
      fmt::print(
          "Fashion-MNIST eval, 10,000 images, test CNN, optimized, {} thread{}: {:.0f} ms ({:.0f} "
          "images/s)\n",
          threads, threads == 1 ? "" : "s", it->second, 10000.0 / (it->second / 1000.0));
  }
  benchmark::Shutdown();
  return 0;
}
