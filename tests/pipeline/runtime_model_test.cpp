// Real models through the runtime: byte-identical outputs through 2..8 simulated Edge TPUs on
// both clocks; topologies of the 8-TPU card against the device model's analytic throughput;
// models sharing TPUs pay the switch; bad systems are clear errors.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "common/error.h"
#include "device/platform.h"
#include "model/analysis.h"
#include "model/tflite.h"
#include "model/zoo/zoo.h"
#include "pipeline/engine_segment.h"
#include "pipeline/fixtures.h"
#include "pipeline/runtime.h"
#include "testing/sanitizers.h"
#include "testing/testing.h"

namespace tpulab::pipeline {
namespace {

// Distinct random inputs, cycled over the requests; the expected outputs of each, computed once
// by the whole model on the engine.
struct Reference {
  std::vector<TensorMap> inputs, outputs;
};

Reference reference_of(const Graph& g, int distinct) {
  Reference ref;
  std::mt19937 rng(11);
  EngineSegment whole(g, "whole");
  for (int i = 0; i < distinct; ++i) {
    TensorMap in;
    for (int32_t t : g.main().inputs) {
      const Tensor& x = g.main().tensors[static_cast<size_t>(t)];
      Bytes b(static_cast<size_t>(x.byte_size()));
      for (auto& v : b) v = static_cast<uint8_t>(rng());
      in[x.name] = std::move(b);
    }
    ref.outputs.push_back(whole.run(in));
    ref.inputs.push_back(std::move(in));
  }
  return ref;
}

// Requests per MobileNet: 1000 for the small ones; the big ones cost the engine ~10-30x more, so
// CI runs fewer (TPULAB_PIPELINE_REQUESTS=1000 runs them all at 1000).
int64_t requests_for(const Graph& g) {
  if (const char* env = std::getenv("TPULAB_PIPELINE_REQUESTS")) return std::atoll(env);
  const bool small = analyze(g).macs < 60'000'000;
#ifdef TPULAB_SANITIZED
  return small ? 100 : 0;
#else
  return small ? 1000 : 40;
#endif
}

class MobileNetPipelines : public ::testing::TestWithParam<const char*> {};

TEST_P(MobileNetPipelines, OutputsAreByteIdenticalThroughTwoToEightSegmentsOnBothClocks) {
  TPULAB_REQUIRE_SHARED();
  const Graph g = read_tflite((tpulab::testing::shared_dir() / "models" / GetParam()).string());
  const int64_t requests = requests_for(g);
  if (requests == 0) GTEST_SKIP() << "big model skipped under sanitizers (engine too slow)";
  const Reference ref = reference_of(g, 8);
  for (int k = 2; k <= 8; ++k) {
    SystemOptions so;
    so.segments = k;
    // The partitioner's cuts: the exact optimum on even K, the compiler's rule on odd.
    so.strategy = k % 2 == 0 ? partition::Strategy::kOptimal : partition::Strategy::kParams;
    System sys = build_system({{"mobilenet", g, {}}}, asus(), so);
    for (ClockKind clock : {ClockKind::kVirtual, ClockKind::kRealtime}) {
      SCOPED_TRACE("K=" + std::to_string(k) + " " + clock_kind_name(clock));
      RunOptions o;
      o.clock = clock;
      o.make_input = [&](size_t, uint64_t seq) { return ref.inputs[seq % ref.inputs.size()]; };
      std::vector<int> seen(static_cast<size_t>(requests), 0);
      int64_t wrong = 0;
      o.on_output = [&](size_t, uint64_t seq, TensorMap&& out) {
        ++seen.at(seq);
        if (out != ref.outputs[seq % ref.outputs.size()]) ++wrong;
      };
      Workload w;
      w.requests = requests;
      const RunReport r = run(sys, w, o);
      EXPECT_EQ(r.requests, requests);
      EXPECT_EQ(wrong, 0);
      EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), requests);  // each exactly once
      EXPECT_EQ(r.invocations, requests * k);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(SharedModels, MobileNetPipelines,
                         ::testing::Values("mobilenet_v1_0.25_128_quant.tflite",
                                           "mobilenet_v1_0.5_160_quant.tflite",
                                           "mobilenet_v1_0.75_192_quant.tflite",
                                           "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite",
                                           "mobilenet_v2_1.0_224_quant.tflite",
                                           "tf2_mobilenet_v2_1.0_224_ptq.tflite"));

// Every way of cutting the card into replicas: the virtual clock meets the device model's
// analytic throughput within 1 % (including 8x1, where the shared host link binds).
TEST(Topologies, VirtualThroughputMatchesTheAnalyticModel) {
  for (const char* name : {"inception_v4", "resnet152_v2", "mobilenet_v2"}) {
    const Graph g = zoo::build_zoo_model(name);
    for (int k : {8, 4, 2, 1}) {
      SCOPED_TRACE(std::string(name) + " " + std::to_string(8 / k) + "x" + std::to_string(k));
      SystemOptions so;
      so.segments = k;
      so.pipelines = 8 / k;
      so.timing_only = true;
      System sys = build_system({{name, g, {}}}, asus(), so);
      Workload w;
      w.requests = 3000;
      const RunReport r = run(sys, w, {});
      EXPECT_EQ(r.requests, 3000);
      EXPECT_NEAR(r.throughput_ips / r.analytic_throughput_ips, 1.0, 0.01);
    }
  }
}

TEST(Topologies, AnalyticThroughputKnowsTheSharedLink) {
  // inception_v4 whole on each of 8 TPUs streams most of its weights: the card's uplink binds.
  const Graph g = zoo::build_zoo_model("inception_v4");
  SystemOptions so;
  so.pipelines = 8;
  so.timing_only = true;
  System sys = build_system({{"inception_v4", g, {}}}, asus(), so);
  const device::Simulation& one = sys.models[0].plan.simulation;
  const double per_tpu_ips = 1e3 / one.costs[0].latency_ms();
  ASSERT_GT(8 * per_tpu_ips * one.shared_link_ms, 1e3) << "the link should bind here";
  EXPECT_NEAR(analytic_throughput_ips(sys), 1e3 / one.shared_link_ms, 1e-6);
  const RunReport r = run(sys, Workload{}, {});
  EXPECT_GT(r.shared_link_utilization, 0.98);
}

TEST(SharedTpus, ModelsSharingTpusPayTheSwitchAndRunSlower) {
  const Graph a = zoo::build_zoo_model("mobilenet_v2");
  const Graph b = zoo::build_zoo_model("inception_v1");
  SystemOptions so;
  so.segments = 4;
  so.timing_only = true;
  Workload w;
  w.requests = 500;

  // 4 + 4 segments on 8 TPUs: nobody shares; each TPU loads its model once.
  System apart = build_system({{"a", a, {}}, {"b", b, {}}}, asus(), so);
  const RunReport ra = run(apart, w, {});
  for (size_t d = 0; d < 8; ++d) EXPECT_FALSE(apart.device_shared(d));
  for (const DeviceReport& d : ra.devices) EXPECT_EQ(d.switches, 1) << d.name;

  // Two replicas each: 16 stages on 8 TPUs, every TPU holds segments of both models.
  so.pipelines = 2;
  System shared = build_system({{"a", a, {}}, {"b", b, {}}}, asus(), so);
  for (size_t d = 0; d < 8; ++d) EXPECT_TRUE(shared.device_shared(d));
  const RunReport rs = run(shared, w, {});
  EXPECT_EQ(rs.requests, 1000);
  int64_t switches = 0;
  for (const DeviceReport& d : rs.devices) {
    switches += d.switches;
    EXPECT_GT(d.switch_ms, 0) << d.name;
  }
  EXPECT_GT(switches, 100);
  // Twice the replicas, yet slower than the separate pipelines: the reloads eat the gain.
  EXPECT_LT(rs.models[0].throughput_ips, ra.models[0].throughput_ips);

  // Realtime agrees that sharing devices works (one invoke at a time per TPU, no deadlock).
  RunOptions rt;
  rt.clock = ClockKind::kRealtime;
  w.requests = 40;
  const RunReport rr = run(shared, w, rt);
  EXPECT_EQ(rr.requests, 80);
}

TEST(BadSystems, ClearErrors) {
  const Graph g = zoo::build_zoo_model("mobilenet_v2");
  SystemOptions so;
  so.segments = 9;
  try {
    build_system({{"m", g, {}}}, asus(), so);
    ADD_FAILURE() << "9 segments on 8 TPUs";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("need 9 Edge TPUs"), std::string::npos) << e.what();
  }
  so.segments = 4;
  so.pipelines = 3;
  EXPECT_THROW(build_system({{"m", g, {}}}, asus(), so), UsageError);
  so.pipelines = 0;
  EXPECT_THROW(build_system({{"m", g, {}}}, asus(), so), UsageError);
  EXPECT_THROW(build_system({}, asus(), SystemOptions{}), UsageError);
}

TEST(BadSystems, ASegmentThatCannotLoadNamesItself) {
  // The last op becomes one the engine has no kernel for: loading segment 3 of 4 fails.
  Graph g = zoo::build_zoo_model("mobilenet_v1", {});
  Op& last = g.main().ops.back();
  last.code = static_cast<int32_t>(BuiltinOp::kCustom);
  last.custom_name = "no-such-op";
  SystemOptions so;
  so.segments = 4;
  try {
    build_system({{"mnv1", g, {}}}, asus(), so);
    ADD_FAILURE() << "loaded a segment with an unknown op";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("mnv1_segment_3_of_4"), std::string::npos) << e.what();
  }
  // Timing-only needs no kernels: the same system loads and runs.
  so.timing_only = true;
  System sys = build_system({{"mnv1", g, {}}}, asus(), so);
  EXPECT_EQ(run(sys, Workload{.requests = 10}, {}).requests, 10);
}

}  // namespace
}  // namespace tpulab::pipeline
