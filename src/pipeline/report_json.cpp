#include "pipeline/report_json.h"

namespace tpulab::pipeline {

nlohmann::json latency_to_json(const LatencySummary& s) {
  return {{"p50", s.p50}, {"p90", s.p90}, {"p99", s.p99}, {"max", s.max}, {"mean", s.mean}};
}

nlohmann::json run_report_to_json(const RunReport& r) {
  nlohmann::json j;
  j["clock"] = clock_kind_name(r.clock);
  j["dispatch"] = dispatch_name(r.dispatch);
  j["load"] = {{"kind", load_kind_name(r.workload.kind)},
               {"requests", r.workload.requests},
               {"in_flight", r.workload.in_flight},
               {"rate_ips", r.workload.rate_ips},
               {"seed", r.workload.seed}};
  j["platform"] = r.platform;
  j["tpus"] = r.tpus;
  j["timing_only"] = r.timing_only;
  j["requests"] = r.requests;
  j["invocations"] = r.invocations;
  j["duration_ms"] = r.duration_ms;
  j["throughput_ips"] = r.throughput_ips;
  j["analytic_throughput_ips"] = r.analytic_throughput_ips;
  j["latency_ms"] = latency_to_json(r.latency_ms);
  j["energy_mj"] = r.energy_mj;
  j["energy_per_inference_mj"] = r.energy_per_inference_mj;
  j["shared_link_utilization"] = r.shared_link_utilization;
  j["wall_ms"] = r.wall_ms;

  j["models"] = nlohmann::json::array();
  for (const ModelReport& mr : r.models) {
    nlohmann::json jm = {{"name", mr.name},
                         {"requests", mr.requests},
                         {"throughput_ips", mr.throughput_ips},
                         {"latency_ms", latency_to_json(mr.latency_ms)},
                         {"segments", mr.segments},
                         {"pipelines", mr.pipelines},
                         {"starts", mr.starts},
                         {"strategy", partition::strategy_name(mr.strategy)},
                         {"bottleneck_ms", mr.bottleneck_ms}};
    if (r.workload.kind == LoadKind::kClosed) jm["in_flight"] = mr.in_flight;
    j["models"].push_back(std::move(jm));
  }

  j["devices"] = nlohmann::json::array();
  for (const DeviceReport& dr : r.devices)
    j["devices"].push_back({{"name", dr.name},
                            {"invokes", dr.invokes},
                            {"busy_ms", dr.busy_ms},
                            {"utilization", dr.utilization},
                            {"switches", dr.switches},
                            {"switch_ms", dr.switch_ms},
                            {"energy_mj", dr.energy_mj},
                            {"shared", dr.shared},
                            {"stages", dr.stages}});
  return j;
}

nlohmann::json topology_run_to_json(const TopologyRun& t) {
  const RunReport& r = t.report;
  return {{"pipelines", t.pipelines},
          {"segments", t.segments},
          {"starts", t.starts},
          {"throughput_ips", r.throughput_ips},
          {"analytic_throughput_ips", r.analytic_throughput_ips},
          {"latency_ms", latency_to_json(r.latency_ms)},
          {"energy_per_inference_mj", r.energy_per_inference_mj},
          {"shared_link_utilization", r.shared_link_utilization},
          {"requests", r.requests}};
}

nlohmann::json topology_sweep_to_json(const TopologySweep& s) {
  nlohmann::json runs = nlohmann::json::array();
  for (const TopologyRun& t : s.runs) runs.push_back(topology_run_to_json(t));
  return {{"model", s.model},
          {"platform", s.platform},
          {"clock", clock_kind_name(s.clock)},
          {"topologies", std::move(runs)}};
}

nlohmann::json stage_stats_to_json(const StageStats& s) {
  return {{"device", s.device},
          {"count", s.count},
          {"busy_ms", s.busy_ms},
          {"wait_input_ms", s.wait_input_ms},
          {"wait_output_ms", s.wait_output_ms},
          {"switches", s.switches},
          {"switch_ms", s.switch_ms},
          {"energy_mj", s.energy_mj}};
}

}  // namespace tpulab::pipeline
