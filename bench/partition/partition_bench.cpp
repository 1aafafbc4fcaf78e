// Partitioning speed: the optimal strategy solving K = 1..8 for a 1000-op model (goal: under
// 100 ms in total), against the params and profile strategies measured in the same run.
//   bench_partition --benchmark_repetitions=5
// prints medians and the ratios optimal / peer at the end.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <map>
#include <string>

#include "device/platform.h"
#include "model/zoo/builder.h"
#include "partition/strategy.h"

namespace {

using namespace tpulab;

// A ResNet-like network of 1000 ops: bottleneck blocks (1x1, 3x3, 1x1 convs and the residual
// add) in four stages of falling resolution and rising width; ~80 M parameters, so any plan
// has to trade cached against streamed weights across the eight TPUs.
const Graph& model_1000() {
  static const Graph g = [] {
    zoo::ZooBuilder b("resnet_1000", DType::kUInt8, 1);
    zoo::TensorId x = b.input({1, 224, 224, 3});
    x = b.conv(x, 256, 7, 2, Activation::kRelu);
    x = b.max_pool(x, 3, 2, Padding::kSame);
    struct StageSpec {
      int blocks, mid, out, stride;
    };
    int ops = 2;
    for (StageSpec s : {StageSpec{60, 64, 256, 1}, StageSpec{80, 128, 512, 2},
                        StageSpec{80, 128, 512, 2}, StageSpec{29, 256, 1024, 2}}) {
      for (int i = 0; i < s.blocks; ++i) {
        zoo::TensorId in = x;
        int stride = i == 0 ? s.stride : 1;
        if (stride != 1 || b.channels(in) != s.out) {
          in = b.conv(in, s.out, 1, stride, Activation::kNone);
          ++ops;
        }
        zoo::TensorId y = b.conv(x, s.mid, 1, 1, Activation::kRelu);
        y = b.conv(y, s.mid, 3, stride, Activation::kRelu);
        y = b.conv(y, s.out, 1, 1, Activation::kNone);
        x = b.add(y, in, Activation::kRelu);
        ops += 4;
      }
    }
    x = b.global_avg_pool(x);
    x = b.reshape(x, {1, b.channels(x)});
    x = b.fully_connected(x, 1000, Activation::kNone);
    ops += 3;
    while (ops < 1000) {  // pad to exactly 1000 with cheap host-side work
      x = b.relu(x);
      ++ops;
    }
    b.output(x);
    return b.finish();
  }();
  return g;
}

const device::Platform& board() {
  static const device::Platform p = device::load_platform("asus-8x-pcie");
  return p;
}

void solve_all_k(benchmark::State& state, partition::Strategy strategy) {
  const Graph& g = model_1000();
  for (auto _ : state) {
    for (int k = 1; k <= 8; ++k) {
      partition::Options o;
      o.segments = k;
      partition::Plan p = partition::partition(g, strategy, board(), o);
      benchmark::DoNotOptimize(p);
    }
  }
  state.counters["ops"] = static_cast<double>(g.main().ops.size());
}

void BM_Optimal_K1to8_1000Ops(benchmark::State& s) {
  solve_all_k(s, partition::Strategy::kOptimal);
}
void BM_Profile_K1to8_1000Ops(benchmark::State& s) {
  solve_all_k(s, partition::Strategy::kProfile);
}
void BM_Params_K1to8_1000Ops(benchmark::State& s) { solve_all_k(s, partition::Strategy::kParams); }

BENCHMARK(BM_Optimal_K1to8_1000Ops)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Profile_K1to8_1000Ops)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Params_K1to8_1000Ops)->Unit(benchmark::kMillisecond);

// Console output plus the median (or only) real time of each benchmark, for the ratios.
class MedianReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      const std::string name = r.run_name.function_name;
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median")
        median_[name] = r.GetAdjustedRealTime();
      else if (r.run_type == Run::RT_Iteration && !median_.count(name + "#agg"))
        median_[name] = r.GetAdjustedRealTime();
      if (r.run_type == Run::RT_Aggregate) median_[name + "#agg"] = 1;
    }
  }
  double get(const std::string& name) const {
    auto it = median_.find(name);
    return it == median_.end() ? 0 : it->second;
  }

 private:
  std::map<std::string, double> median_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  MedianReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  const double opt = reporter.get("BM_Optimal_K1to8_1000Ops");
  const double prof = reporter.get("BM_Profile_K1to8_1000Ops");
  const double params = reporter.get("BM_Params_K1to8_1000Ops");
  if (opt > 0 && prof > 0 && params > 0)
    fmt::print(
        "optimal K=1..8 on {} ops: {:.2f} ms (goal < 100 ms); {:.2f}x the profile strategy's time, "
        "{:.2f}x the params split's (medians, same run)\n",
        model_1000().main().ops.size(), opt, opt / prof, opt / params);
  benchmark::Shutdown();
  return 0;
}
