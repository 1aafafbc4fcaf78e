#include "power/calibrate.h"

#include <fmt/format.h>

#include <cmath>

#include "common/error.h"
#include "power/sensors.h"

namespace tpulab::power {

namespace {

// Streams for the given time, stopping early only if the source fails (read() rethrows).
template <class Source>
void stream_for(Source& source, double seconds) {
  check_option(seconds, 0, kMaxTimeoutS, true, "seconds", source.info().where);
  source.start();
  try {
    source.wait_for_samples(UINT64_MAX, seconds);
    source.read();
  } catch (...) {
    source.stop();
    throw;
  }
  source.stop();
}

}  // namespace

std::vector<ZeroOffset> measure_zero_offsets(PowerSensor3Source& source, CalibrateOptions options) {
  source.reset_level_stats();
  stream_for(source, options.seconds);
  const auto stats = source.level_stats();
  if (stats.frames == 0) throw Error("no samples arrived while calibrating", source.info().where);
  std::vector<ZeroOffset> out;
  const auto& config = source.config();
  for (const auto& channel : source.info().channels) {
    const int s = 2 * channel.id;
    const auto& c = config[static_cast<size_t>(s)];
    ZeroOffset z;
    z.sensor = s;
    z.samples = stats.frames;
    z.mean_level = stats.mean[static_cast<size_t>(s)];
    z.level_stddev = stats.stddev[static_cast<size_t>(s)];
    z.old_value = c.vref;
    z.new_value = ps3_level_to_volts(z.mean_level);
    z.offset_current_a = ps3_value(z.mean_level, c.vref, c.sensitivity);
    const double volts = config[static_cast<size_t>(s + 1)].sensitivity != 0
                             ? ps3_value(stats.mean[static_cast<size_t>(s + 1)],
                                         config[static_cast<size_t>(s + 1)].vref,
                                         config[static_cast<size_t>(s + 1)].sensitivity)
                             : 0.0;
    z.offset_power_w = z.offset_current_a * volts;
    if (std::fabs(z.new_value - z.old_value) > options.max_offset_v)
      throw UsageError(
          fmt::format("sensor {} reads {:.3f} A ({:.0f} mV from its zero): is a load connected? "
                      "Calibrate with no load",
                      s, z.offset_current_a, 1000 * (z.new_value - z.old_value)),
          source.info().where);
    out.push_back(z);
  }
  return out;
}

std::vector<ZeroOffset> measure_zero_offsets(PowerSensor2Source& source, CalibrateOptions options) {
  source.reset_offset_stats();
  stream_for(source, options.seconds);
  const uint64_t n = source.offset_samples();
  if (n == 0) throw Error("no samples arrived while calibrating", source.info().where);
  const auto mean_power = source.mean_uncorrected_power();
  std::vector<ZeroOffset> out;
  for (const auto& channel : source.info().channels) {
    const auto& c = source.config()[static_cast<size_t>(channel.id)];
    ZeroOffset z;
    z.sensor = channel.id;
    z.samples = n;
    z.old_value = c.null_level;
    z.new_value = mean_power[static_cast<size_t>(channel.id)];
    z.offset_power_w = z.new_value;
    z.offset_current_a = c.volt != 0 ? z.new_value / c.volt : 0;
    const double offset_v = std::fabs(z.offset_current_a * c.type);
    if (offset_v > options.max_offset_v)
      throw UsageError(fmt::format("sensor {} reads {:.3f} A with the zero uncorrected: is a load "
                                   "connected? Calibrate with no load",
                                   z.sensor, z.offset_current_a),
                       source.info().where);
    out.push_back(z);
  }
  return out;
}

ps3::Config with_zero_offsets(ps3::Config config, const std::vector<ZeroOffset>& offsets) {
  for (const auto& z : offsets)
    config.at(static_cast<size_t>(z.sensor)).vref = static_cast<float>(z.new_value);
  return config;
}

ps2::Config with_zero_offsets(ps2::Config config, const std::vector<ZeroOffset>& offsets) {
  for (const auto& z : offsets)
    config.at(static_cast<size_t>(z.sensor)).null_level = static_cast<float>(z.new_value);
  return config;
}

}  // namespace tpulab::power
