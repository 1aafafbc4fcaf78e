// The option structs the library takes refuse NaN, infinity and out-of-range values with a
// UsageError naming the field, before any device is touched: a caller that is not the CLI
// (Python) gets the protection the CLI's validators give.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>

#include "common/error.h"
#include "power/emulator/emulator.h"
#include "power/measure.h"
#include "power/open_source.h"
#include "power/powersensor2.h"
#include "power/powersensor3.h"
#include "power/recorder.h"
#include "power/sim_source.h"
#include "testing/testing.h"

namespace tpulab::power {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// The UsageError's message, or what happened instead.
std::string usage_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("not a UsageError: ") + e.what();
  }
  return "no error";
}

#define EXPECT_REFUSED_NAMING(call, field)                                     \
  do {                                                                         \
    const std::string message = usage_error([&] { call; });                    \
    EXPECT_NE(message.find(field), std::string::npos) << message;              \
    EXPECT_EQ(message.find("not a UsageError"), std::string::npos) << message; \
  } while (0)

TEST(OptionStructs, DeviceTimeoutsAreCheckedBeforeTheDeviceIsOpened) {
  // The path does not exist: a check that came after opening would give an IoError instead.
  const std::string missing = "/dev/tpulab-no-such-device";
  for (double t : {kNaN, kInf, -1.0, 0.0, 1e18}) {
    SCOPED_TRACE(t);
    EXPECT_REFUSED_NAMING((void)PowerSensor3Source(missing, Ps3Options{t}), "timeout_s");
    Ps2Options o2;
    o2.timeout_s = t;
    EXPECT_REFUSED_NAMING((void)PowerSensor2Source(missing, o2), "timeout_s");
  }
  EXPECT_THROW((void)PowerSensor3Source(missing, Ps3Options{1.0}), IoError);
  // The millisecond conversion cannot overflow whatever it is given.
  EXPECT_EQ(timeout_ms(1e18), std::numeric_limits<int>::max() / 2);
  EXPECT_EQ(timeout_ms(kMaxTimeoutS), static_cast<int>(kMaxTimeoutS * 1000));
  EXPECT_EQ(timeout_ms(kNaN), 0);
  EXPECT_EQ(timeout_ms(0.0015), 2);
}

TEST(OptionStructs, OpenOptions) {
  auto open_with = [&](OpenOptions o) { (void)open_source("ps3:/dev/tpulab-none", o); };
  OpenOptions o;
  o.timeout_s = 1e18;
  EXPECT_REFUSED_NAMING(open_with(o), "timeout_s");
  o = {};
  o.interval_s = kNaN;
  EXPECT_REFUSED_NAMING(open_with(o), "interval_s");
  o = {};
  o.sim_rate_hz = kInf;
  EXPECT_REFUSED_NAMING(open_with(o), "sim_rate_hz");
  o = {};
  o.sim_speed = -1;
  EXPECT_REFUSED_NAMING(open_with(o), "sim_speed");
}

TEST(OptionStructs, MeasureAndRecordOptions) {
  PowerTimeline t;
  t.add("tpu0", 0, 10, 1, "idle");
  for (double bad : {kNaN, kInf, -1.0}) {
    SCOPED_TRACE(bad);
    SimSource source(t);
    MeasureOptions m;
    m.baseline_s = bad;
    EXPECT_REFUSED_NAMING((void)measure(
                              source, [] {}, m),
                          "baseline_s");
    m = {};
    m.timeout_s = bad;
    EXPECT_REFUSED_NAMING((void)measure(
                              source, [] {}, m),
                          "timeout_s");
    testing::TempDir dir;
    RecordOptions r;
    r.out = (dir / "t.csv").string();
    r.duration_s = bad;
    EXPECT_REFUSED_NAMING((void)record(source, r), "duration_s");
    r = {};
    r.out = (dir / "t.csv").string();
    r.source_timeout_s = bad;
    EXPECT_REFUSED_NAMING((void)record(source, r), "source_timeout_s");
    EXPECT_FALSE(std::filesystem::exists(dir / "t.csv")) << "refused options wrote a trace";
  }
}

TEST(OptionStructs, EmulatorOptions) {
  auto make = [](emu::EmulatorOptions o) { emu::Emulator e(std::move(o)); };
  for (double bad : {kNaN, kInf, -1.0, 0.0}) {
    SCOPED_TRACE(bad);
    emu::EmulatorOptions o;
    o.rate_hz = bad;
    EXPECT_REFUSED_NAMING(make(o), "rate_hz");
  }
  for (double bad : {kNaN, kInf, -0.5}) {
    SCOPED_TRACE(bad);
    emu::EmulatorOptions o;
    o.noise_levels = bad;
    EXPECT_REFUSED_NAMING(make(o), "noise_levels");
    o = {};
    o.corrupt_probability = bad;
    EXPECT_REFUSED_NAMING(make(o), "corrupt_probability");
    o = {};
    o.zero_offset_v = bad * 100;
    EXPECT_REFUSED_NAMING(make(o), "zero_offset_v");
    o = {};
    o.waveform.amps = bad * 1e4;
    EXPECT_REFUSED_NAMING(make(o), "amps");
    o = {};
    o.waveform.volts = bad * 1e4;
    EXPECT_REFUSED_NAMING(make(o), "volts");
    o = {};
    o.waveform.period_s = bad;
    EXPECT_REFUSED_NAMING(make(o), "period_s");
    o = {};
    o.waveform.duty = bad * 3;
    EXPECT_REFUSED_NAMING(make(o), "duty");
  }
}

}  // namespace
}  // namespace tpulab::power
