#include "partition/strategy.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "model/analysis.h"
#include "model/zoo/zoo.h"

namespace tpulab::partition {
namespace {

TEST(ParamsSplit, SegmentsAreContiguousAndAtMostAnEqualShare) {
  Graph g = zoo::build_zoo_model("ssd_mobilenet_v1");
  const Subgraph& sg = g.main();
  int64_t total = 0;
  for (const Op& op : sg.ops) total += op_weight_bytes(sg, op);
  for (int k : {1, 2, 3, 4, 8}) {
    auto s = split_by_parameters(g, k);
    ASSERT_EQ(s.size(), static_cast<size_t>(k));
    EXPECT_EQ(s.front().first, 0);
    EXPECT_EQ(s.back().last, static_cast<int32_t>(sg.ops.size()));
    for (size_t i = 0; i < s.size(); ++i) {
      EXPECT_LT(s[i].first, s[i].last);
      if (i > 0) {
        EXPECT_EQ(s[i].first, s[i - 1].last);
      }
      if (i + 1 < s.size()) {
        int64_t w = 0;
        for (int32_t o = s[i].first; o < s[i].last; ++o)
          w += op_weight_bytes(sg, sg.ops[static_cast<size_t>(o)]);
        // At or below total / k, unless a single op is bigger than that.
        EXPECT_TRUE(w <= total / k || s[i].last - s[i].first == 1) << k << " seg " << i;
        // and full: the next op would not have fit.
        int64_t next = op_weight_bytes(sg, sg.ops[static_cast<size_t>(s[i].last)]);
        EXPECT_GT(w + next, total / k) << k << " seg " << i;
      }
    }
  }
}

TEST(ParamsSplit, RejectsImpossibleCounts) {
  Graph g = zoo::build_zoo_model("squeezenet");
  EXPECT_THROW(split_by_parameters(g, 0), UsageError);
  EXPECT_THROW(split_by_parameters(g, static_cast<int>(g.main().ops.size()) + 1), UsageError);
  auto all = split_by_parameters(g, static_cast<int>(g.main().ops.size()));
  for (const auto& r : all) EXPECT_EQ(r.last - r.first, 1);
}

}  // namespace
}  // namespace tpulab::partition
