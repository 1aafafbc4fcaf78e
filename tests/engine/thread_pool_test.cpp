// The thread pool: every index is visited exactly once, chunks are disjoint, nested calls run
// inline, worker slots are distinct, and exceptions reach the caller.
#include "engine/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace tpulab::engine {
namespace {

TEST(ThreadPool, CoversEveryIndexOnceForManySizes) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int64_t n : {0, 1, 2, 3, 7, 31, 32, 33, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.parallel_for(n, [&](int64_t b, int64_t e) {
        ASSERT_LE(0, b);
        ASSERT_LT(b, e);
        ASSERT_LE(e, n);
        for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
      });
      for (int64_t i = 0; i < n; ++i)
        ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << threads << " " << n << " " << i;
    }
  }
}

TEST(ThreadPool, ZeroOrNegativeThreadsMeansOne) {
  ThreadPool pool(0);
  EXPECT_EQ(pool.size(), 1);
  int64_t sum = 0;
  pool.parallel_for(10, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) sum += i;
  });
  EXPECT_EQ(sum, 45);
}

TEST(ThreadPool, UsesSeveralThreadsAndDistinctSlots) {
  ThreadPool pool(4);
  std::mutex m;
  std::set<std::thread::id> ids;
  std::set<int> slots;
  std::atomic<int> inside{0};
  pool.parallel_for(16, [&](int64_t, int64_t) {
    inside.fetch_add(1);
    // Hold each chunk until several are running, so every worker gets one (bounded wait).
    for (int spin = 0; spin < 2000 && inside.load() < 4; ++spin)
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    std::lock_guard lock(m);
    ids.insert(std::this_thread::get_id());
    const int w = ThreadPool::worker_index();
    EXPECT_GE(w, 0);
    EXPECT_LT(w, 4);
    slots.insert(w);
  });
  EXPECT_GT(ids.size(), 1u);
  EXPECT_EQ(ids.size(), slots.size()) << "one slot per thread";
  EXPECT_EQ(ThreadPool::worker_index(), 0) << "outside any task";
}

TEST(ThreadPool, NestedCallsRunInlineOnTheSameThread) {
  ThreadPool pool(3);
  std::atomic<int64_t> total{0};
  std::atomic<bool> same_thread{true};
  pool.parallel_for(6, [&](int64_t b, int64_t e) {
    const auto me = std::this_thread::get_id();
    const int slot = ThreadPool::worker_index();
    for (int64_t i = b; i < e; ++i) {
      pool.parallel_for(100, [&](int64_t ib, int64_t ie) {
        if (std::this_thread::get_id() != me || ThreadPool::worker_index() != slot)
          same_thread = false;
        total.fetch_add(ie - ib);
      });
    }
  });
  EXPECT_EQ(total.load(), 600);
  EXPECT_TRUE(same_thread.load());
}

TEST(ThreadPool, ExceptionsReachTheCallerAndThePoolStaysUsable) {
  ThreadPool pool(2);
  EXPECT_THROW(pool.parallel_for(50,
                                 [&](int64_t b, int64_t) {
                                   if (b > 0) throw std::runtime_error("boom");
                                 }),
               std::runtime_error);
  std::atomic<int64_t> sum{0};
  pool.parallel_for(100, [&](int64_t b, int64_t e) { sum.fetch_add(e - b); });
  EXPECT_EQ(sum.load(), 100);
}

TEST(ThreadPool, ManySmallJobsBackToBack) {
  // The pattern of an inference: dozens of short parallel ops in a row.
  ThreadPool pool(2);
  int64_t expected = 0;
  std::atomic<int64_t> sum{0};
  for (int job = 0; job < 5000; ++job) {
    const int64_t n = 1 + job % 17;
    expected += n;
    pool.parallel_for(
        n, [&](int64_t b, int64_t e) { sum.fetch_add(e - b, std::memory_order_relaxed); });
  }
  EXPECT_EQ(sum.load(), expected);
}

TEST(ThreadPool, CallersFromSeveralThreadsAreSerialized) {
  ThreadPool pool(2);
  std::atomic<int64_t> sum{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 3; ++c)
    callers.emplace_back([&] {
      for (int k = 0; k < 200; ++k)
        pool.parallel_for(10, [&](int64_t b, int64_t e) { sum.fetch_add(e - b); });
    });
  for (auto& t : callers) t.join();
  EXPECT_EQ(sum.load(), 3 * 200 * 10);
}

}  // namespace
}  // namespace tpulab::engine
