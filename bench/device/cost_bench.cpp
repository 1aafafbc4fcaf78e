// Costing speed of the Edge TPU model: a 500-op model against a trivial 2-op peer, measured in
// the same run. The partitioner evaluates O(n^2) ranges, so range costing must be cheap.
//   bench_device --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include "device/edgetpu/cost.h"
#include "device/platform.h"
#include "model/zoo/builder.h"

namespace {

using namespace tpulab;

// A MobileNet-like chain of `ops` ops (alternating depthwise / pointwise convs, adds).
Graph chain_model(int ops) {
  zoo::ZooBuilder b("chain", DType::kUInt8, 1);
  zoo::TensorId x = b.input({1, 56, 56, 64});
  for (int i = 0; i < ops; i += 3) {
    zoo::TensorId in = x;
    x = b.depthwise(x, 3, 1, Activation::kRelu6);
    x = b.conv(x, 64, 1, 1, Activation::kNone);
    x = b.add(x, in);
  }
  return b.finish();
}

const device::Platform& platform() {
  static const device::Platform p = device::load_platform("usb3-1x");
  return p;
}

void cost_whole(benchmark::State& state, int ops) {
  Graph g = chain_model(ops);
  for (auto _ : state) {
    device::SegmentCompiler sc(g, platform().chip);
    device::Cost c = device::cost(sc.place(0, sc.num_ops()), platform());
    benchmark::DoNotOptimize(c);
  }
  state.counters["ops"] = static_cast<double>(g.main().ops.size());
}

void BM_CompileAndCost_500Ops(benchmark::State& s) { cost_whole(s, 500); }
void BM_CompileAndCost_TrivialPeer(benchmark::State& s) { cost_whole(s, 2); }

// One range of a precompiled model: what a partitioner pays per candidate segment.
void BM_RangeCost_500Ops(benchmark::State& state) {
  Graph g = chain_model(500);
  device::SegmentCompiler sc(g, platform().chip);
  int32_t a = 0;
  for (auto _ : state) {
    a = (a + 37) % (sc.num_ops() - 100);
    device::Cost c = device::cost(sc.place(a, a + 100), platform());
    benchmark::DoNotOptimize(c);
  }
}

BENCHMARK(BM_CompileAndCost_500Ops)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CompileAndCost_TrivialPeer)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RangeCost_500Ops)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
