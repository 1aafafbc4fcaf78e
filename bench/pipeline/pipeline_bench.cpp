// Runtime overhead and simulation speed of the pipeline module.
//   hop overhead     a request through K no-op stages on the threaded runner, against the same
//                    K invokes called directly on one thread (goal: < 20 us per hop);
//   virtual clock    segment invocations per second of a timing-only inception_v4 run, against
//                    the devices' own invoke_timing calls (goal: >= 1 M/s);
//   realtime         wall-clock throughput of a timing-only run against the device model's
//                    analytic figure (goal: within 10 %).
//   statistics       the report's streaming latency summary against keeping and sorting every
//                    sample (memory no longer grows with the requests; what does it cost?).
// Run: bench_pipeline (the summary after the table gives the goals' figures).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "device/platform.h"
#include "model/zoo/zoo.h"
#include "pipeline/pipelined_runner.h"
#include "pipeline/runtime.h"
#include "pipeline/streaming_stats.h"

namespace tpulab::pipeline {
namespace {

// Returns a one-byte tensor at once: only the runtime's own cost remains.
class NoOpDevice final : public Device {
 public:
  NoOpDevice(std::string in, std::string out) : in_{std::move(in)}, out_{std::move(out)} {}
  SegmentHandle load(const Graph&, CachingToken, const std::string&) override { return 0; }
  InvokeResult invoke(SegmentHandle, const TensorMap&) override {
    InvokeResult r;
    r.outputs.emplace(out_[0], Bytes(1, 0));
    return r;
  }
  const std::vector<std::string>& input_names(SegmentHandle) const override { return in_; }
  const std::vector<std::string>& output_names(SegmentHandle) const override { return out_; }
  std::string name() const override { return "noop"; }

 private:
  std::vector<std::string> in_, out_;
};

std::vector<std::unique_ptr<NoOpDevice>> noop_chain(int k) {
  std::vector<std::unique_ptr<NoOpDevice>> d;
  for (int s = 0; s < k; ++s)
    d.push_back(std::make_unique<NoOpDevice>("t" + std::to_string(s), "t" + std::to_string(s + 1)));
  return d;
}

std::vector<StageBinding> bindings(const std::vector<std::unique_ptr<NoOpDevice>>& devices) {
  std::vector<StageBinding> b;
  for (const auto& d : devices) b.push_back({d.get(), 0, nullptr});
  return b;
}

// The peer: the same invokes and tensor routing on the caller's thread, no queues.
void BM_DirectChain(benchmark::State& state) {
  const auto k = static_cast<int>(state.range(0));
  auto devices = noop_chain(k);
  const auto stages = bindings(devices);
  const Routing routing = route(stages, {});
  for (auto _ : state) {
    TensorMap t{{"t0", Bytes(1, 0)}};
    for (size_t s = 0; s < stages.size(); ++s) run_stage(stages[s], routing, s, t);
    benchmark::DoNotOptimize(t);
  }
  state.counters["hops"] = k;
}
BENCHMARK(BM_DirectChain)->Arg(2)->Arg(8);

// One request at a time through K worker threads: every hop is a hand-over between threads.
void BM_RunnerOneInFlight(benchmark::State& state) {
  const auto k = static_cast<int>(state.range(0));
  auto devices = noop_chain(k);
  PipelinedRunner runner(bindings(devices));
  for (auto _ : state) {
    runner.push({{"t0", Bytes(1, 0)}});
    benchmark::DoNotOptimize(runner.pop());
  }
  state.counters["hops"] = k;
}
BENCHMARK(BM_RunnerOneInFlight)->Arg(2)->Arg(8)->UseRealTime();

// A stream of requests kept in flight: the pipelined rate.
void BM_RunnerStream(benchmark::State& state) {
  const auto k = static_cast<int>(state.range(0));
  auto devices = noop_chain(k);
  constexpr int kBatch = 1000;
  for (auto _ : state) {
    PipelinedRunner runner(bindings(devices));
    std::thread producer([&] {
      for (int i = 0; i < kBatch; ++i) runner.push({{"t0", Bytes(1, 0)}});
      runner.push({});
    });
    while (runner.pop()) {
    }
    producer.join();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["hops"] = k;
}
BENCHMARK(BM_RunnerStream)->Arg(2)->Arg(8)->UseRealTime()->Unit(benchmark::kMillisecond);

struct BigSystem {
  device::Platform platform = device::load_platform("asus-8x-pcie");
  Graph graph = zoo::build_zoo_model("inception_v4");
};
BigSystem& big() {
  static BigSystem b;
  return b;
}

System inception_system(int segments, int pipelines) {
  SystemOptions o;
  o.segments = segments;
  o.pipelines = pipelines;
  o.timing_only = true;
  return build_system({{"inception_v4", big().graph, {}}}, big().platform, o);
}

// The peer: the simulated devices' invoke_timing calls alone, stage by stage.
void BM_DeviceTimingCalls(benchmark::State& state) {
  System sys = inception_system(8, 1);
  const int64_t requests = state.range(0);
  for (auto _ : state)
    for (int64_t i = 0; i < requests; ++i)
      for (const StageBinding& b : sys.pipelines[0].stages)
        benchmark::DoNotOptimize(b.device->invoke_timing(b.segment));
  state.counters["invocations_per_s"] = benchmark::Counter(
      static_cast<double>(requests * 8 * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DeviceTimingCalls)->Arg(100000)->Unit(benchmark::kMillisecond);

// 100k requests of inception_v4 through 8 simulated TPUs on the virtual clock.
void BM_VirtualClock(benchmark::State& state) {
  System sys =
      inception_system(static_cast<int>(state.range(1)), 8 / static_cast<int>(state.range(1)));
  Workload w;
  w.requests = state.range(0);
  RunOptions o;
  int64_t invocations = 0;
  double ratio = 0;
  for (auto _ : state) {
    const RunReport r = run(sys, w, o);
    invocations += r.invocations;
    ratio = r.throughput_ips / r.analytic_throughput_ips;
  }
  state.counters["invocations_per_s"] =
      benchmark::Counter(static_cast<double>(invocations), benchmark::Counter::kIsRate);
  state.counters["vs_analytic"] = ratio;
}
// 1M requests: past the exact cap, the statistics stream (histogram, completion window).
BENCHMARK(BM_VirtualClock)
    ->Args({100000, 8})
    ->Args({100000, 2})
    ->Args({1000000, 8})
    ->Unit(benchmark::kMillisecond);

// Latency-like samples (lognormal around 20 ms) for the statistics benchmarks.
const std::vector<double>& latency_samples() {
  static const std::vector<double> v = [] {
    std::mt19937_64 g(1);
    std::lognormal_distribution<double> d(3.0, 0.5);
    std::vector<double> s(1000000);
    for (double& x : s) x = d(g);
    return s;
  }();
  return v;
}

// The peer: what the report did before streaming, keep every sample and sort.
void BM_LatencyKeepAndSort(benchmark::State& state) {
  const std::vector<double>& v = latency_samples();
  for (auto _ : state) {
    std::vector<double> kept;
    for (double x : v) kept.push_back(x);
    benchmark::DoNotOptimize(summarize_latencies(std::move(kept)));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(v.size()));
}
BENCHMARK(BM_LatencyKeepAndSort)->Unit(benchmark::kMillisecond);

// The same samples through LatencyStats: past its cap, into the histogram.
void BM_LatencyStreaming(benchmark::State& state) {
  const std::vector<double>& v = latency_samples();
  for (auto _ : state) {
    LatencyStats s;
    for (double x : v) s.add(x);
    benchmark::DoNotOptimize(s.summary());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(v.size()));
}
BENCHMARK(BM_LatencyStreaming)->Unit(benchmark::kMillisecond);

// Wall-clock throughput on the realtime clock against the device model's figure.
void BM_RealtimeVsAnalytic(benchmark::State& state) {
  const auto k = static_cast<int>(state.range(0));
  SystemOptions so;
  so.segments = k;
  so.timing_only = true;
  static const Graph mnv2 = zoo::build_zoo_model("mobilenet_v2");
  System sys = build_system({{"mobilenet_v2", mnv2, {}}}, big().platform, so);
  Workload w;
  w.requests = 1000;
  RunOptions o;
  o.clock = ClockKind::kRealtime;
  double ratio = 0;
  for (auto _ : state) {
    const RunReport r = run(sys, w, o);
    ratio = r.throughput_ips / r.analytic_throughput_ips;
  }
  state.counters["vs_analytic"] = ratio;
}
BENCHMARK(BM_RealtimeVsAnalytic)
    ->Arg(1)
    ->Arg(4)
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// The console table, then the goals: per-hop overhead against the direct chain, virtual
// invocations per second against the devices' own calls, realtime against the analytic model.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  SummaryReporter() : ConsoleReporter(isatty(STDOUT_FILENO) ? OO_Defaults : OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& r : runs) {
      // Single runs, or the median of repetitions (other aggregates are not figures to quote).
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name != "median") continue;
      Result& x = results_[r.run_name.str()];
      x.ns = r.GetAdjustedRealTime() * unit_ns(r.time_unit);
      for (const auto& [name, c] : r.counters) x.counters[name] = c.value;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\nsummary (medians when run with --benchmark_repetitions=N):\n");
    for (int k : {2, 8}) {
      const auto direct = results_.find("BM_DirectChain/" + std::to_string(k));
      const auto one = results_.find("BM_RunnerOneInFlight/" + std::to_string(k) + "/real_time");
      if (direct == results_.end() || one == results_.end()) continue;
      const double hop_us = (one->second.ns - direct->second.ns) / k / 1e3;
      std::printf(
          "  per-hop overhead, K=%d: %.2f us (runner %.1f us vs direct %.2f us per "
          "request = %.0fx) %s\n",
          k, hop_us, one->second.ns / 1e3, direct->second.ns / 1e3,
          one->second.ns / direct->second.ns, hop_us < 20 ? "(< 20 us: ok)" : "(ABOVE 20 us)");
    }
    const auto calls = results_.find("BM_DeviceTimingCalls/100000");
    for (const auto& [name, r] : results_) {
      if (name.rfind("BM_VirtualClock", 0) != 0) continue;
      const double rate = r.counters.at("invocations_per_s");
      std::printf(
          "  %s: %.2f M invocations/s (%s), %.4f x analytic; devices alone %.1f M/s\n",
          name.c_str(), rate / 1e6, rate >= 1e6 ? ">= 1 M/s: ok" : "BELOW 1 M/s",
          r.counters.at("vs_analytic"),
          calls == results_.end() ? 0.0 : calls->second.counters.at("invocations_per_s") / 1e6);
    }
    const auto sorted = results_.find("BM_LatencyKeepAndSort"),
               streamed = results_.find("BM_LatencyStreaming");
    if (sorted != results_.end() && streamed != results_.end())
      std::printf(
          "  latency statistics, 1M samples: streaming %.1f ns/sample vs keep-and-sort %.1f "
          "(%.2fx)\n",
          streamed->second.ns / 1e6, sorted->second.ns / 1e6,
          streamed->second.ns / sorted->second.ns);
    for (const auto& [name, r] : results_)
      if (name.rfind("BM_RealtimeVsAnalytic", 0) == 0)
        std::printf(
            "  %s: %.4f x analytic (%s)\n", name.c_str(), r.counters.at("vs_analytic"),
            std::abs(r.counters.at("vs_analytic") - 1) <= 0.1 ? "within 10 %" : "OUTSIDE 10 %");
  }

 private:
  static double unit_ns(benchmark::TimeUnit u) {
    switch (u) {
      case benchmark::kNanosecond:
        return 1;
      case benchmark::kMicrosecond:
        return 1e3;
      case benchmark::kMillisecond:
        return 1e6;
      case benchmark::kSecond:
        return 1e9;
    }
    return 1;
  }
  struct Result {
    double ns = 0;
    std::map<std::string, double> counters;
  };
  std::map<std::string, Result> results_;
};

}  // namespace
}  // namespace tpulab::pipeline

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  tpulab::pipeline::SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
