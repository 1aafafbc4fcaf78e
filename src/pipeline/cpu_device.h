// The host CPU as a pipeline device: segments run on the engine; timing is measured wall time.
#pragma once

#include <memory>
#include <vector>

#include "pipeline/device.h"
#include "pipeline/engine_segment.h"

namespace tpulab::pipeline {

class CpuDevice final : public Device {
 public:
  explicit CpuDevice(std::string name = "cpu");

  SegmentHandle load(const Graph& segment, CachingToken token, const std::string& name) override;
  InvokeResult invoke(SegmentHandle segment, const TensorMap& inputs) override;
  const std::vector<std::string>& input_names(SegmentHandle segment) const override;
  const std::vector<std::string>& output_names(SegmentHandle segment) const override;
  std::string name() const override { return name_; }

 private:
  const EngineSegment& at(SegmentHandle segment) const;

  std::string name_;
  std::vector<std::unique_ptr<EngineSegment>> segments_;
};

}  // namespace tpulab::pipeline
