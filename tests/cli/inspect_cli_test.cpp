// `tpulab inspect` as a user runs it: outputs, exit codes, and the error line for bad files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/tflite.h"
#include "testing/testing.h"
#include "testing/tiny_models.h"

namespace tpulab {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace fs = std::filesystem;

std::string tpulab_bin() { return testing::tpulab_binary().string(); }

testing::CommandResult inspect(std::vector<std::string> args) {
  args.insert(args.begin(), {tpulab_bin(), "inspect"});
  return testing::run_command(args, 60);
}

TEST(InspectCli, TableJsonCsvAndDotForARealModel) {
  TPULAB_REQUIRE_SHARED();
  std::string model =
      (testing::shared_dir() / "models" / "mobilenet_v1_0.25_128_quant.tflite").string();
  auto table = inspect({model});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("[1,128,128,3]"));
  EXPECT_THAT(table.out, HasSubstr("DEPTHWISE_CONV_2D"));
  EXPECT_THAT(table.out, HasSubstr("Peak activation memory"));

  auto json = inspect({model, "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["inputs"][0]["shape"], nlohmann::json({1, 128, 128, 3}));
  EXPECT_EQ(j["inputs"][0]["dtype"], "uint8");
  EXPECT_EQ(j["outputs"][0]["shape"], nlohmann::json({1, 1001}));
  EXPECT_EQ(j["op_counts"]["CONV_2D"], 15);
  EXPECT_EQ(j["ops"].size(), j["op_total"].get<size_t>());
  int64_t macs = 0;
  for (const auto& op : j["ops"]) macs += op["macs"].get<int64_t>();
  EXPECT_EQ(macs, j["macs"].get<int64_t>());

  auto csv = inspect({model, "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0);
  EXPECT_THAT(csv.out, StartsWith("#,op,inputs,outputs,weight bytes,MACs,output bytes\n"));
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 1 + j["op_total"].get<int>());

  testing::TempDir dir;
  auto dot = inspect({model, "--dot", (dir / "g.dot").string(), "--format", "json"});
  ASSERT_EQ(dot.exit_code, 0);
  std::string text(reinterpret_cast<const char*>(testing::read_bytes(dir / "g.dot").data()),
                   testing::read_bytes(dir / "g.dot").size());
  EXPECT_THAT(text, StartsWith("digraph"));
  EXPECT_THAT(text, HasSubstr("#30 SOFTMAX"));
}

TEST(InspectCli, CompiledModelShowsExecutables) {
  TPULAB_REQUIRE_SHARED();
  std::string model = (testing::shared_dir() / "models" / "cocompiled" /
                       "mobilenet_v1_0.5_160_quant_cocompiled_with_3quant_edgetpu.tflite")
                          .string();
  auto r = inspect({model});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("parameter-caching"));
  EXPECT_THAT(r.out, HasSubstr("execution-only"));
  EXPECT_THAT(r.out, HasSubstr("0x99b484be30458cde"));
  EXPECT_THAT(r.out, HasSubstr("Cached parameters      1,024,960 bytes"));
  EXPECT_THAT(r.out, HasSubstr("Streamed parameters      448,320 bytes"));
}

// Each bad file: "error: <file>: <what is wrong>" on stderr, exit 1, nothing on stdout.
TEST(InspectCli, BadFilesGiveTheCleanErrorLine) {
  testing::TempDir dir;
  auto good = write_tflite(testing::tiny_conv_model());
  std::vector<std::pair<std::string, std::vector<uint8_t>>> cases;
  cases.push_back({"empty.tflite", {}});
  cases.push_back(
      {"truncated.tflite",
       std::vector<uint8_t>(good.begin(), good.begin() + static_cast<long>(good.size() / 2))});
  std::vector<uint8_t> random(5000);
  for (size_t i = 0; i < random.size(); ++i) random[i] = static_cast<uint8_t>((i * 7919u) >> 3);
  cases.push_back({"random.tflite", random});
  auto wrong_id = good;
  wrong_id[5] = 'Z';
  cases.push_back({"wrong_id.tflite", wrong_id});
  Graph bad_index = testing::tiny_conv_model();
  bad_index.main().ops[1].inputs = {42};
  cases.push_back({"bad_index.tflite", write_tflite(bad_index)});
  Graph cycle = testing::tiny_conv_model();
  cycle.main().ops[0].inputs[0] = 4;
  cases.push_back({"cycle.tflite", write_tflite(cycle)});
  Graph shape = testing::tiny_conv_model();
  shape.main().tensors[2].shape = {5};
  cases.push_back({"shape.tflite", write_tflite(shape)});
  for (const auto& [name, bytes] : cases) {
    SCOPED_TRACE(name);
    fs::path p = dir / name;
    testing::write_bytes(p, bytes);
    auto r = inspect({p.string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, StartsWith("error: " + p.string() + ": "));
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST(InspectCli, MissingFileAndUsageErrors) {
  auto missing = inspect({"/nonexistent/model.tflite"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(
      missing.err,
      StartsWith(
          "error: cannot open the model: No such file or directory (/nonexistent/model.tflite)"));
  auto usage = inspect({});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_THAT(usage.err, HasSubstr("error:"));
  auto bad_format = inspect({"x.tflite", "--format", "yaml"});
  EXPECT_EQ(bad_format.exit_code, 2);
  auto no_command = testing::run_command({tpulab_bin(), "frobnicate"});
  EXPECT_EQ(no_command.exit_code, 2);
}

}  // namespace
}  // namespace tpulab
