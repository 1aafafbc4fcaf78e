#include "pipeline/cpu_device.h"

#include <chrono>

#include "common/error.h"

namespace tpulab::pipeline {

CpuDevice::CpuDevice(std::string name) : name_(std::move(name)) {}

SegmentHandle CpuDevice::load(const Graph& segment, CachingToken /*token: no parameter cache*/,
                              const std::string& name) {
  segments_.push_back(std::make_unique<EngineSegment>(segment, name));
  return segments_.size() - 1;
}

const EngineSegment& CpuDevice::at(SegmentHandle segment) const {
  if (segment >= segments_.size())
    throw UsageError("no segment " + std::to_string(segment) + " loaded", name_);
  return *segments_[segment];
}

InvokeResult CpuDevice::invoke(SegmentHandle segment, const TensorMap& inputs) {
  at(segment);  // range check
  const auto start = std::chrono::steady_clock::now();
  InvokeResult r;
  r.outputs = segments_[segment]->run(inputs);
  r.timing.ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return r;
}

const std::vector<std::string>& CpuDevice::input_names(SegmentHandle segment) const {
  return at(segment).input_names();
}

const std::vector<std::string>& CpuDevice::output_names(SegmentHandle segment) const {
  return at(segment).output_names();
}

}  // namespace tpulab::pipeline
