// A fixed pool of worker threads shared by the engine (intra-op parallelism) and by batch jobs
// such as `tpulab eval` (one image per task).
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

namespace tpulab::engine {

class ThreadPool {
 public:
  // `threads` total workers including the calling thread (1 = run everything inline).
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return threads_; }
  // The calling thread's slot while it runs a task of parallel_for: 0 for the thread that called
  // parallel_for, 1..size()-1 for workers (0 outside any pool). Indexes per-thread scratch.
  static int worker_index();

  // Calls fn(begin, end) on disjoint chunks covering [0, n), on up to size() threads, and returns
  // when all are done. No allocation per call. Nested calls from inside fn run inline.
  template <typename F>
  void parallel_for(int64_t n, F&& fn) {
    run(n, [](void* f, int64_t b, int64_t e) { (*static_cast<std::remove_reference_t<F>*>(f))(b, e); },
        const_cast<void*>(static_cast<const void*>(&fn)));
  }

 private:
  using RangeFn = void (*)(void*, int64_t, int64_t);
  void run(int64_t n, RangeFn fn, void* ctx);
  int threads_;
  struct State;
  State* state_;
};

}  // namespace tpulab::engine
