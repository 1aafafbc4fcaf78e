// PowerTimeline (what the device model will produce) and the sim source that replays it.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <thread>

#include "common/error.h"
#include "power/sim_source.h"
#include "power/timeline.h"
#include "power/trace.h"
#include "testing/testing.h"

namespace tpulab::power {
namespace {

// An Edge TPU's inference, by hand: idle, load parameters, compute, send results, idle.
PowerTimeline inference_timeline() {
  PowerTimeline t;
  t.add("tpu0", 0.0, 0.2, 0.5, "idle");
  t.add("tpu0", 0.2, 0.1, 1.5, "loading");
  t.add("tpu0", 0.3, 0.4, 2.0, "computing");
  t.add("tpu0", 0.7, 0.1, 1.0, "transferring");
  t.add("tpu0", 0.8, 0.2, 0.5, "idle");
  t.add("tpu1", 0.0, 1.0, 0.4, "idle");
  return t;
}

TEST(PowerTimeline, PowerStateAndExactEnergy) {
  PowerTimeline t = inference_timeline();
  EXPECT_DOUBLE_EQ(t.end_s(), 1.0);
  EXPECT_DOUBLE_EQ(t.power_at(0, 0.25), 1.5);
  EXPECT_EQ(t.state_at(0, 0.5), "computing");
  EXPECT_DOUBLE_EQ(t.power_at(0, 0.3), 2.0);  // intervals are [start, end)
  EXPECT_DOUBLE_EQ(t.power_at(0, 5.0), 0.0);
  EXPECT_EQ(t.state_at(0, 5.0), "");
  const double total0 = 0.2 * 0.5 + 0.1 * 1.5 + 0.4 * 2.0 + 0.1 * 1.0 + 0.2 * 0.5;
  EXPECT_NEAR(t.energy_to(0, 1.0), total0, 1e-12);
  EXPECT_NEAR(t.energy_to(0, 100), total0, 1e-12);
  EXPECT_NEAR(t.energy_between(0, 0.25, 0.5), 0.05 * 1.5 + 0.2 * 2.0, 1e-12);
  EXPECT_NEAR(t.energy_to(1, 0.5), 0.2, 1e-12);
}

TEST(PowerTimeline, RejectsOverlapsAndBadNumbers) {
  PowerTimeline t;
  t.add("tpu0", 1.0, 1.0, 2.0, "computing");
  EXPECT_THROW(t.add("tpu0", 1.5, 1.0, 1.0, "idle"), UsageError);
  EXPECT_THROW(t.add("tpu0", 0.5, 0.6, 1.0, "idle"), UsageError);
  EXPECT_NO_THROW(t.add("tpu0", 0.0, 1.0, 1.0, "idle"));  // out of order but adjacent
  EXPECT_NO_THROW(t.add("tpu1", 1.5, 1.0, 1.0, "idle"));  // other devices are independent
  EXPECT_THROW(t.add("tpu0", 3.0, -1.0, 1.0, "x"), UsageError);
  EXPECT_THROW(t.add("tpu0", 3.0, 1.0, -1.0, "x"), UsageError);
  EXPECT_THROW(t.add("tpu0", 3.0, std::nan(""), 1.0, "x"), UsageError);
  EXPECT_THROW(t.add("", 3.0, 1.0, 1.0, "x"), UsageError);
  EXPECT_NEAR(t.energy_to(0, 2.0), 3.0, 1e-12);
}

TEST(PowerTimeline, CsvRoundTripAndErrorsNameTheLine) {
  testing::TempDir dir;
  const std::string path = (dir / "timeline.csv").string();
  write_timeline_csv(inference_timeline(), path);
  PowerTimeline back = read_timeline_csv(path);
  ASSERT_EQ(back.device_count(), 2u);
  EXPECT_EQ(back.devices()[0].intervals.size(), 5u);
  EXPECT_EQ(back.state_at(0, 0.75), "transferring");
  EXPECT_NEAR(back.energy_to(0, 1.0), inference_timeline().energy_to(0, 1.0), 1e-12);

  std::ofstream(dir / "bad.csv") << "device,start_s,duration_s,watts,state\n"
                                 << "# comment\n"
                                 << "tpu0,0,1,2,idle\n"
                                 << "tpu0,1,1,two,computing\n";
  try {
    read_timeline_csv((dir / "bad.csv").string());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.csv:4"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("two"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "overlap.csv") << "device,start_s,duration_s,watts\n"
                                     << "tpu0,0,1,2\ntpu0,0.5,1,2\n";
  EXPECT_THROW(read_timeline_csv((dir / "overlap.csv").string()), Error);
  std::ofstream(dir / "header.csv") << "start,watts\n0,1\n";
  EXPECT_THROW(read_timeline_csv((dir / "header.csv").string()), Error);
  EXPECT_THROW(read_timeline_csv((dir / "missing.csv").string()), IoError);
}

TEST(SimSource, ReplaysTheTimelineWithExactEnergyAndMarkers) {
  // 8x faster than real time: 1 s of timeline in about 0.13 s.
  SimSource sim(inference_timeline(), SimOptions{1000, 8.0});
  ASSERT_EQ(sim.info().channels.size(), 2u);
  EXPECT_EQ(sim.info().channels[1].name, "tpu1");
  testing::TempDir dir;
  auto trace =
      std::make_shared<TraceWriter>((dir / "sim.csv").string(), sim.info(), TraceFormat::Csv);
  sim.add_sink(trace);
  sim.start();
  ASSERT_TRUE(sim.wait_for_samples(100, 30));
  sim.mark('A');
  const State at_a = sim.read();
  ASSERT_TRUE(sim.wait_for_samples(at_a.samples + 500, 30));
  sim.mark('B');
  // The whole timeline, then finished.
  ASSERT_TRUE(sim.wait_for_samples(1001, 30));
  for (int i = 0; i < 3000 && !sim.finished(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(sim.finished());
  sim.stop();
  trace->close();

  const State end = sim.read();
  EXPECT_EQ(end.samples, 1001u);  // t = 0, 0.001, ..., 1.000
  EXPECT_DOUBLE_EQ(end.time_s, 1.0);
  const PowerTimeline t = inference_timeline();
  EXPECT_NEAR(end.channels[0].energy_j, t.energy_to(0, 1.0), 1e-12);
  EXPECT_NEAR(end.channels[1].energy_j, 0.4, 1e-12);

  auto markers = sim.markers();
  ASSERT_EQ(markers.size(), 2u);
  EXPECT_EQ(markers[0].label, 'A');
  EXPECT_GT(markers[0].sample, at_a.samples - 1);  // on a sample after mark() was called
  EXPECT_EQ(markers[1].label, 'B');
  auto iv = intervals_between(markers);
  ASSERT_EQ(iv.size(), 1u);
  EXPECT_NEAR(iv[0].joules,
              t.energy_between(0, markers[0].time_s, markers[1].time_s) +
                  t.energy_between(1, markers[0].time_s, markers[1].time_s),
              1e-9);

  // The trace holds every sample, with the markers on their samples.
  Trace back = read_trace((dir / "sim.csv").string());
  ASSERT_EQ(back.rows.size(), 1001u);
  EXPECT_EQ(back.rows[markers[0].sample].marker, 'A');
  EXPECT_EQ(back.rows[markers[1].sample].marker, 'B');
  EXPECT_NEAR(back.rows[500].power_w[0], t.power_at(0, 0.5), 1e-9);
}

TEST(SimSource, RejectsBadOptions) {
  EXPECT_THROW(SimSource(inference_timeline(), SimOptions{0, 1}), UsageError);
  EXPECT_THROW(SimSource(inference_timeline(), SimOptions{1000, -1}), UsageError);
  // The cap: a clear error naming the field, not a replay that spins for hours.
  EXPECT_NO_THROW(SimSource(inference_timeline(), SimOptions{SimOptions::kMaxSampleRateHz, 1}));
  try {
    SimSource(inference_timeline(), SimOptions{2 * SimOptions::kMaxSampleRateHz, 1}, "sim:test");
    ADD_FAILURE() << "no error above the cap";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("sample_rate_hz"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("2e+06"), std::string::npos) << e.what();
  }
  EXPECT_THROW(SimSource(PowerTimeline{}), UsageError);
}

}  // namespace
}  // namespace tpulab::power
