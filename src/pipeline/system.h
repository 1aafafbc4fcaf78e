// A platform's devices with models loaded on them as pipelines: what the runtimes run.
//
//   System sys = build_system({{"inception_v4", graph}}, platform,
//                             {.segments = 4, .pipelines = 2});   // 8 TPUs as 2x4
//   RunReport r = run(sys, workload, {.clock = ClockKind::kVirtual});
//
// Each model is cut into K segments (by a partitioning strategy or given cut points) and loaded
// as P replicas of its pipeline. Stage slots go to the platform's TPUs in order (model 0's
// replicas first), wrapping around when several models need more slots than there are TPUs:
// such TPUs hold segments of several models and pay the model-switch cost whenever the resident
// model changes, as real Edge TPUs do.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "device/platform.h"
#include "model/graph.h"
#include "partition/strategy.h"
#include "pipeline/routing.h"

namespace tpulab::pipeline {

struct ModelToRun {
  std::string name;
  Graph graph;
  // Cut points (first op of each segment after the first); empty: cut by the strategy.
  std::vector<int32_t> starts;
};

// A model as users name one (a .tflite path, or "zoo:NAME": see model/zoo/model_spec.h), named
// as reports call it (the file's stem, or the zoo name). Throws what loading throws, and
// UsageError for a model without ops.
ModelToRun model_to_run(const std::string& spec);

struct SystemOptions {
  int segments = 1;   // K: segments per pipeline (ignored for a model with explicit starts)
  int pipelines = 1;  // P: replicas of each model's pipeline
  partition::Strategy strategy = partition::Strategy::kOptimal;
  bool timing_only = false;  // devices skip the engine (outputs are zeros)
};

struct TensorInfo {
  std::string name;
  int64_t bytes = 0;
};

struct ModelPipelines {
  std::string name;
  std::vector<TensorInfo> inputs;  // what a request carries
  std::vector<int32_t> starts;     // the cut points used
  partition::Plan plan;            // the device model's view of one pipeline
};

struct Pipeline {
  size_t model = 0;  // index into System::models
  std::vector<StageBinding> stages;
  std::vector<size_t> devices;  // index into System::devices, per stage
  Routing routing;
};

struct System {
  device::Platform platform;
  std::vector<std::unique_ptr<Device>> devices;
  std::vector<std::unique_ptr<std::mutex>> device_locks;  // one per device
  std::vector<ModelPipelines> models;
  std::vector<Pipeline> pipelines;  // model 0's replicas, then model 1's, ...
  bool timing_only = false;

  // Pipelines serving `model`, in order.
  std::vector<size_t> pipelines_of(size_t model) const;
  // Whether a device holds stages of more than one pipeline.
  bool device_shared(size_t device) const;
  // The stages a device serves, as "model/p<replica>/s<stage>", in pipeline order.
  std::vector<std::string> stage_labels(size_t device) const;
};

// Simulated Edge TPUs of `platform` with each model's pipelines loaded. A name that repeats gets
// "#2", "#3", ... so reports tell the models apart. Throws UsageError when a
// pipeline has more segments than the platform has TPUs, when one model's replicas need more
// TPUs than there are, for no models, a model without ops, K < 1 or P < 1, and whatever loading a
// segment throws.
System build_system(std::vector<ModelToRun> models, const device::Platform& platform,
                    const SystemOptions& opts);

// The device model's throughput of a system (inferences/s, all models together): each pipeline
// at its bottleneck stage, bounded by the shared host link. Meaningful when no TPU is shared
// between models (model switches are not in the formula).
double analytic_throughput_ips(const System& system);

}  // namespace tpulab::pipeline
