#include "partition/segment.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "common/error.h"
#include "model/analysis.h"
#include "model/tflite.h"
#include "testing/oracle.h"
#include "testing/testing.h"
#include "testing/tiny_models.h"

namespace tpulab {
namespace {

std::vector<std::string> names(const Segment& s, const std::vector<int32_t>& local) {
  std::vector<std::string> r;
  for (int32_t t : local) r.push_back(s.graph.main().tensors[static_cast<size_t>(t)].name);
  return r;
}

// input -> conv -> relu -> add(relu, input-like skip) with a skip from the conv to the add.
Graph skip_model() {
  Graph g = testing::tiny_conv_model();
  Subgraph& sg = g.main();
  Tensor t = sg.tensors[4];
  t.name = "relu2";
  sg.tensors.push_back(t);  // 5
  t.name = "sum";
  sg.tensors.push_back(t);  // 6
  Op relu2;
  relu2.code = static_cast<int32_t>(BuiltinOp::kRelu);
  relu2.inputs = {4};
  relu2.outputs = {5};
  Op add;
  add.code = static_cast<int32_t>(BuiltinOp::kAdd);
  add.inputs = {5, 3};  // reads the conv output: a skip over the two relus
  add.outputs = {6};
  add.options = AddSubOptions{};
  sg.ops.push_back(relu2);
  sg.ops.push_back(add);
  sg.outputs = {6};
  return g;
}

TEST(Segment, TwoSegmentsOfTheTinyModel) {
  Graph g = testing::tiny_conv_model();
  auto segs = split_into_segments(g, {1});
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_EQ(names(segs[0], segs[0].graph.main().inputs), std::vector<std::string>{"input"});
  EXPECT_EQ(names(segs[0], segs[0].graph.main().outputs), std::vector<std::string>{"conv"});
  EXPECT_EQ(names(segs[1], segs[1].graph.main().inputs), std::vector<std::string>{"conv"});
  EXPECT_EQ(names(segs[1], segs[1].graph.main().outputs), std::vector<std::string>{"output"});
  // Constants go only where they are used.
  EXPECT_EQ(analyze(segs[0].graph).parameter_bytes, analyze(g).parameter_bytes);
  EXPECT_EQ(analyze(segs[1].graph).parameter_bytes, 0);
  EXPECT_EQ(segs[1].graph.main().tensors.size(), 2u);
  for (const auto& s : segs) EXPECT_NO_THROW(read_tflite_bytes(write_tflite(s.graph), "segment"));
}

TEST(Segment, SkipConnectionsJumpOverWholeSegments) {
  Graph g = skip_model();
  auto segs = split_into_segments(g, {1, 2, 3});
  ASSERT_EQ(segs.size(), 4u);
  EXPECT_EQ(names(segs[0], segs[0].graph.main().outputs), std::vector<std::string>{"conv"});
  // The relu segments do not carry the conv output they do not read...
  EXPECT_EQ(names(segs[1], segs[1].graph.main().outputs), std::vector<std::string>{"output"});
  EXPECT_EQ(names(segs[2], segs[2].graph.main().inputs), std::vector<std::string>{"output"});
  // ...the segment that reads it gets it as an input, straight from segment 0.
  EXPECT_EQ(names(segs[3], segs[3].graph.main().inputs), (std::vector<std::string>{"conv", "relu2"}));
  auto crossing = tensors_crossing_cuts(g, {1, 2, 3});
  ASSERT_EQ(crossing.size(), 3u);
  EXPECT_EQ(crossing[0], std::vector<int32_t>{3});
  EXPECT_EQ(crossing[1], (std::vector<int32_t>{3, 4}));
  EXPECT_EQ(crossing[2], (std::vector<int32_t>{3, 5}));
}

TEST(Segment, RejectsBadCutPoints) {
  Graph g = testing::tiny_conv_model();
  EXPECT_THROW(split_into_segments(g, {0}), UsageError);
  EXPECT_THROW(split_into_segments(g, {2}), UsageError);
  EXPECT_THROW(split_into_segments(skip_model(), {2, 2}), UsageError);
  Graph empty;
  empty.subgraphs.emplace_back();
  EXPECT_THROW(split_into_segments(empty, {}), UsageError);
  EXPECT_EQ(split_into_segments(g, {}).size(), 1u);
  EXPECT_EQ(segment_file_name("m", 1, 4), "m_segment_1_of_4.tflite");
}

std::vector<int32_t> even_cuts(size_t n_ops, size_t k) {
  std::vector<int32_t> cuts;
  for (size_t i = 1; i < k; ++i) cuts.push_back(static_cast<int32_t>(i * n_ops / k));
  return cuts;
}

bool compiled(const std::filesystem::path& p) { return p.filename().string().find("edgetpu") != std::string::npos; }

TEST(Segment, EverySharedModelSplitsIntoValidSegments) {
  TPULAB_REQUIRE_SHARED();
  int checked = 0;
  for (const auto& path : testing::shared_models()) {
    if (compiled(path)) continue;
    Graph g = read_tflite(path.string());
    size_t n = g.main().ops.size();
    for (size_t k = 2; k <= std::min<size_t>(8, n); ++k) {
      SCOPED_TRACE(path.filename().string() + " K=" + std::to_string(k));
      auto segs = split_into_segments(g, even_cuts(n, k));
      ASSERT_EQ(segs.size(), k);
      size_t ops = 0;
      for (const auto& s : segs) {
        ops += s.graph.main().ops.size();
        Graph back = read_tflite_bytes(write_tflite(s.graph), "segment");  // valid on its own
        // No constant travels into a segment that does not use it.
        TensorUses u = tensor_uses(back.main());
        for (size_t t = 0; t < back.main().tensors.size(); ++t)
          if (back.main().tensors[t].is_constant()) {
            EXPECT_FALSE(u.consumers[t].empty());
          }
      }
      EXPECT_EQ(ops, n);
      ++checked;
    }
  }
  EXPECT_GE(checked, 30);
}

// The real TFLite runtime loads every segment file, and chaining the segments by tensor name
// reproduces the whole model's outputs byte for byte.
TEST(SegmentOracle, ChainedSegmentsMatchTheWholeModelInTfLite) {
  TPULAB_REQUIRE_SHARED();
  TPULAB_REQUIRE_ORACLE();
  const std::vector<std::pair<std::string, std::vector<size_t>>> cases = {
      {"mobilenet_v1_0.25_128_quant.tflite", {2, 3, 4, 5, 6, 7, 8}},
      {"mobilenet_v2_1.0_224_quant.tflite", {3, 8}},
      {"deeplabv3_mnv2_pascal_quant.tflite", {4}},
      {"movenet_single_pose_lightning_ptq.tflite", {5}},
      {"keras_lstm_mnist_ptq.tflite", {3}},
      {"split_concat.tflite", {2, 3}},
  };
  testing::TempDir dir;
  std::mt19937 rng(7);
  for (const auto& [file, ks] : cases) {
    auto path = testing::shared_dir() / "models" / file;
    Graph g = read_tflite(path.string());
    std::map<std::string, std::vector<uint8_t>> values;  // by tensor name
    std::vector<std::vector<uint8_t>> inputs;
    for (int32_t t : g.main().inputs) {
      const Tensor& x = g.main().tensors[static_cast<size_t>(t)];
      std::vector<uint8_t> bytes(static_cast<size_t>(x.byte_size()));
      for (auto& b : bytes) b = static_cast<uint8_t>(rng());
      values[x.name] = bytes;
      inputs.push_back(bytes);
    }
    auto whole = testing::oracle_run(path, inputs);
    ASSERT_TRUE(whole.ok) << whole.error;
    for (size_t k : ks) {
      SCOPED_TRACE(file + " K=" + std::to_string(k));
      auto segs = split_into_segments(g, even_cuts(g.main().ops.size(), k));
      std::map<std::string, std::vector<uint8_t>> live = values;
      for (size_t i = 0; i < segs.size(); ++i) {
        auto seg_path = dir / segment_file_name(path.stem().string(), i, segs.size());
        write_tflite_file(segs[i].graph, seg_path.string());
        std::vector<std::vector<uint8_t>> seg_in;
        for (int32_t t : segs[i].graph.main().inputs)
          seg_in.push_back(live.at(segs[i].graph.main().tensors[static_cast<size_t>(t)].name));
        auto r = testing::oracle_run(seg_path, seg_in);
        ASSERT_TRUE(r.ok) << "segment " << i << ": " << r.error;
        ASSERT_EQ(r.outputs.size(), segs[i].graph.main().outputs.size());
        for (size_t o = 0; o < r.outputs.size(); ++o)
          live[segs[i].graph.main().tensors[static_cast<size_t>(segs[i].graph.main().outputs[o])].name] =
              r.outputs[o].bytes;
      }
      for (size_t o = 0; o < g.main().outputs.size(); ++o) {
        const std::string& name = g.main().tensors[static_cast<size_t>(g.main().outputs[o])].name;
        EXPECT_TRUE(live.at(name) == whole.outputs[o].bytes) << "output " << name << " differs";
      }
    }
  }
}

}  // namespace
}  // namespace tpulab
