// Fixtures the pipeline tests share: the 8-TPU board and closed workloads.
#pragma once

#include <cstdint>

#include "device/platform.h"
#include "pipeline/workload.h"

namespace tpulab::pipeline {

// The ASUS 8-TPU PCIe board, loaded once.
inline const device::Platform& asus() {
  static const device::Platform p = device::load_platform("asus-8x-pcie");
  return p;
}

// `requests` requests with at most `in_flight` in the system at once (0: no limit).
inline Workload closed(int64_t requests, int in_flight = 0) {
  Workload w;
  w.requests = requests;
  w.in_flight = in_flight;
  return w;
}

}  // namespace tpulab::pipeline
