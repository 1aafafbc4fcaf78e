#include "power/sensors.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include "common/error.h"

namespace tpulab::power {

namespace {

// ACS712 (Allegro datasheet): 5 V ratiometric, peak-to-peak noise with the 2 kHz filter
// (05B and 20A from ../shared/reference; the 30A part's 7 mV from the same datasheet table).
// MLX91221 (Melexis): 3.3 V parts as used on PowerSensor3; the noise fact is not in our
// reference, so it is left at 0 rather than guessed.
constexpr std::array<CurrentSensorModel, 7> kModels{{
    {"ACS712-05B", 0.185, 5, 5.0, 0.021},
    {"ACS712-20A", 0.100, 20, 5.0, 0.011},
    {"ACS712-30A", 0.066, 30, 5.0, 0.007},
    {"MLX91221-10", 0.120, 10, 3.3, 0},
    {"MLX91221-20", 0.0625, 20, 3.3, 0},
    {"MLX91221-50", 0.025, 50, 3.3, 0},
    {"MLX91221-75", 0.01667, 75, 3.3, 0},
}};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::span<const CurrentSensorModel> current_sensor_models() { return kModels; }

const CurrentSensorModel& find_current_sensor(std::string_view name) {
  std::string want = lower(name);
  for (const auto& m : kModels) {
    std::string full = lower(m.name);
    std::string suffix = full.substr(full.find('-') + 1);  // "20a", "05b", "20"
    bool acs = full.starts_with("acs");
    if (want == full || (acs && want == suffix) || (!acs && want == "mlx" + suffix) ||
        (acs && want == "acs" + suffix))
      return m;
  }
  std::string known;
  for (const auto& m : kModels) known += (known.empty() ? "" : ", ") + std::string(m.name);
  throw UsageError("unknown current sensor '" + std::string(name) + "' (known: " + known + ")",
                   "power");
}

const CurrentSensorModel* sensor_by_sensitivity(double sensitivity_v_per_a) {
  double s = std::fabs(sensitivity_v_per_a);
  for (const auto& m : kModels)
    if (std::fabs(s - m.sensitivity_v_per_a) <= 0.01 * m.sensitivity_v_per_a) return &m;
  return nullptr;
}

double current_step_a(const CurrentSensorModel& model, double reference_v, int bits) {
  return reference_v / std::ldexp(1.0, bits) / model.sensitivity_v_per_a;
}

int ps3_level_for(double value, double vref, double sensitivity) {
  double volts = value * sensitivity + vref;
  double level = std::round(volts * kPs3MaxLevel / kPs3ReferenceV);
  return static_cast<int>(std::clamp(level, 0.0, static_cast<double>(kPs3MaxLevel)));
}

int ps2_level_for(double current_a, double sensitivity) {
  double level = std::round(512 + current_a * sensitivity / kPs2VoltsPerLevel);
  return static_cast<int>(std::clamp(level, 0.0, 1023.0));
}

}  // namespace tpulab::power
