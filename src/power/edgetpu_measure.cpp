#include "power/edgetpu_measure.h"

#include <cstdint>

#include "common/error.h"
#include "device/edgetpu/cost.h"
#include "power/edgetpu_timeline.h"
#include "power/sim_source.h"

namespace tpulab::power {

EdgeTpuMeasurement measure_simulated_edgetpu(const Graph& graph, const device::Platform& platform,
                                             const EdgeTpuMeasureOptions& o) {
  check_measure_options(o.measure);
  check_option(o.sample_rate_hz, 0, SimOptions::kMaxSampleRateHz, true, "sample_rate_hz",
               "measure");
  check_option(o.speed, 0, kMaxSimSpeed, true, "speed", "measure");
  const auto n = static_cast<int32_t>(graph.main().ops.size());
  if (n == 0) throw UsageError("the model has no ops", "measure");
  const device::Simulation sim = device::simulate(graph, {{0, n}}, platform);
  EdgeTpuRunPlan plan;
  plan.baseline_s = o.measure.baseline_s;
  plan.requests = o.measure.warmup + o.measure.requests;  // every request measure() makes
  const EdgeTpuRun run = edgetpu_run(sim.placements[0], sim.costs[0], platform, plan);
  SimSource source(run.timeline, {o.sample_rate_hz, o.speed}, "sim-edgetpu:" + platform.name);
  EdgeTpuMeasurement r;
  r.measured = measure(source, replay_requests(source, run, o.sample_rate_hz, o.measure.timeout_s),
                       o.measure);
  r.source = source.info();
  r.platform = platform.name;
  r.predicted_joules_per_inference = run.energy_j;
  r.predicted_seconds_per_inference = run.latency_s;
  r.idle_w = run.idle_w;
  return r;
}

nlohmann::json to_json(const EdgeTpuMeasurement& m) {
  nlohmann::json j = to_json(m.measured);
  j["source"] = {{"kind", m.source.kind}, {"where", m.source.where}};
  j["device_model"] = {{"platform", m.platform},
                       {"joules_per_inference", m.predicted_joules_per_inference},
                       {"ms_per_inference", m.predicted_seconds_per_inference * 1e3},
                       {"idle_watts", m.idle_w}};
  return j;
}

}  // namespace tpulab::power
