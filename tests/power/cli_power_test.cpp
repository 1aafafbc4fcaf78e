// `tpulab power ...` and `tpulab-psemu` as a user runs them (the built binaries).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "power/timeline.h"
#include "power/trace.h"
#include "testing/testing.h"

extern char** environ;

namespace tpulab::power {
namespace {

namespace fs = std::filesystem;

fs::path bin_dir() {
  fs::path b = testing::binary_dir();
  if (b.empty()) b = fs::read_symlink("/proc/self/exe").parent_path().parent_path();
  return b / "bin";
}

#define REQUIRE_BINARIES()                                                            \
  do {                                                                                \
    if (!fs::exists(bin_dir() / "tpulab") || !fs::exists(bin_dir() / "tpulab-psemu")) \
      GTEST_SKIP() << "!!! tpulab / tpulab-psemu not built in " << bin_dir()          \
                   << ": CLI test SKIPPED !!!";                                       \
  } while (0)

// A background process whose stdout goes to a file.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const fs::path& out) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, (out.string() + ".err").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Process() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  void signal(int sig) { kill(pid_, sig); }
  // Exit code, or -1 if it did not exit within the limit.
  int wait(double limit_s) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(limit_s);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

std::string first_line(const fs::path& file, double limit_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(limit_s);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(file);
    std::string line;
    if (std::getline(in, line) && in) return line;  // complete line (newline seen)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return {};
}

struct Psemu {
  testing::TempDir dir;
  std::unique_ptr<Process> process;
  std::string path;
  explicit Psemu(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{(bin_dir() / "tpulab-psemu").string(), "--duration", "120"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process = std::make_unique<Process>(argv, dir / "psemu.out");
    path = first_line(dir / "psemu.out", 30);
  }
};

TEST(PowerCli, RecordWhileACommandRunsAndSummarise) {
  REQUIRE_BINARIES();
  // 2000 frames in flight (0.1 s): the markers still bracket the command.
  Psemu emu({"--waveform", "constant", "--amps", "2", "--volts", "12", "--marker-delay", "2000"});
  ASSERT_TRUE(emu.path.starts_with("/dev/pts/")) << emu.path;
  testing::TempDir dir;
  const std::string trace = (dir / "run.csv").string();
  auto r = testing::run_command({(bin_dir() / "tpulab").string(), "power", "record", "--source",
                                 "ps3:" + emu.path, "--out", trace, "--json", "--", "sleep", "0.5"},
                                60);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ended_by"], "command");
  EXPECT_GT(j["samples"].get<int>(), 5000);
  EXPECT_NEAR(j["average_watts"].get<double>(), 24.0, 0.3);
  ASSERT_EQ(j["between_markers"].size(), 1u);
  EXPECT_EQ(j["between_markers"][0]["from"], "B");
  EXPECT_NEAR(j["between_markers"][0]["seconds"].get<double>(), 0.5, 0.4);
  EXPECT_EQ(read_trace(trace).rows.size(), j["samples"].get<size_t>());

  auto s = testing::run_command({(bin_dir() / "tpulab").string(), "power", "summary", trace});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.out.find("B -> E"), std::string::npos) << s.out;
}

TEST(PowerCli, InterruptStopsCleanlyAndKeepsTheTrace) {
  REQUIRE_BINARIES();
  Psemu emu;
  ASSERT_FALSE(emu.path.empty());
  testing::TempDir dir;
  const fs::path trace = dir / "long.txt";  // PowerSensor dump format
  Process rec({(bin_dir() / "tpulab").string(), "power", "record", "--source", "ps3:" + emu.path,
               "--out", trace.string()},
              dir / "rec.out");
  // Wait until samples are on disk, then Ctrl-C.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline &&
         (!fs::exists(trace) || fs::file_size(trace) < 100000))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  rec.signal(SIGINT);
  ASSERT_EQ(rec.wait(60), 0);
  std::ifstream out(dir / "rec.out");
  std::string text((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("ended by interrupt"), std::string::npos) << text;
  const Trace t = read_trace(trace.string());
  EXPECT_GT(t.rows.size(), 1000u);
  EXPECT_EQ(t.format, TraceFormat::PowerSensorDump);
}

TEST(PowerCli, ClearErrorsAndExitCodes) {
  REQUIRE_BINARIES();
  const std::string tpulab = (bin_dir() / "tpulab").string();
  testing::TempDir dir;
  const std::string out = (dir / "x.csv").string();
  auto bad_spec =
      testing::run_command({tpulab, "power", "record", "--source", "gpu0", "--out", out});
  EXPECT_EQ(bad_spec.exit_code, 2) << bad_spec.err;
  EXPECT_NE(bad_spec.err.find("error:"), std::string::npos);
  EXPECT_NE(bad_spec.err.find("ps3:DEVICE"), std::string::npos) << bad_spec.err;

  auto missing = testing::run_command(
      {tpulab, "power", "record", "--source", "ps3:/dev/no-such-tty", "--out", out});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("/dev/no-such-tty"), std::string::npos) << missing.err;

  // A pty nobody answers on: not a PowerSensor.
  const int master = posix_openpt(O_RDWR | O_NOCTTY);
  grantpt(master);
  unlockpt(master);
  const std::string silent = ptsname(master);
  auto wrong = testing::run_command(
      {tpulab, "power", "info", "--source", "ps3:" + silent, "--timeout", "0.5"}, 60);
  close(master);
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("timed out"), std::string::npos) << wrong.err;
  EXPECT_NE(wrong.err.find("not a PowerSensor3"), std::string::npos) << wrong.err;

  auto sim = testing::run_command({tpulab, "power", "record", "--source", "sim", "--out", out});
  EXPECT_EQ(sim.exit_code, 2);
  EXPECT_NE(sim.err.find("timeline"), std::string::npos) << sim.err;
}

TEST(PowerCli, RecordsASimulatedTimelineExactly) {
  REQUIRE_BINARIES();
  testing::TempDir dir;
  PowerTimeline t;
  t.add("tpu0", 0.0, 0.3, 0.6, "idle");
  t.add("tpu0", 0.3, 0.5, 2.2, "computing");
  t.add("tpu0", 0.8, 0.2, 0.6, "idle");
  const std::string timeline = (dir / "timeline.csv").string();
  write_timeline_csv(t, timeline);
  auto r = testing::run_command(
      {(bin_dir() / "tpulab").string(), "power", "record", "--source", "sim:" + timeline,
       "--sim-speed", "10", "--out", (dir / "sim.csv").string(), "--json"},
      60);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ended_by"], "end of source");
  EXPECT_NEAR(j["joules"].get<double>(), t.energy_to(0, 1.0), 1e-9);
  EXPECT_NEAR(j["peak_watts"].get<double>(), 2.2, 1e-9);
}

TEST(PowerCli, CalibrateAndConfigureThroughTheCli) {
  REQUIRE_BINARIES();
  Psemu emu({"--waveform", "constant", "--amps", "0", "--zero-offset-mv", "25"});
  ASSERT_FALSE(emu.path.empty());
  const std::string tpulab = (bin_dir() / "tpulab").string();
  auto cal = testing::run_command({tpulab, "power", "calibrate", "--source", "ps3:" + emu.path,
                                   "--seconds", "0.3", "--write", "--json"},
                                  60);
  ASSERT_EQ(cal.exit_code, 0) << cal.err;
  auto j = nlohmann::json::parse(cal.out);
  EXPECT_NEAR(j["sensors"][0]["new"].get<double>(), 1.675, 0.002);
  auto cfg = testing::run_command(
      {tpulab, "power", "config", "--source", "ps3:" + emu.path, "--sensor", "2", "--type",
       "ACS712-30A", "--pair-name", "tpu", "--in-use", "true", "--json"},
      60);
  ASSERT_EQ(cfg.exit_code, 0) << cfg.err;
  auto c = nlohmann::json::parse(cfg.out);
  EXPECT_NEAR(c["sensors"][0]["vref"].get<double>(), 1.675, 0.002);  // the calibration stayed
  EXPECT_NEAR(c["sensors"][2]["sensitivity"].get<double>(), 0.066, 1e-6);
  EXPECT_EQ(c["sensors"][2]["pair_name"], "tpu");
  EXPECT_EQ(c["sensors"][3]["pair_name"], "tpu");
}

}  // namespace
}  // namespace tpulab::power
