// Timelines and emulator waveforms as input files: a FIFO is refused at once, numbers that are
// not finite, negative durations and time going back are FormatErrors naming file:line, and the
// timeline writer leaves the whole file or nothing.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "common/error.h"
#include "power/emulator/waveform.h"
#include "power/timeline.h"
#include "testing/testing.h"

namespace tpulab::power {
namespace {

namespace fs = std::filesystem;

// The FormatError's message for reading `text` from `name`, or what happened instead.
std::string format_error(const testing::TempDir& dir, const std::string& name,
                         const std::string& text,
                         const std::function<void(const std::string&)>& read) {
  std::ofstream(dir / name) << text;
  try {
    read((dir / name).string());
  } catch (const FormatError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("not a FormatError: ") + e.what();
  }
  return "no error";
}

void read_timeline(const std::string& path) { (void)read_timeline_csv(path); }
void read_waveform(const std::string& path) { (void)emu::read_waveform_csv(path); }

TEST(TimelineFile, NotFiniteNegativeAndBackwardRowsNameTheLine) {
  testing::TempDir dir;
  const std::string header = "device,start_s,duration_s,watts,state\n";
  const std::string first = "tpu0,0,0.5,2,idle\n";
  struct Case {
    std::string name, row, expect;
    int line = 3;
  };
  for (const Case& c : std::vector<Case>{
           {"nan.csv", "tpu0,nan,0.1,2,busy\n", "start_s"},
           {"inf.csv", "tpu0,1,inf,2,busy\n", "duration_s"},
           {"watts.csv", "tpu0,1,0.1,-nan,busy\n", "watts"},
           {"neg.csv", "tpu0,1,-0.1,2,busy\n", "duration_s"},
           {"back.csv", "tpu0,0.6,0.1,2,busy\ntpu0,0.55,0.01,2,busy\n", "goes back", 4},
       }) {
    const std::string e = format_error(dir, c.name, header + first + c.row, read_timeline);
    SCOPED_TRACE(c.name);
    EXPECT_NE(e.find(c.name + ":" + std::to_string(c.line)), std::string::npos) << e;
    EXPECT_NE(e.find(c.expect), std::string::npos) << e;
  }
  // Another device's rows may interleave; a zero-length interval may share a start.
  std::ofstream(dir / "ok.csv") << header << first << "host,0,1,5,busy\n"
                                << "tpu0,0.5,0,9,blip\ntpu0,0.5,0.5,2,busy\n";
  const PowerTimeline t = read_timeline_csv((dir / "ok.csv").string());
  EXPECT_EQ(t.device_count(), 2u);
}

TEST(WaveformFile, NotFiniteAndBackwardRowsNameTheLine) {
  testing::TempDir dir;
  const std::string header = "time_s,current_a,voltage_v\n";
  for (const auto& [name, rows] : std::vector<std::pair<std::string, std::string>>{
           {"nan.csv", "0,1,12\nnan,1,12\n"},
           {"inf.csv", "0,1,12\n0.1,inf,12\n"},
           {"volts.csv", "0,1,12\n0.1,1,-inf\n"},
           {"back.csv", "0,1,12\n0.2,1,12\n0.1,1,12\n"},
           {"huge.csv", "0,1,12\n0.1,1e300,12\n"},
       }) {
    const std::string e = format_error(dir, name, header + rows, read_waveform);
    SCOPED_TRACE(name);
    EXPECT_NE(e.find(name + ":"), std::string::npos) << e;
    EXPECT_EQ(e.find("not a FormatError"), std::string::npos) << e;
  }
  EXPECT_NE(format_error(dir, "b.csv", header + "0,1,12\n0.2,1,12\n0.1,1,12\n", read_waveform)
                .find("b.csv:4"),
            std::string::npos);
}

TEST(InputFiles, AFifoIsRefusedAtOnce) {
  testing::TempDir dir;
  const std::string fifo = (dir / "input.csv").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  for (const auto& read : {read_timeline, read_waveform}) {
    const auto t0 = std::chrono::steady_clock::now();
    try {
      read(fifo);
      ADD_FAILURE() << "a FIFO was read";
    } catch (const IoError& e) {
      EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(fifo), std::string::npos) << e.what();
    }
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2);
  }
}

TEST(TimelineFile, WriterReplacesTheFileWholeAndLeavesNoTemporary) {
  testing::TempDir dir;
  PowerTimeline t;
  t.add("tpu0", 0, 0.25, 2, "busy");
  t.add("tpu0", 0.25, 0.5, 0.5, "idle");
  const std::string path = (dir / "t.csv").string();
  std::ofstream(path) << "old\n";
  write_timeline_csv(t, path);
  const PowerTimeline back = read_timeline_csv(path);
  EXPECT_DOUBLE_EQ(back.energy_to(0, 1), t.energy_to(0, 1));
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u);
  EXPECT_THROW(write_timeline_csv(t, (dir / "no/such/folder/t.csv").string()), IoError);
}

}  // namespace
}  // namespace tpulab::power
