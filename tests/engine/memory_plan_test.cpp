// The static memory plan: buffers alive at the same time never share bytes, offsets are aligned,
// and buffers with disjoint lifetimes are reused.
#include "engine/memory_plan.h"

#include <gtest/gtest.h>

#include <random>

namespace tpulab::engine {
namespace {

void expect_valid(const std::vector<BufferRequest>& req, const MemoryPlan& plan, size_t alignment) {
  ASSERT_EQ(plan.offsets.size(), req.size());
  for (size_t i = 0; i < req.size(); ++i) {
    EXPECT_EQ(plan.offsets[i] % alignment, 0u);
    EXPECT_LE(plan.offsets[i] + req[i].bytes, plan.arena_bytes);
    for (size_t j = i + 1; j < req.size(); ++j) {
      if (req[i].bytes == 0 || req[j].bytes == 0) continue;
      const bool same_time = req[i].first <= req[j].last && req[j].first <= req[i].last;
      const bool same_bytes = plan.offsets[i] < plan.offsets[j] + req[j].bytes &&
                              plan.offsets[j] < plan.offsets[i] + req[i].bytes;
      EXPECT_FALSE(same_time && same_bytes) << "buffers " << i << " and " << j << " overlap";
    }
  }
  EXPECT_LE(plan.arena_bytes, plan.naive_bytes);
}

TEST(MemoryPlan, ChainReusesTwoBuffers) {
  // a -> b -> c -> d, each 1000 bytes: only neighbours are alive together.
  std::vector<BufferRequest> req{{1000, 0, 0}, {1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}};
  const MemoryPlan plan = plan_memory(req, 64);
  expect_valid(req, plan, 64);
  EXPECT_EQ(plan.naive_bytes, 4u * 1024);  // 1000 rounds up to 1024
  EXPECT_EQ(plan.arena_bytes, 2u * 1024);
}

TEST(MemoryPlan, LargestFirstFillsGaps) {
  // A big buffer alive throughout, and small ones in sequence that fit next to it.
  std::vector<BufferRequest> req{{64, 0, 0}, {64, 1, 1}, {64, 2, 2}, {640, 0, 2}};
  const MemoryPlan plan = plan_memory(req, 64);
  expect_valid(req, plan, 64);
  EXPECT_EQ(plan.offsets[3], 0u);
  EXPECT_EQ(plan.arena_bytes, 704u);
}

TEST(MemoryPlan, EmptyAndZeroSized) {
  EXPECT_EQ(plan_memory({}).arena_bytes, 0u);
  const MemoryPlan plan = plan_memory({{0, 0, 5}, {10, 0, 5}}, 16);
  EXPECT_EQ(plan.arena_bytes, 16u);
}

TEST(MemoryPlan, RandomLifetimesNeverOverlap) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<BufferRequest> req(1 + rng() % 40);
    int64_t max_live = 0;
    for (auto& r : req) {
      r.bytes = rng() % 5000;
      r.first = static_cast<int32_t>(rng() % 30);
      r.last = r.first + static_cast<int32_t>(rng() % 10);
    }
    for (int32_t t = 0; t < 40; ++t) {
      int64_t live = 0;
      for (auto& r : req)
        if (r.first <= t && t <= r.last) live += static_cast<int64_t>((r.bytes + 63) / 64 * 64);
      max_live = std::max(max_live, live);
    }
    const MemoryPlan plan = plan_memory(req, 64);
    expect_valid(req, plan, 64);
    // No plan can beat the most bytes alive at one time.
    EXPECT_GE(static_cast<int64_t>(plan.arena_bytes), max_live);
  }
}

}  // namespace
}  // namespace tpulab::engine
