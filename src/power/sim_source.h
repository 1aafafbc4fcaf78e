// The `sim` power source: replays a PowerTimeline (from the device model, or a CSV file) as
// if a meter were sampling it, with exact energies.
#pragma once

#include <condition_variable>
#include <limits>
#include <mutex>

#include "power/threaded_source.h"
#include "power/timeline.h"

namespace tpulab::power {

struct SimOptions {
  // Every sample reads every channel: beyond a MHz (50x PowerSensor3) a replay only burns CPU.
  static constexpr double kMaxSampleRateHz = 1e6;
  double sample_rate_hz = 1000;  // (0, kMaxSampleRateHz]
  double speed = 1.0;            // timeline seconds per wall-clock second (tests replay faster)
};

class SimSource final : public ThreadedSource {
 public:
  SimSource(PowerTimeline timeline, SimOptions options = {}, const std::string& where = "sim");
  ~SimSource() override;

  const PowerTimeline& timeline() const { return timeline_; }
  // The channel states at timeline time t: what a sample at t reports.
  std::vector<ChannelState> channels_at(double t) const;

  // Holds the replay before its first sample at or after timeline time `t` until a marker is
  // requested or the hold moves. A caller that waits for the samples before `t` and then marks
  // gets exactly that sample however late its thread wakes (replaying requests in step).
  void hold_at(double t);
  void release() { hold_at(std::numeric_limits<double>::infinity()); }

 protected:
  void run(std::stop_token stop) override;
  void on_mark(char label) override;

 private:
  PowerTimeline timeline_;
  SimOptions options_;
  uint64_t next_sample_ = 0;
  std::mutex hold_mu_;
  std::condition_variable_any hold_cv_;
  double hold_s_ = std::numeric_limits<double>::infinity();
};

}  // namespace tpulab::power
