#include "pipeline/shared_link.h"

#include <algorithm>

#include "common/error.h"
#include "device/platform.h"
#include "pipeline/device.h"

namespace tpulab::pipeline {

SharedLink::SharedLink(double mb_s) : mb_s_(mb_s) {
  if (!(mb_s > 0)) throw UsageError("a shared link needs a bandwidth above 0 MB/s", "pipeline");
}

double SharedLink::transfer(double t_ms, int64_t bytes) {
  const double ms = device::link_transfer_ms(static_cast<double>(bytes), mb_s_);
  std::lock_guard lock(mutex_);
  const double start = std::max(t_ms, free_at_ms_);
  free_at_ms_ = start + ms;
  busy_ms_ += ms;
  return free_at_ms_;
}

double SharedLink::busy_ms() const {
  std::lock_guard lock(mutex_);
  return busy_ms_;
}

double invoke_end_ms(double start_ms, const InvokeTiming& timing, SharedLink* link) {
  const double end = start_ms + timing.ms;
  if (!link || timing.link_bytes == 0) return end;
  return std::max(end, link->transfer(start_ms, timing.link_bytes));
}

}  // namespace tpulab::pipeline
