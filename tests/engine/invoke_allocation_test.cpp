// invoke() never allocates: the global operator new of this test binary counts the calls made
// by any thread (pool workers too) while counting is switched on.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <thread>

#include "engine/interpreter.h"
#include "engine/thread_pool.h"
#include "model/tflite.h"
#include "testing/fashion_cnn.h"
#include "testing/sanitizers.h"
#include "testing/testing.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
}  // namespace

#ifdef TPULAB_ASAN
// AddressSanitizer owns operator new; its allocation hooks see every malloc and new instead.
#include <sanitizer/allocator_interface.h>
namespace {
void count_allocation(const volatile void*, size_t) {
  if (g_counting) ++g_allocations;
}
void ignore_free(const volatile void*) {}
[[maybe_unused]] const int g_hooks_installed =
    __sanitizer_install_malloc_and_free_hooks(count_allocation, ignore_free);
}  // namespace
#else
void* operator new(std::size_t n) {
  if (g_counting) ++g_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace tpulab::engine {
namespace {

// Makes every worker run once, so thread start-up (which allocates) is over before counting.
void start_workers(ThreadPool& pool) {
  std::atomic<int> inside{0};
  pool.parallel_for(pool.size(), [&](int64_t, int64_t) {
    inside.fetch_add(1);
    for (int spin = 0; spin < 100000 && inside.load() < pool.size(); ++spin)
      std::this_thread::yield();
  });
}

long allocations_during_invoke(Interpreter& in) {
  g_allocations = 0;
  g_counting = true;
  in.invoke();
  g_counting = false;
  return g_allocations;
}

TEST(InvokeAllocation, CountingWorks) {
  g_allocations = 0;
  g_counting = true;
  auto* p = new int(3);
  g_counting = false;
  delete p;
  EXPECT_EQ(g_allocations.load(), 1);
}

TEST(InvokeAllocation, FashionCnnBothKernelSets) {
  const Graph g = testing::fashion_cnn();
  for (KernelSet set : {KernelSet::kReference, KernelSet::kOptimized}) {
    ThreadPool pool(2);
    start_workers(pool);
    Interpreter in(g, "fashion_cnn", {set, &pool});
    in.invoke();  // a first run may touch lazily built tables
    EXPECT_EQ(allocations_during_invoke(in), 0) << kernel_set_name(set);
  }
}

TEST(InvokeAllocation, MobilenetV2) {
  TPULAB_REQUIRE_SHARED();
  const Graph g =
      read_tflite((testing::shared_dir() / "models/mobilenet_v2_1.0_224_quant.tflite").string());
  ThreadPool pool(2);
  start_workers(pool);
  Interpreter in(g, "mobilenet_v2_1.0_224_quant.tflite", {KernelSet::kOptimized, &pool});
  in.invoke();
  EXPECT_EQ(allocations_during_invoke(in), 0);
}

}  // namespace
}  // namespace tpulab::engine
