// One long pipeline or several shorter ones? Every way to split a platform's TPUs into equal
// replicas of one model's pipeline (P pipelines x K segments with P x K = TPUs: on 8 TPUs 1x8,
// 2x4, 4x2 and 8x1), each built and run under the same workload.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/runtime.h"
#include "pipeline/system.h"

namespace tpulab::pipeline {

struct TopologyRun {
  int pipelines = 1, segments = 1;
  std::vector<int32_t> starts;  // the cut points used
  RunReport report;
};

// (P, K) pairs with P x K = tpus, longest pipeline first.
std::vector<std::pair<int, int>> equal_topologies(int tpus);

struct TopologySweep {
  std::string model, platform;
  int tpus = 0;
  ClockKind clock = ClockKind::kVirtual;
  bool timing_only = false;
  int64_t requests = 0;           // per run
  std::vector<TopologyRun> runs;  // longest pipeline first
};

// Runs `model` in every equal topology of `platform` (skipping K above its op count), cutting by
// `base.strategy`; `on_result` sees each run as it finishes.
TopologySweep sweep_topologies(const ModelToRun& model, const device::Platform& platform,
                               const SystemOptions& base, const Workload& workload,
                               const RunOptions& opts,
                               const std::function<void(const TopologyRun&)>& on_result = {});

}  // namespace tpulab::pipeline
