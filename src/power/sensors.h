// Current-sensor models (datasheet facts) and the ADC-level conversions of the PowerSensor
// boards. Facts: ../shared/reference/powersensor.md (Allegro ACS712, Melexis MLX91221).
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace tpulab::power {

struct CurrentSensorModel {
  std::string_view name;       // "ACS712-20A", "MLX91221-20"
  double sensitivity_v_per_a;  // output slope
  double range_a;              // +- full-scale current
  double supply_v;             // nominal supply; zero current reads supply/2 (ratiometric)
  double noise_pp_v;           // peak-to-peak output noise (0 when the datasheet fact is absent)
};

// Every known model, ACS712 first.
std::span<const CurrentSensorModel> current_sensor_models();
// Case-insensitive lookup; also accepts the short forms "20A" / "MLX20". Throws UsageError
// listing the known names.
const CurrentSensorModel& find_current_sensor(std::string_view name);
// The model whose sensitivity matches (within 1 %), or nullptr.
const CurrentSensorModel* sensor_by_sensitivity(double sensitivity_v_per_a);

// One ADC step in amperes for a sensor read by an ADC with `reference_v` and `bits`.
double current_step_a(const CurrentSensorModel& model, double reference_v, int bits);

// PowerSensor3: 10-bit ADC with a 3.3 V reference.
inline constexpr double kPs3ReferenceV = 3.3;
inline constexpr int kPs3MaxLevel = 1023;
// value = (3.3 * level / 1023 - vref) / sensitivity: amperes for current sensors (V/A slope),
// volts for voltage sensors (unitless gain). A negative sensitivity is an inverted sensor.
inline double ps3_level_to_volts(double level) { return kPs3ReferenceV * level / kPs3MaxLevel; }
inline double ps3_value(double level, double vref, double sensitivity) {
  return (ps3_level_to_volts(level) - vref) / sensitivity;
}
// The inverse, rounded and clamped to the ADC range (used by the emulator).
int ps3_level_for(double value, double vref, double sensitivity);

// PowerSensor2: 10-bit ADC on a 5 V Arduino, 512 = Vcc/2 = zero current.
// power = (level - 512) * (2.5 / 512) * volt / sensitivity - null_level
inline constexpr double kPs2VoltsPerLevel = 2.5 / 512;
inline double ps2_current(double level, double sensitivity) {
  return (level - 512) * kPs2VoltsPerLevel / sensitivity;
}
inline double ps2_power(double level, double volt, double sensitivity, double null_level) {
  return ps2_current(level, sensitivity) * volt - null_level;
}
int ps2_level_for(double current_a, double sensitivity);

}  // namespace tpulab::power
