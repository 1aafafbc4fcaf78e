// Trace files: both formats written sample by sample and read back; markers; robustness.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "power/trace.h"
#include "testing/testing.h"

namespace tpulab::power {
namespace {

SourceInfo two_pairs() {
  return SourceInfo{
      "ps3", "/dev/fake", "test", true, {{"cpu rail", 0, true, true}, {"tpu", 2, true, true}}};
}

// Feeds n samples of a known pattern; returns what was fed.
std::vector<std::vector<ChannelState>> feed(TraceWriter& w, int n, std::vector<int> marked) {
  std::vector<std::vector<ChannelState>> all;
  std::vector<ChannelState> ch(2);
  for (int i = 0; i < n; ++i) {
    const double t = i * 50e-6;
    ch[0] = {1.0 + 0.01 * i, 12.0, (1.0 + 0.01 * i) * 12.0, 0};
    ch[1] = {0.5, 5.0, 2.5, 0};
    if (i > 0)
      for (auto& c : ch) c.energy_j = all.back()[&c - ch.data()].energy_j + c.power_w * 50e-6;
    all.push_back(ch);
    Sample s;
    s.index = static_cast<uint64_t>(i);
    s.time_s = t;
    s.device_timestamp = (i * 50) & 1023;
    s.marker = 0;
    for (size_t m = 0; m < marked.size(); ++m)
      if (marked[m] == i) s.marker = static_cast<char>('a' + m);
    s.channels = ch;
    w.on_sample(s);
  }
  return all;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Trace, CsvRoundTrip) {
  testing::TempDir dir;
  const std::string path = (dir / "t.csv").string();
  EXPECT_EQ(trace_format_for(path), TraceFormat::Csv);
  std::vector<std::vector<ChannelState>> fed;
  {
    TraceWriter w(path, two_pairs(), TraceFormat::Csv);
    fed = feed(w, 1000, {100, 600});
    w.on_end("");
    EXPECT_EQ(w.samples_written(), 1000u);
    EXPECT_NEAR(w.peak_power_w(), (1.0 + 0.01 * 999) * 12 + 2.5, 1e-9);
  }
  const std::string text = read_all(path);
  EXPECT_TRUE(text.starts_with(
      "sample,time_s,marker,device_timestamp,cpu_rail_current_a,cpu_rail_voltage_v,"
      "cpu_rail_power_w,cpu_rail_energy_j,tpu_current_a"));
  Trace t = read_trace(path);
  ASSERT_EQ(t.rows.size(), 1000u);
  ASSERT_EQ(t.channels.size(), 2u);
  EXPECT_EQ(t.channels[0], "cpu_rail");
  EXPECT_NEAR(t.rows[500].current_a[0], fed[500][0].current_a, 1e-5);
  EXPECT_NEAR(t.rows[500].power_w[1], 2.5, 1e-9);
  EXPECT_EQ(t.rows[500].device_timestamp, (500 * 50) & 1023);
  EXPECT_NEAR(t.rows[999].total_energy_j, fed[999][0].energy_j + fed[999][1].energy_j, 1e-9);
  auto m = trace_markers(t);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].label, 'a');
  EXPECT_EQ(m[0].sample, 100u);
  EXPECT_EQ(m[1].sample, 600u);
  auto iv = intervals_between(m);
  EXPECT_NEAR(
      iv[0].joules,
      fed[600][0].energy_j + fed[600][1].energy_j - fed[100][0].energy_j - fed[100][1].energy_j,
      1e-8);
}

TEST(Trace, PowerSensorDumpFormat) {
  testing::TempDir dir;
  const std::string path = (dir / "t.txt").string();
  EXPECT_EQ(trace_format_for(path), TraceFormat::PowerSensorDump);
  {
    TraceWriter w(path, two_pairs(), TraceFormat::PowerSensorDump);
    feed(w, 300, {10});
    w.close();
  }
  const std::string text = read_all(path);
  // PowerSensor3's header, with the physical pair ids.
  EXPECT_TRUE(
      text.starts_with("marker time dt_micro device_timestamp current0 voltage0 power0 "
                       "current2 voltage2 power2 power_total\n"))
      << text.substr(0, 120);
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);
  std::getline(lines, line);
  EXPECT_TRUE(line.starts_with("S 0.000000 0 0 ")) << line;
  for (int i = 1; i <= 10; ++i) std::getline(lines, line);
  EXPECT_TRUE(line.starts_with("a 0.000500 50 500 ")) << line;  // the marked sample
  Trace t = read_trace(path);
  ASSERT_EQ(t.rows.size(), 300u);
  EXPECT_EQ(t.channels[1], "pair2");
  EXPECT_EQ(t.rows[10].marker, 'a');
  EXPECT_EQ(t.rows[11].marker, 0);
  // Energy integrated from power_total matches the samples' own rule (P * dt).
  double e = 0;
  for (int i = 1; i < 300; ++i) e += ((1.0 + 0.01 * i) * 12.0 + 2.5) * 50e-6;
  EXPECT_NEAR(t.rows.back().total_energy_j, e, 1e-6 * e);
}

TEST(Trace, ReadsPowerSensorsOwnMarkerLines) {
  testing::TempDir dir;
  std::ofstream(dir / "ps.txt") << "marker time dt_micro device_timestamp current0 voltage0 "
                                   "power0 power_total\n"
                                << "S 0.1 0 10 1 12 12 12\n"
                                << "M A\n"
                                << "S 0.2 100000 20 2 12 24 24\n";
  Trace t = read_trace((dir / "ps.txt").string());
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_NEAR(t.rows[1].total_energy_j, 2.4, 1e-12);
}

TEST(Trace, ACutLastLineIsDroppedOtherDamageIsAnError) {
  testing::TempDir dir;
  const std::string path = (dir / "t.csv").string();
  {
    TraceWriter w(path, two_pairs(), TraceFormat::Csv);
    feed(w, 10, {});
  }
  {
    std::ofstream(path, std::ios::app) << "10,0.0005,,5";  // killed mid-line
  }
  EXPECT_EQ(read_trace(path).rows.size(), 10u);
  std::ofstream(dir / "bad.csv") << "sample,time_s,marker,device_timestamp,total_power_w,"
                                    "total_energy_j\n0,0,,1,2,3\n1,zero,,1,2,3\n";
  try {
    read_trace((dir / "bad.csv").string());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.csv:3"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "other.csv") << "a,b,c\n1,2,3\n";
  EXPECT_THROW(read_trace((dir / "other.csv").string()), Error);
  EXPECT_THROW(read_trace((dir / "none.csv").string()), IoError);
  EXPECT_THROW(TraceWriter((dir / "no/such/dir.csv").string(), two_pairs(), TraceFormat::Csv),
               IoError);
}

TEST(Trace, FlushesAsItGoes) {
  testing::TempDir dir;
  const std::string path = (dir / "t.csv").string();
  TraceWriter w(path, two_pairs(), TraceFormat::Csv, /*flush_interval_s=*/0.0);
  feed(w, 200, {});
  // Still open, yet (nearly) everything is on disk, in the temporary beside the trace: a kill
  // now loses at most the last samples.
  const std::string tmp = w.temporary_path();
  ASSERT_FALSE(tmp.empty());
  const size_t on_disk = read_trace(tmp).rows.size();
  EXPECT_GE(on_disk, 193u);
  w.on_end("device disconnected");
  EXPECT_EQ(read_trace(tmp).rows.size(), 200u);
}

std::vector<std::string> listing(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(Trace, TheTraceAppearsWholeAtItsNameOnlyOnClose) {
  testing::TempDir dir;
  const std::string path = (dir / "t.csv").string();
  std::ofstream(path) << "an older trace\n";
  {
    TraceWriter w(path, two_pairs(), TraceFormat::Csv, /*flush_interval_s=*/0.0);
    feed(w, 50, {});
    // The old file is untouched while recording; the samples are in a unique hidden temporary
    // in the same folder (so the rename stays on one file system), not in "<out>.tmp".
    EXPECT_EQ(read_all(path), "an older trace\n");
    const std::filesystem::path tmp = w.temporary_path();
    EXPECT_EQ(tmp.parent_path(), dir.path());
    EXPECT_NE(tmp.filename().string(), "t.csv.tmp");
    EXPECT_EQ(listing(dir.path()).size(), 2u);
    w.close();
    EXPECT_FALSE(std::filesystem::exists(tmp));
  }
  EXPECT_EQ(read_trace(path).rows.size(), 50u);
  EXPECT_EQ(listing(dir.path()), std::vector<std::string>{"t.csv"});
}

// Writes `text` to `name` in `dir` and returns the error read_trace gives.
std::string trace_error(const testing::TempDir& dir, const std::string& name,
                        const std::string& text) {
  std::ofstream(dir / name) << text;
  try {
    read_trace((dir / name).string());
  } catch (const FormatError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("not a FormatError: ") + e.what();
  }
  return "no error";
}

TEST(Trace, NotFiniteNumbersAndTimeGoingBackAreFormatErrorsNamingTheLine) {
  testing::TempDir dir;
  const std::string csv_header =
      "sample,time_s,marker,device_timestamp,p_current_a,p_voltage_v,p_power_w,p_energy_j,"
      "total_power_w,total_energy_j\n";
  const std::string good = "0,0.0,,1,1,12,12,0,12,0\n";
  EXPECT_NE(trace_error(dir, "nan.csv", csv_header + good + "1,nan,,1,1,12,12,0,12,0\n")
                .find("nan.csv:3"),
            std::string::npos);
  EXPECT_NE(trace_error(dir, "inf.csv", csv_header + good + "1,0.1,,1,1,12,inf,0,inf,1\n")
                .find("inf.csv:3"),
            std::string::npos);
  EXPECT_NE(trace_error(dir, "nanp.csv", csv_header + good + "1,0.1,,1,1,12,12,0,-nan,1\n")
                .find("nanp.csv:3"),
            std::string::npos);
  const std::string back = trace_error(
      dir, "back.csv", csv_header + good + "1,0.5,,1,1,12,12,0,12,6\n2,0.4,,1,1,12,12,0,12,7\n");
  EXPECT_NE(back.find("back.csv:4"), std::string::npos) << back;
  EXPECT_NE(back.find("goes back"), std::string::npos) << back;
  EXPECT_NE(
      trace_error(dir, "ts.csv", csv_header + "0,0.0,,1e30,1,12,12,0,12,0\n").find("ts.csv:2"),
      std::string::npos);

  const std::string dump_header =
      "marker time dt_micro device_timestamp current0 voltage0 power0 power_total\n";
  EXPECT_NE(
      trace_error(dir, "nan.txt", dump_header + "S 0.1 0 1 1 12 12 12\nS nan 0 1 1 12 12 12\n")
          .find("nan.txt:3"),
      std::string::npos);
  EXPECT_NE(
      trace_error(dir, "inf.txt", dump_header + "S 0.1 0 1 1 12 12 12\nS 0.2 0 1 1 12 12 inf\n")
          .find("inf.txt:3"),
      std::string::npos);
  EXPECT_NE(
      trace_error(dir, "back.txt", dump_header + "S 0.2 0 1 1 12 12 12\nS 0.1 0 1 1 12 12 12\n")
          .find("back.txt:3"),
      std::string::npos);
  // A header whose columns are not the pairs' (it used to throw std::out_of_range).
  EXPECT_NE(
      trace_error(dir, "hdr.txt",
                  "marker time dt_micro device_timestamp a b c power_total\nS 0 0 1 1 2 3 4\n")
          .find("hdr.txt:1"),
      std::string::npos);

  // Time standing still is fine (a device clock repaired after lost frames).
  std::ofstream(dir / "still.csv") << csv_header << good << "1,0.0,,1,1,12,12,0,12,0\n";
  EXPECT_EQ(read_trace((dir / "still.csv").string()).rows.size(), 2u);
}

TEST(Trace, AFifoIsRefusedAtOnce) {
  testing::TempDir dir;
  const std::string fifo = (dir / "trace.csv").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const auto t0 = std::chrono::steady_clock::now();
  try {
    read_trace(fifo);
    FAIL() << "a FIFO was read as a trace";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2);
}

}  // namespace
}  // namespace tpulab::power
