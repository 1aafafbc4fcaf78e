#include "common/file_io.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "common/error.h"
#include "testing/testing.h"

namespace tpulab {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

template <typename F>
std::string io_error(F&& f) {
  try {
    f();
  } catch (const IoError& e) {
    return e.what();
  }
  return "no IoError";
}

TEST(ReadFile, ReadsARegularFileWhole) {
  testing::TempDir dir;
  testing::write_bytes(dir / "f", {1, 2, 3});
  EXPECT_EQ(read_file((dir / "f").string(), 3), (std::vector<uint8_t>{1, 2, 3}));
  testing::write_bytes(dir / "e", {});
  EXPECT_TRUE(read_file((dir / "e").string(), 3).empty());
  EXPECT_EQ(read_text_file((dir / "f").string(), 10), std::string("\x01\x02\x03"));
}

TEST(ReadFile, RefusesWhatIsNotARegularFileAtOnce) {
  testing::TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0644), 0);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THAT(io_error([&] { read_file((dir / "fifo").string(), 100, "plan"); }),
              HasSubstr("the plan is not a regular file"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  EXPECT_THAT(io_error([&] { read_file("/dev/zero", 100, "image"); }),
              HasSubstr("the image is not a regular file"));
  EXPECT_THAT(io_error([&] { read_file(dir.path().string(), 100, "model"); }),
              HasSubstr("the model is a folder"));
  EXPECT_THAT(io_error([&] { read_file((dir / "missing").string(), 100, "model"); }),
              HasSubstr("missing"));
}

TEST(ReadFile, RefusesAFileLargerThanItsKindAllowsBeforeReading) {
  testing::TempDir dir;
  const std::string path = (dir / "sparse").string();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, int64_t{50} << 30), 0);  // 50 GB, no blocks
  ::close(fd);
  const std::string e = io_error([&] { read_file(path, file_limits::kConfig, "profile"); });
  EXPECT_THAT(e, HasSubstr("the profile is too large"));
  EXPECT_THAT(e, HasSubstr(path));
  testing::write_bytes(dir / "four", {1, 2, 3, 4});
  EXPECT_THAT(io_error([&] { read_file((dir / "four").string(), 3); }), HasSubstr("too large"));
}

TEST(AtomicFile, ReplacesTheTargetOnlyOnCommit) {
  testing::TempDir dir;
  const std::string path = (dir / "out.bin").string();
  testing::write_bytes(path, {9});
  {
    AtomicFile f(path);
    f.write(std::string_view("new"));
    f.flush();
    EXPECT_EQ(listing(dir.path()).size(), 2u);  // the target and a hidden temporary
    EXPECT_EQ(testing::read_bytes(path), (std::vector<uint8_t>{9}));
  }  // not committed: the old file stays, the temporary goes
  EXPECT_EQ(listing(dir.path()), (std::vector<std::string>{"out.bin"}));
  EXPECT_EQ(testing::read_bytes(path), (std::vector<uint8_t>{9}));
  write_text_atomic(path, "whole");
  EXPECT_EQ(listing(dir.path()), (std::vector<std::string>{"out.bin"}));
  EXPECT_EQ(read_text_file(path, 100), "whole");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  const mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(st.st_mode & 0777, 0666 & ~mask);
}

TEST(AtomicFile, NeverTouchesAUsersTmpFileAndNamesTheUsersPath) {
  testing::TempDir dir;
  const std::string path = (dir / "a.csv").string();
  std::ofstream(path + ".tmp") << "mine";
  write_text_atomic(path, "x");
  EXPECT_EQ(read_text_file(path + ".tmp", 100), "mine");
  const std::string nowhere = (dir / "no" / "dir" / "a.csv").string();
  const std::string e = io_error([&] { write_text_atomic(nowhere, "x"); });
  EXPECT_THAT(e, HasSubstr(nowhere));
  EXPECT_THAT(e, ::testing::Not(HasSubstr(".tpulab-")));
  EXPECT_THAT(io_error([&] { write_text_atomic(dir.path().string(), "x"); }),
              HasSubstr("is a folder"));
}

TEST(AtomicFile, SigtermRemovesTheTemporary) {
  testing::TempDir dir;
  const std::string path = (dir / "big.bin").string();
  const pid_t pid = fork();
  if (pid == 0) {
    AtomicFile f(path);
    f.write(std::string(1 << 16, 'x'));
    f.flush();
    ::raise(SIGTERM);
    _exit(0);  // not reached
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);  // still dies of the signal, as it would have
  EXPECT_TRUE(listing(dir.path()).empty());
}

TEST(Folders, ReplaceFolderSwapsWholeSetsAndStaleStagingIsCleaned) {
  testing::TempDir dir;
  const std::string target = (dir / "plan").string();
  std::string staged = make_staging_folder(target);
  std::ofstream(staged + "/a") << "1";
  replace_folder(staged, target);
  EXPECT_EQ(listing(target), (std::vector<std::string>{"a"}));
  staged = make_staging_folder(target);
  std::ofstream(staged + "/b") << "2";
  replace_folder(staged, target);
  EXPECT_EQ(listing(target), (std::vector<std::string>{"b"}));
  EXPECT_EQ(listing(dir.path()), (std::vector<std::string>{"plan"}));

  // A staging folder of a process that is gone is removed by the next make_staging_folder().
  const pid_t gone = fork();
  if (gone == 0) _exit(0);
  waitpid(gone, nullptr, 0);
  const fs::path stale = dir / (".plan.tpulab-" + std::to_string(gone) + "-XYZ");
  fs::create_directory(stale);
  const fs::path live = dir / (".plan.tpulab-" + std::to_string(::getpid()) + "-XYZ");
  fs::create_directory(live);  // ours, alive: kept
  staged = make_staging_folder(target);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(live));
  fs::remove_all(staged);
  fs::remove_all(live);
}

TEST(ValidUtf8, KeepsValidTextAndReplacesEveryInvalidSequence) {
  EXPECT_EQ(valid_utf8("plain"), "plain");
  EXPECT_EQ(valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(valid_utf8("a\xFF"
                       "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(valid_utf8("\xC3"), "\xEF\xBF\xBD");                                  // cut short
  EXPECT_EQ(valid_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(valid_utf8("\xF4\x90\x80\x80").substr(0, 3), "\xEF\xBF\xBD");         // > U+10FFFF
}

}  // namespace
}  // namespace tpulab
