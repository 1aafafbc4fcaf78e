#include "power/open_source.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "common/error.h"
#include "power/hwmon.h"
#include "power/powersensor2.h"
#include "power/powersensor3.h"
#include "power/rapl.h"
#include "power/sim_source.h"

namespace tpulab::power {

namespace {

const char* kForms = "ps3:DEVICE, ps2:DEVICE, rapl, hwmon:NAME or sim:TIMELINE.csv";

}  // namespace

SourceSpec parse_source_spec(const std::string& spec) {
  const auto colon = spec.find(':');
  SourceSpec s{spec.substr(0, colon), colon == std::string::npos ? "" : spec.substr(colon + 1)};
  if (s.kind == "rapl") {
    if (colon != std::string::npos && !s.arg.empty())
      throw UsageError("rapl takes no argument (its domains are found automatically)", spec);
    return s;
  }
  if (s.kind == "ps3" || s.kind == "ps2" || s.kind == "hwmon" || s.kind == "sim") {
    if (s.arg.empty()) {
      if (s.kind == "sim")
        throw UsageError(
            "sim needs a power timeline: sim:FILE.csv with the columns "
            "device,start_s,duration_s,watts,state",
            spec);
      throw UsageError(s.kind + " needs " +
                           (s.kind == "hwmon" ? "a device name" : "a device path") + ", e.g. " +
                           (s.kind == "hwmon" ? "hwmon:amdgpu" : s.kind + ":/dev/ttyACM0"),
                       spec);
    }
    return s;
  }
  throw UsageError(std::string("unknown power source (expected ") + kForms + ")", spec);
}

std::unique_ptr<PowerSource> open_source(const std::string& spec, const OpenOptions& options) {
  const SourceSpec s = parse_source_spec(spec);
  // 0 asks for the source's default.
  check_option(options.timeout_s, 0, kMaxTimeoutS, false, "timeout_s", spec);
  check_option(options.interval_s, 0, kMaxTimeoutS, false, "interval_s", spec);
  check_option(options.sim_rate_hz, 0, SimOptions::kMaxSampleRateHz, true, "sim_rate_hz", spec);
  check_option(options.sim_speed, 0, kMaxSimSpeed, true, "sim_speed", spec);
  if (s.kind == "ps3") {
    Ps3Options o;
    if (options.timeout_s > 0) o.timeout_s = options.timeout_s;
    return std::make_unique<PowerSensor3Source>(s.arg, o);
  }
  if (s.kind == "ps2") {
    Ps2Options o;
    if (options.timeout_s > 0) o.timeout_s = options.timeout_s;
    return std::make_unique<PowerSensor2Source>(s.arg, o);
  }
  if (s.kind == "rapl") {
    PolledOptions o;
    if (options.interval_s > 0) o.interval_s = options.interval_s;
    return std::make_unique<RaplSource>(options.powercap_root, o);
  }
  if (s.kind == "hwmon") {
    PolledOptions o{0.05};
    if (options.interval_s > 0) o.interval_s = options.interval_s;
    return std::make_unique<HwmonSource>(s.arg, options.hwmon_root, o);
  }
  SimOptions o{options.sim_rate_hz, options.sim_speed};
  return std::make_unique<SimSource>(read_timeline_csv(s.arg), o, s.arg);
}

std::vector<std::string> list_sources(const OpenOptions& options) {
  std::vector<std::string> out;
  try {
    if (!find_rapl_zones(options.powercap_root).empty()) out.push_back("rapl");
  } catch (const Error&) {
    // No RAPL, or not readable: nothing to list.
  }
  for (const auto& d : list_hwmon_power_devices(options.hwmon_root))
    out.push_back("hwmon:" + d.name);
  std::vector<std::string> ports;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(options.dev_root, ec))
    if (e.path().filename().string().starts_with("ttyACM")) ports.push_back(e.path().string());
  std::sort(ports.begin(), ports.end());
  for (const auto& p : ports) out.push_back("ps3:" + p);
  return out;
}

}  // namespace tpulab::power
