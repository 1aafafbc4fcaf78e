#include <fmt/format.h>

#include "device/edgetpu/simulation_json.h"
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
  // The device model's figures for the whole pipeline and each segment, plus the files.
  j.update(device::simulation_to_json(sim, platform));
  for (size_t i = 0; i < sim.placements.size(); ++i) {
    json& seg = j["segments"][i];
    seg["index"] = i;
    seg["file"] = segment_file_name(model_stem, i, sim.placements.size());
    seg["inputs"] = ins[i];
    seg["outputs"] = outs[i];
  }
  return j;
}

}  // namespace tpulab::partition
