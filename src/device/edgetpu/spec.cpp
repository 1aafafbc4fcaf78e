#include "device/edgetpu/spec.h"

#include "common/error.h"

namespace tpulab::device {

double clock_mhz(ClockMode m) {
  switch (m) {
    case ClockMode::kLow:
      return 62.5;
    case ClockMode::kMedium:
      return 125.0;
    case ClockMode::kHigh:
      return 250.0;
    case ClockMode::kMax:
      break;
  }
  return 500.0;
}

ClockMode parse_clock_mode(const std::string& s) {
  if (s == "low") return ClockMode::kLow;
  if (s == "medium") return ClockMode::kMedium;
  if (s == "high") return ClockMode::kHigh;
  if (s == "max") return ClockMode::kMax;
  throw UsageError("clock must be one of low, medium, high, max (got '" + s + "')", "clock");
}

std::string clock_mode_name(ClockMode m) {
  switch (m) {
    case ClockMode::kLow:
      return "low";
    case ClockMode::kMedium:
      return "medium";
    case ClockMode::kHigh:
      return "high";
    case ClockMode::kMax:
      break;
  }
  return "max";
}

double peak_macs_per_second(const ChipSpec& chip) {
  return static_cast<double>(chip.macs_per_cycle) * clock_mhz(chip.clock) * 1e6;
}

}  // namespace tpulab::device
