// Zero-offset auto-calibration: with no load on the rails, a current sensor's output is its
// true zero; record it (PowerSensor3: vref, PowerSensor2: null level) so zero reads zero.
#pragma once

#include <vector>

#include "power/powersensor2.h"
#include "power/powersensor3.h"

namespace tpulab::power {

struct ZeroOffset {
  int sensor = 0;  // current sensor id (PowerSensor3: 2 * pair)
  uint64_t samples = 0;
  double mean_level = 0;    // PowerSensor3 only
  double level_stddev = 0;  // PowerSensor3 only
  double old_value = 0;     // vref (V) or null level (W)
  double new_value = 0;
  double offset_current_a = 0;  // what the sensor read with no load before calibration
  double offset_power_w = 0;
};

struct CalibrateOptions {
  double seconds = 2.0;
  // A zero this far from the configured one (volts at the sensor output) means a load is on:
  // refuse rather than store a wrong zero.
  double max_offset_v = 0.15;
};

// Streams for `seconds` (the source must not be running; it is stopped again after), and
// returns the measured zero of every current sensor in use. Throws UsageError when a reading
// looks loaded, Error when no samples arrived.
std::vector<ZeroOffset> measure_zero_offsets(PowerSensor3Source& source, CalibrateOptions options);
std::vector<ZeroOffset> measure_zero_offsets(PowerSensor2Source& source, CalibrateOptions options);

// The config with the measured zeros stored.
ps3::Config with_zero_offsets(ps3::Config config, const std::vector<ZeroOffset>& offsets);
ps2::Config with_zero_offsets(ps2::Config config, const std::vector<ZeroOffset>& offsets);

}  // namespace tpulab::power
