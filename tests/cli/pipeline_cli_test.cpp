// `tpulab pipeline` as a user runs it: the JSON report agrees with the device model, zoo models
// fill a platform, several models share TPUs and pay model switches, both clocks complete, and
// bad requests fail clearly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "testing/sanitizers.h"
#include "testing/testing.h"

namespace tpulab {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;
using testing::run_tpulab;
using testing::shared_model;

const char* const kSmall = "mobilenet_v1_0.25_128_quant.tflite";
const char* const kMedium = "mobilenet_v1_0.5_160_quant.tflite";
constexpr int64_t kLargeRun = 4000000;  // requests of the peak-memory test

// Runs `tpulab pipeline ARGS --json` and parses the report.
nlohmann::json report(std::vector<std::string> args) {
  args.insert(args.begin(), "pipeline");
  args.push_back("--json");
  auto r = run_tpulab(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // stderr is not a terminal here: no progress line.
  EXPECT_THAT(r.err, Not(HasSubstr("requests")));
  if (r.exit_code != 0) return nlohmann::json::object();
  return nlohmann::json::parse(r.out);
}

void expect_ordered_latencies(const nlohmann::json& l) {
  EXPECT_GT(l["p50"].get<double>(), 0.0);
  EXPECT_LE(l["p50"].get<double>(), l["p90"].get<double>());
  EXPECT_LE(l["p90"].get<double>(), l["p99"].get<double>());
  EXPECT_LE(l["p99"].get<double>(), l["max"].get<double>());
  EXPECT_LE(l["mean"].get<double>(), l["max"].get<double>());
}

TEST(PipelineCli, JsonReportMatchesTheDeviceModel) {
  TPULAB_REQUIRE_SHARED();
  auto j = report({shared_model(kSmall), "--segments", "4", "--timing-only", "--requests", "500"});
  ASSERT_FALSE(j.empty());
  for (const char* key :
       {"clock", "dispatch", "load", "requests", "invocations", "duration_ms", "throughput_ips",
        "analytic_throughput_ips", "latency_ms", "energy_mj", "energy_per_inference_mj",
        "shared_link_utilization", "wall_ms", "models", "devices", "platform"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["clock"], "virtual");
  EXPECT_EQ(j["dispatch"], "round-robin");
  EXPECT_EQ(j["platform"], "asus-8x-pcie");
  EXPECT_EQ(j["load"]["kind"], "closed");
  EXPECT_EQ(j["load"]["requests"], 500);
  for (const char* key : {"in_flight", "rate_ips"}) EXPECT_TRUE(j["load"].contains(key)) << key;
  EXPECT_EQ(j["requests"], 500);
  EXPECT_EQ(j["invocations"], 500 * 4);
  // A closed loop keeps every stage busy: the run reaches the device model's figure.
  const double ips = j["throughput_ips"].get<double>();
  const double analytic = j["analytic_throughput_ips"].get<double>();
  EXPECT_GT(analytic, 0.0);
  EXPECT_NEAR(ips, analytic, 0.01 * analytic);
  expect_ordered_latencies(j["latency_ms"]);
  EXPECT_GT(j["energy_mj"].get<double>(), 0.0);
  EXPECT_NEAR(j["energy_per_inference_mj"].get<double>(), j["energy_mj"].get<double>() / 500,
              1e-9 * j["energy_mj"].get<double>());

  ASSERT_EQ(j["models"].size(), 1u);
  const auto& m = j["models"][0];
  EXPECT_EQ(m["name"], "mobilenet_v1_0.25_128_quant");
  EXPECT_EQ(m["requests"], 500);
  EXPECT_EQ(m["segments"], 4);
  EXPECT_EQ(m["pipelines"], 1);
  ASSERT_EQ(m["starts"].size(), 3u);
  EXPECT_LT(m["starts"][0].get<int>(), m["starts"][1].get<int>());
  EXPECT_LT(m["starts"][1].get<int>(), m["starts"][2].get<int>());
  expect_ordered_latencies(m["latency_ms"]);

  ASSERT_EQ(j["devices"].size(), 8u);
  int busy = 0;
  double energy = 0;
  for (const auto& d : j["devices"]) {
    for (const char* key :
         {"name", "invokes", "busy_ms", "utilization", "switches", "switch_ms", "energy_mj"})
      EXPECT_TRUE(d.contains(key)) << key;
    const double u = d["utilization"].get<double>();
    EXPECT_GE(u, 0.0);
    EXPECT_LE(u, 1.0);
    if (d["invokes"].get<int64_t>() > 0) {
      ++busy;
      EXPECT_EQ(d["invokes"], 500);
      EXPECT_GT(u, 0.0);
    }
    // One model: a TPU loads its segment's parameters once and keeps them.
    EXPECT_EQ(d["switches"], d["invokes"].get<int64_t>() > 0 ? 1 : 0);
    energy += d["energy_mj"].get<double>();
  }
  EXPECT_EQ(busy, 4);  // one pipeline of four segments
  EXPECT_NEAR(energy, j["energy_mj"].get<double>(), 1e-6 * energy);
}

TEST(PipelineCli, ZooModelRunsAsTwoPipelinesOfFourOnEightTpus) {
  auto j = report({"zoo:inception_v4", "--segments", "4", "--pipelines", "2", "--timing-only",
                   "--requests", "400"});
  ASSERT_FALSE(j.empty());
  ASSERT_EQ(j["models"].size(), 1u);
  EXPECT_EQ(j["models"][0]["name"], "inception_v4");
  EXPECT_EQ(j["models"][0]["segments"], 4);
  EXPECT_EQ(j["models"][0]["pipelines"], 2);
  EXPECT_EQ(j["requests"], 400);
  ASSERT_EQ(j["devices"].size(), 8u);
  for (const auto& d : j["devices"]) {
    EXPECT_EQ(d["invokes"], 200) << d["name"];  // round-robin over the two replicas
    EXPECT_GT(d["utilization"].get<double>(), 0.1) << d["name"];
    EXPECT_LE(d["utilization"].get<double>(), 1.0) << d["name"];
    EXPECT_EQ(d["switches"], 1) << d["name"];  // the first load only
  }
  const double analytic = j["analytic_throughput_ips"].get<double>();
  EXPECT_NEAR(j["throughput_ips"].get<double>(), analytic, 0.02 * analytic);
}

TEST(PipelineCli, TwoModelsShareTpusAndPayModelSwitches) {
  TPULAB_REQUIRE_SHARED();
  // 2 models x 2 pipelines x 4 segments = 16 stages on 8 TPUs: every TPU holds two models.
  auto j = report({shared_model(kSmall), shared_model(kMedium), "--segments", "4", "--pipelines",
                   "2", "--timing-only", "--requests", "200"});
  ASSERT_FALSE(j.empty());
  ASSERT_EQ(j["models"].size(), 2u);
  EXPECT_EQ(j["models"][0]["name"], "mobilenet_v1_0.25_128_quant");
  EXPECT_EQ(j["models"][1]["name"], "mobilenet_v1_0.5_160_quant");
  for (const auto& m : j["models"]) {
    EXPECT_EQ(m["requests"], 200);
    EXPECT_GT(m["throughput_ips"].get<double>(), 0.0);
  }
  EXPECT_EQ(j["requests"], 400);
  ASSERT_EQ(j["devices"].size(), 8u);
  int64_t switches = 0;
  for (const auto& d : j["devices"]) {
    EXPECT_TRUE(d["shared"].get<bool>()) << d["name"];
    EXPECT_EQ(d["stages"].size(), 2u) << d["name"];
    switches += d["switches"].get<int64_t>();
    if (d["switches"].get<int64_t>() > 0) {
      EXPECT_GT(d["switch_ms"].get<double>(), 0.0);
    }
  }
  // Beyond each TPU's first load: the resident model keeps changing.
  EXPECT_GT(switches, 8 * 10);
}

TEST(PipelineCli, HumanOutputHasModelAndDeviceTables) {
  TPULAB_REQUIRE_SHARED();
  auto r = run_tpulab({"pipeline", shared_model(kSmall), "--segments", "2", "--pipelines", "2",
                       "--timing-only", "--requests", "300"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");  // no progress line when stderr is not a terminal
  EXPECT_THAT(r.out, HasSubstr("mobilenet_v1_0.25_128_quant on asus-8x-pcie"));
  EXPECT_THAT(r.out, HasSubstr("2 pipelines x 2 segments"));
  EXPECT_THAT(r.out, HasSubstr("virtual clock"));
  EXPECT_THAT(r.out, HasSubstr("closed loop (8 in flight)"));
  for (const char* word :
       {"throughput/s", "p50 ms", "p99 ms", "utilization %", "switches", "energy mJ", "tpu0",
        "tpu7", "device model", "mJ per inference", "shared host link"})
    EXPECT_THAT(r.out, HasSubstr(word)) << word;
  // The model row shows every request.
  EXPECT_THAT(r.out, ::testing::ContainsRegex("mobilenet_v1_0.25_128_quant +300 "));
}

TEST(PipelineCli, RateMeansPoissonArrivalsAtThatRate) {
  TPULAB_REQUIRE_SHARED();
  auto j = report({shared_model(kSmall), "--segments", "2", "--timing-only", "--requests", "1000",
                   "--rate", "200"});
  ASSERT_FALSE(j.empty());
  EXPECT_EQ(j["load"]["kind"], "poisson");
  EXPECT_DOUBLE_EQ(j["load"]["rate_ips"].get<double>(), 200.0);
  // Far below the pipeline's capacity: completions follow arrivals.
  EXPECT_LT(200.0, 0.5 * j["analytic_throughput_ips"].get<double>());
  EXPECT_NEAR(j["throughput_ips"].get<double>(), 200.0, 20.0);
  auto periodic = report({shared_model(kSmall), "--timing-only", "--requests", "100", "--load",
                          "periodic", "--rate", "50"});
  ASSERT_FALSE(periodic.empty());
  EXPECT_EQ(periodic["load"]["kind"], "periodic");
  EXPECT_NEAR(periodic["throughput_ips"].get<double>(), 50.0, 0.5);
}

TEST(PipelineCli, RealtimeClockCompletesEveryRequest) {
  TPULAB_REQUIRE_SHARED();
  auto j = report({shared_model(kSmall), "--clock", "realtime", "--timing-only", "--segments", "2",
                   "--requests", "100"});
  ASSERT_FALSE(j.empty());
  EXPECT_EQ(j["clock"], "realtime");
  EXPECT_EQ(j["requests"], 100);
  EXPECT_EQ(j["models"][0]["requests"], 100);
  EXPECT_EQ(j["invocations"], 200);
  EXPECT_GT(j["throughput_ips"].get<double>(), 0.0);
  expect_ordered_latencies(j["latency_ms"]);
  // Devices hold their stage for the modeled time, so the run lasts at least that long.
  EXPECT_GE(j["wall_ms"].get<double>(), j["devices"][0]["busy_ms"].get<double>());
}

TEST(PipelineCli, PlanGivesTheCutPointsAndMustMatchTheModel) {
  TPULAB_REQUIRE_SHARED();
  testing::TempDir dir;
  auto seg = run_tpulab({"segment", shared_model(kSmall), "-n", "3", "--strategy", "params",
                         "--out", (dir / "small").string(), "--json"});
  ASSERT_EQ(seg.exit_code, 0) << seg.err;
  const auto plan = nlohmann::json::parse(seg.out);
  auto j = report({shared_model(kSmall), "--plan", (dir / "small" / "plan.json").string(),
                   "--timing-only", "--requests", "100"});
  ASSERT_FALSE(j.empty());
  EXPECT_EQ(j["models"][0]["segments"], 3);
  EXPECT_EQ(j["models"][0]["starts"], plan["starts"]);

  // A plan written for another model is refused with the reason.
  auto other = run_tpulab({"segment", shared_model("mobilenet_v2_1.0_224_quant.tflite"), "-n", "3",
                           "--out", (dir / "v2").string()});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  auto bad = run_tpulab({"pipeline", shared_model(kSmall), "--plan",
                         (dir / "v2" / "plan.json").string(), "--timing-only"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("the plan is for a model with"));
  EXPECT_THAT(bad.err, HasSubstr("ops"));
  EXPECT_EQ(bad.out, "");
  // One plan cannot cut several models, and it excludes --segments.
  auto several = run_tpulab({"pipeline", shared_model(kSmall), shared_model(kSmall), "--plan",
                             (dir / "small" / "plan.json").string()});
  EXPECT_EQ(several.exit_code, 2);
  EXPECT_THAT(several.err, HasSubstr("--plan"));
  auto both = run_tpulab({"pipeline", shared_model(kSmall), "--segments", "2", "--plan",
                          (dir / "small" / "plan.json").string()});
  EXPECT_EQ(both.exit_code, 2);
}

TEST(PipelineCli, BadRequestsAreUsageErrors) {
  TPULAB_REQUIRE_SHARED();
  const std::string model = shared_model(kSmall);
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--segments", "9"}, "Edge TPUs"},
      {{"--segments", "4", "--pipelines", "3"}, "3 pipelines of 4 segments need 12 Edge TPUs"},
      {{"--segments", "0"}, "--segments"},
      {{"--load", "poisson"}, "--rate"},
      {{"--load", "bursty"}, "unknown load"},
      {{"--load", "closed", "--rate", "10"}, "open loops"},
      {{"--rate", "10", "--in-flight", "4"}, "closed loop"},
      {{"--requests", "0"}, "--requests"},
      {{"--clock", "wall"}, "unknown clock"},
      {{"--dispatch", "random"}, "unknown dispatch"},
      {{"--strategy", "magic"}, "magic"},
      {{"--platform", "no-such-platform"}, "no-such-platform"},
      {{"--queue-size", "-1"}, "--queue-size"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"pipeline", model, "--timing-only"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto r = run_tpulab(args);
    const std::string what = ::testing::PrintToString(c.args);
    EXPECT_EQ(r.exit_code, 2) << what << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("error: ")) << what;
    EXPECT_THAT(r.err, HasSubstr(c.message)) << what;
    EXPECT_EQ(r.out, "") << what;
  }
  auto zoo = run_tpulab({"pipeline", "zoo:no_such_net", "--timing-only"});
  EXPECT_EQ(zoo.exit_code, 2);
  EXPECT_THAT(zoo.err, HasSubstr("no_such_net"));
  auto none = run_tpulab({"pipeline"});
  EXPECT_EQ(none.exit_code, 2);
}

TEST(PipelineCli, UnreadableModelFileIsAnError) {
  testing::TempDir dir;
  const std::string missing = (dir / "missing.tflite").string();
  auto r = run_tpulab({"pipeline", missing, "--timing-only"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: "));
  EXPECT_THAT(r.err, HasSubstr("missing.tflite"));
  EXPECT_EQ(r.out, "");
  testing::write_bytes(dir / "junk.tflite", {1, 2, 3, 4, 5, 6, 7, 8});
  auto junk = run_tpulab({"pipeline", (dir / "junk.tflite").string(), "--timing-only"});
  EXPECT_EQ(junk.exit_code, 1);
  EXPECT_THAT(junk.err, HasSubstr("junk.tflite"));
}

// Issue #18: a long run keeps streaming statistics, so its peak memory does not grow with the
// requests (it grew by 16 bytes and more a request: every latency and completion time).
TEST(PipelineCli, PeakMemoryDoesNotGrowWithRequests) {
#if defined(TPULAB_SANITIZED)
  GTEST_SKIP() << "!!! sanitizers hold freed memory in quarantine, so peak RSS says nothing: "
                  "test SKIPPED !!!";
#endif
  TPULAB_REQUIRE_SHARED();
  auto peak_kb = [](int64_t requests) {
    auto r = run_tpulab({"pipeline", shared_model(kSmall), "--requests", std::to_string(requests),
                         "--clock", "virtual", "--timing-only", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (r.exit_code == 0) {
      EXPECT_EQ(nlohmann::json::parse(r.out)["requests"], requests);
    }
    return r.max_rss_kb;
  };
  const long small = peak_kb(100000), large = peak_kb(kLargeRun);
  ASSERT_GT(small, 0);
  // 40x the requests; the old vectors alone would add 16 B x 3.9e6 = 62 MB.
  EXPECT_LT(large - small, 8 * 1024)
      << "peak RSS " << small << " kB at 1e5 requests, " << large << " kB at " << kLargeRun;
}

}  // namespace
}  // namespace tpulab
