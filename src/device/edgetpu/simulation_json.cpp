#include "device/edgetpu/simulation_json.h"

#include "device/platform.h"

namespace tpulab::device {

nlohmann::json segment_to_json(const Placement& p, const Cost& c, const Platform& platform) {
  return {{"first_op", p.first_op},
          {"end_op", p.last_op},
          {"ops", p.last_op - p.first_op},
          {"tpu_ops", p.tpu_ops},
          {"cpu_ops", p.cpu_ops},
          {"parameter_bytes", p.parameter_bytes},
          {"cached_bytes", p.cached_bytes},
          {"streamed_bytes", p.streamed_bytes},
          {"instruction_bytes", p.instruction_bytes},
          {"sram_used_bytes", p.sram_used_bytes},
          {"input_bytes", p.input_bytes},
          {"output_bytes", p.output_bytes},
          {"latency_ms", c.latency_ms()},
          {"compute_ms", c.latency.compute_ms},
          {"weights_ms", c.latency.weights_ms},
          {"instructions_ms", c.latency.instructions_ms},
          {"io_ms", c.latency.io_ms},
          {"host_ms", c.latency.host_ms},
          {"overhead_ms", c.latency.overhead_ms},
          {"energy_mj", c.energy_mj()},
          {"model_switch_ms", model_switch_ms(p, platform)},
          {"warnings", p.warnings}};
}

nlohmann::json simulation_to_json(const Simulation& s, const Platform& platform) {
  nlohmann::json j;
  j["platform"] = platform.name;
  j["latency_ms"] = s.latency_ms;
  j["throughput_ips"] = s.throughput_ips;
  j["bottleneck_ms"] = s.bottleneck_ms;
  j["shared_link_bound"] = s.shared_link_bound;
  j["shared_link_ms"] = s.shared_link_ms;
  j["energy_mj"] = s.energy_mj;
  j["average_power_w"] = s.average_power_w;
  j["segments"] = nlohmann::json::array();
  for (size_t i = 0; i < s.placements.size(); ++i)
    j["segments"].push_back(segment_to_json(s.placements[i], s.costs[i], platform));
  return j;
}

}  // namespace tpulab::device
