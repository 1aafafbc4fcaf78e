// One host link shared by several devices (the ASUS card's PCIe switch uplink). Transfers go
// one after another at the link's bandwidth, first asked first served; a device's invoke ends no
// earlier than its transfer. Used by both runtimes: the discrete-event one asks in time order,
// the threaded one as its stages start invokes.
#pragma once

#include <cstdint>
#include <mutex>

#include "pipeline/device.h"

namespace tpulab::pipeline {

class SharedLink {
 public:
  // Throws UsageError unless mb_s > 0.
  explicit SharedLink(double mb_s);

  // A transfer of `bytes` asked for at `t_ms`: when it ends. Thread-safe.
  double transfer(double t_ms, int64_t bytes);
  double busy_ms() const;
  double mb_s() const { return mb_s_; }

 private:
  const double mb_s_;
  mutable std::mutex mutex_;
  double free_at_ms_ = 0;
  double busy_ms_ = 0;
};

// When an invoke that started at `start_ms` ends: its device time, or later if it waits on the
// shared link (null: no shared link).
double invoke_end_ms(double start_ms, const InvokeTiming& timing, SharedLink* link);

}  // namespace tpulab::pipeline
