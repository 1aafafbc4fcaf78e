// write_plan: the files of a plan on disk, their names and what plan.json says about them.
#include "partition/plan_files.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <set>

#include "common/error.h"
#include "device/platform.h"
#include "model/tflite.h"
#include "model/zoo/zoo.h"
#include "partition/segment.h"
#include "testing/oracle.h"
#include "testing/testing.h"

namespace tpulab::partition {
namespace {

namespace fs = std::filesystem;

TEST(PlanFiles, CutTensorsLeaveOneSegmentAndEnterALaterOneByName) {
  Graph g = zoo::build_zoo_model("resnet50_v1", {.input = 96});
  const device::Platform pf = device::load_platform("asus-8x-pcie");
  Options o;
  o.segments = 5;
  Plan plan = partition_optimal(g, pf, o);
  testing::TempDir dir;
  auto files = write_plan(g, plan, pf, "resnet", dir / "out", Objective::kThroughput);
  ASSERT_EQ(files.size(), 6u);
  std::ifstream in(dir / "out" / "plan.json");
  auto j = nlohmann::json::parse(in);
  std::vector<std::set<std::string>> ins, outs;
  for (size_t i = 0; i < 5; ++i) {
    Graph s = read_tflite((dir / "out" / segment_file_name("resnet", i, 5)).string());
    ins.emplace_back();
    outs.emplace_back();
    for (int32_t t : s.main().inputs)
      ins.back().insert(s.main().tensors[static_cast<size_t>(t)].name);
    for (int32_t t : s.main().outputs)
      outs.back().insert(s.main().tensors[static_cast<size_t>(t)].name);
  }
  for (size_t c = 0; c < 4; ++c)
    for (const auto& t : j["cuts"][c]["tensors"]) {
      const std::string name = t["name"];
      bool produced = false, consumed = false;
      for (size_t i = 0; i <= c; ++i) produced |= outs[i].count(name) > 0;
      for (size_t i = c + 1; i < 5; ++i) consumed |= ins[i].count(name) > 0;
      EXPECT_TRUE(produced && consumed) << "cut " << c << " tensor " << name;
    }
  // Writing into an existing folder replaces the files; nothing else is left beside it.
  write_plan(g, plan, pf, "resnet", dir / "out", Objective::kThroughput);
  std::vector<std::string> entries;
  for (const auto& e : fs::directory_iterator(dir.path())) entries.push_back(e.path().filename());
  EXPECT_EQ(entries, std::vector<std::string>{"out"});
  testing::write_bytes(dir / "file", {0});
  EXPECT_THROW(write_plan(g, plan, pf, "resnet", dir / "file", Objective::kThroughput), IoError);
}

// The real TFLite runtime loads every segment file each strategy writes.
TEST(SegmentOracle, EveryWrittenSegmentLoadsInTfLite) {
  TPULAB_REQUIRE_SHARED();
  TPULAB_REQUIRE_ORACLE();
  const device::Platform pf = device::load_platform("asus-8x-pcie");
  int loaded = 0;
  for (const auto& path : testing::shared_models()) {
    if (path.filename().string().find("edgetpu") != std::string::npos) continue;
    Graph g = read_tflite(path.string());
    Options o;
    o.segments = std::min<int>(3, static_cast<int>(g.main().ops.size()));
    testing::TempDir dir;
    Plan plan = partition_optimal(g, pf, o);
    auto files = write_plan(g, plan, pf, path.stem().string(), dir / "out", o.objective);
    for (const auto& f : files) {
      if (f.extension() != ".tflite") continue;
      auto info = testing::oracle_info(f);
      EXPECT_TRUE(info.ok) << f << ": " << info.error;
      ++loaded;
    }
  }
  EXPECT_GE(loaded, 25);
}

}  // namespace
}  // namespace tpulab::partition

namespace tpulab::partition {
namespace {

// read_plan_starts gives back the cut points write_plan wrote, and refuses plans of another model.
TEST(PlanFiles, ReadingAPlanChecksItFitsTheModel) {
  Graph g = zoo::build_zoo_model("resnet50_v1", {.input = 96});
  const device::Platform pf = device::load_platform("asus-8x-pcie");
  Options o;
  o.segments = 4;
  const Plan plan = partition_optimal(g, pf, o);
  testing::TempDir dir;
  write_plan(g, plan, pf, "resnet", dir / "out", Objective::kThroughput);
  const std::string path = (dir / "out" / "plan.json").string();
  EXPECT_EQ(read_plan_starts(path, g), plan.starts);

  auto rewrite = [&](const std::function<void(nlohmann::json&)>& edit) {
    std::ifstream in(path);
    nlohmann::json j = nlohmann::json::parse(in);
    edit(j);
    const std::string p = (dir / "edited.json").string();
    std::ofstream(p) << j.dump();
    return p;
  };
  auto error_of = [&](const std::string& p) -> std::string {
    try {
      read_plan_starts(p, g);
    } catch (const UsageError& e) {  // the plan does not fit this model
      return e.what();
    } catch (const FormatError& e) {  // the file is not a plan
      return e.what();
    }
    return "no error";
  };
  // Another model with the same ops would pass other tensors across the cuts.
  EXPECT_NE(error_of(rewrite([](nlohmann::json& j) {
              j["cuts"][1]["tensors"][0]["name"] = "someone_elses_tensor";
            })).find("the plan is for another model"),
            std::string::npos);
  EXPECT_NE(error_of(rewrite([](nlohmann::json& j) { j["num_ops"] = 12; }))
                .find("a model with 12 ops"),
            std::string::npos);
  EXPECT_NE(error_of(rewrite([](nlohmann::json& j) { j["starts"] = {5, 3}; })).find("out of order"),
            std::string::npos);
  EXPECT_NE(error_of(rewrite([](nlohmann::json& j) {
              j.erase("starts");
              j["segments"] = {{0, 5}};
            })).find("do not cover"),
            std::string::npos);
  std::ofstream((dir / "junk.json").string()) << "{not json";
  EXPECT_NE(error_of((dir / "junk.json").string()).find("malformed"), std::string::npos);
  EXPECT_THROW(read_plan_starts((dir / "junk.json").string(), g), FormatError);
  EXPECT_THROW(read_plan_starts((dir / "missing.json").string(), g), IoError);
}

}  // namespace
}  // namespace tpulab::partition
