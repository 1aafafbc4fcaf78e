// read -> write -> read must give an equal Graph (and so identical tensor bytes) for every
// shared model, and writing is deterministic.
#include <gtest/gtest.h>

#include "model/tflite.h"
#include "testing/testing.h"

namespace tpulab {
namespace {

TEST(RoundTrip, EverySharedModelReadsBackEqual) {
  TPULAB_REQUIRE_SHARED();
  auto models = testing::shared_models();
  ASSERT_GE(models.size(), 30u);
  for (const auto& path : models) {
    SCOPED_TRACE(path.string());
    Graph a = read_tflite(path.string());
    std::vector<uint8_t> bytes = write_tflite(a);
    Graph b = read_tflite_bytes(bytes, "rewritten");
    ASSERT_EQ(a.subgraphs.size(), b.subgraphs.size());
    for (size_t s = 0; s < a.subgraphs.size(); ++s) {
      const auto& x = a.subgraphs[s];
      const auto& y = b.subgraphs[s];
      ASSERT_EQ(x.tensors.size(), y.tensors.size());
      for (size_t t = 0; t < x.tensors.size(); ++t) {
        EXPECT_EQ(x.tensors[t].data, y.tensors[t].data) << "tensor bytes differ: tensor " << t;
        EXPECT_EQ(x.tensors[t], y.tensors[t]) << "tensor " << t << " " << x.tensors[t].name;
      }
      ASSERT_EQ(x.ops.size(), y.ops.size());
      for (size_t i = 0; i < x.ops.size(); ++i) EXPECT_EQ(x.ops[i], y.ops[i]) << "op " << i << " " << x.ops[i].name();
    }
    EXPECT_TRUE(a == b);
    // A second write of the re-read graph is byte-identical: the writer is deterministic.
    EXPECT_EQ(write_tflite(b), bytes);
  }
}

TEST(RoundTrip, SharedBuffersStayShared) {
  Graph g;
  g.subgraphs.emplace_back();
  Subgraph& sg = g.main();
  Bytes data = Bytes::own({1, 2, 3, 4});
  for (int i = 0; i < 2; ++i) {
    Tensor t;
    t.name = "w" + std::to_string(i);
    t.dtype = DType::kInt8;
    t.shape = {4};
    t.data = data;
    sg.tensors.push_back(t);
  }
  auto one = write_tflite(g);
  g.main().tensors[1].data = Bytes::own({1, 2, 3, 4});  // equal contents, separate storage
  auto two = write_tflite(g);
  EXPECT_LT(one.size() + 4, two.size());
  EXPECT_TRUE(read_tflite_bytes(one, "one") == read_tflite_bytes(two, "two"));
}

}  // namespace
}  // namespace tpulab
