#include "pipeline/sim_edgetpu.h"

#include "common/error.h"
#include "device/edgetpu/compiler.h"

namespace tpulab::pipeline {

SimEdgeTpu::SimEdgeTpu(device::Platform platform, std::string name, SimEdgeTpuOptions opts)
    : platform_(std::move(platform)), name_(std::move(name)), opts_(opts) {}

SegmentHandle SimEdgeTpu::load(const Graph& segment, CachingToken token, const std::string& name) {
  Loaded l;
  l.name = name;
  l.token = token;
  const device::Placement placement = device::compile(segment, platform_.chip);
  l.cost = device::cost(placement, platform_);
  l.switch_ms = device::model_switch_ms(placement, platform_);
  l.link_bytes = placement.link_bytes();
  l.cached_bytes = placement.cached_bytes;
  l.input_names = graph_input_names(segment);
  l.output_names = graph_output_names(segment);
  for (int32_t t : segment.main().outputs)
    l.output_bytes.push_back(segment.main().tensors.at(static_cast<size_t>(t)).byte_size());
  if (opts_.timing_only)
    l.graph = std::make_unique<const Graph>(segment);
  else
    l.engine = std::make_unique<EngineSegment>(segment, name);
  segments_.push_back(std::move(l));
  return segments_.size() - 1;
}

const SimEdgeTpu::Loaded& SimEdgeTpu::at(SegmentHandle segment) const {
  if (segment >= segments_.size())
    throw UsageError("no segment " + std::to_string(segment) + " loaded", name_);
  return segments_[segment];
}

InvokeResult SimEdgeTpu::invoke(SegmentHandle segment, const TensorMap& inputs) {
  const Loaded& l = at(segment);
  InvokeResult r;
  if (l.engine) {
    r.outputs = l.engine->run(inputs);
  } else {
    check_inputs(*l.graph, inputs, l.name);
    for (size_t i = 0; i < l.output_names.size(); ++i)
      r.outputs.emplace(l.output_names[i], Bytes(static_cast<size_t>(l.output_bytes[i]), 0));
  }
  r.timing = invoke_timing(segment);
  return r;
}

InvokeTiming SimEdgeTpu::invoke_timing(SegmentHandle segment) {
  const Loaded& l = at(segment);
  InvokeTiming t;
  t.modeled = true;
  t.switched = resident_ != l.token;
  t.link_bytes = l.link_bytes;
  if (t.switched) {
    resident_ = l.token;
    ++switches_;
    t.switch_ms = l.switch_ms;
    t.link_bytes += l.cached_bytes;
  }
  t.ms = l.cost.latency_ms() + t.switch_ms;
  // The reload keeps the chip powered but idle, like waiting on the link.
  t.energy_mj = l.cost.energy_mj() + platform_.energy.tpu_idle_w * t.switch_ms;
  return t;
}

const std::vector<std::string>& SimEdgeTpu::input_names(SegmentHandle segment) const {
  return at(segment).input_names;
}

const std::vector<std::string>& SimEdgeTpu::output_names(SegmentHandle segment) const {
  return at(segment).output_names;
}

}  // namespace tpulab::pipeline
