#include "pipeline/system.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "common/error.h"
#include "model/zoo/model_spec.h"
#include "partition/segment.h"
#include "pipeline/sim_edgetpu.h"

namespace tpulab::pipeline {

ModelToRun model_to_run(const std::string& spec) {
  ModelToRun m{model_name(spec), load_model(spec), {}};
  if (m.graph.main().ops.empty()) throw UsageError("the model has no ops", spec);
  return m;
}

std::vector<size_t> System::pipelines_of(size_t model) const {
  std::vector<size_t> out;
  for (size_t p = 0; p < pipelines.size(); ++p)
    if (pipelines[p].model == model) out.push_back(p);
  return out;
}

bool System::device_shared(size_t device) const {
  int users = 0;
  for (const Pipeline& p : pipelines)
    users += std::count(p.devices.begin(), p.devices.end(), device) > 0 ? 1 : 0;
  return users > 1;
}

std::vector<std::string> System::stage_labels(size_t device) const {
  std::vector<std::string> labels;
  std::vector<size_t> replica(models.size(), 0);
  for (const Pipeline& pipe : pipelines) {
    const size_t p = replica[pipe.model]++;
    for (size_t s = 0; s < pipe.devices.size(); ++s)
      if (pipe.devices[s] == device)
        labels.push_back(fmt::format("{}/p{}/s{}", models[pipe.model].name, p, s));
  }
  return labels;
}

System build_system(std::vector<ModelToRun> models, const device::Platform& platform,
                    const SystemOptions& opts) {
  if (models.empty()) throw UsageError("no model to run", "pipeline");
  if (opts.segments < 1) throw FieldError("segments", "segments must be at least 1");
  if (opts.pipelines < 1) throw FieldError("pipelines", "pipelines must be at least 1");
  std::set<std::string> used;
  for (ModelToRun& model : models) {
    const std::string base = model.name;
    for (int i = 2; used.contains(model.name); ++i) model.name = fmt::format("{}#{}", base, i);
    used.insert(model.name);
  }
  System sys;
  sys.platform = platform;
  sys.timing_only = opts.timing_only;
  for (int t = 0; t < platform.tpus; ++t) {
    sys.devices.push_back(std::make_unique<SimEdgeTpu>(
        platform, fmt::format("tpu{}", t), SimEdgeTpuOptions{.timing_only = opts.timing_only}));
    sys.device_locks.push_back(std::make_unique<std::mutex>());
  }

  size_t slot = 0;  // next stage slot; slot % tpus is its TPU
  for (size_t m = 0; m < models.size(); ++m) {
    ModelToRun& model = models[m];
    if (model.graph.main().ops.empty()) throw UsageError("the model has no ops", model.name);
    const int k = model.starts.empty() ? opts.segments : static_cast<int>(model.starts.size()) + 1;
    if (k > platform.tpus)
      throw UsageError(fmt::format("{} segments need {} Edge TPUs but platform {} has {}", k, k,
                                   platform.name, platform.tpus),
                       model.name);
    if (models.size() == 1 && k * opts.pipelines > platform.tpus)
      throw UsageError(
          fmt::format("{} pipelines of {} segments need {} Edge TPUs but platform "
                      "{} has {}",
                      opts.pipelines, k, k * opts.pipelines, platform.name, platform.tpus),
          model.name);
    ModelPipelines info;
    info.name = model.name;
    if (model.starts.empty()) {
      partition::Options popts;
      popts.segments = k;
      info.plan = partition::partition(model.graph, opts.strategy, platform, popts);
    } else {
      info.plan = partition::evaluate(model.graph, opts.strategy, model.starts, platform);
    }
    info.starts = info.plan.starts;
    for (int32_t t : model.graph.main().inputs) {
      const Tensor& x = model.graph.main().tensors.at(static_cast<size_t>(t));
      info.inputs.push_back({x.name, x.byte_size()});
    }
    const std::vector<Segment> segments = split_into_segments(model.graph, info.starts);
    // One compiled model: every segment (and replica) shares the caching token.
    const CachingToken token = m + 1;
    for (int p = 0; p < opts.pipelines; ++p) {
      Pipeline pipe;
      pipe.model = m;
      for (size_t s = 0; s < segments.size(); ++s, ++slot) {
        const size_t d = slot % static_cast<size_t>(platform.tpus);
        const SegmentHandle h = sys.devices[d]->load(
            segments[s].graph, token, segment_file_name(model.name, s, segments.size()));
        pipe.devices.push_back(d);
        pipe.stages.push_back({sys.devices[d].get(), h, nullptr});
      }
      pipe.routing = route(pipe.stages, {});
      sys.pipelines.push_back(std::move(pipe));
    }
    sys.models.push_back(std::move(info));
  }
  // Only devices that serve several pipelines need their invokes serialized.
  for (Pipeline& pipe : sys.pipelines)
    for (size_t s = 0; s < pipe.stages.size(); ++s)
      if (sys.device_shared(pipe.devices[s]))
        pipe.stages[s].device_lock = sys.device_locks[pipe.devices[s]].get();
  return sys;
}

double analytic_throughput_ips(const System& system) {
  double total_ips = 0, link_ms_per_s = 0;
  for (const Pipeline& pipe : system.pipelines) {
    const device::Simulation& sim = system.models[pipe.model].plan.simulation;
    double stage_ms = 0;
    for (const device::Cost& c : sim.costs) stage_ms = std::max(stage_ms, c.latency_ms());
    const double ips = stage_ms > 0 ? 1e3 / stage_ms : 0;
    total_ips += ips;
    link_ms_per_s += ips * sim.shared_link_ms;
  }
  // The shared link is busy link_ms_per_s ms each second at those rates; above 1000 it binds
  // and every pipeline slows in proportion.
  if (system.platform.shared_link_mb_s > 0 && link_ms_per_s > 1e3) total_ips *= 1e3 / link_ms_per_s;
  return total_ips;
}

}  // namespace tpulab::pipeline
