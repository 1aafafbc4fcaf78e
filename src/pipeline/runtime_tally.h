// What the two runtimes hand to the report (internal to runtime*.cpp).
#pragma once

#include <vector>

#include "pipeline/runtime.h"
#include "pipeline/streaming_stats.h"

namespace tpulab::pipeline::detail {

// Streaming: its memory does not grow with the number of requests.
struct Tally {
  Tally(size_t models, int64_t requests_per_model);
  // A request of `model` finished at `done_ms` after `latency_ms`.
  void complete(size_t model, double latency_ms, double done_ms);

  // Per model, then (unless there is one model) all together: back() is the run's.
  std::vector<LatencyStats> latency_ms;
  std::vector<CompletionRate> done_ms;
  std::vector<DeviceReport> devices;  // invokes, busy, switches and invoke energy
  double first_arrival_ms = 0, last_done_ms = 0;
  double link_busy_ms = 0;
  int64_t invocations = 0;
};

Tally run_virtual(System& system, const Workload& workload, const RunOptions& opts);
Tally run_realtime(System& system, const Workload& workload, const RunOptions& opts);

// Input tensors of a request: the caller's, or zero bytes.
TensorMap request_input(const System& system, const RunOptions& opts, size_t model,
                        uint64_t sequence);

// Picks pipelines for a model's requests.
class Dispatcher {
 public:
  Dispatcher(const System& system, Dispatch dispatch);
  // The pipeline for the next request of `model`, given requests in flight per pipeline.
  size_t pick(size_t model, const std::vector<int64_t>& in_flight);

 private:
  Dispatch dispatch_;
  std::vector<std::vector<size_t>> pipelines_;  // per model
  std::vector<size_t> next_;                    // per model: round-robin cursor
};

}  // namespace tpulab::pipeline::detail
