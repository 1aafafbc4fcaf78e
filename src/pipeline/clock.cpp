#include "pipeline/clock.h"

#include <sys/prctl.h>

#include <thread>

namespace tpulab::pipeline {

RealtimeClock::RealtimeClock() : epoch_(std::chrono::steady_clock::now()) {}

double RealtimeClock::now_ms() const {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - epoch_)
      .count();
}

void RealtimeClock::hold_until(double t_ms) {
  // Linux wakes sleepers up to 50 us late by default (timer slack): over millisecond stages
  // that is a few percent of throughput. Ask for precise wake-ups on each holding thread.
  thread_local const bool precise = prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) == 0;
  (void)precise;
  const auto deadline = epoch_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                     std::chrono::duration<double, std::milli>(t_ms));
  std::this_thread::sleep_until(deadline);
}

Clock& realtime_clock() {
  static RealtimeClock clock;
  return clock;
}

}  // namespace tpulab::pipeline
