// Sensor models and ADC conversions; the State arithmetic (joules, seconds, watts, markers).
#include <gtest/gtest.h>

#include "common/error.h"
#include "power/sensors.h"
#include "power/source.h"

namespace tpulab::power {
namespace {

TEST(Sensors, DatasheetSensitivities) {
  EXPECT_DOUBLE_EQ(find_current_sensor("ACS712-05B").sensitivity_v_per_a, 0.185);
  EXPECT_DOUBLE_EQ(find_current_sensor("acs712-20a").sensitivity_v_per_a, 0.100);
  EXPECT_DOUBLE_EQ(find_current_sensor("30A").sensitivity_v_per_a, 0.066);
  EXPECT_DOUBLE_EQ(find_current_sensor("MLX20").sensitivity_v_per_a, 0.0625);
  EXPECT_DOUBLE_EQ(find_current_sensor("MLX91221-50").sensitivity_v_per_a, 0.025);
  EXPECT_EQ(sensor_by_sensitivity(-0.0625)->name, "MLX91221-20");  // inverted polarity
  EXPECT_EQ(sensor_by_sensitivity(0.3), nullptr);
  try {
    find_current_sensor("ACS999");
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("ACS712-20A"), std::string::npos) << e.what();
  }
}

TEST(Sensors, AdcStepOfTheAcs712OnA5VArduino) {
  // The reference derives about 26/49/74 mA per step for the 5/20/30 A parts (5 V, 10 bits).
  EXPECT_NEAR(current_step_a(find_current_sensor("05B"), 5.0, 10), 0.026, 0.0005);
  EXPECT_NEAR(current_step_a(find_current_sensor("20A"), 5.0, 10), 0.049, 0.0005);
  EXPECT_NEAR(current_step_a(find_current_sensor("30A"), 5.0, 10), 0.074, 0.0005);
}

TEST(Sensors, PowerSensor3Conversion) {
  // 1023 / 3.3 = 310 levels per volt exactly: level 527 is 1.7 V.
  EXPECT_NEAR(ps3_level_to_volts(527), 1.7, 1e-12);
  EXPECT_NEAR(ps3_value(527, 1.65, 0.0625), 0.8, 1e-9);      // (1.7 - 1.65) / 0.0625 A
  EXPECT_NEAR(ps3_value(527, 1.65, -0.0625), -0.8, 1e-9);    // inverted sensor
  EXPECT_NEAR(ps3_value(372, 0.0, 0.09), 1.2 / 0.09, 1e-9);  // voltage divider gain 0.09
  for (double amps : {-10.0, -1.3, 0.0, 0.05, 2.0, 19.9}) {
    const int level = ps3_level_for(amps, 1.65, 0.0625);
    // Rounding to the nearest level: within half a step (51.6 mA / 2).
    EXPECT_NEAR(ps3_value(level, 1.65, 0.0625), amps, 0.5 * 3.3 / 1023 / 0.0625 + 1e-12);
  }
  EXPECT_EQ(ps3_level_for(1000, 1.65, 0.0625), 1023);  // clamped to the ADC range
  EXPECT_EQ(ps3_level_for(-1000, 1.65, 0.0625), 0);
}

TEST(Sensors, PowerSensor2Conversion) {
  // W = (level - 512) * (2.5 / 512) * volt / sensitivity - null
  EXPECT_NEAR(ps2_power(512, 12, 0.185, 0), 0, 1e-12);
  EXPECT_NEAR(ps2_power(612, 12, 0.100, 0), 100 * (2.5 / 512) * 12 / 0.1, 1e-9);
  EXPECT_NEAR(ps2_power(612, 12, 0.100, 0.5), 100 * (2.5 / 512) * 12 / 0.1 - 0.5, 1e-9);
  EXPECT_NEAR(ps2_current(ps2_level_for(2.0, 0.1), 0.1), 2.0, 0.5 * 2.5 / 512 / 0.1);
}

State state(double t, std::vector<double> energies) {
  State s;
  s.time_s = t;
  for (double e : energies) s.channels.push_back({0, 0, 0, e});
  return s;
}

TEST(Energy, JoulesSecondsWatts) {
  State a = state(1.0, {10, 2});
  State b = state(3.0, {30, 7});
  EXPECT_DOUBLE_EQ(joules(a, b), 25);
  EXPECT_DOUBLE_EQ(joules(a, b, 0), 20);
  EXPECT_DOUBLE_EQ(joules(a, b, 1), 5);
  EXPECT_DOUBLE_EQ(seconds(a, b), 2);
  EXPECT_DOUBLE_EQ(watts(a, b), 12.5);
  EXPECT_DOUBLE_EQ(watts(a, b, 1), 2.5);
  EXPECT_DOUBLE_EQ(watts(a, a), 0);  // no interval: no power, not NaN
  EXPECT_THROW(joules(a, b, 2), UsageError);
}

TEST(Energy, IntervalsBetweenMarkers) {
  std::vector<Marker> m{{'a', 10, 1.0, 5.0}, {'b', 30, 1.5, 8.0}, {'c', 90, 3.5, 18.0}};
  auto iv = intervals_between(m);
  ASSERT_EQ(iv.size(), 2u);
  EXPECT_EQ(iv[0].from, 'a');
  EXPECT_EQ(iv[0].to, 'b');
  EXPECT_DOUBLE_EQ(iv[0].joules, 3.0);
  EXPECT_DOUBLE_EQ(iv[0].watts, 6.0);
  EXPECT_DOUBLE_EQ(iv[1].seconds, 2.0);
  EXPECT_DOUBLE_EQ(iv[1].watts, 5.0);
  EXPECT_TRUE(intervals_between(std::span<const Marker>(m.data(), 1)).empty());
}

TEST(Energy, MarkerLabelsKeepTracesParseable) {
  EXPECT_TRUE(valid_marker_label('A'));
  EXPECT_TRUE(valid_marker_label('7'));
  EXPECT_FALSE(valid_marker_label('S'));
  EXPECT_FALSE(valid_marker_label(','));
  EXPECT_FALSE(valid_marker_label(' '));
  EXPECT_FALSE(valid_marker_label('\n'));
  EXPECT_FALSE(valid_marker_label('"'));
}

}  // namespace
}  // namespace tpulab::power
