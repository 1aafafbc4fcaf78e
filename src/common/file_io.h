// Every file tpulab reads or writes goes through here, so that each reader refuses what is not a
// regular file and what is larger than its kind allows before reading a byte, and each writer
// leaves either the whole new file or the old one (never a partial file, never a stray temporary).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tpulab {

// The largest file each kind of input may be: a FIFO, /dev/zero or a huge sparse file given by
// mistake is refused at once instead of growing memory without bound.
namespace file_limits {
inline constexpr uint64_t kMiB = 1024 * 1024;
inline constexpr uint64_t kModel = 2048 * kMiB;  // FlatBuffers address at most 2 GiB
inline constexpr uint64_t kConfig = 16 * kMiB;   // plans, platforms, profiles, sweeps, task sets
inline constexpr uint64_t kImage = 256 * kMiB;
inline constexpr uint64_t kLabels = 64 * kMiB;
inline constexpr uint64_t kRawTensor = 2048 * kMiB;
inline constexpr uint64_t kTrace = 4096 * kMiB;  // hours of PowerSensor samples
inline constexpr uint64_t kTable = 256 * kMiB;   // timelines, waveforms, calibration CSV
}  // namespace file_limits

// Reads the whole of `path`. Refuses (IoError naming the path) anything but a regular file
// without blocking on it, and a file larger than `max_bytes`; `what` names the kind of input in
// that message ("model", "plan", ...). Models are read rather than memory-mapped: a mapping of a
// file that another process truncates kills the reader with SIGBUS on its next access.
std::vector<uint8_t> read_file(const std::string& path, uint64_t max_bytes,
                               std::string_view what = "input");
std::string read_text_file(const std::string& path, uint64_t max_bytes,
                           std::string_view what = "input");

// The same, for a caller that reads as it goes (a stream decoder): the size is checked first.
// Returns an open file descriptor, blocking mode, owned by the caller.
int open_regular_file(const std::string& path, uint64_t max_bytes, std::string_view what);

// Writes one file atomically: data goes to a unique temporary beside `path` (so the rename
// stays on one file system), is synced, and replaces `path` only on commit(). A destroyed
// uncommitted file, an error and SIGINT/SIGTERM all remove the temporary. Errors name `path`,
// never the temporary.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::span<const uint8_t> bytes);
  void write(std::string_view text);
  // Pushes buffered data to the temporary (for long-running writers such as traces, so that a
  // kill -9 loses little; the data stays under the temporary's name until commit()).
  void flush();
  // fsync, checked close, rename over `path`.
  void commit();
  const std::string& path() const { return path_; }
  const std::string& temporary_path() const { return tmp_; }

 private:
  void fail(const std::string& what);
  std::string path_;
  std::string tmp_;
  int fd_ = -1;
  int slot_ = -1;  // in the signal handler's list of temporaries to remove
  std::string buffer_;
};

void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes);
void write_text_atomic(const std::string& path, std::string_view text);

// Replaces the folder `path` with `staged` (a complete folder made beside it) so that readers
// see either the whole old set or the whole new one: the old folder is moved aside first and
// removed after. Stale staging folders left by a killed run ("<name>.tpulab-*") are removed.
void replace_folder(const std::string& staged, const std::string& path);
// A fresh, unique, empty folder beside `path` for replace_folder(). Removes stale ones first.
std::string make_staging_folder(const std::string& path);

// Text from a file (tensor names, labels) made safe for JSON and terminals: invalid UTF-8
// sequences become U+FFFD.
std::string valid_utf8(std::string_view text);

}  // namespace tpulab
