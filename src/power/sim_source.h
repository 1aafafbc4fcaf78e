// The `sim` power source: replays a PowerTimeline (from the device model, or a CSV file) as
// if a meter were sampling it, with exact energies.
#pragma once

#include "power/threaded_source.h"
#include "power/timeline.h"

namespace tpulab::power {

struct SimOptions {
  double sample_rate_hz = 1000;
  double speed = 1.0;  // timeline seconds per wall-clock second (tests replay faster)
};

class SimSource final : public ThreadedSource {
 public:
  SimSource(PowerTimeline timeline, SimOptions options = {}, const std::string& where = "sim");
  ~SimSource() override;

  const PowerTimeline& timeline() const { return timeline_; }
  // The channel states at timeline time t: what a sample at t reports.
  std::vector<ChannelState> channels_at(double t) const;

 protected:
  void run(std::stop_token stop) override;

 private:
  PowerTimeline timeline_;
  SimOptions options_;
  uint64_t next_sample_ = 0;
};

}  // namespace tpulab::power
