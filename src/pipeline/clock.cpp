#include "pipeline/clock.h"

#include <thread>

namespace tpulab::pipeline {

RealtimeClock::RealtimeClock() : epoch_(std::chrono::steady_clock::now()) {}

double RealtimeClock::now_ms() const {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - epoch_)
      .count();
}

void RealtimeClock::hold_until(double t_ms) {
  const auto deadline = epoch_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                     std::chrono::duration<double, std::milli>(t_ms));
  std::this_thread::sleep_until(deadline);
}

Clock& realtime_clock() {
  static RealtimeClock clock;
  return clock;
}

}  // namespace tpulab::pipeline
