#include "pipeline/topology_sweep.h"

#include "common/error.h"

namespace tpulab::pipeline {

std::vector<std::pair<int, int>> equal_topologies(int tpus) {
  std::vector<std::pair<int, int>> out;
  for (int p = 1; p <= tpus; ++p)
    if (tpus % p == 0) out.emplace_back(p, tpus / p);
  return out;
}

TopologySweep sweep_topologies(const ModelToRun& model, const device::Platform& platform,
                               const SystemOptions& base, const Workload& workload,
                               const RunOptions& opts,
                               const std::function<void(const TopologyRun&)>& on_result) {
  const auto ops = static_cast<int>(model.graph.main().ops.size());
  if (ops == 0) throw UsageError("the model has no ops", model.name);
  TopologySweep sweep{model.name, platform.name,    platform.tpus,
                      opts.clock, base.timing_only, workload.requests,
                      {}};
  for (const auto& [p, k] : equal_topologies(platform.tpus)) {
    if (k > ops) continue;
    SystemOptions so = base;
    so.pipelines = p;
    so.segments = k;
    System sys = build_system({{model.name, model.graph, {}}}, platform, so);
    TopologyRun t;
    t.pipelines = p;
    t.segments = k;
    t.starts = sys.models[0].starts;
    t.report = run(sys, workload, opts);
    if (on_result) on_result(t);
    sweep.runs.push_back(std::move(t));
  }
  return sweep;
}

}  // namespace tpulab::pipeline
