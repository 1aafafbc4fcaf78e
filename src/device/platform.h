// Platforms: a host, one or more Edge TPUs and the links between them, as data. Built-in
// platforms are TOML files in src/device/platforms/ compiled into the library (so the binary
// needs no data folder); users pass their own files with --platform-file. The fitted numbers
// come from the calibrated profile (src/device/platforms/calibrated_profile.toml, written by
// `tpulab calibrate`), keyed by link and host kind.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "device/edgetpu/spec.h"

namespace tpulab::device {

struct LinkSpec {
  std::string kind;               // "usb3", "usb2", "pcie_gen2_x1"
  double nominal_mb_s = 0;        // signalling rate (spec sheet), for reports
  double effective_mb_s = 0;      // achieved bulk rate (calibrated)
  double invoke_overhead_us = 0;  // fixed cost of one invoke: driver, transfers set-up (calibrated)
};

struct HostSpec {
  std::string kind;           // "x86", "cortex_a53"
  double gmacs = 0;           // int8 MACs per ns of CPU-side ops (calibrated)
  double ns_per_element = 0;  // CPU-side non-MAC ops, per element touched (calibrated)
  double active_power_w = 0;  // host power while it runs CPU-side ops (energy)
};

struct EnergySpec {
  double tpu_idle_w = 0;    // static power of one powered Edge TPU
  double mac_pj = 0;        // energy per array MAC including operand SRAM traffic
  double link_byte_pj = 0;  // energy per byte moved from host memory over the link
};

// The fitted numbers, by kind. `tpulab calibrate` writes this; platforms read it.
struct CalibratedProfile {
  ChipCalibration chip;
  std::map<std::string, LinkSpec> links;  // effective_mb_s and invoke_overhead_us
  std::map<std::string, HostSpec> hosts;  // gmacs and ns_per_element
  std::string source;                     // what it was fitted to
};

struct Platform {
  std::string name;
  std::string description;
  int tpus = 1;
  ChipSpec chip;
  ChipCalibration calibration;
  LinkSpec link;  // per TPU
  HostSpec host;
  double shared_link_mb_s = 0;  // one host link shared by all TPUs (0: none)
  EnergySpec energy;
};

// Milliseconds a link of `mb_s` MB/s is busy carrying `bytes`: the one formula the device
// model, the partitioner and both pipeline runtimes use for a shared host link.
inline double link_transfer_ms(double bytes, double mb_s) { return bytes / (mb_s * 1e6) * 1e3; }
// The same for the platform's shared host link; 0 when it has none.
inline double shared_link_ms(const Platform& p, double bytes) {
  return p.shared_link_mb_s > 0 ? link_transfer_ms(bytes, p.shared_link_mb_s) : 0.0;
}

// Names of the built-in platforms ("usb3-1x", ...).
std::vector<std::string> platform_names();
// A built-in platform with the built-in calibrated profile (or `profile` when given).
// Throws UsageError for an unknown name (listing the known ones).
Platform load_platform(const std::string& name);
Platform load_platform(const std::string& name, const CalibratedProfile& profile);
// A platform from a user's TOML file. Throws IoError / UsageError naming the file and key.
Platform load_platform_file(const std::string& path);
Platform load_platform_file(const std::string& path, const CalibratedProfile& profile);
// Parses platform TOML text; `source` names it in errors.
Platform parse_platform(const std::string& toml_text, const std::string& source,
                        const CalibratedProfile& profile);

// Replaces the platform's fitted numbers (chip calibration, its link's and host's) by the
// profile's. Throws UsageError when the profile lacks the platform's link or host kind.
void apply_profile(Platform& platform, const CalibratedProfile& profile);

// The built-in calibrated profile, or one read from a file / text.
const CalibratedProfile& builtin_profile();
CalibratedProfile load_profile_file(const std::string& path);
CalibratedProfile parse_profile(const std::string& toml_text, const std::string& source);
std::string profile_to_toml(const CalibratedProfile& profile);

// The TOML text of a built-in platform or profile (for --show and for tests).
std::string builtin_platform_text(const std::string& name);

}  // namespace tpulab::device
