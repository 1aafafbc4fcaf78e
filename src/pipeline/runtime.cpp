#include "pipeline/runtime.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "common/error.h"
#include "pipeline/runtime_tally.h"

namespace tpulab::pipeline {

ClockKind parse_clock_kind(const std::string& name) {
  if (name == "virtual") return ClockKind::kVirtual;
  if (name == "realtime") return ClockKind::kRealtime;
  throw UsageError("unknown clock '" + name + "' (virtual, realtime)", "pipeline");
}

std::string clock_kind_name(ClockKind kind) {
  return kind == ClockKind::kVirtual ? "virtual" : "realtime";
}

Dispatch parse_dispatch(const std::string& name) {
  if (name == "round-robin") return Dispatch::kRoundRobin;
  if (name == "least-loaded") return Dispatch::kLeastLoaded;
  throw UsageError("unknown dispatch '" + name + "' (round-robin, least-loaded)", "pipeline");
}

std::string dispatch_name(Dispatch d) {
  return d == Dispatch::kRoundRobin ? "round-robin" : "least-loaded";
}

LatencySummary summarize_latencies(std::vector<double> v) {
  LatencySummary s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto rank = [&](double q) {
    const auto i = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::clamp<size_t>(i, 1, v.size()) - 1];
  };
  s.p50 = rank(0.50);
  s.p90 = rank(0.90);
  s.p99 = rank(0.99);
  s.max = v.back();
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  return s;
}

namespace detail {

Tally::Tally(size_t models, int64_t requests_per_model)
    : latency_ms(models), done_ms(models, CompletionRate(requests_per_model)) {
  // One model's figures are the run's: no second copy.
  if (models != 1) {
    latency_ms.emplace_back();
    done_ms.emplace_back(requests_per_model * static_cast<int64_t>(models));
  }
}

void Tally::complete(size_t model, double latency, double done) {
  latency_ms[model].add(latency);
  done_ms[model].add(done);
  if (latency_ms.size() > 1) {
    latency_ms.back().add(latency);
    done_ms.back().add(done);
  }
  last_done_ms = std::max(last_done_ms, done);
}

Dispatcher::Dispatcher(const System& system, Dispatch dispatch)
    : dispatch_(dispatch), next_(system.models.size(), 0) {
  for (size_t m = 0; m < system.models.size(); ++m) pipelines_.push_back(system.pipelines_of(m));
}

size_t Dispatcher::pick(size_t model, const std::vector<int64_t>& in_flight) {
  const std::vector<size_t>& pipes = pipelines_.at(model);
  size_t& next = next_[model];
  size_t chosen = next;
  if (dispatch_ == Dispatch::kLeastLoaded) {
    // Fewest in flight; among equals the round-robin order, so idle replicas share the work.
    for (size_t i = 0; i < pipes.size(); ++i) {
      const size_t c = (next + i) % pipes.size();
      if (in_flight[pipes[c]] < in_flight[pipes[chosen]]) chosen = c;
    }
  }
  next = (chosen + 1) % pipes.size();
  return pipes[chosen];
}

TensorMap request_input(const System& system, const RunOptions& opts, size_t model,
                        uint64_t sequence) {
  if (opts.make_input) return opts.make_input(model, sequence);
  TensorMap t;
  for (const TensorInfo& in : system.models[model].inputs)
    t.emplace(in.name, Bytes(static_cast<size_t>(in.bytes), 0));
  return t;
}

}  // namespace detail

int closed_loop_in_flight(const System& system, const Workload& workload, size_t model) {
  if (workload.in_flight > 0) return workload.in_flight;
  size_t stages = 0;
  for (size_t p : system.pipelines_of(model)) stages += system.pipelines[p].stages.size();
  return static_cast<int>(2 * stages);
}

bool RunReport::any_device_shared() const {
  return std::any_of(devices.begin(), devices.end(),
                     [](const DeviceReport& d) { return d.shared; });
}

double RunReport::device_model_ratio() const {
  return analytic_throughput_ips > 0 ? throughput_ips / analytic_throughput_ips : 0;
}

RunReport run(System& system, const Workload& workload, const RunOptions& opts) {
  check_workload(workload);
  const auto wall_start = std::chrono::steady_clock::now();
  detail::Tally t = opts.clock == ClockKind::kVirtual
                        ? detail::run_virtual(system, workload, opts)
                        : detail::run_realtime(system, workload, opts);
  RunReport r;
  r.wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall_start)
          .count();
  r.clock = opts.clock;
  r.dispatch = opts.dispatch;
  r.workload = workload;
  r.invocations = t.invocations;
  r.duration_ms = t.last_done_ms - t.first_arrival_ms;
  r.analytic_throughput_ips = analytic_throughput_ips(system);
  r.platform = system.platform.name;
  r.tpus = system.platform.tpus;
  r.timing_only = system.timing_only;

  const size_t models = system.models.size();
  for (size_t m = 0; m < models; ++m) {
    ModelReport mr;
    mr.name = system.models[m].name;
    mr.requests = t.latency_ms[m].count();
    mr.throughput_ips = t.done_ms[m].ips();
    mr.latency_ms = t.latency_ms[m].summary();
    const ModelPipelines& info = system.models[m];
    mr.segments = info.plan.segments();
    mr.pipelines = static_cast<int>(system.pipelines_of(m).size());
    mr.starts = info.starts;
    mr.strategy = info.plan.strategy;
    mr.bottleneck_ms = info.plan.simulation.bottleneck_ms;
    if (workload.kind == LoadKind::kClosed)
      mr.in_flight = closed_loop_in_flight(system, workload, m);
    r.requests += mr.requests;
    r.models.push_back(std::move(mr));
  }
  r.throughput_ips = t.done_ms.back().ips();
  r.latency_ms = t.latency_ms.back().summary();

  for (size_t d = 0; d < system.devices.size(); ++d) {
    DeviceReport dr = t.devices[d];
    const double idle_ms = std::max(0.0, r.duration_ms - dr.busy_ms);
    dr.utilization = r.duration_ms > 0 ? dr.busy_ms / r.duration_ms : 0;
    dr.energy_mj += system.devices[d]->idle_power_w() * idle_ms;  // W x ms = mJ
    r.energy_mj += dr.energy_mj;
    dr.shared = system.device_shared(d);
    dr.stages = system.stage_labels(d);
    r.devices.push_back(std::move(dr));
  }
  r.energy_per_inference_mj = r.requests > 0 ? r.energy_mj / static_cast<double>(r.requests) : 0;
  r.shared_link_utilization = r.duration_ms > 0 ? t.link_busy_ms / r.duration_ms : 0;
  return r;
}

}  // namespace tpulab::pipeline
