// `tpulab power ...` and `tpulab-psemu` as a user runs them (the built binaries).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
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

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// How many lines of `err` are error lines: the exit-code rule wants exactly one.
int error_lines(const std::string& err) {
  int n = 0;
  std::istringstream in(err);
  std::string line;
  while (std::getline(in, line)) n += line.starts_with("error:");
  return n;
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
  testing::TempDir out_dir;                     // only the trace goes here
  const fs::path trace = out_dir / "long.txt";  // PowerSensor dump format
  Process rec({(bin_dir() / "tpulab").string(), "power", "record", "--source", "ps3:" + emu.path,
               "--out", trace.string()},
              dir / "rec.out");
  // Wait until samples are on disk (in the temporary beside the trace), then Ctrl-C.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool recording = false;
  while (!recording && std::chrono::steady_clock::now() < deadline) {
    for (const auto& e : fs::directory_iterator(out_dir.path()))
      recording = recording || fs::file_size(e.path()) >= 100000;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(recording);
  EXPECT_FALSE(fs::exists(trace)) << "the trace appeared at its name before it was complete";
  rec.signal(SIGINT);
  ASSERT_EQ(rec.wait(60), 0);
  std::ifstream out(dir / "rec.out");
  std::string text((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("ended by interrupt"), std::string::npos) << text;
  // The whole trace at its name (every sample the summary counted), and no temporary.
  const Trace t = read_trace(trace.string());
  EXPECT_GT(t.rows.size(), 1000u);
  EXPECT_EQ(t.format, TraceFormat::PowerSensorDump);
  EXPECT_NE(text.find("(" + std::to_string(t.rows.size()) + " samples)"), std::string::npos)
      << text;
  EXPECT_EQ(listing(out_dir.path()), std::vector<std::string>{"long.txt"});
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

// A trace with NaN, infinity or time going back: exit 1, one error line naming file and line
// (not "average -nan W").
TEST(PowerCli, SummaryOfADamagedTraceIsAnErrorNamingTheLine) {
  REQUIRE_BINARIES();
  testing::TempDir dir;
  const std::string header =
      "sample,time_s,marker,device_timestamp,p_current_a,p_voltage_v,p_power_w,p_energy_j,"
      "total_power_w,total_energy_j\n0,0.0,,1,1,12,12,0,12,0\n";
  for (const auto& [name, row] : std::vector<std::pair<std::string, std::string>>{
           {"nan.csv", "1,0.1,,1,nan,12,nan,nan,nan,nan\n"},
           {"inf.csv", "1,0.1,,1,1,12,12,0,inf,1.2\n"},
           {"back.csv", "1,-0.1,,1,1,12,12,0,12,1.2\n"},
       }) {
    std::ofstream(dir / name) << header << row << "2,0.2,,1,1,12,12,0,12,2.4\n";
    const auto r = testing::run_command(
        {(bin_dir() / "tpulab").string(), "power", "summary", (dir / name).string()});
    SCOPED_TRACE(name);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(error_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(name + ":3"), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find("nan"), std::string::npos) << r.out;
  }
}

// A FIFO given as a trace, a timeline or a waveform is refused at once, not waited on.
TEST(PowerCli, AFifoAsAnInputIsRefusedAtOnce) {
  REQUIRE_BINARIES();
  testing::TempDir dir;
  const std::string fifo = (dir / "input.csv").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const std::string tpulab = (bin_dir() / "tpulab").string();
  for (const auto& argv : std::vector<std::vector<std::string>>{
           {tpulab, "power", "summary", fifo},
           {tpulab, "power", "record", "--source", "sim:" + fifo, "--out",
            (dir / "t.csv").string()},
           {(bin_dir() / "tpulab-psemu").string(), "--waveform", fifo, "--duration", "5"},
       }) {
    SCOPED_TRACE(argv[1]);
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = testing::run_command(argv, 30);
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(error_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(dir / "t.csv"));
}

// psemu follows tpulab's exit-code rule: one "error:" line naming the option, exit 2.
TEST(PowerCli, PsemuRefusesBadNumbersWithExitTwo) {
  REQUIRE_BINARIES();
  const std::string psemu = (bin_dir() / "tpulab-psemu").string();
  for (const auto& [option, value] : std::vector<std::pair<std::string, std::string>>{
           {"--rate", "0"},
           {"--rate", "-1"},
           {"--rate", "nan"},
           {"--rate", "inf"},
           {"--rate", "1e9"},
           {"--pairs", "0"},
           {"--pairs", "2.5"},
           {"--amps", "nan"},
           {"--volts", "1e18"},
           {"--period", "0"},
           {"--duty", "1.5"},
           {"--noise", "-1"},
           {"--corrupt", "2"},
           {"--zero-offset-mv", "inf"},
           {"--seed", "-1"},
           {"--marker-delay", "1e30"},
           {"--duration", "nan"},
       }) {
    SCOPED_TRACE(option + " " + value);
    std::vector<std::string> argv{psemu, option, value};
    if (option != "--duration") argv.insert(argv.end(), {"--duration", "5"});
    const auto r = testing::run_command(argv, 30);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(error_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(option), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << "an emulator started: " << r.out;
  }
  // What the library refuses is a usage error too (a PowerSensor3 needs >= 1100 frames/s).
  const auto slow = testing::run_command({psemu, "--rate", "500", "--duration", "5"}, 30);
  EXPECT_EQ(slow.exit_code, 2) << slow.err;
  EXPECT_EQ(error_lines(slow.err), 1) << slow.err;
}

// Every numeric option of `tpulab power`: exit 2 with the option's name; --timeout 1e18 used
// to become -2147483648 ms.
TEST(PowerCli, NumericOptionsAreRangeChecked) {
  REQUIRE_BINARIES();
  const std::string tpulab = (bin_dir() / "tpulab").string();
  testing::TempDir dir;
  const std::string out = (dir / "t.csv").string();
  const std::string src = "ps3:/dev/tpulab-no-such-device";
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"record", "--source", src, "--out", out, "--timeout", "1e18"},
           {"record", "--source", src, "--out", out, "--timeout", "nan"},
           {"record", "--source", src, "--out", out, "--timeout", "0"},
           {"record", "--source", src, "--out", out, "--interval", "-1"},
           {"record", "--source", src, "--out", out, "--sim-rate", "1e7"},
           {"record", "--source", src, "--out", out, "--sim-speed", "inf"},
           {"record", "--source", src, "--out", out, "--duration", "nan"},
           {"record", "--source", src, "--out", out, "--duration", "-1"},
           {"info", "--source", src, "--timeout", "1e18"},
           {"calibrate", "--source", src, "--seconds", "nan"},
           {"config", "--source", src, "--sensor", "8"},
           {"config", "--source", src, "--sensor", "0", "--vref", "1e18"},
           {"config", "--source", src, "--sensor", "0", "--sensitivity", "1e18"},
           {"config", "--source", src, "--sensor", "0", "--sensitivity", "0"},
           {"measure", "model.tflite", "--source", "sim", "--device", "sim-edgetpu", "--requests",
            "0"},
           {"measure", "model.tflite", "--source", "sim", "--device", "sim-edgetpu", "--warmup",
            "-1"},
           {"measure", "model.tflite", "--source", "sim", "--device", "sim-edgetpu", "--baseline",
            "nan"},
           {"measure", "model.tflite", "--source", "sim", "--device", "sim-edgetpu", "--threads",
            "0"},
       }) {
    std::vector<std::string> argv{tpulab, "power"};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string option = args[args.size() - 2];  // the last but one argument
    SCOPED_TRACE(option + " " + args.back());
    const auto r = testing::run_command(argv, 30);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(error_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(option), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(out));
}

// `power config --vref 1e18` used to be stored in the EEPROM (every later recording read -1 A):
// refused, and the device's config is what it was.
TEST(PowerCli, ConfigRefusesValuesTheBoardCannotUseAndTheEepromIsUnchanged) {
  REQUIRE_BINARIES();
  Psemu emu;
  ASSERT_FALSE(emu.path.empty());
  const std::string tpulab = (bin_dir() / "tpulab").string();
  auto show = [&] {
    const auto r = testing::run_command(
        {tpulab, "power", "config", "--source", "ps3:" + emu.path, "--json"}, 60);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out)["sensors"];
  };
  const nlohmann::json before = show();
  EXPECT_NEAR(before[0]["vref"].get<double>(), 1.65, 1e-6);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--vref", "1e18", "--sensitivity", "1e18"},
           {"--vref", "1e18"},
           {"--sensitivity", "1e18"},
           {"--vref", "-1"},
           {"--sensitivity", "1e-9"},
       }) {
    std::vector<std::string> argv{tpulab,     "power", "config", "--source", "ps3:" + emu.path,
                                  "--sensor", "0"};
    argv.insert(argv.end(), args.begin(), args.end());
    SCOPED_TRACE(args[0] + " " + args[1]);
    const auto r = testing::run_command(argv, 60);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(error_lines(r.err), 1) << r.err;
    EXPECT_EQ(show(), before);
  }
}

// A recording into a full file system: exit 1 and one error line, and neither a short trace
// nor a temporary is left (it used to exit 0 with a 0-byte or cut trace).
TEST(PowerCli, RecordingIntoAFullFileSystemIsAnErrorAndLeavesNothing) {
  REQUIRE_BINARIES();
  testing::TempDir mount_point;
  if (::mount("tpulab-power-full", mount_point.path().c_str(), "tmpfs", 0, "size=64k") != 0)
    GTEST_SKIP() << "!!! cannot mount a small tmpfs (" << std::strerror(errno)
                 << "): full-disk case SKIPPED !!!";
  struct Unmount {
    const fs::path& at;
    ~Unmount() { ::umount(at.c_str()); }
  } unmount{mount_point.path()};
  testing::TempDir dir;
  PowerTimeline t;
  t.add("tpu0", 0.0, 1.0, 2.0, "busy");
  const std::string timeline = (dir / "timeline.csv").string();
  write_timeline_csv(t, timeline);
  // 100000 samples of about 60 bytes: far more than 64 KiB.
  const std::string trace = (mount_point.path() / "trace.csv").string();
  const auto r = testing::run_command(
      {(bin_dir() / "tpulab").string(), "power", "record", "--source", "sim:" + timeline,
       "--sim-rate", "100000", "--sim-speed", "10", "--out", trace},
      60);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(error_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find(trace), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No space left"), std::string::npos) << r.err;
  EXPECT_TRUE(listing(mount_point.path()).empty()) << listing(mount_point.path()).front();
}

}  // namespace
}  // namespace tpulab::power
