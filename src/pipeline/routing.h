// How tensors travel through a chain of segments, shared by the threaded runner and the
// discrete-event runtime: which tensors a pipeline takes and returns, and after which stage each
// intermediate tensor is dead (skip connections ride along until their last reader has run).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "pipeline/device.h"

namespace tpulab::pipeline {

struct StageBinding {
  Device* device = nullptr;  // must outlive the pipeline
  SegmentHandle segment = 0;
  // Held around each invoke when several pipelines share the device (null: not shared).
  std::mutex* device_lock = nullptr;
};

struct Routing {
  std::vector<std::string> input_names;              // read by a stage, made by no earlier stage
  std::vector<std::string> output_names;             // what a finished request carries
  std::vector<std::vector<std::string>> drop_after;  // per stage: tensors dead after it
};

// `outputs` empty: every tensor a stage makes that no later stage reads. Throws UsageError for no
// stages, a binding without a device, or an explicit output neither made nor taken.
Routing route(const std::vector<StageBinding>& stages, const std::vector<std::string>& outputs);

// Runs stage `stage` on a request's tensors: invokes its segment, adds the outputs and drops the
// tensors no later stage reads. Returns the invoke's timing.
InvokeTiming run_stage(const StageBinding& binding, const Routing& routing, size_t stage,
                       TensorMap& tensors);

}  // namespace tpulab::pipeline
