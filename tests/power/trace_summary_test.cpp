// The summary of a trace (what `tpulab power summary` prints) from the library, its JSON, and
// trace files written from a Trace in memory.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "power/trace.h"
#include "testing/testing.h"

namespace tpulab::power {
namespace {

const char* kHeader =
    "sample,time_s,marker,device_timestamp,a_current_a,a_voltage_v,a_power_w,a_energy_j,"
    "total_power_w,total_energy_j\n";

TEST(TraceSummary, EnergyPeakAndIntervalsBetweenMarkers) {
  // 0.5 s at 10 W, then 1 s at 30 W (peak 31 W on one sample), markers B at 0.5 s, E at 1.5 s.
  const std::string text = std::string(kHeader) +
                           "0,1.000000,,-1,1,10,10,0,10,0\n"
                           "1,1.500000,B,-1,1,10,10,5,10,5\n"
                           "2,2.000000,,-1,3,10,31,20.5,31,20.5\n"
                           "3,2.500000,E,-1,3,10,30,35.5,30,35.5\n";
  const TraceSummary s = summarize(parse_trace(text, "t.csv"), "t.csv");
  EXPECT_EQ(s.samples, 4u);
  EXPECT_DOUBLE_EQ(s.seconds, 1.5);
  EXPECT_DOUBLE_EQ(s.joules, 35.5);
  EXPECT_DOUBLE_EQ(s.average_w(), 35.5 / 1.5);
  EXPECT_DOUBLE_EQ(s.peak_w, 31);
  ASSERT_EQ(s.between_markers.size(), 1u);
  EXPECT_EQ(s.between_markers[0].from, 'B');
  EXPECT_EQ(s.between_markers[0].to, 'E');
  EXPECT_DOUBLE_EQ(s.between_markers[0].start_s, 1.5);
  EXPECT_DOUBLE_EQ(s.between_markers[0].seconds, 1.0);
  EXPECT_DOUBLE_EQ(s.between_markers[0].joules, 30.5);

  const nlohmann::json j = to_json(s);
  EXPECT_EQ(j["samples"], 4);
  EXPECT_EQ(j["joules"], 35.5);
  EXPECT_EQ(j["peak_watts"], 31.0);
  EXPECT_EQ(j["between_markers"][0]["from"], "B");
  EXPECT_EQ(j["between_markers"][0]["watts"], 30.5);
  EXPECT_EQ(j.size(), 6u);

  // A trace below 0 W has a peak of 0 (as the CLI always reported); no samples is an error.
  const Trace negative = parse_trace(std::string(kHeader) + "0,0,,-1,1,-2,-2,0,-2,0\n", "n.csv");
  EXPECT_EQ(summarize(negative, "n.csv").peak_w, 0.0);
  try {
    summarize(parse_trace(kHeader, "e.csv"), "e.csv");
    ADD_FAILURE() << "an empty trace was summarised";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "the trace has no samples (e.csv)");
  }
}

TEST(TraceSummary, DumpTracesIntegrateEachChannel) {
  const std::string text =
      "marker time dt_micro device_timestamp current0 voltage0 power0 current1 voltage1 power1 "
      "power_total\n"
      "S 0.0 0 0 1 10 10 1 2 2 12\n"
      "M x\n"
      "A 0.5 500000 0 2 10 20 1 2 2 22\n";
  const Trace t = parse_trace(text, "t.txt");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[1].energy_j, (std::vector<double>{10, 1}));
  EXPECT_DOUBLE_EQ(t.rows[1].total_energy_j, 11);
  EXPECT_DOUBLE_EQ(summarize(t, "t.txt").joules, 11);
}

TEST(TraceFile, WrittenFromATraceReadsBackTheSame) {
  testing::TempDir dir;
  const std::string text = std::string(kHeader) +
                           "0,0.000000,,5,1,12,12,0,12,0\n"
                           "1,0.250000,B,6,2,12,24,6,24,6\n"
                           "2,0.500000,,7,0.5,11.5,5.75,7.4375,5.75,7.4375\n";
  const Trace t = parse_trace(text, "t.csv");
  for (const auto format : {TraceFormat::Csv, TraceFormat::PowerSensorDump}) {
    const std::string path = (dir / (format == TraceFormat::Csv ? "w.csv" : "w.txt")).string();
    write_trace(t, path, format);
    const Trace back = read_trace(path);
    SCOPED_TRACE(path);
    EXPECT_EQ(back.format, format);
    ASSERT_EQ(back.rows.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_DOUBLE_EQ(back.rows[i].time_s, t.rows[i].time_s);
      EXPECT_EQ(back.rows[i].marker, t.rows[i].marker);
      EXPECT_EQ(back.rows[i].device_timestamp, t.rows[i].device_timestamp);
      EXPECT_EQ(back.rows[i].power_w, t.rows[i].power_w);
      EXPECT_EQ(back.rows[i].current_a, t.rows[i].current_a);
    }
    // The dump format keeps no energy: it integrates power (0.25 s x 24 W, then x 5.75 W).
    EXPECT_DOUBLE_EQ(back.rows[2].total_energy_j,
                     format == TraceFormat::Csv ? 7.4375 : 0.25 * 24 + 0.25 * 5.75);
  }
  // The CSV file is what a TraceWriter writes for the same samples: the input, byte for byte.
  std::ifstream in(dir / "w.csv");
  const std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(written, text);
  EXPECT_THROW(write_trace(t, (dir / "no/such/t.csv").string(), TraceFormat::Csv), IoError);
}

TEST(TraceCollector, KeepsEverySampleAsATraceRow) {
  SourceInfo info{"sim", "x", "", false, {{"tpu0", 0, false, false}, {"host", 1, false, false}}};
  TraceCollector c(info);
  std::vector<ChannelState> ch{{0, 0, 2, 1}, {0, 0, 3, 4}};
  c.on_sample({0, 0.0, -1, 0, ch});
  ch[0].energy_j = 1.5;
  c.on_sample({1, 0.25, 7, 'B', ch});
  const Trace t = c.take();
  EXPECT_EQ(t.channels, (std::vector<std::string>{"tpu0", "host"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[1].marker, 'B');
  EXPECT_EQ(t.rows[1].device_timestamp, 7);
  EXPECT_EQ(t.rows[1].total_power_w, 5);
  EXPECT_EQ(t.rows[1].total_energy_j, 5.5);
  EXPECT_EQ(t.rows[1].energy_j, (std::vector<double>{1.5, 4}));
  EXPECT_EQ(trace_markers(t).size(), 1u);
}

}  // namespace
}  // namespace tpulab::power
