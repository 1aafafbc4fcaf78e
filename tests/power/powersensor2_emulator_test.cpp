// The PowerSensor2 host side against the emulator (--ps2 mode) over a real pseudo-terminal.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmath>

#include "common/error.h"
#include "power/calibrate.h"
#include "power/emulator/emulator.h"
#include "power/powersensor2.h"
#include "testing/testing.h"

namespace tpulab::power {
namespace {

using emu::Emulator;
using emu::EmulatorOptions;

EmulatorOptions ps2_constant(double amps, int sensors = 1) {
  EmulatorOptions o;
  o.ps2 = true;
  o.rate_hz = 8600;
  o.pairs = sensors;
  o.waveform.amps = amps;
  o.waveform.volts = 12.0;
  o.noise_levels = 1.0;
  o.keep_truth = true;
  return o;
}

TEST(PowerSensor2, ReadsConfigAndMeasuresAConstantLoad) {
  Emulator e(ps2_constant(2.0, 2));
  e.start();
  PowerSensor2Source ps(e.device_path());
  ASSERT_EQ(ps.info().channels.size(), 2u);
  EXPECT_EQ(ps.info().channels[1].name, "sensor1");
  EXPECT_FLOAT_EQ(ps.config()[0].volt, 12.0f);
  EXPECT_FLOAT_EQ(ps.config()[0].type, 0.1f);
  EXPECT_FALSE(ps.config()[2].in_use());
  ps.start();
  ASSERT_TRUE(ps.wait_for_samples(200, testing::kHangBoundSeconds));
  const State a = ps.read();
  ps.mark('A');
  ASSERT_TRUE(ps.wait_for_samples(a.samples + 8000, testing::kHangBoundSeconds));
  const State b = ps.read();
  ps.stop();
  // No device clock: energy comes from host time, so compare average power (2 A * 12 V per
  // sensor), which does not depend on how the samples were spread in time.
  EXPECT_NEAR(watts(a, b), 48.0, 48.0 * 0.005);
  EXPECT_NEAR(watts(a, b, 1), 24.0, 24.0 * 0.005);
  EXPECT_EQ(b.channels[0].voltage_v, 12.0);
  EXPECT_EQ(ps.stats().skipped_bytes, 0u);
  // Host time follows the wall clock: the emulator cannot stream faster than real time (a
  // loaded machine only makes it later).
  EXPECT_GT(seconds(a, b), 0.8 * 8000.0 / 8600.0);
  EXPECT_LT(seconds(a, b), 30.0);
  ASSERT_EQ(ps.markers().size(), 1u);
  EXPECT_GE(ps.markers()[0].sample, a.samples);
}

TEST(PowerSensor2, CorruptBytesAreSkipped) {
  EmulatorOptions o = ps2_constant(2.0);
  o.corrupt_probability = 0.02;
  Emulator e(o);
  e.start();
  PowerSensor2Source ps(e.device_path());
  ps.start();
  ASSERT_TRUE(ps.wait_for_samples(200, testing::kHangBoundSeconds));
  const State a = ps.read();
  ASSERT_TRUE(ps.wait_for_samples(a.samples + 8000, testing::kHangBoundSeconds));
  const State b = ps.read();
  ps.stop();
  EXPECT_GT(ps.stats().skipped_bytes, 0u);
  // A garbage byte can take a good byte down with it, never more than two.
  EXPECT_LE(ps.stats().skipped_bytes, 3 * e.truth().injected_bytes);
  EXPECT_NEAR(watts(a, b), 24.0, 24.0 * 0.005);
}

TEST(PowerSensor2, ZeroOffsetCalibration) {
  EmulatorOptions o = ps2_constant(0.0);
  o.zero_offset_v = 0.030;  // 30 mV = 0.3 A on an ACS712-20A = 3.6 W at 12 V
  Emulator e(o);
  e.start();
  {
    PowerSensor2Source ps(e.device_path());
    auto z = measure_zero_offsets(ps, CalibrateOptions{0.5, 0.15});
    ASSERT_EQ(z.size(), 1u);
    EXPECT_NEAR(z[0].new_value, 3.6, 0.1);
    ps.write_config(with_zero_offsets(ps.config(), z));
  }
  // PowerSensor2 does not acknowledge a write: reading the config back proves it arrived.
  PowerSensor2Source again(e.device_path());
  EXPECT_NEAR(again.config()[0].null_level, 3.6, 0.1);
  EXPECT_NEAR(e.ps2_config()[0].null_level, 3.6, 0.1);
  again.start();
  ASSERT_TRUE(again.wait_for_samples(100, testing::kHangBoundSeconds));
  const State a = again.read();
  ASSERT_TRUE(again.wait_for_samples(a.samples + 5000, testing::kHangBoundSeconds));
  again.stop();
  EXPECT_NEAR(watts(a, again.read()), 0.0, 0.1);
}

TEST(PowerSensor2, AWrongDeviceTimesOut) {
  const int master = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  grantpt(master);
  unlockpt(master);
  const std::string path = ptsname(master);
  try {
    PowerSensor2Source ps(path, Ps2Options{0, 0.5});
    FAIL() << "opened a silent device";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not a PowerSensor2"), std::string::npos) << e.what();
  }
  close(master);
}

}  // namespace
}  // namespace tpulab::power
