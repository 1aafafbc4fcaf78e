#include <fmt/format.h>

#include "partition/plan_files.h"
#include "partition/segment.h"

namespace tpulab::partition {

using nlohmann::json;

nlohmann::json plan_to_json(const Graph& graph, const Plan& plan, const device::Platform& platform,
                            const std::string& model_stem, Objective objective) {
  const Subgraph& sg = graph.main();
  const auto& sim = plan.simulation;
  auto tensor_name = [&](int32_t t) { return sg.tensors[static_cast<size_t>(t)].name; };
  json j;
  j["model"] = model_stem;
  j["platform"] = platform.name;
  j["strategy"] = strategy_name(plan.strategy);
  j["objective"] = objective_name(objective);
  j["num_segments"] = plan.segments();
  j["num_ops"] = sg.ops.size();
  j["starts"] = plan.starts;
  j["cuts"] = json::array();
  auto crossing = tensors_crossing_cuts(graph, plan.starts);
  for (size_t c = 0; c < crossing.size(); ++c) {
    json tensors = json::array();
    int64_t bytes = 0;
    for (int32_t t : crossing[c]) {
      int64_t b = sg.tensors[static_cast<size_t>(t)].byte_size();
      bytes += b;
      tensors.push_back({{"name", tensor_name(t)}, {"bytes", b}});
    }
    j["cuts"].push_back({{"before_op", plan.starts[c]}, {"bytes", bytes}, {"tensors", tensors}});
  }
  // Segment inputs and outputs by name, as the segment files have them.
  std::vector<std::vector<std::string>> ins(sim.placements.size()), outs(sim.placements.size());
  {
    auto segs = split_into_segments(graph, plan.starts);
    for (size_t i = 0; i < segs.size(); ++i) {
      for (int32_t t : segs[i].inputs) ins[i].push_back(tensor_name(t));
      for (int32_t t : segs[i].outputs) outs[i].push_back(tensor_name(t));
    }
  }
  j["segments"] = json::array();
  for (size_t i = 0; i < sim.placements.size(); ++i) {
    const auto& p = sim.placements[i];
    const auto& c = sim.costs[i];
    j["segments"].push_back({{"index", i},
                             {"file", segment_file_name(model_stem, i, sim.placements.size())},
                             {"first_op", p.first_op},
                             {"end_op", p.last_op},
                             {"ops", p.last_op - p.first_op},
                             {"tpu_ops", p.tpu_ops},
                             {"cpu_ops", p.cpu_ops},
                             {"inputs", ins[i]},
                             {"outputs", outs[i]},
                             {"parameter_bytes", p.parameter_bytes},
                             {"cached_bytes", p.cached_bytes},
                             {"streamed_bytes", p.streamed_bytes},
                             {"sram_used_bytes", p.sram_used_bytes},
                             {"input_bytes", p.input_bytes},
                             {"output_bytes", p.output_bytes},
                             {"latency_ms", c.latency_ms()},
                             {"compute_ms", c.latency.compute_ms},
                             {"weights_ms", c.latency.weights_ms},
                             {"io_ms", c.latency.io_ms},
                             {"host_ms", c.latency.host_ms},
                             {"overhead_ms", c.latency.overhead_ms},
                             {"energy_mj", c.energy_mj()}});
  }
  j["bottleneck_ms"] = sim.bottleneck_ms;
  j["shared_link_bound"] = sim.shared_link_bound;
  j["shared_link_ms"] = sim.shared_link_ms;
  j["throughput_ips"] = sim.throughput_ips;
  j["latency_ms"] = sim.latency_ms;
  j["energy_mj"] = sim.energy_mj;
  return j;
}

}  // namespace tpulab::partition
