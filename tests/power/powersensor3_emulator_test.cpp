// The PowerSensor3 host side against the emulator over real pseudo-terminals: energy accuracy,
// markers, corrupt bytes, a device that dies, a device that is not a PowerSensor.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <thread>

#include "common/error.h"
#include "power/calibrate.h"
#include "power/emulator/emulator.h"
#include "power/powersensor3.h"
#include "power/trace.h"
#include "testing/testing.h"

namespace tpulab::power {
namespace {

using emu::Emulator;
using emu::EmulatorOptions;
using emu::Waveform;

EmulatorOptions square_wave(double rate = 20000) {
  EmulatorOptions o;
  o.rate_hz = rate;
  o.waveform.kind = Waveform::Kind::Square;
  o.waveform.amps = 3.0;
  o.waveform.idle_amps = 1.0;
  o.waveform.volts = 12.0;
  o.waveform.period_s = 0.05;
  o.waveform.duty = 0.3;
  o.noise_levels = 1.0;  // sensor noise also dithers the ADC's rounding away
  o.keep_truth = true;
  return o;
}

double relative_error(double measured, double truth) {
  return std::fabs(measured - truth) / std::fabs(truth);
}

TEST(PowerSensor3, ReadsVersionAndConfigFromTheDevice) {
  EmulatorOptions o;
  o.pairs = 2;
  o.version = "F411-9.9.9-test";
  Emulator e(o);
  e.start();
  PowerSensor3Source ps(e.device_path());
  EXPECT_EQ(ps.version(), "F411-9.9.9-test");
  ASSERT_EQ(ps.info().channels.size(), 2u);
  EXPECT_EQ(ps.info().channels[1].name, "pair1");
  EXPECT_EQ(ps.info().channels[1].id, 1);
  EXPECT_EQ(ps.config()[0].type, "MLX91221-20");
  EXPECT_FLOAT_EQ(ps.config()[0].vref, 1.65f);
  EXPECT_FLOAT_EQ(ps.config()[3].sensitivity, 0.09f);
  EXPECT_FALSE(ps.config()[4].in_use);
  EXPECT_NE(ps.info().detail.find("F411-9.9.9-test"), std::string::npos);
}

TEST(PowerSensor3, EnergyOfAKnownWaveformWithin0_1Percent) {
  Emulator e(square_wave());
  e.start();
  PowerSensor3Source ps(e.device_path());
  ps.start();
  ASSERT_TRUE(ps.wait_for_samples(30000, testing::kHangBoundSeconds))
      << "1.5 s of frames at 20 kHz";
  ps.stop();
  const State s = ps.read();
  const emu::Truth truth = e.truth();
  // 'X' ends the stream after every frame sent: the host got all of them, in order.
  ASSERT_EQ(s.samples, truth.frames);
  ASSERT_EQ(truth.time_us.size(), truth.frames);
  EXPECT_EQ(ps.stats().skipped_bytes, 0u);
  // Time comes from the device clock: exact to the microsecond.
  EXPECT_DOUBLE_EQ(s.time_s, static_cast<double>(truth.time_us.back()) * 1e-6);
  const double err = relative_error(s.energy_j(), truth.energy_j.back());
  RecordProperty("energy_relative_error", std::to_string(err));
  std::printf("[ energy ] %.6f J measured, %.6f J sent, error %.4f %%\n", s.energy_j(),
              truth.energy_j.back(), 100 * err);
  EXPECT_LT(err, 0.001);
  // The square wave's average, as a sanity check of the units: 0.3 * 36 W + 0.7 * 12 W.
  EXPECT_NEAR(s.energy_j() / s.time_s, 19.2, 0.2);
}

TEST(PowerSensor3, MarkersLandOnTheFramesTheDeviceMarked) {
  Emulator e(square_wave());
  e.start();
  PowerSensor3Source ps(e.device_path());
  testing::TempDir dir;
  const std::string path = (dir / "markers.csv").string();
  auto trace = std::make_shared<TraceWriter>(path, ps.info(), TraceFormat::Csv);
  ps.add_sink(trace);
  ps.start();
  const std::string labels = "ABCDEFGH";
  for (char label : labels) {
    ASSERT_TRUE(ps.wait_for_samples(ps.read().samples + 500, testing::kHangBoundSeconds));
    ps.mark(label);
  }
  ASSERT_TRUE(ps.wait_for_samples(ps.read().samples + 500, testing::kHangBoundSeconds));
  ps.stop();
  trace->close();

  const auto markers = ps.markers();
  const emu::Truth truth = e.truth();
  ASSERT_EQ(markers.size(), labels.size());
  ASSERT_EQ(truth.marker_frames.size(), labels.size());
  EXPECT_EQ(ps.stats().unexpected_markers, 0u);
  const Trace t = read_trace(path);
  ASSERT_EQ(t.rows.size(), ps.read().samples);
  for (size_t i = 0; i < markers.size(); ++i) {
    EXPECT_EQ(markers[i].label, labels[i]);
    // The very frame the device marked, by index and by device time.
    EXPECT_EQ(markers[i].sample, truth.marker_frames[i]);
    EXPECT_DOUBLE_EQ(markers[i].time_s,
                     static_cast<double>(truth.time_us[truth.marker_frames[i]]) * 1e-6);
    // ...and recorded on that sample's line of the trace, nowhere else.
    EXPECT_EQ(t.rows[markers[i].sample].marker, labels[i]);
  }
  size_t marked_rows = 0;
  for (const auto& r : t.rows) marked_rows += r.marker != 0;
  EXPECT_EQ(marked_rows, labels.size());
  // Energy between markers agrees with the emulator's.
  for (const auto& iv : intervals_between(markers)) {
    const auto a =
        static_cast<size_t>(std::find(labels.begin(), labels.end(), iv.from) - labels.begin());
    const double want =
        truth.energy_j[truth.marker_frames[a + 1]] - truth.energy_j[truth.marker_frames[a]];
    EXPECT_LT(relative_error(iv.joules, want), 0.01) << iv.from << "->" << iv.to;
  }
}

TEST(PowerSensor3, CorruptBytesAreSkippedCountedAndEnergyStaysWithin0_5Percent) {
  EmulatorOptions o = square_wave();
  o.corrupt_probability = 0.01;  // about 200 bursts of 1-3 garbage bytes per second
  o.seed = 42;
  Emulator e(o);
  e.start();
  PowerSensor3Source ps(e.device_path());
  ps.start();
  ASSERT_TRUE(ps.wait_for_samples(30000, testing::kHangBoundSeconds));
  ps.stop();
  const State s = ps.read();
  const SourceStats st = ps.stats();
  const emu::Truth truth = e.truth();
  ASSERT_GT(truth.injected_bytes, 100u);
  const uint64_t lost = truth.frames - s.samples;
  // Every garbage byte is skipped, plus the bytes of the frames it broke (18 each); the only
  // slack is a stop sequence read as a packet after a broken last frame.
  EXPECT_NEAR(static_cast<double>(st.skipped_bytes),
              static_cast<double>(truth.injected_bytes + 18 * lost), 2.0);
  EXPECT_GT(st.discarded_frames, 0u);
  EXPECT_LT(lost, truth.frames / 20);
  // The host's clock did not lose the lost frames' time.
  EXPECT_NEAR(s.time_s, static_cast<double>(truth.time_us.back()) * 1e-6, 200e-6);
  const double err = relative_error(s.energy_j(), truth.energy_j.back());
  std::printf("[ energy ] with %llu garbage bytes (%llu frames lost): error %.4f %%\n",
              static_cast<unsigned long long>(truth.injected_bytes),
              static_cast<unsigned long long>(lost), 100 * err);
  RecordProperty("energy_relative_error_corrupt", std::to_string(err));
  EXPECT_LT(err, 0.005);
}

TEST(PowerSensor3, StopAndStartAgainContinuesTimeAndEnergy) {
  Emulator e(square_wave());
  e.start();
  PowerSensor3Source ps(e.device_path());
  ps.start();
  ASSERT_TRUE(ps.wait_for_samples(2000, testing::kHangBoundSeconds));
  ps.stop();
  const State first = ps.read();
  ps.start();
  ASSERT_TRUE(ps.wait_for_samples(first.samples + 2000, testing::kHangBoundSeconds));
  ps.stop();
  const State second = ps.read();
  EXPECT_GE(second.time_s, first.time_s);
  EXPECT_GT(joules(first, second), 0);
  EXPECT_EQ(e.truth().streams, 2u);
  EXPECT_EQ(second.samples - first.samples, e.truth().frames);
}

TEST(PowerSensor3, DeviceVanishingMidStreamIsAClearErrorAndTheTraceIsComplete) {
  // A separate process, so the device really dies: SIGKILL, no goodbye. The child only runs
  // the emulator loop on its main thread (no new threads after fork).
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    try {
      EmulatorOptions o = square_wave();
      o.keep_truth = false;
      Emulator e(o);
      const std::string path = e.device_path() + "\n";
      if (write(pipe_fds[1], path.data(), path.size()) < 0) _exit(3);
      std::stop_source never;
      e.run(never.get_token());
    } catch (...) {
      _exit(2);
    }
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string path;
  char c;
  while (read(pipe_fds[0], &c, 1) == 1 && c != '\n') path.push_back(c);
  close(pipe_fds[0]);
  ASSERT_FALSE(path.empty());

  testing::TempDir dir;
  const std::string trace_path = (dir / "killed.csv").string();
  {
    PowerSensor3Source ps(path);
    auto trace = std::make_shared<TraceWriter>(trace_path, ps.info(), TraceFormat::Csv);
    ps.add_sink(trace);
    ps.start();
    ASSERT_TRUE(ps.wait_for_samples(5000, testing::kHangBoundSeconds));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    const auto t0 = std::chrono::steady_clock::now();
    // Returns once the reader has seen the hang-up (false: no more samples will come).
    EXPECT_FALSE(ps.wait_for_samples(UINT64_MAX, testing::kHangBoundSeconds));
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10);
    try {
      ps.read();
      FAIL() << "no error after the device died";
    } catch (const IoError& e) {
      EXPECT_NE(std::string(e.what()).find("disconnected"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
    const SourceStats st = ps.stats();
    // Nothing lost: already on disk (in the temporary beside the trace), while the source
    // object is still alive.
    const Trace t = read_trace(trace->temporary_path());
    EXPECT_EQ(t.rows.size(), st.samples);
    EXPECT_GE(t.rows.size(), 5000u);
    for (size_t i = 1; i < t.rows.size(); ++i) ASSERT_GT(t.rows[i].time_s, t.rows[i - 1].time_s);
    ps.stop();  // safe after a failure
    trace->close();
    EXPECT_EQ(read_trace(trace_path).rows.size(), st.samples);
  }
}

TEST(PowerSensor3, InProcessDisconnectAlsoFails) {
  Emulator e(square_wave());
  e.start();
  PowerSensor3Source ps(e.device_path());
  ps.start();
  ASSERT_TRUE(ps.wait_for_samples(1000, testing::kHangBoundSeconds));
  e.disconnect();
  EXPECT_FALSE(ps.wait_for_samples(UINT64_MAX, testing::kHangBoundSeconds));
  EXPECT_THROW(ps.read(), IoError);
  EXPECT_THROW(ps.mark('A'), IoError);
}

// A pty whose other end never answers: a serial device that is not a PowerSensor.
class SilentDevice {
 public:
  SilentDevice() {
    master_ = posix_openpt(O_RDWR | O_NOCTTY);
    grantpt(master_);
    unlockpt(master_);
    path_ = ptsname(master_);
  }
  ~SilentDevice() { close(master_); }
  const std::string& path() const { return path_; }
  int fd() const { return master_; }

 private:
  int master_;
  std::string path_;
};

TEST(PowerSensor3, AWrongDeviceGivesAClearTimeoutError) {
  SilentDevice silent;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    PowerSensor3Source ps(silent.path(), Ps3Options{0.5});
    FAIL() << "opened a device that never answers";
  } catch (const IoError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("timed out"), std::string::npos) << what;
    EXPECT_NE(what.find("not a PowerSensor3"), std::string::npos) << what;
    EXPECT_NE(what.find(silent.path()), std::string::npos) << what;
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10);
}

TEST(PowerSensor3, AChattyWrongDeviceIsRecognised) {
  SilentDevice chatty;
  fcntl(chatty.fd(), F_SETFL, fcntl(chatty.fd(), F_GETFL) | O_NONBLOCK);
  std::atomic<bool> done{false};
  std::thread talker([&] {
    // An NMEA GPS receiver, say: text lines forever, whatever the host sends.
    const char line[] = "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n";
    while (!done) {
      if (write(chatty.fd(), line, sizeof line - 1) < 0) break;
      char sink[64];
      while (read(chatty.fd(), sink, sizeof sink) > 0) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  try {
    PowerSensor3Source ps(chatty.path(), Ps3Options{0.5});
    FAIL() << "opened a GPS as a PowerSensor3";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("not a PowerSensor3"), std::string::npos) << e.what();
  }
  done = true;
  talker.join();
}

TEST(PowerSensor3, MissingDeviceAndInvalidMarker) {
  EXPECT_THROW(PowerSensor3Source("/dev/does-not-exist-tpulab"), IoError);
  Emulator e(square_wave());
  e.start();
  PowerSensor3Source ps(e.device_path());
  EXPECT_THROW(ps.mark(','), UsageError);
  // A second program cannot grab the device while we hold it.
  EXPECT_THROW(PowerSensor3Source second(e.device_path()), IoError);
}

TEST(PowerSensor3, ZeroOffsetCalibrationAndConfigWrite) {
  EmulatorOptions o;
  o.waveform.amps = 0;  // no load
  o.waveform.volts = 12;
  o.zero_offset_v = 0.020;  // the sensor's true zero sits 20 mV above the configured vref
  o.noise_levels = 1.0;
  Emulator e(o);
  e.start();
  {
    PowerSensor3Source ps(e.device_path());
    auto offsets = measure_zero_offsets(ps, CalibrateOptions{0.5, 0.15});
    ASSERT_EQ(offsets.size(), 1u);
    EXPECT_EQ(offsets[0].sensor, 0);
    EXPECT_NEAR(offsets[0].new_value, 1.67, 0.002);
    EXPECT_NEAR(offsets[0].offset_current_a, 0.020 / 0.0625, 0.03);
    EXPECT_NEAR(offsets[0].level_stddev, 1.0, 0.3);
    ps.write_config(with_zero_offsets(ps.config(), offsets));
  }
  EXPECT_NEAR(e.ps3_config()[0].vref, 1.67, 0.002);
  PowerSensor3Source again(e.device_path());
  EXPECT_NEAR(again.config()[0].vref, 1.67, 0.002);  // read back from the "EEPROM"
  again.start();
  ASSERT_TRUE(again.wait_for_samples(10000, testing::kHangBoundSeconds));
  const State a = again.read();
  ASSERT_TRUE(again.wait_for_samples(a.samples + 10000, testing::kHangBoundSeconds));
  again.stop();
  // Zero now reads zero: the mean current is far below one ADC step (52 mA).
  EXPECT_LT(std::fabs(watts(a, again.read()) / 12.0), 0.01);
  EXPECT_EQ(again.conversion_count() % 8, 0u);
  EXPECT_GT(again.conversion_count(), 0u);
}

bool same_config(const ps3::Config& a, const ps3::Config& b) {
  for (size_t s = 0; s < a.size(); ++s)
    if (a[s].type != b[s].type || a[s].pair_name != b[s].pair_name || a[s].in_use != b[s].in_use ||
        std::bit_cast<uint32_t>(a[s].vref) != std::bit_cast<uint32_t>(b[s].vref) ||
        std::bit_cast<uint32_t>(a[s].sensitivity) != std::bit_cast<uint32_t>(b[s].sensitivity))
      return false;
  return true;
}

TEST(PowerSensor3, ConfigValuesTheBoardCannotUseAreRefusedBeforeAnythingIsWritten) {
  Emulator e(EmulatorOptions{});
  e.start();
  const ps3::Config stored = e.ps3_config();
  PowerSensor3Source ps(e.device_path());
  struct Case {
    int sensor;
    float vref, sensitivity;
    const char* field;
  };
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  for (const Case& c : std::vector<Case>{
           {0, 1e18f, 0.0625f, "vref"},       // every later recording read -1 A
           {0, 1.65f, 1e18f, "sensitivity"},  // ... or 0 A
           {0, -0.5f, 0.0625f, "vref"},
           {0, 3.4f, 0.0625f, "vref"},
           {0, nan, 0.0625f, "vref"},
           {1, 0.0f, inf, "sensitivity"},
           {1, 0.0f, 0.0f, "sensitivity"},
           {0, 1.65f, 1e-6f, "sensitivity"},
           {6, 1e18f, 0.0625f, "vref"},  // a sensor not in use: still not stored
       }) {
    SCOPED_TRACE(std::string(c.field) + " of sensor " + std::to_string(c.sensor));
    ps3::Config config = ps.config();
    config[static_cast<size_t>(c.sensor)].vref = c.vref;
    config[static_cast<size_t>(c.sensor)].sensitivity = c.sensitivity;
    try {
      ps.write_config(config);
      ADD_FAILURE() << "written";
    } catch (const UsageError& err) {
      EXPECT_NE(std::string(err.what()).find(c.field), std::string::npos) << err.what();
      EXPECT_NE(std::string(err.what()).find("sensor " + std::to_string(c.sensor)),
                std::string::npos)
          << err.what();
    }
    // Nothing reached the device: its EEPROM holds what it held, and the host still uses it.
    EXPECT_TRUE(same_config(e.ps3_config(), stored));
    EXPECT_TRUE(same_config(ps.config(), stored));
  }
  // The device still answers normally, and values in range are written.
  ps3::Config config = ps.config();
  config[0].vref = 1.6f;
  config[0].sensitivity = -0.1f;  // an inverted sensor
  ps.write_config(config);
  EXPECT_FLOAT_EQ(e.ps3_config()[0].vref, 1.6f);
  EXPECT_FLOAT_EQ(e.ps3_config()[0].sensitivity, -0.1f);
}

TEST(PowerSensor3, CalibrationRefusesALoadedSensor) {
  EmulatorOptions o;
  o.waveform.amps = 5;  // a load is connected
  Emulator e(o);
  e.start();
  PowerSensor3Source ps(e.device_path());
  EXPECT_THROW(measure_zero_offsets(ps, CalibrateOptions{0.2, 0.15}), UsageError);
}

}  // namespace
}  // namespace tpulab::power

namespace tpulab::power {
namespace {

TEST(PowerSensor3, ReplaysAWaveformFromCsv) {
  testing::TempDir dir;
  const std::string csv = (dir / "wave.csv").string();
  // An inference-like profile: idle, a burst, a lower plateau; the last point closes the loop.
  std::ofstream(csv) << "time_s,current_a,voltage_v\n"
                     << "0,0.8,12\n0.02,4.0,11.9\n0.05,2.0,12\n0.08,0.8,12\n";
  EmulatorOptions o = square_wave();
  o.waveform = emu::read_waveform_csv(csv);
  ASSERT_EQ(o.waveform.points.size(), 4u);
  EXPECT_DOUBLE_EQ(o.waveform.current_at(0.03), 4.0);
  EXPECT_DOUBLE_EQ(o.waveform.current_at(0.08 + 0.03), 4.0);  // loops every 80 ms
  Emulator e(o);
  e.start();
  PowerSensor3Source ps(e.device_path());
  ps.start();
  ASSERT_TRUE(ps.wait_for_samples(20000, testing::kHangBoundSeconds));
  ps.stop();
  const State s = ps.read();
  const emu::Truth truth = e.truth();
  ASSERT_EQ(s.samples, truth.frames);
  EXPECT_LT(relative_error(s.energy_j(), truth.energy_j.back()), 0.001);

  std::ofstream(dir / "bad.csv") << "time_s,current_a\n0,1\n0.5,x\n";
  EXPECT_THROW(emu::read_waveform_csv((dir / "bad.csv").string()), Error);
  std::ofstream(dir / "late.csv") << "time_s,watts\n0.1,5\n";
  EXPECT_THROW(emu::read_waveform_csv((dir / "late.csv").string()), Error);
}

TEST(Emulator, RejectsImpossibleSettings) {
  EmulatorOptions o;
  o.rate_hz = 500;  // 2 ms between frames: 10-bit microsecond timestamps would alias
  EXPECT_THROW(Emulator{o}, UsageError);
  o = EmulatorOptions{};
  o.pairs = 5;
  EXPECT_THROW(Emulator{o}, UsageError);
  o = EmulatorOptions{};
  o.corrupt_probability = 2;
  EXPECT_THROW(Emulator{o}, UsageError);
}

}  // namespace
}  // namespace tpulab::power
