// Pipeline reports as JSON: what `tpulab pipeline --json` prints and what scripts read back.
#pragma once

#include <nlohmann/json.hpp>

#include "pipeline/pipelined_runner.h"
#include "pipeline/runtime.h"
#include "pipeline/topology_sweep.h"

namespace tpulab::pipeline {

// Latency percentiles in ms: {"p50", "p90", "p99", "max", "mean"}.
nlohmann::json latency_to_json(const LatencySummary& s);

// The run: "clock", "dispatch", "load" {kind, requests (per model), in_flight (0 = 2 per stage),
// rate_ips, seed}, "requests", "invocations", "duration_ms", "throughput_ips",
// "analytic_throughput_ips", "latency_ms", "energy_mj", "energy_per_inference_mj",
// "shared_link_utilization", "wall_ms", "timing_only", "platform" (name), "tpus",
// "models" [{name, requests, throughput_ips, latency_ms, segments (K), pipelines (P), starts
// (cut points), strategy, bottleneck_ms (the device model's slowest stage), in_flight (closed
// loop only: outstanding requests)}] and "devices" [{name, invokes, busy_ms, utilization,
// switches, switch_ms, energy_mj, shared (holds stages of several pipelines), stages
// ["model/p0/s1", ...]}].
nlohmann::json run_report_to_json(const RunReport& r);

// One topology of a sweep: "pipelines", "segments", "starts" and the run's figures without the
// per-model and per-device detail ("throughput_ips", "analytic_throughput_ips", "latency_ms",
// "energy_per_inference_mj", "shared_link_utilization", "requests").
nlohmann::json topology_run_to_json(const TopologyRun& t);

// What `tpulab pipeline --topologies --json` prints: "model", "platform", "clock" and
// "topologies" [topology_run_to_json, ...].
nlohmann::json topology_sweep_to_json(const TopologySweep& s);

// A runner stage's counters: "device", "count", "busy_ms", "wait_input_ms", "wait_output_ms",
// "switches", "switch_ms", "energy_mj".
nlohmann::json stage_stats_to_json(const StageStats& s);

}  // namespace tpulab::pipeline
