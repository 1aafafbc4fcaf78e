// The package reader must reproduce, exactly, what the real compiler wrote into every compiled
// model listed in shared/reference/edgetpu_compiled_models.csv.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/error.h"
#include "model/edgetpu_package.h"
#include "model/tflite.h"
#include "testing/testing.h"

namespace tpulab {
namespace {

struct Row {
  std::string file;
  int64_t cached, streamed, instructions;
  std::string token;
  int64_t input_bytes, output_bytes;
};

std::vector<Row> read_csv() {
  std::ifstream in(testing::shared_dir() / "reference" / "edgetpu_compiled_models.csv");
  std::vector<Row> rows;
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (header) {
      header = false;
      continue;
    }
    std::stringstream ss(line);
    std::vector<std::string> f;
    std::string cell;
    while (std::getline(ss, cell, ',')) f.push_back(cell);
    if (f.size() != 7) ADD_FAILURE() << "bad CSV line: " << line;
    if (f.size() != 7) continue;
    rows.push_back({f[0], std::stoll(f[1]), std::stoll(f[2]), std::stoll(f[3]), f[4], std::stoll(f[5]),
                    std::stoll(f[6])});
  }
  return rows;
}

TEST(EdgeTpuPackage, ReproducesCompilerFactsForEveryListedModel) {
  TPULAB_REQUIRE_SHARED();
  auto rows = read_csv();
  ASSERT_GE(rows.size(), 12u);
  for (const Row& r : rows) {
    SCOPED_TRACE(r.file);
    std::string path = (testing::shared_dir() / "models" / r.file).string();
    Graph g = read_tflite(path);
    auto ops = edgetpu_ops(g, path);
    ASSERT_EQ(ops.size(), 1u);
    const EdgeTpuPackage& p = ops[0].package;
    EXPECT_EQ(p.cached_parameter_bytes(), r.cached);
    EXPECT_EQ(p.streamed_parameter_bytes(), r.streamed);
    EXPECT_EQ(p.instruction_bytes(), r.instructions);
    EXPECT_EQ(fmt::format("0x{:016x}", p.caching_token()), r.token);
    const EdgeTpuExecutable* run = p.runner();
    ASSERT_NE(run, nullptr);
    int64_t in = 0, out = 0;
    for (const auto& l : run->inputs) in += l.size_bytes;
    for (const auto& l : run->outputs) out += l.size_bytes;
    EXPECT_EQ(in, r.input_bytes);
    EXPECT_EQ(out, r.output_bytes);
  }
}

TEST(EdgeTpuPackage, CoCompiledModelsShareOneCachingToken) {
  TPULAB_REQUIRE_SHARED();
  std::set<uint64_t> tokens;
  int n = 0;
  for (const auto& path : testing::shared_models()) {
    if (path.parent_path().filename() != "cocompiled") continue;
    Graph g = read_tflite(path.string());
    for (const auto& op : edgetpu_ops(g, path.string())) {
      tokens.insert(op.package.caching_token());
      // Co-compiled: a caching executable and an execution-only one that streams the rest.
      ASSERT_EQ(op.package.executables.size(), 2u);
      ++n;
    }
  }
  EXPECT_EQ(n, 3);
  EXPECT_EQ(tokens.size(), 1u);
}

TEST(EdgeTpuPackage, RejectsDamagedOptionsCleanly) {
  std::vector<uint8_t> junk = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  EXPECT_THROW(parse_edgetpu_package(junk, "m.tflite", "op 0"), ModelError);
  EXPECT_THROW(parse_edgetpu_package({}, "m.tflite", "op 0"), ModelError);
}

TEST(EdgeTpuPackage, EveryTruncationOfARealPackageIsRejectedNotCrashed) {
  TPULAB_REQUIRE_SHARED();
  std::string path = (testing::shared_dir() / "models" / "split_concat_edgetpu.tflite").string();
  Graph g = read_tflite(path);
  auto ops = edgetpu_ops(g, path);
  ASSERT_EQ(ops.size(), 1u);
  auto opts = g.main().ops[static_cast<size_t>(ops[0].op_index)].custom_options.span();
  int rejected = 0;
  for (size_t len = 0; len < opts.size(); len += 7) {
    try {
      parse_edgetpu_package(opts.first(len), "m", "op 0");
    } catch (const ModelError&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 0);
}

}  // namespace
}  // namespace tpulab
