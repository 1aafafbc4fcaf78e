// Opening a power source from a user's spec: ps3:/dev/ttyACM0, ps2:PATH, rapl, hwmon:NAME,
// sim:timeline.csv.
#pragma once

#include <memory>
#include <string>
#include <vector>

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
  std::string dev_root = "/dev";  // where list_sources() looks for serial ports
};

std::unique_ptr<PowerSource> open_source(const std::string& spec, const OpenOptions& options = {});

// The specs open_source() may open on this machine, without opening any: "rapl" when RAPL is
// readable, "hwmon:NAME" for each hwmon chip with power or energy readings, and
// "ps3:/dev/ttyACMn" for each USB serial port (a PowerSensor3 is one; a PowerSensor2 is too,
// opened as "ps2:"). A sim source needs a timeline file and is not listed.
std::vector<std::string> list_sources(const OpenOptions& options = {});

}  // namespace tpulab::power
