// Where pipeline time comes from. Devices report how long an invoke took (measured or modeled);
// the runner asks the clock for timestamps and, for modeled time, to hold the stage's thread
// until the device would have finished. A discrete-event (virtual) clock plugs in here: it
// advances instead of sleeping.
#pragma once

#include <chrono>

namespace tpulab::pipeline {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the clock's epoch.
  virtual double now_ms() const = 0;
  // Blocks (or, for a virtual clock, advances) the calling stage until now_ms() >= t_ms.
  virtual void hold_until(double t_ms) = 0;
};

// Wall time (steady_clock); hold_until sleeps.
class RealtimeClock final : public Clock {
 public:
  RealtimeClock();
  double now_ms() const override;
  void hold_until(double t_ms) override;

 private:
  std::chrono::steady_clock::time_point epoch_;
};

// A process-wide realtime clock for callers that do not choose one.
Clock& realtime_clock();

}  // namespace tpulab::pipeline
