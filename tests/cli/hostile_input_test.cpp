// What tpulab guarantees (README, "What tpulab guarantees"), fed to every subcommand as a
// hostile but realistic user would: FIFOs, devices, folders, missing and huge files, truncated
// and non-UTF-8 inputs, numbers that are NaN, negative or overflow, a full disk, and kills in
// the middle of a write. Each case asserts the exit code, exactly one `error:` line, a bounded
// time, and that no file or temporary is left behind.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "model/graph.h"
#include "model/tflite.h"
#include "testing/fashion_cnn.h"
#include "testing/sanitizers.h"
#include "testing/testing.h"

namespace tpulab {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

#ifdef TPULAB_SANITIZED
constexpr double kMaxSeconds = 20.0;  // sanitizers slow start-up and model loading ~10x
#else
constexpr double kMaxSeconds = 2.0;
#endif

struct Timed {
  testing::CommandResult r;
  double seconds = 0;
};

Timed timed_tpulab(std::vector<std::string> args, int timeout_s = 60) {
  args.insert(args.begin(), testing::tpulab_binary().string());
  const auto t0 = std::chrono::steady_clock::now();
  Timed t;
  t.r = testing::run_command(args, timeout_s);
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return t;
}

int error_lines(const std::string& err) {
  int n = 0;
  size_t pos = 0;
  while (pos < err.size()) {
    size_t end = err.find('\n', pos);
    if (end == std::string::npos) end = err.size();
    if (err.compare(pos, 6, "error:") == 0) ++n;
    pos = end + 1;
  }
  return n;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& a : v) s += (s.empty() ? "" : " ") + a;
  return s;
}

// Files in `dir` (recursively), hidden ones included: what a failed command must not leave.
std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec))
    out.push_back(fs::relative(e.path(), dir).string());
  std::sort(out.begin(), out.end());
  return out;
}

// A 24-bit BMP of w x h grey-ish pixels.
std::vector<uint8_t> make_bmp(int w, int h) {
  const int row = (w * 3 + 3) / 4 * 4;
  const uint32_t data = static_cast<uint32_t>(row * h), size = 54 + data;
  std::vector<uint8_t> b(size, 0);
  auto le32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
  };
  b[0] = 'B', b[1] = 'M';
  le32(2, size);
  le32(10, 54);
  le32(14, 40);
  le32(18, static_cast<uint32_t>(w));
  le32(22, static_cast<uint32_t>(h));
  b[26] = 1;
  b[28] = 24;
  le32(34, data);
  for (size_t i = 54; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i * 37);
  return b;
}

class Hostile : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    Graph g = testing::fashion_cnn();
    write_tflite_file(g, (*dir_ / "model.tflite").string());
    // The same model with a tensor name that is not UTF-8.
    g.main().tensors[0].name = std::string("input\xff\xfe\xc3(", 9);
    write_tflite_file(g, (*dir_ / "latin1.tflite").string());
    testing::write_bytes(*dir_ / "image.bmp", make_bmp(28, 28));
    std::vector<uint8_t> bmp = make_bmp(28, 28);
    bmp.resize(bmp.size() / 2);
    testing::write_bytes(*dir_ / "truncated.bmp", bmp);
    std::ofstream(*dir_ / "labels.txt")
        << "zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\n";
    std::ofstream(*dir_ / "empty.txt");
    testing::write_bytes(*dir_ / "binary.txt", {0x00, 0xff, 0x10, 0x00, 0x80});
    fs::create_directory(*dir_ / "folder");
    if (::mkfifo((*dir_ / "fifo").c_str(), 0644) != 0) throw std::runtime_error("mkfifo");
    fs::create_symlink(*dir_ / "nowhere", *dir_ / "dangling");
    // 50 GB of nothing: a reader that does not check the size first would try to hold it.
    const int fd = ::open((*dir_ / "sparse").c_str(), O_WRONLY | O_CREAT, 0644);
    if (fd < 0 || ::ftruncate(fd, int64_t{50} << 30) != 0) throw std::runtime_error("sparse");
    ::close(fd);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string at(const std::string& name) { return (*dir_ / name).string(); }
  static testing::TempDir* dir_;
};
testing::TempDir* Hostile::dir_ = nullptr;

// Where a user can name a file, with @ standing for the file.
std::vector<std::vector<std::string>> file_slots(const std::string& model, const std::string& img) {
  return {
      {"inspect", "@"},
      {"inspect", "@", "--format", "json"},
      {"run", "@", "--input", img},
      {"run", model, "--input", "@"},
      {"run", model, "--input-raw", "@"},
      {"run", model, "--input", img, "--labels", "@"},
      {"eval", "@", "--dataset", "fashion-mnist", "--limit", "1"},
      {"simulate", "@"},
      {"simulate", model, "--plan", "@"},
      {"simulate", model, "--platform-file", "@"},
      {"simulate", model, "--profile", "@"},
      {"segment", "@", "-n", "2"},
      {"pipeline", "@", "--requests", "10", "--timing-only"},
      {"pipeline", model, "--plan", "@", "--requests", "10", "--timing-only"},
      {"power", "summary", "@"},
      {"power", "record", "--source", "sim:@", "--duration", "0.1", "--out", "@out.csv"},
  };
}

void expect_clean_error(const std::vector<std::string>& args, const std::string& bad,
                        int expected_exit, const fs::path& dir) {
  const auto before = listing(dir);
  const Timed t = timed_tpulab(args);
  SCOPED_TRACE("tpulab " + join(args));
  EXPECT_EQ(t.r.exit_code, expected_exit) << t.r.err;
  EXPECT_EQ(error_lines(t.r.err), 1) << t.r.err;
  EXPECT_TRUE(t.r.out.empty()) << t.r.out;
  if (!bad.empty()) {
    EXPECT_THAT(t.r.err, HasSubstr(bad));  // the user's path, not a temporary's
  }
  EXPECT_LT(t.seconds, kMaxSeconds);
  EXPECT_LT(t.r.max_rss_kb, 512 * 1024) << "peak memory " << t.r.max_rss_kb << " kB";
  EXPECT_EQ(listing(dir), before) << "files were left behind";
}

// FIFOs, devices, folders, dangling links and 50 GB files, in every place a file is named.
TEST_F(Hostile, EveryFileArgumentRefusesWhatIsNotARegularFileOfSaneSize) {
  const std::string model = at("model.tflite"), img = at("image.bmp");
  for (const std::string& bad :
       {at("fifo"), std::string("/dev/zero"), at("folder"), at("dangling"), at("sparse")}) {
    for (auto args : file_slots(model, img)) {
      for (auto& a : args) {
        if (a == "@") a = bad;
        if (a == "sim:@") a = "sim:" + bad;
        if (a == "@out.csv") a = at("out.csv");
      }
      expect_clean_error(args, bad, 1, dir_->path());
    }
  }
}

TEST_F(Hostile, MissingFilesAreErrorsWithExitOneFromEveryCommand) {
  const std::string missing = at("no-such-model.tflite");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"inspect", missing},
           {"run", missing, "--input", at("image.bmp")},
           {"eval", missing, "--dataset", "fashion-mnist", "--limit", "1"},
           {"simulate", missing},
           {"segment", missing, "-n", "2"},
           {"pipeline", missing, "--requests", "5"}})
    expect_clean_error(args, missing, 1, dir_->path());
}

TEST_F(Hostile, TruncatedImagesAndBadLabelFilesAreErrors) {
  const std::string model = at("model.tflite");
  expect_clean_error({"run", model, "--input", at("truncated.bmp")}, at("truncated.bmp"), 1,
                     dir_->path());
  for (const std::string& labels : {at("empty.txt"), at("binary.txt"), at("folder")})
    expect_clean_error({"run", model, "--input", at("image.bmp"), "--labels", labels}, labels, 1,
                       dir_->path());
  // The complete image classifies.
  const Timed ok =
      timed_tpulab({"run", model, "--input", at("image.bmp"), "--labels", at("labels.txt")});
  EXPECT_EQ(ok.r.exit_code, 0) << ok.r.err;
}

TEST_F(Hostile, PlanValuesMustBeWholeOpIndicesInRange) {
  const std::string model = at("model.tflite");
  for (const char* starts : {"[4294967300]", "[4.7]", "[true]", "[-1]", "[\"3\"]", "7"}) {
    const std::string plan = at("plan.json");
    std::ofstream(plan) << "{\"starts\": " << starts << "}";
    SCOPED_TRACE(starts);
    expect_clean_error({"simulate", model, "--plan", plan}, plan, 1, dir_->path());
    fs::remove(plan);
  }
}

// Numbers: each is refused as a usage error (exit 2) naming the option.
TEST_F(Hostile, NumericOptionsAreRangeChecked) {
  const std::string model = at("model.tflite"), out = at("zoo.tflite");
  struct Case {
    std::vector<std::string> args;
    std::string option;
  };
  const std::vector<Case> cases = {
      {{"zoo", "build", "mobilenet_v2", "--input", "0", "-o", out}, "--input"},
      {{"zoo", "build", "mobilenet_v2", "--input", "-224", "-o", out}, "--input"},
      {{"zoo", "build", "mobilenet_v2", "--width", "0", "-o", out}, "--width"},
      {{"zoo", "build", "mobilenet_v2", "--width", "nan", "-o", out}, "--width"},
      {{"zoo", "build", "mobilenet_v2", "--seed", "-1", "-o", out}, "--seed"},
      {{"run", model, "--input", at("image.bmp"), "--threads", "0"}, "--threads"},
      {{"run", model, "--input", at("image.bmp"), "--top", "-1"}, "--top"},
      {{"run", model, "--input", at("image.bmp"), "--top", "4.7"}, "--top"},
      {{"run", model, "--input", at("image.bmp"), "--mean", "1", "--std", "0"}, "--std"},
      {{"run", model, "--input", at("image.bmp"), "--mean", "inf", "--std", "1"}, "--mean"},
      {{"eval", model, "--dataset", "fashion-mnist", "--limit", "0"}, "--limit"},
      {{"simulate", model, "--segments", "4294967300"}, "--segments"},
      {{"simulate", model, "--segments", "0"}, "--segments"},
      {{"segment", model, "-n", "1..100000000"}, "-n"},
      {{"segment", model, "-n", "2", "--strategy", "profile", "--diff-threshold-ms", "-1"},
       "--diff-threshold-ms"},
      {{"segment", model, "-n", "2", "--min-throughput", "nan"}, "--min-throughput"},
      {{"pipeline", model, "--rate", "0", "--load", "poisson"}, "--rate"},
      {{"pipeline", model, "--rate", "nan"}, "--rate"},
      {{"pipeline", model, "--requests", "9223372036854775808"}, "--requests"},
      {{"pipeline", model, "--requests", "0"}, "--requests"},
      {{"pipeline", model, "--requests", "1e3"}, "--requests"},
      {{"pipeline", model, "--seed", "-1"}, "--seed"},
      {{"pipeline", model, "--in-flight", "0"}, "--in-flight"},
      {{"pipeline", model, "--segments", "true"}, "--segments"},
      {{"power", "record", "--source", "sim:x.csv", "--out", at("t.csv"), "--timeout", "1e18"},
       "--timeout"},
      {{"power", "record", "--source", "sim:x.csv", "--out", at("t.csv"), "--sim-rate", "inf"},
       "--sim-rate"},
      {{"power", "record", "--source", "sim:x.csv", "--out", at("t.csv"), "--duration", "-1"},
       "--duration"},
  };
  for (const auto& c : cases) {
    expect_clean_error(c.args, c.option, 2, dir_->path());
  }
}

TEST_F(Hostile, AModelTooLargeForTfliteIsRefusedBeforeAnyWork) {
  const std::string out = at("vgg.tflite");
  const Timed t = timed_tpulab({"zoo", "build", "vgg19", "--input", "2048", "-o", out});
  EXPECT_EQ(t.r.exit_code, 2) << t.r.err;
  EXPECT_EQ(error_lines(t.r.err), 1) << t.r.err;
  EXPECT_THAT(t.r.err, HasSubstr("2 GiB"));
  EXPECT_LT(t.seconds, kMaxSeconds);
  EXPECT_LT(t.r.max_rss_kb, 512 * 1024);
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(Hostile, TextThatIsNotUtf8NeitherBreaksJsonNorStopsSegment) {
  const std::string model = at("latin1.tflite");
  const Timed inspect = timed_tpulab({"inspect", model, "--format", "json"});
  ASSERT_EQ(inspect.r.exit_code, 0) << inspect.r.err;
  const auto j = nlohmann::json::parse(inspect.r.out);  // strict: throws on invalid UTF-8
  EXPECT_THAT(j.dump(), HasSubstr("input\xEF\xBF\xBD"));

  const Timed run = timed_tpulab({"run", model, "--input", at("image.bmp"), "--json"});
  ASSERT_EQ(run.r.exit_code, 0) << run.r.err;
  EXPECT_TRUE(nlohmann::json::accept(run.r.out));

  testing::TempDir out;
  const Timed seg =
      timed_tpulab({"segment", model, "-n", "2", "--json", "--out", (out / "s").string()});
  ASSERT_EQ(seg.r.exit_code, 0) << seg.r.err;
  EXPECT_TRUE(nlohmann::json::accept(seg.r.out));
  EXPECT_TRUE(fs::exists(out / "s" / "plan.json"));
  EXPECT_EQ(listing(out / "s").size(), 3u);  // two segments and plan.json
}

TEST_F(Hostile, WritersNeverTouchAUsersTmpFileAndNameTheUsersPath) {
  testing::TempDir out;
  const fs::path target = out / "m.tflite";
  std::ofstream(target.string() + ".tmp") << "mine";
  const Timed t = timed_tpulab(
      {"zoo", "build", "mobilenet_v1", "--input", "96", "--width", "0.25", "-o", target.string()});
  ASSERT_EQ(t.r.exit_code, 0) << t.r.err;
  std::ifstream in(target.string() + ".tmp");
  std::string s;
  in >> s;
  EXPECT_EQ(s, "mine");
  EXPECT_EQ(listing(out.path()), (std::vector<std::string>{"m.tflite", "m.tflite.tmp"}));
  // A folder that cannot be written: the error names the target, not a temporary.
  const std::string nowhere = (out / "no" / "such" / "m.tflite").string();
  const Timed bad = timed_tpulab({"zoo", "build", "mobilenet_v1", "--input", "96", "-o", nowhere});
  EXPECT_EQ(bad.r.exit_code, 1);
  EXPECT_THAT(bad.r.err, HasSubstr(nowhere));
  EXPECT_THAT(bad.r.err, ::testing::Not(HasSubstr(".tpulab-")));
}

TEST_F(Hostile, SegmentNeverMixesPlansAndLeavesUsersFoldersAlone) {
  testing::TempDir out;
  const std::string model = at("model.tflite"), dir = (out / "plan").string();
  ASSERT_EQ(timed_tpulab({"segment", model, "-n", "4", "--out", dir}).r.exit_code, 0);
  EXPECT_EQ(listing(dir).size(), 5u);
  ASSERT_EQ(timed_tpulab({"segment", model, "-n", "2", "--out", dir}).r.exit_code, 0);
  const auto files = listing(dir);
  EXPECT_EQ(files.size(), 3u);  // the new 2-of-2 set only
  for (const auto& f : files) EXPECT_THAT(f, ::testing::Not(HasSubstr("of_4")));
  // A folder with a file of the user's is refused and left as it was.
  const std::string mine = (out / "mine").string();
  fs::create_directory(mine);
  std::ofstream(mine + "/notes.txt") << "keep";
  expect_clean_error({"segment", model, "-n", "2", "--out", mine}, mine, 1, out.path());
  EXPECT_EQ(listing(mine), (std::vector<std::string>{"notes.txt"}));
}

TEST_F(Hostile, AKilledSegmentLeavesNoStagingFolderAfterTheNextRun) {
  testing::TempDir out;
  // A staging folder as a killed run (of a process that is gone) leaves it.
  pid_t gone = fork();
  if (gone == 0) _exit(0);
  waitpid(gone, nullptr, 0);
  const fs::path stale = out / (".plan.tpulab-" + std::to_string(gone) + "-abcdef");
  fs::create_directory(stale);
  std::ofstream(stale / "half.tflite") << "x";
  ASSERT_EQ(
      timed_tpulab({"segment", at("model.tflite"), "-n", "2", "--out", (out / "plan").string()})
          .r.exit_code,
      0);
  EXPECT_EQ(listing(out.path()).front().rfind("plan", 0), 0u);
  EXPECT_FALSE(fs::exists(stale));
}

// SIGTERM at moments spread over a large write: afterwards the target is either absent or whole,
// and no temporary is left. The moments are fractions of an uninterrupted run timed first, since a
// fixed delay lands after the write on a fast machine and proves nothing.
TEST_F(Hostile, KillDuringAWriteLeavesTheWholeFileOrNone) {
  testing::TempDir out;
  const fs::path target = out / "big.tflite";
  const std::string bin = testing::tpulab_binary().string();
  const std::vector<std::string> args = {"zoo", "build", "resnet50_v1", "-o", target.string()};
  const Timed full = timed_tpulab(args);
  ASSERT_EQ(full.r.exit_code, 0) << full.r.err;
  int whole = 0, absent = 0;
  constexpr int kKills = 8;
  for (int i = 0; i < kKills; ++i) {
    fs::remove(target);
    const auto delay = std::chrono::duration<double>(full.seconds * (i + 0.5) / kKills);
    const pid_t pid = fork();
    if (pid == 0) {
      const int null = ::open("/dev/null", O_WRONLY);
      dup2(null, 1);
      dup2(null, 2);
      execl(bin.c_str(), bin.c_str(), args[0].c_str(), args[1].c_str(), args[2].c_str(),
            args[3].c_str(), args[4].c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    std::this_thread::sleep_for(delay);
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_EQ(listing(out.path()).size(), fs::exists(target) ? 1u : 0u)
        << "a temporary was left behind after SIGTERM at " << delay.count() << " s";
    if (fs::exists(target)) {
      ++whole;
      EXPECT_NO_THROW((void)read_tflite(target.string()));
    } else {
      ++absent;
    }
  }
  EXPECT_GT(absent, 0) << "no kill landed before the write finished (a run takes " << full.seconds
                       << " s): the test proved nothing";
  (void)whole;
}

// A full disk: a small tmpfs filled to the brim (root only; skipped loudly elsewhere).
class FullDisk : public Hostile {
 protected:
  void SetUp() override {
    mount_ = std::make_unique<testing::TempDir>();
    if (::mount("tpulab-full", mount_->path().c_str(), "tmpfs", 0, "size=256k") != 0)
      GTEST_SKIP() << "!!! cannot mount a small tmpfs (" << std::strerror(errno)
                   << "): full-disk cases SKIPPED !!!";
    mounted_ = true;
    std::ofstream fill((mount_->path() / "filler").string(), std::ios::binary);
    std::vector<char> block(4096, 'x');
    while (fill.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
  }
  void TearDown() override {
    if (mounted_) ::umount(mount_->path().c_str());
  }
  std::unique_ptr<testing::TempDir> mount_;
  bool mounted_ = false;
};

TEST_F(FullDisk, EveryWriterFailsWithExitOneAndLeavesNothing) {
  const fs::path full = mount_->path();
  const std::string model = at("model.tflite");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"run", model, "--input", at("image.bmp"), "--output-raw", (full / "out.bin").string()},
           {"eval", model, "--dataset", "fashion-mnist", "--limit", "10", "--confusion-csv",
            (full / "c.csv").string()},
           {"zoo", "build", "mobilenet_v1", "--input", "96", "-o", (full / "z.tflite").string()},
           {"inspect", model, "--dot", (full / "g.dot").string()},
           {"segment", model, "-n", "2", "--out", (full / "plan").string()},
       }) {
    const Timed t = timed_tpulab(args);
    SCOPED_TRACE(join(args));
    EXPECT_EQ(t.r.exit_code, 1) << t.r.err;
    EXPECT_EQ(error_lines(t.r.err), 1) << t.r.err;
    EXPECT_EQ(listing(full), (std::vector<std::string>{"filler"}));
  }
}

}  // namespace
}  // namespace tpulab
