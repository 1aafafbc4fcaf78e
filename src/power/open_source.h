// Opening a power source from a user's spec: ps3:/dev/ttyACM0, ps2:PATH, rapl, hwmon:NAME,
// sim:timeline.csv.
#pragma once

#include <memory>
#include <string>

#include "power/source.h"

namespace tpulab::power {

struct SourceSpec {
  std::string kind;  // ps3, ps2, rapl, hwmon, sim
  std::string arg;   // device path, hwmon name, timeline file ("" for rapl)
};
// Throws UsageError explaining the accepted forms.
SourceSpec parse_source_spec(const std::string& spec);

struct OpenOptions {
  double timeout_s = 0;   // device answer timeout; 0 = the source's default
  double interval_s = 0;  // RAPL/hwmon polling; 0 = default
  double sim_rate_hz = 1000;
  double sim_speed = 1.0;
  std::string powercap_root = "/sys/class/powercap";
  std::string hwmon_root = "/sys/class/hwmon";
};

std::unique_ptr<PowerSource> open_source(const std::string& spec, const OpenOptions& options = {});

}  // namespace tpulab::power
