// `tpulab segment` as a user runs it: segment files and plan.json, the --compare table, and
// clear errors with nothing left behind for bad requests.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "model/tflite.h"
#include "testing/testing.h"
#include "testing/tiny_models.h"

namespace tpulab {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;
using testing::run_tpulab;
using testing::shared_model;

TEST(SegmentCli, WritesStandaloneSegmentsAndAPlanThatSimulateAgreesWith) {
  TPULAB_REQUIRE_SHARED();
  testing::TempDir dir;
  const fs::path out = dir / "plan";
  auto r = run_tpulab({"segment", shared_model("mobilenet_v2_1.0_224_quant.tflite"), "-n", "4",
                       "--strategy", "optimal", "--out", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("bottleneck"));
  EXPECT_THAT(r.out, HasSubstr("inferences/s"));
  std::ifstream in(out / "plan.json");
  auto plan = nlohmann::json::parse(in);
  ASSERT_EQ(plan["starts"].size(), 3u);
  ASSERT_EQ(plan["segments"].size(), 4u);
  ASSERT_EQ(plan["cuts"].size(), 3u);
  size_t ops = 0;
  for (int i = 0; i < 4; ++i) {
    const auto& s = plan["segments"][static_cast<size_t>(i)];
    const fs::path file = out / s["file"].get<std::string>();
    EXPECT_EQ(file.filename().string(),
              "mobilenet_v2_1.0_224_quant_segment_" + std::to_string(i) + "_of_4.tflite");
    Graph g = read_tflite(file.string());  // stand-alone and valid
    ops += g.main().ops.size();
    EXPECT_EQ(static_cast<int64_t>(g.main().ops.size()), s["ops"].get<int64_t>());
    std::vector<std::string> names;
    for (int32_t t : g.main().inputs)
      names.push_back(g.main().tensors[static_cast<size_t>(t)].name);
    EXPECT_EQ(nlohmann::json(names), s["inputs"]);
  }
  EXPECT_EQ(ops, read_tflite(shared_model("mobilenet_v2_1.0_224_quant.tflite")).main().ops.size());
  for (const auto& e : fs::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename(), "plan") << "left behind: " << e.path();
  // `simulate --plan` reads the same cut points and costs them the same way.
  auto sim =
      run_tpulab({"simulate", shared_model("mobilenet_v2_1.0_224_quant.tflite"), "--platform",
                  "asus-8x-pcie", "--plan", (out / "plan.json").string(), "--json"});
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  auto s = nlohmann::json::parse(sim.out);
  EXPECT_DOUBLE_EQ(s["bottleneck_ms"].get<double>(), plan["bottleneck_ms"].get<double>());
  EXPECT_DOUBLE_EQ(s["latency_ms"].get<double>(), plan["latency_ms"].get<double>());
}

TEST(SegmentCli, CompareListsEveryStrategyForEachK) {
  TPULAB_REQUIRE_SHARED();
  const std::string model = shared_model("mobilenet_v1_0.75_192_quant.tflite");
  auto table = run_tpulab({"segment", model, "--compare", "-n", "1..8"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("opt/params"));
  auto r = run_tpulab({"segment", model, "--compare", "-n", "1..8", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 24u);
  for (size_t k = 0; k < 8; ++k) {
    double best = j[k * 3 + 2]["bottleneck_ms"].get<double>();
    EXPECT_EQ(j[k * 3 + 2]["strategy"], "optimal");
    EXPECT_LE(best, j[k * 3]["bottleneck_ms"].get<double>());
    EXPECT_LE(best, j[k * 3 + 1]["bottleneck_ms"].get<double>());
  }
  auto csv = run_tpulab({"segment", model, "--compare", "-n", "2..3", "--csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 3);
}

TEST(SegmentCli, MeasureSearchesProfileOnCpuTimingsAndOnlyProfile) {
  TPULAB_REQUIRE_SHARED();
  testing::TempDir dir;
  const std::string model = shared_model("mobilenet_v1_0.25_128_quant.tflite");
  const fs::path out = dir / "measured";
  auto r = run_tpulab({"segment", model, "-n", "3", "--strategy", "profile", "--measure",
                       "--measure-runs", "2", "--diff-threshold-ms", "0.01", "--out", out.string(),
                       "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["starts"].size(), 2u);
  EXPECT_LT(j["starts"][0].get<int>(), j["starts"][1].get<int>());
  ASSERT_EQ(j["measured_cpu_ms"].size(), 3u);
  for (const auto& ms : j["measured_cpu_ms"]) EXPECT_GT(ms.get<double>(), 0.0);
  EXPECT_TRUE(fs::exists(out / "plan.json"));
  auto table = run_tpulab({"segment", model, "-n", "2", "--strategy", "profile", "--measure",
                           "--measure-runs", "1", "--out", (dir / "table").string()});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("CPU ms"));

  // The other strategies never look at segment latencies: refused, with the reason.
  for (const char* strategy : {"params", "optimal"}) {
    auto bad = run_tpulab({"segment", model, "-n", "2", "--strategy", strategy, "--measure",
                           "--out", (dir / strategy).string()});
    EXPECT_EQ(bad.exit_code, 2) << strategy;
    EXPECT_THAT(bad.err, HasSubstr("profile only")) << strategy;
    EXPECT_FALSE(fs::exists(dir / strategy));
  }
  auto compare = run_tpulab({"segment", model, "--compare", "-n", "1..2", "--measure"});
  EXPECT_EQ(compare.exit_code, 2);
  auto runs = run_tpulab({"segment", model, "-n", "2", "--strategy", "profile", "--measure",
                          "--measure-runs", "0", "--out", (dir / "runs").string()});
  EXPECT_EQ(runs.exit_code, 2);
  EXPECT_THAT(runs.err, HasSubstr("--measure-runs"));
}

TEST(SegmentCli, BadRequestsFailClearlyAndLeaveNothing) {
  TPULAB_REQUIRE_SHARED();
  testing::TempDir dir;
  const std::string model = shared_model("mobilenet_v1_0.25_128_quant.tflite");
  const std::string out = (dir / "out").string();
  auto zero = run_tpulab({"segment", model, "-n", "0", "--out", out});
  EXPECT_EQ(zero.exit_code, 2);
  EXPECT_THAT(zero.err, HasSubstr("at least 1"));
  auto many = run_tpulab({"segment", model, "-n", "500", "--out", out});
  EXPECT_EQ(many.exit_code, 2);
  EXPECT_THAT(many.err, HasSubstr("segments"));
  auto strategy = run_tpulab({"segment", model, "-n", "2", "--strategy", "magic", "--out", out});
  EXPECT_EQ(strategy.exit_code, 2);
  // The output folder's parent is a file: it cannot be written.
  testing::write_bytes(dir / "file", {1, 2, 3});
  auto unwritable =
      run_tpulab({"segment", model, "-n", "2", "--out", (dir / "file" / "out").string()});
  EXPECT_EQ(unwritable.exit_code, 1);
  EXPECT_THAT(unwritable.err, HasSubstr("error: "));
  // A model with two subgraphs (control flow).
  Graph two = testing::tiny_conv_model();
  two.subgraphs.push_back(two.main());
  write_tflite_file(two, (dir / "two.tflite").string());
  auto sub = run_tpulab({"segment", (dir / "two.tflite").string(), "-n", "1", "--out", out});
  EXPECT_EQ(sub.exit_code, 1);
  EXPECT_THAT(sub.err, HasSubstr("subgraphs"));
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dir.path())) left.push_back(e.path().filename());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"file", "two.tflite"}));
}

// A compiled file carries no layers to cost: every command that simulates it says so.
TEST(SegmentCli, ACompiledModelIsRefusedByEverySimulatingCommand) {
  TPULAB_REQUIRE_SHARED();
  const std::string compiled = shared_model("mobilenet_v2_1.0_224_quant_edgetpu.tflite");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"simulate", compiled},
        std::vector<std::string>{"segment", compiled, "--compare", "-n", "1"},
        std::vector<std::string>{"pipeline", compiled, "--requests", "10"},
        std::vector<std::string>{"power", "measure", compiled, "--source", "sim", "--device",
                                 "sim-edgetpu"}}) {
    auto r = run_tpulab(args);
    EXPECT_EQ(r.exit_code, 1) << args[0] << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("error: the model is already compiled for the Edge TPU"))
        << args[0];
    EXPECT_THAT(r.err, HasSubstr("(op #0 edgetpu-custom-op)")) << args[0];
    EXPECT_TRUE(r.out.empty()) << args[0] << " printed results: " << r.out;
  }
}

}  // namespace
}  // namespace tpulab
