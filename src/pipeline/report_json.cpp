#include "pipeline/report_json.h"

#include <string>

#include "pipeline/runtime.h"

namespace tpulab::pipeline {

nlohmann::json latency_to_json(const LatencySummary& s) {
  return {{"p50", s.p50}, {"p90", s.p90}, {"p99", s.p99}, {"max", s.max}, {"mean", s.mean}};
}

nlohmann::json run_report_to_json(const RunReport& r, const System& sys) {
  nlohmann::json j;
  j["clock"] = clock_kind_name(r.clock);
  j["dispatch"] = dispatch_name(r.dispatch);
  j["load"] = {{"kind", load_kind_name(r.workload.kind)},
               {"requests", r.workload.requests},
               {"in_flight", r.workload.in_flight},
               {"rate_ips", r.workload.rate_ips},
               {"seed", r.workload.seed}};
  j["platform"] = sys.platform.name;
  j["tpus"] = sys.platform.tpus;
  j["timing_only"] = sys.timing_only;
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
  for (size_t m = 0; m < r.models.size(); ++m) {
    const ModelReport& mr = r.models[m];
    nlohmann::json jm = {{"name", mr.name},
                         {"requests", mr.requests},
                         {"throughput_ips", mr.throughput_ips},
                         {"latency_ms", latency_to_json(mr.latency_ms)}};
    if (m < sys.models.size()) {
      const ModelPipelines& info = sys.models[m];
      jm["segments"] = info.plan.segments();
      jm["pipelines"] = sys.pipelines_of(m).size();
      jm["starts"] = info.starts;
      jm["strategy"] = partition::strategy_name(info.plan.strategy);
      jm["bottleneck_ms"] = info.plan.simulation.bottleneck_ms;
      if (r.workload.kind == LoadKind::kClosed)
        jm["in_flight"] = closed_loop_in_flight(sys, r.workload, m);
    }
    j["models"].push_back(std::move(jm));
  }

  j["devices"] = nlohmann::json::array();
  for (size_t d = 0; d < r.devices.size(); ++d) {
    const DeviceReport& dr = r.devices[d];
    nlohmann::json jd = {{"name", dr.name},           {"invokes", dr.invokes},
                         {"busy_ms", dr.busy_ms},     {"utilization", dr.utilization},
                         {"switches", dr.switches},   {"switch_ms", dr.switch_ms},
                         {"energy_mj", dr.energy_mj}, {"shared", sys.device_shared(d)}};
    // Which stages the device serves, as "model/p<replica>/s<stage>".
    nlohmann::json stages = nlohmann::json::array();
    std::vector<size_t> replica(sys.models.size(), 0);
    for (const Pipeline& pipe : sys.pipelines) {
      const size_t p = replica[pipe.model]++;
      for (size_t s = 0; s < pipe.devices.size(); ++s)
        if (pipe.devices[s] == d)
          stages.push_back(sys.models[pipe.model].name + "/p" + std::to_string(p) + "/s" +
                           std::to_string(s));
    }
    jd["stages"] = std::move(stages);
    j["devices"].push_back(std::move(jd));
  }
  return j;
}

}  // namespace tpulab::pipeline
