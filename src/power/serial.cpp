#include "power/serial.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/error.h"

namespace tpulab::power {

namespace {

std::string errno_text(int err) { return std::strerror(err); }

speed_t speed_of(int baud) {
  switch (baud) {
    case 9600:
      return B9600;
    case 19200:
      return B19200;
    case 38400:
      return B38400;
    case 57600:
      return B57600;
    case 115200:
      return B115200;
    case 230400:
      return B230400;
    case 460800:
      return B460800;
    case 500000:
      return B500000;
    case 921600:
      return B921600;
    case 1000000:
      return B1000000;
    case 2000000:
      return B2000000;
    case 4000000:
      return B4000000;
    default:
      return B0;
  }
}

}  // namespace

SerialPort::SerialPort(const std::string& path, int baud) : path_(path) {
  // Non-blocking so that every wait goes through poll() with a deadline: a silent or
  // wrong device must give a timeout error, never a hang.
  fd_ = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) throw IoError("cannot open the serial device: " + errno_text(errno), path);
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd_);
    fd_ = -1;
    throw IoError(err == EWOULDBLOCK ? "the device is in use by another program"
                                     : "cannot lock the device: " + errno_text(err),
                  path);
  }
  termios tio{};
  if (tcgetattr(fd_, &tio) != 0) {
    int err = errno;
    ::close(fd_);
    fd_ = -1;
    throw IoError("not a serial device (" + errno_text(err) + ")", path);
  }
  cfmakeraw(&tio);
  tio.c_cflag |= CLOCAL | CREAD;
  tio.c_cflag &= ~(CSTOPB | CRTSCTS);
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;
  if (baud > 0) {
    speed_t s = speed_of(baud);
    if (s == B0) {
      ::close(fd_);
      fd_ = -1;
      throw UsageError("unsupported baud rate " + std::to_string(baud), path);
    }
    cfsetispeed(&tio, s);
    cfsetospeed(&tio, s);
  }
  if (tcsetattr(fd_, TCSANOW, &tio) != 0) {
    int err = errno;
    ::close(fd_);
    fd_ = -1;
    throw IoError("cannot configure the serial device: " + errno_text(err), path);
  }
  tcflush(fd_, TCIFLUSH);
}

SerialPort::~SerialPort() {
  if (fd_ >= 0) ::close(fd_);
}

size_t SerialPort::read_some(std::span<uint8_t> buffer, int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  int r = ::poll(&p, 1, timeout_ms);
  if (r < 0) {
    if (errno == EINTR) return 0;
    throw IoError("cannot wait for the device: " + errno_text(errno), path_);
  }
  if (r == 0) return 0;
  if (p.revents & POLLNVAL) throw IoError("the device was closed", path_);
  ssize_t n = ::read(fd_, buffer.data(), buffer.size());
  if (n > 0) return static_cast<size_t>(n);
  if (n < 0 && (errno == EAGAIN || errno == EINTR) && !(p.revents & (POLLHUP | POLLERR))) return 0;
  // read() returning 0 after POLLIN, EIO or a hang-up: the other end is gone (USB unplugged,
  // emulator killed).
  throw IoError(n == 0 ? "the device disconnected (end of stream)"
                       : "the device disconnected (" + errno_text(errno) + ")",
                path_);
}

void SerialPort::read_exact(std::span<uint8_t> buffer, int timeout_ms, const std::string& what) {
  size_t got = 0;
  int64_t deadline = steady_now_ms() + timeout_ms;
  while (got < buffer.size()) {
    int64_t left = deadline - steady_now_ms();
    if (left <= 0)
      throw IoError("timed out after " + std::to_string(timeout_ms) + " ms waiting for " + what +
                        " (got " + std::to_string(got) + " of " + std::to_string(buffer.size()) +
                        " bytes)",
                    path_);
    got += read_some(buffer.subspan(got), static_cast<int>(left));
  }
}

void SerialPort::write(std::span<const uint8_t> bytes, int timeout_ms) {
  size_t done = 0;
  int64_t deadline = steady_now_ms() + timeout_ms;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      throw IoError("cannot write to the device: " + errno_text(errno), path_);
    int64_t left = deadline - steady_now_ms();
    if (left <= 0) throw IoError("timed out writing to the device", path_);
    pollfd p{fd_, POLLOUT, 0};
    ::poll(&p, 1, static_cast<int>(left));
    if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
      throw IoError("the device disconnected while writing", path_);
  }
}

void SerialPort::write(char byte, int timeout_ms) {
  uint8_t b = static_cast<uint8_t>(byte);
  write(std::span<const uint8_t>(&b, 1), timeout_ms);
}

void SerialPort::flush_input() { tcflush(fd_, TCIFLUSH); }

bool SerialPort::drain(int quiet_ms, int max_ms) {
  uint8_t buf[4096];
  int64_t deadline = steady_now_ms() + max_ms;
  while (steady_now_ms() < deadline) {
    if (read_some(buf, quiet_ms) == 0) return true;
  }
  return false;
}

int64_t steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace tpulab::power
