#include "common/file_io.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <utility>

#include "common/error.h"

namespace tpulab {

namespace fs = std::filesystem;

namespace {

std::string errno_text(int err) { return std::strerror(err); }

// Closes on scope exit unless released.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

std::string size_text(uint64_t bytes) {
  if (bytes >= file_limits::kMiB) return fmt::format("{} MiB", bytes / file_limits::kMiB);
  return fmt::format("{} bytes", bytes);
}

}  // namespace

int open_regular_file(const std::string& path, uint64_t max_bytes, std::string_view what) {
  // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
  Fd f{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
  if (f.fd < 0) {
    const int err = errno;
    if (err == ENXIO) throw IoError(fmt::format("the {} is not a regular file", what), path);
    throw IoError(fmt::format("cannot open the {}: {}", what, errno_text(err)), path);
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0)
    throw IoError(fmt::format("cannot read the {}: {}", what, errno_text(errno)), path);
  if (S_ISDIR(st.st_mode)) throw IoError(fmt::format("the {} is a folder, not a file", what), path);
  if (!S_ISREG(st.st_mode)) throw IoError(fmt::format("the {} is not a regular file", what), path);
  if (static_cast<uint64_t>(st.st_size) > max_bytes)
    throw IoError(fmt::format("the {} is too large: {} bytes, more than the {} a {} may have", what,
                              st.st_size, size_text(max_bytes), what),
                  path);
  const int flags = ::fcntl(f.fd, F_GETFL);
  if (flags < 0 || ::fcntl(f.fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
    throw IoError(fmt::format("cannot read the {}: {}", what, errno_text(errno)), path);
  return f.release();
}

std::vector<uint8_t> read_file(const std::string& path, uint64_t max_bytes, std::string_view what) {
  Fd f{open_regular_file(path, max_bytes, what)};
  struct stat st {};
  if (::fstat(f.fd, &st) != 0)
    throw IoError(fmt::format("cannot read the {}: {}", what, errno_text(errno)), path);
  std::vector<uint8_t> out(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(f.fd, out.data() + done, out.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError(fmt::format("cannot read the {}: {}", what, errno_text(errno)), path);
    }
    if (n == 0) break;  // shrank while we read: keep what is there, the parser judges it
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

std::string read_text_file(const std::string& path, uint64_t max_bytes, std::string_view what) {
  std::vector<uint8_t> bytes = read_file(path, max_bytes, what);
  return std::string(bytes.begin(), bytes.end());
}

// ---- temporaries removed on SIGINT / SIGTERM ----------------------------------------------------

namespace {

// A fixed table the signal handler can walk without allocating or locking.
constexpr int kSlots = 64;
struct Slot {
  std::atomic<bool> used{false};
  std::atomic<bool> ready{false};
  char path[PATH_MAX];
};
std::array<Slot, kSlots> g_slots;
std::once_flag g_handlers_once;
struct sigaction g_old_int {};
struct sigaction g_old_term {};

void remove_temporaries_and_reraise(int sig) {
  // Hand the signal to whoever handled it before us (power record stops cleanly on SIGINT and
  // commits its trace): the process goes on, and its writers commit or remove their own
  // temporaries, so they must not vanish under them here.
  const struct sigaction& old = sig == SIGINT ? g_old_int : g_old_term;
  if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN && !(old.sa_flags & SA_SIGINFO)) {
    old.sa_handler(sig);
    return;
  }
  if (old.sa_handler == SIG_IGN) return;
  // Else die of it as the default action would, leaving no temporary behind.
  for (auto& s : g_slots)
    if (s.ready.load(std::memory_order_acquire)) ::unlink(s.path);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void install_handlers() {
  struct sigaction sa {};
  sa.sa_handler = remove_temporaries_and_reraise;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  ::sigaction(SIGINT, &sa, &g_old_int);
  ::sigaction(SIGTERM, &sa, &g_old_term);
}

int register_temporary(const std::string& path) {
  std::call_once(g_handlers_once, install_handlers);
  if (path.size() >= PATH_MAX) return -1;
  for (int i = 0; i < kSlots; ++i) {
    bool expected = false;
    if (g_slots[i].used.compare_exchange_strong(expected, true)) {
      std::memcpy(g_slots[i].path, path.c_str(), path.size() + 1);
      g_slots[i].ready.store(true, std::memory_order_release);
      return i;
    }
  }
  return -1;  // more than kSlots open writers: that one is only removed by its destructor
}

void unregister_temporary(int slot) {
  if (slot < 0) return;
  g_slots[slot].ready.store(false, std::memory_order_release);
  g_slots[slot].used.store(false, std::memory_order_release);
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  if (path_.empty()) throw IoError("no output file named", "");
  const fs::path target(path_);
  std::error_code ec;
  if (fs::is_directory(target, ec)) throw IoError("the output path is a folder", path_);
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  // Hidden, unique, and never a name the user could have chosen for a file of their own.
  std::string tmpl =
      (dir / fmt::format(".{}.tpulab-{}-XXXXXX", target.filename().string(), ::getpid())).string();
  fd_ = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd_ < 0) {
    const int err = errno;
    throw IoError(fmt::format("cannot create the file: {}", errno_text(err)), path_);
  }
  tmp_ = tmpl;
  slot_ = register_temporary(tmp_);
  // mkostemp makes 0600; give the file the permissions an ordinary create would.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd_, 0666 & ~mask) != 0) fail("cannot create the file");
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
  unregister_temporary(slot_);
}

void AtomicFile::fail(const std::string& what) {
  const int err = errno;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
  tmp_.clear();
  unregister_temporary(slot_);
  slot_ = -1;
  throw IoError(fmt::format("{}: {}", what, errno_text(err)), path_);
}

void AtomicFile::write(std::span<const uint8_t> bytes) {
  write(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

void AtomicFile::write(std::string_view text) {
  if (fd_ < 0) throw IoError("the file was already closed", path_);
  buffer_.append(text);
  if (buffer_.size() >= (1u << 20)) flush();
}

void AtomicFile::flush() {
  if (fd_ < 0) throw IoError("the file was already closed", path_);
  size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write the file");
    }
    done += static_cast<size_t>(n);
  }
  buffer_.clear();
}

void AtomicFile::commit() {
  flush();
  if (::fsync(fd_) != 0 && errno != EINVAL) fail("cannot write the file");
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) fail("cannot write the file");
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) fail("cannot put the file in place");
  tmp_.clear();
  unregister_temporary(slot_);
  slot_ = -1;
}

void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes) {
  AtomicFile f(path);
  f.write(bytes);
  f.commit();
}

void write_text_atomic(const std::string& path, std::string_view text) {
  AtomicFile f(path);
  f.write(text);
  f.commit();
}

// ---- folders ------------------------------------------------------------------------------------

namespace {

constexpr std::string_view kStagingTag = ".tpulab-";

// "<.name.tpulab-PID-...>" of a process that is gone.
bool is_stale_staging(const std::string& entry, const std::string& prefix) {
  if (entry.rfind(prefix, 0) != 0) return false;
  const std::string rest = entry.substr(prefix.size());
  const auto dash = rest.find('-');
  if (dash == std::string::npos || dash == 0) return false;
  long pid = 0;
  for (size_t i = 0; i < dash; ++i) {
    if (rest[i] < '0' || rest[i] > '9' || pid > 1'000'000'000) return false;
    pid = pid * 10 + (rest[i] - '0');
  }
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

}  // namespace

std::string make_staging_folder(const std::string& path) {
  const fs::path target = fs::absolute(fs::path(path)).lexically_normal();
  const fs::path parent = target.parent_path();
  const std::string prefix = "." + target.filename().string() + std::string(kStagingTag);
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw IoError(fmt::format("cannot create the folder: {}", ec.message()), parent.string());
  for (const auto& e : fs::directory_iterator(parent, ec)) {
    const std::string name = e.path().filename().string();
    if (is_stale_staging(name, prefix)) fs::remove_all(e.path(), ec);
  }
  std::string tmpl = (parent / (prefix + std::to_string(::getpid()) + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw IoError(fmt::format("cannot create the folder: {}", errno_text(errno)), path);
  return tmpl;
}

void replace_folder(const std::string& staged, const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    if (::rename(staged.c_str(), path.c_str()) != 0)
      throw IoError(fmt::format("cannot create the folder: {}", errno_text(errno)), path);
    return;
  }
  // Move the old set aside under a staging name (cleaned as stale if we die now), bring the new
  // one in, then remove the old.
  const fs::path target = fs::absolute(fs::path(path)).lexically_normal();
  const std::string aside =
      (target.parent_path() /
       fmt::format(".{}{}{}-old", target.filename().string(), kStagingTag, ::getpid()))
          .string();
  fs::remove_all(aside, ec);
  if (::rename(path.c_str(), aside.c_str()) != 0)
    throw IoError(fmt::format("cannot replace the folder: {}", errno_text(errno)), path);
  if (::rename(staged.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::rename(aside.c_str(), path.c_str());
    throw IoError(fmt::format("cannot replace the folder: {}", errno_text(err)), path);
  }
  fs::remove_all(aside, ec);
}

std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07;
    }
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (d & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are invalid too.
    if (ok) {
      static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= kMin[len] && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

}  // namespace tpulab
