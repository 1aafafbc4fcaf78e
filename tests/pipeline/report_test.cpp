// What a run report says about the system it ran on (stage labels, in-flight requests, shared
// devices, distinct model names), its JSON, the topology sweep's JSON and the workload rules:
// everything a front end prints without computing it itself.
#include <gtest/gtest.h>

#include <limits>

#include "common/error.h"
#include "device/platform.h"
#include "model/zoo/zoo.h"
#include "pipeline/fixtures.h"
#include "pipeline/report_json.h"
#include "pipeline/runtime.h"
#include "pipeline/topology_sweep.h"
#include "pipeline/workload.h"
#include "testing/testing.h"

namespace tpulab::pipeline {
namespace {

using Labels = std::vector<std::string>;

const Graph& small_model() {
  static const Graph g = zoo::build_zoo_model("mobilenet_v1", {.input = 96, .width = 0.25});
  return g;
}

TEST(RunReport, TwoModelsOfOneNameGetDistinctNamesAndEveryDeviceKnowsItsStages) {
  SystemOptions so;
  so.segments = 2;
  so.pipelines = 3;
  so.timing_only = true;
  // 2 models x 3 replicas x 2 stages = 12 slots on 8 TPUs: slots wrap, TPUs 0-3 serve both.
  System sys = build_system({{"m", small_model(), {}}, {"m", small_model(), {}}}, asus(), so);
  const RunReport r = run(sys, closed(60), {});
  ASSERT_EQ(r.models.size(), 2u);
  EXPECT_EQ(r.models[0].name, "m");
  EXPECT_EQ(r.models[1].name, "m#2");
  EXPECT_EQ(r.platform, "asus-8x-pcie");
  EXPECT_EQ(r.tpus, 8);
  EXPECT_TRUE(r.timing_only);
  ASSERT_EQ(r.devices.size(), 8u);
  EXPECT_EQ(r.devices[0].stages, (Labels{"m/p0/s0", "m#2/p1/s0"}));
  EXPECT_EQ(r.devices[3].stages, (Labels{"m/p1/s1", "m#2/p2/s1"}));
  EXPECT_EQ(r.devices[4].stages, (Labels{"m/p2/s0"}));
  EXPECT_EQ(r.devices[7].stages, (Labels{"m#2/p0/s1"}));
  for (size_t d = 0; d < 8; ++d) EXPECT_EQ(r.devices[d].shared, d < 4) << d;
  EXPECT_TRUE(r.any_device_shared());
  for (const ModelReport& m : r.models) {
    EXPECT_EQ(m.segments, 2);
    EXPECT_EQ(m.pipelines, 3);
    EXPECT_EQ(m.starts.size(), 1u);
    EXPECT_EQ(m.strategy, partition::Strategy::kOptimal);
    EXPECT_GT(m.bottleneck_ms, 0);
    EXPECT_EQ(m.in_flight, 12);  // the default: 2 per stage of the model's 3 x 2 stages
  }

  const nlohmann::json j = run_report_to_json(r);
  EXPECT_EQ(j["models"][1]["name"], "m#2");
  EXPECT_EQ(j["models"][1]["in_flight"], 12);
  EXPECT_EQ(j["models"][0]["pipelines"], 3);
  EXPECT_EQ(j["models"][0]["starts"], nlohmann::json(r.models[0].starts));
  EXPECT_EQ(j["devices"][0]["stages"], nlohmann::json(Labels{"m/p0/s0", "m#2/p1/s0"}));
  EXPECT_EQ(j["devices"][0]["shared"], true);
  EXPECT_EQ(j["devices"][4]["shared"], false);
  EXPECT_EQ(j["tpus"], 8);
  EXPECT_EQ(j["platform"], "asus-8x-pcie");
}

TEST(RunReport, InFlightIsTheWorkloadsOrNoneForOpenLoops) {
  SystemOptions so;
  so.segments = 2;
  so.timing_only = true;
  System sys = build_system({{"m", small_model(), {}}}, asus(), so);
  const RunReport given = run(sys, closed(40, 5), {});
  EXPECT_EQ(given.models[0].in_flight, 5);
  EXPECT_FALSE(given.any_device_shared());
  EXPECT_EQ(given.devices[2].stages, Labels{});
  Workload open;
  open.kind = LoadKind::kPeriodic;
  open.rate_ips = 100;
  open.requests = 40;
  const RunReport r = run(sys, open, {});
  EXPECT_EQ(r.models[0].in_flight, 0);
  EXPECT_FALSE(run_report_to_json(r)["models"][0].contains("in_flight"));
}

TEST(RunReport, DeviceModelRatio) {
  RunReport r;
  r.throughput_ips = 150;
  EXPECT_EQ(r.device_model_ratio(), 0.0);  // no device-model figure
  r.analytic_throughput_ips = 200;
  EXPECT_DOUBLE_EQ(r.device_model_ratio(), 0.75);
}

TEST(TopologySweep, JsonHasOneRowPerTopologyLongestPipelineFirst) {
  SystemOptions so;
  so.timing_only = true;
  const TopologySweep s = sweep_topologies({"m", small_model(), {}}, asus(), so, closed(50), {});
  EXPECT_EQ(s.model, "m");
  EXPECT_EQ(s.tpus, 8);
  EXPECT_TRUE(s.timing_only);
  EXPECT_EQ(s.requests, 50);
  const nlohmann::json j = topology_sweep_to_json(s);
  EXPECT_EQ(j["model"], "m");
  EXPECT_EQ(j["platform"], "asus-8x-pcie");
  EXPECT_EQ(j["clock"], "virtual");
  ASSERT_EQ(j["topologies"].size(), 4u);
  const int expected[4][2] = {{1, 8}, {2, 4}, {4, 2}, {8, 1}};
  for (size_t i = 0; i < 4; ++i) {
    const nlohmann::json& t = j["topologies"][i];
    EXPECT_EQ(t["pipelines"], expected[i][0]);
    EXPECT_EQ(t["segments"], expected[i][1]);
    EXPECT_EQ(t["starts"].size(), static_cast<size_t>(expected[i][1] - 1));
    EXPECT_EQ(t["requests"], 50);
    EXPECT_GT(t["throughput_ips"].get<double>(), 0);
    EXPECT_EQ(t["throughput_ips"], s.runs[i].report.throughput_ips);
    for (const char* key : {"p50", "p90", "p99", "max", "mean"})
      EXPECT_TRUE(t["latency_ms"].contains(key)) << key;
  }
}

TEST(Workload, LoadKindDefaultsToPoissonWithARateAndClosedWithout) {
  EXPECT_EQ(load_kind_or_default("", 0), LoadKind::kClosed);
  EXPECT_EQ(load_kind_or_default("", 20), LoadKind::kPoisson);
  EXPECT_EQ(load_kind_or_default("periodic", 20), LoadKind::kPeriodic);
  EXPECT_EQ(load_kind_or_default("closed", 0), LoadKind::kClosed);
  EXPECT_THROW(load_kind_or_default("bursty", 0), UsageError);
}

std::string field_of_error(const Workload& w) {
  try {
    check_workload(w);
  } catch (const FieldError& e) {
    return e.field();
  }
  return "";
}

TEST(Workload, RateIsForOpenLoopsAndInFlightForTheClosedOne) {
  Workload w = closed(10);
  EXPECT_EQ(field_of_error(w), "");
  w.rate_ips = 5;
  EXPECT_EQ(field_of_error(w), "rate");
  Workload open;
  open.kind = LoadKind::kPoisson;
  open.rate_ips = 5;
  EXPECT_EQ(field_of_error(open), "");
  open.in_flight = 3;
  EXPECT_EQ(field_of_error(open), "in_flight");
  open.in_flight = 0;
  open.rate_ips = 0;
  EXPECT_EQ(field_of_error(open), "rate");
  open.rate_ips = std::numeric_limits<double>::infinity();
  EXPECT_EQ(field_of_error(open), "rate");
}

TEST(ModelToRun, NamedAsReportsCallIt) {
  const ModelToRun zoo = model_to_run("zoo:mobilenet_v1");
  EXPECT_EQ(zoo.name, "mobilenet_v1");
  EXPECT_FALSE(zoo.graph.main().ops.empty());
  EXPECT_TRUE(zoo.starts.empty());
  EXPECT_THROW(model_to_run("zoo:no_such_net"), UsageError);
  EXPECT_THROW(model_to_run("/no/such/dir/model.tflite"), IoError);
  TPULAB_REQUIRE_SHARED();
  const std::string path =
      (tpulab::testing::shared_dir() / "models" / "mobilenet_v1_0.25_128_quant.tflite").string();
  EXPECT_EQ(model_to_run(path).name, "mobilenet_v1_0.25_128_quant");
}

TEST(BuildSystem, AModelWithoutOpsIsAUsageError) {
  Graph empty;
  empty.subgraphs.emplace_back();
  EXPECT_THROW(build_system({{"empty", empty, {}}}, asus(), SystemOptions{}), UsageError);
  EXPECT_THROW(sweep_topologies({"empty", empty, {}}, asus(), SystemOptions{}, closed(10), {}),
               UsageError);
}

}  // namespace
}  // namespace tpulab::pipeline
