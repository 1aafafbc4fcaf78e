// Helpers shared by every test binary.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace tpulab::testing {

// ../shared relative to the repo root (or $TPULAB_SHARED_DIR). Empty when absent.
std::filesystem::path shared_dir();
// The repo root and the build folder the test binary belongs to.
std::filesystem::path source_dir();
std::filesystem::path binary_dir();

// A fresh empty folder under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  long max_rss_kb = 0;  // the command's peak resident memory
};
// Runs argv (no shell) with an optional time limit; captures stdout and stderr.
CommandResult run_command(const std::vector<std::string>& argv, int timeout_seconds = 120);

// How long a test waits for something that should come quickly: generous, since the machine
// may be loaded; it bounds a hang and is not an expectation.
inline constexpr double kHangBoundSeconds = 60;

// The built CLI, and a run of it with `args`.
std::filesystem::path tpulab_binary();
CommandResult run_tpulab(std::vector<std::string> args, int timeout_seconds = 300);

std::vector<uint8_t> read_bytes(const std::filesystem::path& path);
void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes);

// (predicted - real) / real; 0 when both are 0 and 1 when only real is.
inline double relative_error(int64_t predicted, int64_t real) {
  return real == 0 ? (predicted == 0 ? 0.0 : 1.0)
                   : static_cast<double>(predicted - real) / static_cast<double>(real);
}

// shared/models/NAME.
std::string shared_model(const std::string& name);

// Every *.tflite below shared/models (sorted), optionally without the invalid/ folder.
std::vector<std::filesystem::path> shared_models(bool include_invalid = false);

}  // namespace tpulab::testing

// Skips the current test, loudly, when ../shared is not there.
#define TPULAB_REQUIRE_SHARED()                                                         \
  do {                                                                                  \
    if (::tpulab::testing::shared_dir().empty())                                        \
      GTEST_SKIP() << "!!! shared data folder (../shared) not found: test SKIPPED !!!"; \
  } while (0)
