// Runs a model cut into segments as a pipeline: one worker thread per segment, each on its own
// device, bounded queues between them (libcoral's PipelinedModelRunner, over our devices).
//
//   PipelinedRunner runner({{&tpu0, h0}, {&tpu1, h1}});
//   runner.push({{"input", pixels}});     // blocks while the first queue is full
//   auto out = runner.pop();               // results in push order
//   runner.push({});                       // empty push: shut down after what is in flight
//   while (runner.pop()) {}                // ... pop returns nullopt at the end
//
// Tensors travel by original name. A tensor read by a later, non-adjacent segment (a skip
// connection) rides along through the queues and is dropped once its last consumer has run.
// A failing stage stops the pipeline: the queues up to it close (so producers never block on a
// dead stage), stages after it finish the requests ahead of the failed one, and once those are
// popped, pop() (and any later push()) rethrows the stage's error.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/bounded_queue.h"
#include "pipeline/clock.h"
#include "pipeline/device.h"
#include "pipeline/routing.h"
#include "pipeline/shared_link.h"

namespace tpulab::pipeline {

struct RunnerOptions {
  size_t queue_size = 1;         // between stages (libcoral's default)
  size_t input_queue_size = 0;   // before the first stage; 0 = unbounded
  size_t output_queue_size = 0;  // after the last stage; 0 = unbounded
  // Tensors pop() returns. Empty: every tensor a stage produces that no later stage reads
  // (the model outputs, unless a model output also feeds a later segment: then name them).
  std::vector<std::string> outputs;
  Clock* clock = nullptr;  // null = realtime_clock()
  // The host link the stages' devices share (null: none). Modeled invokes wait for their
  // transfers on it.
  SharedLink* shared_link = nullptr;
};

struct StageStats {
  std::string device;
  int64_t count = 0;          // invokes
  double busy_ms = 0;         // device time (measured, or modeled and held for)
  double wait_input_ms = 0;   // idle, waiting for the previous stage
  double wait_output_ms = 0;  // blocked on a full queue to the next stage
  int64_t switches = 0;       // parameter-cache reloads
  double switch_ms = 0;
  double energy_mj = 0;
};

struct PipelineOutput {
  uint64_t sequence = 0;  // 0-based push order
  TensorMap tensors;
  double pushed_ms = 0, done_ms = 0;  // on the runner's clock
  double latency_ms() const { return done_ms - pushed_ms; }
};

class PipelinedRunner {
 public:
  // Starts one worker per stage. A tensor a stage reads that no earlier stage produces is a
  // pipeline input. Throws UsageError for no stages, a binding without a device, or an explicit
  // output that is neither produced by a stage nor a pipeline input.
  explicit PipelinedRunner(std::vector<StageBinding> stages, RunnerOptions opts = {});
  // Stops the workers (dropping work in flight) and joins them.
  ~PipelinedRunner();
  PipelinedRunner(const PipelinedRunner&) = delete;
  PipelinedRunner& operator=(const PipelinedRunner&) = delete;

  // Queues one request (blocks while the input queue is full). An empty map shuts the pipeline
  // down once the requests before it are through. Throws UsageError when an input is missing or
  // after shutdown, and the stage's error once a stage has failed.
  void push(TensorMap inputs);
  // The next result in push order; nullopt after the shutdown marker came through. Rethrows a
  // failed stage's error once the results finished before it are popped.
  std::optional<PipelineOutput> pop();

  // Stops the workers now, dropping work in flight: push() and pop() calls blocked on other
  // threads return (pop() may still hand out a result already finished), and later ones throw
  // UsageError. The destructor stops too; stop() lets another thread end a blocked caller first.
  void stop();

  // Tensors push() needs and pop() returns.
  const std::vector<std::string>& input_names() const { return routing_.input_names; }
  const std::vector<std::string>& output_names() const { return routing_.output_names; }
  size_t num_stages() const { return stages_.size(); }
  // A snapshot (safe while running).
  std::vector<StageStats> stats() const;

 private:
  struct Request {
    uint64_t sequence = 0;
    TensorMap tensors;
    double pushed_ms = 0;
    bool end = false;     // the shutdown marker
    bool failed = false;  // a stage failed: the marker ends the stream with its error
  };
  using Queue = BoundedQueue<Request>;

  void work(size_t stage);
  void fail(size_t stage, std::exception_ptr error);
  void stop_all();
  [[noreturn]] void rethrow_error();

  std::vector<StageBinding> stages_;
  Clock* clock_;
  SharedLink* shared_link_;
  Routing routing_;
  // queues_[s] feeds stage s; queues_.back() holds results.
  std::vector<std::unique_ptr<Queue>> queues_;
  std::vector<std::thread> workers_;

  mutable std::mutex stats_mutex_;
  std::vector<StageStats> stats_;

  std::mutex error_mutex_;
  std::exception_ptr error_;
  std::atomic<bool> failed_{false};
  std::atomic<bool> stopping_{false};  // the destructor: drop everything

  // Caller side (push and pop may run on different threads).
  std::mutex push_mutex_;
  uint64_t next_sequence_ = 0;
  bool input_closed_ = false;
  std::atomic<bool> output_done_{false};
  std::atomic<bool> output_failed_{false};
};

}  // namespace tpulab::pipeline
