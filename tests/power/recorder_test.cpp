// power::record in-process against the PowerSensor3 emulator: a command is bracketed by 'B' and
// 'E' even when the device marks frames long after it was asked to (frames in flight).
#include "power/recorder.h"

#include <gtest/gtest.h>

#include <optional>

#include "common/error.h"
#include "power/emulator/emulator.h"
#include "power/powersensor3.h"
#include "power/sim_source.h"
#include "power/trace.h"
#include "testing/testing.h"

namespace tpulab::power {
namespace {

emu::EmulatorOptions constant_load(uint64_t marker_delay_frames) {
  emu::EmulatorOptions o;
  o.rate_hz = 20000;
  o.waveform.kind = emu::Waveform::Kind::Constant;
  o.waveform.amps = 2.0;
  o.waveform.volts = 12.0;
  o.marker_delay_frames = marker_delay_frames;
  o.keep_truth = true;
  return o;
}

// An emulated PowerSensor3 under a constant load, its source, and options that record the
// command `true` into a temporary trace.
struct RecordingOfTrue {
  emu::Emulator emulator;
  std::optional<PowerSensor3Source> source;
  testing::TempDir dir;
  RecordOptions options;
  explicit RecordingOfTrue(uint64_t marker_delay_frames)
      : emulator(constant_load(marker_delay_frames)) {
    emulator.start();
    source.emplace(emulator.device_path());
    options.out = (dir / "run.csv").string();
    options.command = {"true"};
  }
};

TEST(Recorder, ACommandIsBracketedEvenWhenMarkersComeBackLate) {
  // 4000 frames = 0.2 s between asking for a marker and the marked frame: far more than a quick
  // command takes, so 'E' is asked for long before the device has sent it.
  RecordingOfTrue rec(4000);
  const RecordResult r = record(*rec.source, rec.options);
  EXPECT_EQ(r.ended_by, "command");
  EXPECT_EQ(r.command_status, 0);
  ASSERT_EQ(r.markers.size(), 2u);
  EXPECT_EQ(r.markers[0].label, 'B');
  EXPECT_EQ(r.markers[1].label, 'E');
  EXPECT_EQ(r.stats.unexpected_markers, 0u);
  ASSERT_EQ(r.intervals.size(), 1u);
  // The command starts only once 'B' is on a sample, so 'E' is asked for after that and lands
  // at least the delay later.
  EXPECT_GE(r.intervals[0].seconds, 4000 / 20000.0 - 1e-9);
  EXPECT_NEAR(r.intervals[0].watts, 24.0, 0.3);
  // Both marked frames are in the trace, at the frames the device marked.
  const Trace t = read_trace(rec.options.out);
  ASSERT_EQ(t.rows.size(), r.samples_written);
  int marked = 0;
  for (const auto& row : t.rows) marked += row.marker != 0;
  EXPECT_EQ(marked, 2);
  EXPECT_EQ(rec.emulator.truth().marker_frames.size(), 2u);
}

TEST(Recorder, AMarkerThatNeverComesBackIsAnErrorAndTheTraceIsKept) {
  // The device would mark a frame only after 10 s; the recorder waits at most 0.5 s.
  RecordingOfTrue rec(200000);
  rec.options.source_timeout_s = 0.5;
  try {
    record(*rec.source, rec.options);
    FAIL() << "expected an error";
  } catch (const IoError& err) {
    EXPECT_NE(std::string(err.what()).find("marker 'B' did not come back"), std::string::npos)
        << err.what();
  }
  EXPECT_GT(read_trace(rec.options.out).rows.size(), 1000u);
}

TEST(Recorder, ASampleCountKeepsExactlyThatManyInMemoryAndInTheFile) {
  emu::Emulator emulator(constant_load(0));
  emulator.start();
  PowerSensor3Source source(emulator.device_path());
  testing::TempDir dir;
  RecordOptions o;
  o.out = (dir / "run.csv").string();
  o.max_samples = 500;
  o.keep_samples = true;
  const RecordResult r = record(source, o);
  EXPECT_EQ(r.ended_by, "samples");
  EXPECT_EQ(r.samples_written, 500u);
  ASSERT_EQ(r.trace.rows.size(), 500u);
  EXPECT_EQ(r.trace.channels, (std::vector<std::string>{"pair0"}));
  // The result describes those samples, not the ones the source went on to take.
  EXPECT_DOUBLE_EQ(seconds(r.first, r.last), r.trace.rows.back().time_s - r.trace.rows[0].time_s);
  EXPECT_DOUBLE_EQ(joules(r.first, r.last),
                   r.trace.rows.back().total_energy_j - r.trace.rows[0].total_energy_j);
  // 500 frames at 20 kHz of 2 A at 12 V.
  EXPECT_NEAR(seconds(r.first, r.last), 499 / 20000.0, 1e-5);
  EXPECT_NEAR(joules(r.first, r.last) / seconds(r.first, r.last), 24.0, 0.3);
  // The file holds the same samples (to its rounding).
  const Trace file = read_trace(o.out);
  ASSERT_EQ(file.rows.size(), 500u);
  for (size_t i = 0; i < 500; i += 99) {
    EXPECT_NEAR(file.rows[i].time_s, r.trace.rows[i].time_s, 1e-6);
    EXPECT_NEAR(file.rows[i].total_power_w, r.trace.rows[i].total_power_w, 1e-4);
  }
}

TEST(Recorder, InMemoryOnlyNeedsNoFileButSomewhereToKeepTheSamples) {
  PowerTimeline t;
  t.add("tpu0", 0, 0.05, 2.0, "idle");
  SimSource source(t, {10000, 100.0});
  RecordOptions o;
  o.keep_samples = true;
  const RecordResult r = record(source, o);
  EXPECT_EQ(r.ended_by, "end of source");
  EXPECT_EQ(r.trace.rows.size(), r.samples_written);
  EXPECT_NEAR(r.trace.rows.back().total_energy_j - r.trace.rows[0].total_energy_j,
              joules(r.first, r.last), 1e-12);
  // 0.05 s at 2 W, as `power record --json` reports it.
  const nlohmann::json j = to_json(r, source.info());
  EXPECT_EQ(j["ended_by"], "end of source");
  EXPECT_EQ(j["samples"], r.trace.rows.size());
  EXPECT_NEAR(j["joules"].get<double>(), 0.1, 2 * 2.0 / 10000);
  EXPECT_EQ(j["channels"][0]["name"], "tpu0");
  EXPECT_EQ(j["channels"][0]["joules"], j["joules"]);
  EXPECT_FALSE(j.contains("command_status"));
  SimSource other(t, {10000, 100.0});
  EXPECT_THROW(record(other, RecordOptions{}), UsageError);
  RecordOptions negative;
  negative.keep_samples = true;
  negative.duration_s = -1;
  EXPECT_THROW(record(other, negative), UsageError);
}

}  // namespace
}  // namespace tpulab::power
