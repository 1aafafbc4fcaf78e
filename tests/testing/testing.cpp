#include "testing/testing.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>

namespace tpulab::testing {

namespace fs = std::filesystem;

// The environment variable when set, else the path CMake compiled in.
static fs::path env_path(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return fs::path(v != nullptr && *v != '\0' ? v : fallback);
}

fs::path source_dir() { return env_path("TPULAB_SOURCE_DIR", TPULAB_DEFAULT_SOURCE_DIR); }

fs::path binary_dir() { return env_path("TPULAB_BINARY_DIR", TPULAB_DEFAULT_BINARY_DIR); }

fs::path tpulab_binary() { return binary_dir() / "bin" / "tpulab"; }

CommandResult run_tpulab(std::vector<std::string> args, int timeout_seconds) {
  args.insert(args.begin(), tpulab_binary().string());
  return run_command(args, timeout_seconds);
}

std::string shared_model(const std::string& name) {
  return (shared_dir() / "models" / name).string();
}

fs::path shared_dir() {
  fs::path p = env_path("TPULAB_SHARED_DIR", TPULAB_DEFAULT_SHARED_DIR);
  std::error_code ec;
  if (!fs::is_directory(p / "models", ec)) return {};
  return fs::weakly_canonical(p);
}

TempDir::TempDir() {
  std::random_device rd;
  for (int i = 0; i < 100; ++i) {
    fs::path p = fs::temp_directory_path() / ("tpulab-test-" + std::to_string(rd()));
    std::error_code ec;
    if (fs::create_directory(p, ec)) {
      path_ = p;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary folder");
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

CommandResult run_command(const std::vector<std::string>& argv, int timeout_seconds) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  CommandResult r;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  int open_fds = 2;
  bool timed_out = false;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    if (poll(fds, 2, static_cast<int>(std::min<long long>(left, 1000))) < 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  r.max_rss_kb = usage.ru_maxrss;  // Linux: kilobytes
  if (timed_out) {
    r.exit_code = -2;
    r.err += "\n[run_command: timed out]";
  } else if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
  } else {
    r.exit_code = 128 + WTERMSIG(status);
  }
  return r;
}

std::vector<uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::vector<fs::path> shared_models(bool include_invalid) {
  std::vector<fs::path> out;
  fs::path dir = shared_dir();
  if (dir.empty()) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir / "models")) {
    if (!e.is_regular_file() || e.path().extension() != ".tflite") continue;
    if (!include_invalid && e.path().parent_path().filename() == "invalid") continue;
    out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace tpulab::testing
