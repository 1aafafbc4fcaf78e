// Segments chained through the engine reproduce the whole model byte for byte: every shared
// model, K = 2..8, cut by each strategy in turn.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "common/error.h"
#include "device/platform.h"
#include "engine/interpreter.h"
#include "model/tflite.h"
#include "partition/segment.h"
#include "partition/strategy.h"
#include "testing/testing.h"

namespace tpulab::partition {
namespace {

using Bytes = std::vector<uint8_t>;

// Runs `g` once on the engine with the named inputs; returns every output by name.
std::map<std::string, Bytes> run(const Graph& g, const std::map<std::string, Bytes>& values,
                                 const std::string& name) {
  engine::Interpreter in(g, name);
  for (size_t i = 0; i < in.num_inputs(); ++i) {
    const Bytes& b = values.at(in.input_name(i));
    auto dst = in.input_bytes(i);
    EXPECT_EQ(dst.size(), b.size()) << name << " input " << in.input_name(i);
    std::copy_n(b.begin(), std::min(b.size(), dst.size()), dst.begin());
  }
  in.invoke();
  std::map<std::string, Bytes> out;
  for (size_t i = 0; i < in.num_outputs(); ++i) {
    auto o = in.output_bytes(i);
    out[in.output_name(i)] = Bytes(o.begin(), o.end());
  }
  return out;
}

bool compiled(const std::filesystem::path& p) {
  return p.filename().string().find("edgetpu") != std::string::npos;
}

TEST(ChainEngine, SegmentsReproduceEverySharedModel) {
  TPULAB_REQUIRE_SHARED();
  const device::Platform pf = device::load_platform("asus-8x-pcie");
  std::mt19937 rng(11);
  int chains = 0;
  for (const auto& path : testing::shared_models()) {
    if (compiled(path)) continue;
    const std::string file = path.filename().string();
    Graph g = read_tflite(path.string());
    std::map<std::string, Bytes> inputs;
    for (int32_t t : g.main().inputs) {
      const Tensor& x = g.main().tensors[static_cast<size_t>(t)];
      Bytes b(static_cast<size_t>(x.byte_size()));
      for (auto& v : b) v = static_cast<uint8_t>(rng());
      inputs[x.name] = std::move(b);
    }
    std::map<std::string, Bytes> whole;
    try {
      whole = run(g, inputs, file);
    } catch (const UnsupportedError& e) {
      ADD_FAILURE() << file << ": the engine cannot run the whole model: " << e.what();
      continue;
    }
    const auto n = static_cast<int>(g.main().ops.size());
    for (int k = 2; k <= std::min(8, n); ++k) {
      Options o;
      o.segments = k;
      const Strategy s = all_strategies()[static_cast<size_t>(k) % all_strategies().size()];
      Plan plan = partition(g, s, pf, o);
      SCOPED_TRACE(file + " K=" + std::to_string(k) + " " + strategy_name(s));
      std::map<std::string, Bytes> live = inputs;
      auto segs = split_into_segments(g, plan.starts);
      ASSERT_EQ(static_cast<int>(segs.size()), k);
      for (size_t i = 0; i < segs.size(); ++i) {
        // Through the file format, as a runtime would load it.
        Graph seg = read_tflite_bytes(write_tflite(segs[i].graph), "segment");
        for (auto& [name, bytes] : run(seg, live, segment_file_name(file, i, segs.size())))
          live[name] = std::move(bytes);
      }
      for (const auto& [name, bytes] : whole) {
        ASSERT_TRUE(live.count(name)) << "output " << name << " never produced";
        EXPECT_TRUE(live.at(name) == bytes) << "output " << name << " differs";
      }
      ++chains;
    }
  }
  EXPECT_GE(chains, 40);
}

}  // namespace
}  // namespace tpulab::partition
