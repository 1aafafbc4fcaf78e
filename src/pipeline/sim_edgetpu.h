// A simulated Edge TPU as a pipeline device. Outputs come from the CPU engine (or are zero-filled
// tensors of the right sizes when timing-only); time and energy come from the device model
// (device/edgetpu/cost.h) of the segment as the simulated compiler places it.
//
// The parameter cache behaves as on the real chip: the device remembers the caching token of the
// parameters it holds; invoking a segment with another token first pays model_switch_ms (the
// reload) and makes that token resident.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "device/edgetpu/cost.h"
#include "device/platform.h"
#include "pipeline/device.h"
#include "pipeline/engine_segment.h"

namespace tpulab::pipeline {

struct SimEdgeTpuOptions {
  bool timing_only = false;  // skip the engine; outputs are zero bytes of the right size
};

class SimEdgeTpu final : public Device {
 public:
  SimEdgeTpu(device::Platform platform, std::string name, SimEdgeTpuOptions opts = {});

  SegmentHandle load(const Graph& segment, CachingToken token, const std::string& name) override;
  InvokeResult invoke(SegmentHandle segment, const TensorMap& inputs) override;
  InvokeTiming invoke_timing(SegmentHandle segment) override;
  double idle_power_w() const override { return platform_.energy.tpu_idle_w; }
  const std::vector<std::string>& input_names(SegmentHandle segment) const override;
  const std::vector<std::string>& output_names(SegmentHandle segment) const override;
  std::string name() const override { return name_; }

  // The model's numbers for a loaded segment.
  const device::Cost& cost(SegmentHandle segment) const { return at(segment).cost; }
  double switch_ms(SegmentHandle segment) const { return at(segment).switch_ms; }
  // Token whose parameters are cached now (none before the first invoke).
  std::optional<CachingToken> resident_token() const { return resident_; }
  int64_t switches() const { return switches_; }

 private:
  struct Loaded {
    std::string name;
    CachingToken token = 0;
    device::Cost cost;
    double switch_ms = 0;
    int64_t link_bytes = 0;    // every invoke: inputs, outputs, streamed parameters
    int64_t cached_bytes = 0;  // a switch uploads these too
    std::vector<std::string> input_names, output_names;
    std::vector<int64_t> output_bytes;      // timing-only outputs
    std::unique_ptr<const Graph> graph;     // timing-only: to check input names and sizes
    std::unique_ptr<EngineSegment> engine;  // null when timing-only
  };
  const Loaded& at(SegmentHandle segment) const;

  device::Platform platform_;
  std::string name_;
  SimEdgeTpuOptions opts_;
  std::vector<Loaded> segments_;
  std::optional<CachingToken> resident_;
  int64_t switches_ = 0;
};

}  // namespace tpulab::pipeline
