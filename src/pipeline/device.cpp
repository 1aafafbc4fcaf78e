#include "pipeline/device.h"

#include "common/error.h"

namespace tpulab::pipeline {

InvokeTiming Device::invoke_timing(SegmentHandle /*segment*/) {
  throw UsageError("this device measures its time by running: timing-only needs a modeled device",
                   name());
}

}  // namespace tpulab::pipeline
