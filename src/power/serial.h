// A serial device (USB CDC ACM, a UART, or a pseudo-terminal) in raw 8N1 mode.
//
// Why termios and not libserialport: Debian's libserialport 0.1.1 looks every port up in sysfs
// before opening it, so it refuses pseudo-terminals ("No such file or directory" for
// /dev/pts/N); the emulator tests need ptys, and the PowerSensor host library talks to the real
// boards through plain termios as well, so termios serves both with one code path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace tpulab::power {

class SerialPort {
 public:
  // Opens `path` exclusively (flock) in raw mode. `baud` 0 leaves the speed alone (USB CDC
  // ignores it). Throws IoError when it cannot be opened or is in use by another program.
  explicit SerialPort(const std::string& path, int baud = 0);
  ~SerialPort();
  SerialPort(const SerialPort&) = delete;
  SerialPort& operator=(const SerialPort&) = delete;

  const std::string& path() const { return path_; }

  // Reads what is available, waiting up to `timeout_ms` for the first byte. Returns 0 on
  // timeout; throws IoError when the device is gone (hang-up, EIO).
  size_t read_some(std::span<uint8_t> buffer, int timeout_ms);
  // Reads exactly buffer.size() bytes or throws IoError naming `what` on timeout.
  void read_exact(std::span<uint8_t> buffer, int timeout_ms, const std::string& what);
  // Writes all bytes (waiting up to `timeout_ms` for room); throws IoError on failure.
  void write(std::span<const uint8_t> bytes, int timeout_ms = 1000);
  void write(char byte, int timeout_ms = 1000);
  // Discards received bytes not read yet.
  void flush_input();
  // Reads and discards until the line is quiet for `quiet_ms`; returns false when data kept
  // coming for `max_ms`.
  bool drain(int quiet_ms, int max_ms);

 private:
  std::string path_;
  int fd_ = -1;
};

// The monotonic clock in milliseconds, for the deadlines of serial waits.
int64_t steady_now_ms();

}  // namespace tpulab::power
