#include "power/sim_source.h"

#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "common/error.h"

namespace tpulab::power {

SimSource::SimSource(PowerTimeline timeline, SimOptions options, const std::string& where)
    : ThreadedSource(SourceInfo{"sim", where, "simulated devices", false, {}}, false),
      timeline_(std::move(timeline)),
      options_(options) {
  if (!(options_.sample_rate_hz > 0) || !std::isfinite(options_.sample_rate_hz))
    throw UsageError("the sim sample rate must be > 0", where);
  if (options_.sample_rate_hz > SimOptions::kMaxSampleRateHz)
    throw UsageError(fmt::format("the sim sample rate (sample_rate_hz, --sim-rate) must be at "
                                 "most {:g} samples/s (got {:g})",
                                 SimOptions::kMaxSampleRateHz, options_.sample_rate_hz),
                     where);
  if (!(options_.speed > 0) || !std::isfinite(options_.speed))
    throw UsageError("the sim speed must be > 0", where);
  if (timeline_.device_count() == 0) throw UsageError("the timeline has no devices", where);
  SourceInfo info{"sim", where, "simulated devices", false, {}};
  for (size_t i = 0; i < timeline_.device_count(); ++i)
    info.channels.push_back({timeline_.devices()[i].device, static_cast<int>(i), false, false});
  set_info(std::move(info));
}

SimSource::~SimSource() { shutdown(); }

std::vector<ChannelState> SimSource::channels_at(double t) const {
  std::vector<ChannelState> out(timeline_.device_count());
  for (size_t d = 0; d < out.size(); ++d) {
    out[d].power_w = timeline_.power_at(d, t);
    out[d].energy_j = timeline_.energy_to(d, t);
  }
  return out;
}

void SimSource::run(std::stop_token stop) {
  // Sample k is at timeline time k / rate; the replay resumes where a previous run stopped.
  const double rate = options_.sample_rate_hz;
  const double end = timeline_.end_s();
  const uint64_t first = next_sample_;
  const auto start = std::chrono::steady_clock::now();
  std::vector<ChannelState> channels;
  while (!stop.stop_requested()) {
    const double t = static_cast<double>(next_sample_) / rate;
    if (t > end) {
      set_finished();
      sleep_unless_stopped(stop, 3600.0 * 24);
      break;
    }
    const double due_wall = static_cast<double>(next_sample_ - first) / rate / options_.speed;
    const double now_wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (now_wall < due_wall) {
      if (!sleep_unless_stopped(stop, due_wall - now_wall)) break;
      continue;
    }
    {
      std::unique_lock lock(hold_mu_);
      if (!hold_cv_.wait(lock, stop, [&] { return t < hold_s_; })) break;
    }
    channels = channels_at(t);
    publish(t, -1, false, channels);
    ++next_sample_;
  }
}

void SimSource::hold_at(double t) {
  {
    std::lock_guard lock(hold_mu_);
    hold_s_ = t;
  }
  hold_cv_.notify_all();
}

void SimSource::on_mark(char /*label*/) { release(); }

}  // namespace tpulab::power
