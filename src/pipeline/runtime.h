// Runs a System under a workload and reports what users of an Edge TPU system measure:
// throughput, latency percentiles, per-device utilization and energy.
//
// Two clocks:
//   virtual   a discrete-event simulation on the caller's thread: no sleeping, time advances from
//             event to event, so hours of modeled time take milliseconds. Devices are invoked in
//             the same order a real run would invoke them.
//   realtime  one PipelinedRunner (threads, bounded queues) per pipeline; simulated devices hold
//             their stage for the modeled time, so wall-clock figures behave like hardware and
//             include the runtime's own overhead.
// Both follow the same rules: a stage takes its next request when it has handed on the last
// (queues between stages hold `queue_size`), a device serves one invoke at a time in arrival
// order, a shared host link carries one transfer at a time, and requests of a model go to one of
// its pipelines round-robin or to the one with the fewest requests in flight.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pipeline/system.h"
#include "pipeline/workload.h"

namespace tpulab::pipeline {

enum class ClockKind { kVirtual, kRealtime };
enum class Dispatch { kRoundRobin, kLeastLoaded };

// "virtual" / "realtime", "round-robin" / "least-loaded" (UsageError otherwise) and back.
ClockKind parse_clock_kind(const std::string& name);
std::string clock_kind_name(ClockKind kind);
Dispatch parse_dispatch(const std::string& name);
std::string dispatch_name(Dispatch d);

struct RunOptions {
  ClockKind clock = ClockKind::kVirtual;
  Dispatch dispatch = Dispatch::kRoundRobin;
  size_t queue_size = 1;  // between stages (libcoral's default); 0 = unbounded
  // A request's input tensors (null: zero bytes). Not called for a timing-only system on the
  // virtual clock, which moves no tensors at all.
  std::function<TensorMap(size_t model, uint64_t sequence)> make_input;
  // Each finished request's outputs (not for timing-only systems). Called on one thread at a time.
  std::function<void(size_t model, uint64_t sequence, TensorMap&& outputs)> on_output;
  // Progress: requests done of the total (every 1 % or so).
  std::function<void(int64_t done, int64_t total)> on_progress;
};

struct LatencySummary {
  double p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
};
// Nearest-rank percentiles.
LatencySummary summarize_latencies(std::vector<double> latencies_ms);

struct ModelReport {
  std::string name;
  int64_t requests = 0;
  double throughput_ips = 0;
  LatencySummary latency_ms;
  // How the system ran it.
  int segments = 0;             // K
  int pipelines = 0;            // P
  std::vector<int32_t> starts;  // the cut points used
  partition::Strategy strategy = partition::Strategy::kOptimal;
  double bottleneck_ms = 0;  // the device model's slowest stage
  int in_flight = 0;         // closed loop: requests kept outstanding (0 for open loops)
};

struct DeviceReport {
  std::string name;
  int64_t invokes = 0;
  double busy_ms = 0;
  double utilization = 0;  // busy / duration
  int64_t switches = 0;    // parameter-cache reloads
  double switch_ms = 0;
  double energy_mj = 0;             // invokes plus idle power while not busy
  bool shared = false;              // holds stages of several pipelines
  std::vector<std::string> stages;  // what it serves (System::stage_labels)
};

struct RunReport {
  ClockKind clock = ClockKind::kVirtual;
  Dispatch dispatch = Dispatch::kRoundRobin;
  Workload workload;
  int64_t requests = 0;     // completed, all models
  int64_t invocations = 0;  // segment invokes
  double duration_ms = 0;   // first arrival to last completion, on the run's clock
  // Steady-state completions per second: after the first tenth of completions (warm-up: the
  // pipeline fills, parameters load), the completions over their span.
  double throughput_ips = 0;
  LatencySummary latency_ms;  // arrival to completion
  double energy_mj = 0;       // all devices over the duration
  double energy_per_inference_mj = 0;
  double shared_link_utilization = 0;
  double analytic_throughput_ips = 0;  // the device model's figure (analytic_throughput_ips)
  double wall_ms = 0;                  // how long the run took
  std::string platform;                // the system's platform name
  int tpus = 0;
  bool timing_only = false;
  std::vector<ModelReport> models;
  std::vector<DeviceReport> devices;

  // Whether any device holds stages of several pipelines (model switches can occur).
  bool any_device_shared() const;
  // Measured over the device model's throughput (0 without a device-model figure).
  double device_model_ratio() const;
};

// Requests a closed loop keeps in flight for `model`: the workload's, or 2 per stage it runs on.
int closed_loop_in_flight(const System& system, const Workload& workload, size_t model);

// Runs `workload` on `system`. Throws UsageError for a bad workload and the error of a failing
// stage (after stopping everything).
RunReport run(System& system, const Workload& workload, const RunOptions& opts);

}  // namespace tpulab::pipeline
