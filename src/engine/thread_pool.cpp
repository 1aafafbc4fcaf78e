#include "engine/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace tpulab::engine {

namespace {

// Which pool the current thread works for (so nested calls run inline) and its slot in it.
thread_local const ThreadPool* t_pool = nullptr;
thread_local int t_worker = 0;

// Waiting threads spin this many rounds (yielding) before sleeping: ops follow each other within
// microseconds during an inference, and a sleep/wake-up costs more than that.
constexpr int kSpinRounds = 2000;

// The job ticket packs a job's generation, its chunk count and the next unclaimed chunk into one
// atomic word, so claiming a chunk of a job that has already finished is impossible: a stale
// ticket fails its compare-and-swap.
constexpr int kChunkBits = 16;
constexpr uint64_t kChunkMask = (uint64_t{1} << kChunkBits) - 1;
uint64_t make_ticket(uint64_t generation, uint64_t chunks) {
  return (generation << 32) | (chunks << kChunkBits);
}
uint64_t generation_of(uint64_t t) { return t >> 32; }
uint64_t chunks_of(uint64_t t) { return (t >> kChunkBits) & kChunkMask; }
uint64_t next_of(uint64_t t) { return t & kChunkMask; }

}  // namespace

struct ThreadPool::State {
  std::vector<std::thread> workers;
  std::mutex call_mutex;  // one job at a time (callers from different threads queue here)

  // The current job's fields: written by the caller before it publishes the ticket (release);
  // read by whoever claims a chunk of that ticket (acquire), while the caller waits for `done`.
  RangeFn fn = nullptr;
  void* ctx = nullptr;
  int64_t n = 0;

  std::atomic<uint64_t> ticket{0};
  std::atomic<uint64_t> done{0};  // chunks of the current job finished
  std::atomic<bool> stop{false};

  std::mutex mutex;
  std::condition_variable wake;      // workers: a new ticket (or stop)
  std::condition_variable finished;  // caller: done reached the chunk count

  std::mutex error_mutex;
  std::exception_ptr error;

  // Claims and runs chunks of the job `t` belongs to until none are left.
  void work(uint64_t t) {
    const uint64_t generation = generation_of(t);
    const uint64_t chunks = chunks_of(t);
    while (next_of(t) < chunks) {
      if (!ticket.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel,
                                        std::memory_order_acquire)) {
        if (generation_of(t) != generation) return;  // that job is over; t is a newer one's
        continue;
      }
      const auto c = static_cast<int64_t>(next_of(t));
      const auto total = static_cast<int64_t>(chunks);
      try {
        fn(ctx, c * n / total, (c + 1) * n / total);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
      }
      if (done.fetch_add(1, std::memory_order_acq_rel) + 1 == chunks) {
        std::lock_guard lock(mutex);
        finished.notify_all();
      }
      ++t;
    }
  }
};

ThreadPool::ThreadPool(int threads) : threads_(std::max(1, threads)), state_(new State) {
  for (int w = 1; w < threads_; ++w) {
    state_->workers.emplace_back([this, w] {
      t_pool = this;
      t_worker = w;
      State& s = *state_;
      uint64_t seen = 0;  // generation last worked on
      for (;;) {
        uint64_t t = s.ticket.load(std::memory_order_acquire);
        for (int spin = 0; generation_of(t) == seen && spin < kSpinRounds; ++spin) {
          if (s.stop.load(std::memory_order_acquire)) return;
          std::this_thread::yield();
          t = s.ticket.load(std::memory_order_acquire);
        }
        if (generation_of(t) == seen) {
          std::unique_lock lock(s.mutex);
          s.wake.wait(lock, [&] {
            return s.stop.load(std::memory_order_acquire) ||
                   generation_of(s.ticket.load(std::memory_order_acquire)) != seen;
          });
          if (s.stop.load(std::memory_order_acquire)) return;
          t = s.ticket.load(std::memory_order_acquire);
        }
        seen = generation_of(t);
        s.work(t);
      }
    });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stop.store(true, std::memory_order_release);
  }
  state_->wake.notify_all();
  for (auto& t : state_->workers) t.join();
  delete state_;
}

int ThreadPool::worker_index() { return t_worker; }

void ThreadPool::run(int64_t n, RangeFn fn, void* ctx) {
  if (n <= 0) return;
  // Inline: a one-thread pool, a single item, or a nested call from one of our own tasks.
  if (threads_ == 1 || n == 1 || t_pool == this) {
    fn(ctx, 0, n);
    return;
  }
  State& s = *state_;
  std::lock_guard call(s.call_mutex);
  // The caller works as slot 0 for the duration of the job.
  const ThreadPool* outer_pool = t_pool;
  const int outer_worker = t_worker;
  t_pool = this;
  t_worker = 0;

  // A few chunks per thread balance uneven work without making chunks tiny.
  const auto chunks = static_cast<uint64_t>(std::min<int64_t>(n, int64_t{4} * threads_));
  s.fn = fn;
  s.ctx = ctx;
  s.n = n;
  s.done.store(0, std::memory_order_relaxed);
  const uint64_t t =
      make_ticket(generation_of(s.ticket.load(std::memory_order_relaxed)) + 1, chunks);
  {
    std::lock_guard lock(s.mutex);
    s.ticket.store(t, std::memory_order_release);
  }
  s.wake.notify_all();

  // Work alongside the workers; a worker that is slow to wake simply finds nothing left.
  s.work(t);
  for (int spin = 0; spin < kSpinRounds && s.done.load(std::memory_order_acquire) != chunks; ++spin)
    std::this_thread::yield();
  if (s.done.load(std::memory_order_acquire) != chunks) {
    std::unique_lock lock(s.mutex);
    s.finished.wait(lock, [&] { return s.done.load(std::memory_order_acquire) == chunks; });
  }

  t_pool = outer_pool;
  t_worker = outer_worker;
  std::exception_ptr error;
  {
    std::lock_guard lock(s.error_mutex);
    std::swap(error, s.error);
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace tpulab::engine
