// Real models through the pipeline: outputs byte-identical to the unpipelined model, in order,
// none lost; the simulated Edge TPU's parameter cache.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "common/error.h"
#include "device/platform.h"
#include "model/tflite.h"
#include "partition/segment.h"
#include "pipeline/cpu_device.h"
#include "pipeline/engine_segment.h"
#include "pipeline/pipelined_runner.h"
#include "pipeline/sim_edgetpu.h"
#include "testing/testing.h"

namespace tpulab::pipeline {
namespace {

const char* kMobilenet = "models/mobilenet_v1_0.25_128_quant.tflite";

// Evenly spaced cut points for k segments.
std::vector<int32_t> even_cuts(const Graph& g, int k) {
  const auto n = static_cast<int32_t>(g.main().ops.size());
  std::vector<int32_t> starts;
  for (int i = 1; i < k; ++i) starts.push_back(n * i / k);
  return starts;
}

std::vector<TensorMap> random_requests(const Graph& g, int count, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<TensorMap> requests(static_cast<size_t>(count));
  for (TensorMap& r : requests)
    for (int32_t t : g.main().inputs) {
      const Tensor& x = g.main().tensors[static_cast<size_t>(t)];
      Bytes b(static_cast<size_t>(x.byte_size()));
      for (auto& v : b) v = static_cast<uint8_t>(rng());
      r[x.name] = std::move(b);
    }
  return requests;
}

// Pushes every request from another thread (so back-pressure is exercised) and pops them all.
std::vector<PipelineOutput> run_all(PipelinedRunner& runner, const std::vector<TensorMap>& reqs) {
  std::thread producer([&] {
    for (const TensorMap& r : reqs) runner.push(r);
    runner.push({});
  });
  std::vector<PipelineOutput> outs;
  while (auto out = runner.pop()) outs.push_back(std::move(*out));
  producer.join();
  return outs;
}

TEST(EnginePipeline, CpuSegmentsReproduceTheWholeModelInOrder) {
  TPULAB_REQUIRE_SHARED();
  const Graph g = read_tflite((testing::shared_dir() / kMobilenet).string());
  const auto requests = random_requests(g, 50, 7);
  EngineSegment whole(g, "whole");
  std::vector<TensorMap> expected;
  for (const TensorMap& r : requests) expected.push_back(whole.run(r));

  for (int k = 2; k <= 4; ++k) {
    SCOPED_TRACE("K=" + std::to_string(k));
    const auto segments = split_into_segments(g, even_cuts(g, k));
    std::vector<std::unique_ptr<CpuDevice>> devices;
    std::vector<StageBinding> stages;
    for (size_t i = 0; i < segments.size(); ++i) {
      devices.push_back(std::make_unique<CpuDevice>("cpu" + std::to_string(i)));
      const SegmentHandle h = devices.back()->load(
          segments[i].graph, 1, segment_file_name("mobilenet", i, segments.size()));
      stages.push_back({devices.back().get(), h});
    }
    PipelinedRunner runner(std::move(stages));
    EXPECT_EQ(runner.output_names(), graph_output_names(g));
    const auto outs = run_all(runner, requests);
    ASSERT_EQ(outs.size(), requests.size());
    for (size_t i = 0; i < outs.size(); ++i) {
      EXPECT_EQ(outs[i].sequence, i);
      EXPECT_TRUE(outs[i].tensors == expected[i]) << "request " << i;
    }
    for (const StageStats& st : runner.stats()) EXPECT_EQ(st.count, 50);
  }
}

TEST(EnginePipeline, SimulatedTpusComputeTheSameOutputsAndHoldForTheModeledTime) {
  TPULAB_REQUIRE_SHARED();
  const device::Platform pf = device::load_platform("asus-8x-pcie");
  const Graph g = read_tflite((testing::shared_dir() / kMobilenet).string());
  const auto requests = random_requests(g, 20, 8);
  EngineSegment whole(g, "whole");
  const auto segments = split_into_segments(g, even_cuts(g, 3));
  std::vector<std::unique_ptr<SimEdgeTpu>> tpus;
  std::vector<StageBinding> stages;
  for (size_t i = 0; i < segments.size(); ++i) {
    tpus.push_back(std::make_unique<SimEdgeTpu>(pf, "tpu" + std::to_string(i)));
    stages.push_back({tpus.back().get(), tpus.back()->load(segments[i].graph, 1, "seg")});
  }
  PipelinedRunner runner(std::move(stages));
  const auto outs = run_all(runner, requests);
  ASSERT_EQ(outs.size(), requests.size());
  for (size_t i = 0; i < outs.size(); ++i)
    EXPECT_TRUE(outs[i].tensors == whole.run(requests[i])) << "request " << i;
  const auto stats = runner.stats();
  for (size_t s = 0; s < stats.size(); ++s) {
    // One switch (the first load of the cache), then the modeled time per invoke.
    EXPECT_EQ(stats[s].switches, 1);
    const double expect_ms = 20 * tpus[s]->cost(0).latency_ms() + tpus[s]->switch_ms(0);
    EXPECT_NEAR(stats[s].busy_ms, expect_ms, 1e-9 * expect_ms + 1e-12);
    EXPECT_GT(stats[s].energy_mj, 0);
  }
}

TEST(SimEdgeTpu, SwitchingCachingTokensCostsTheReloadTime) {
  TPULAB_REQUIRE_SHARED();
  const device::Platform pf = device::load_platform("asus-8x-pcie");
  const Graph g = read_tflite((testing::shared_dir() / kMobilenet).string());
  const auto segments = split_into_segments(g, even_cuts(g, 2));
  SimEdgeTpu tpu(pf, "tpu0", {.timing_only = true});
  // Two segments of one partition share token 1; a second model's segment has token 2.
  const SegmentHandle a = tpu.load(segments[0].graph, 1, "a");
  const SegmentHandle b = tpu.load(segments[1].graph, 1, "b");
  const SegmentHandle other = tpu.load(segments[0].graph, 2, "other");
  ASSERT_GT(tpu.switch_ms(a), 0);
  const TensorMap in_a = random_requests(segments[0].graph, 1, 1)[0];
  const TensorMap in_b = random_requests(segments[1].graph, 1, 2)[0];

  InvokeResult r = tpu.invoke(a, in_a);
  EXPECT_TRUE(r.timing.switched);  // cold cache
  EXPECT_DOUBLE_EQ(r.timing.ms, tpu.cost(a).latency_ms() + tpu.switch_ms(a));
  r = tpu.invoke(b, in_b);
  EXPECT_FALSE(r.timing.switched);  // same token: co-cached
  EXPECT_DOUBLE_EQ(r.timing.ms, tpu.cost(b).latency_ms());
  r = tpu.invoke(other, in_a);
  EXPECT_TRUE(r.timing.switched);
  EXPECT_EQ(tpu.resident_token(), CachingToken{2});
  r = tpu.invoke(a, in_a);
  EXPECT_TRUE(r.timing.switched);
  EXPECT_EQ(tpu.switches(), 3);
  EXPECT_TRUE(r.timing.modeled);

  // Timing-only outputs: every output, zero bytes of the right size.
  ASSERT_EQ(r.outputs.size(), segments[0].graph.main().outputs.size());
  for (int32_t t : segments[0].graph.main().outputs) {
    const Tensor& x = segments[0].graph.main().tensors[static_cast<size_t>(t)];
    EXPECT_EQ(r.outputs.at(x.name), Bytes(static_cast<size_t>(x.byte_size()), 0));
  }
  EXPECT_THROW(tpu.invoke(a, {}), UsageError);
}

}  // namespace
}  // namespace tpulab::pipeline
