#include "power/emulator/emulator.h"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "power/sensors.h"
#include "power/source.h"

namespace tpulab::power::emu {

namespace {

constexpr size_t kMaxPendingOutput = 16384;  // frames wait here while the host is not reading
constexpr int kHandshakeTimeoutMs = 2000;
constexpr double kMaxRateHz = 100000;
constexpr double kMaxNoiseLevels = 1023;  // the whole ADC range
constexpr uint64_t kMaxMarkerDelayFrames = 100'000'000;

}  // namespace

ps3::Config default_ps3_config(int pairs) {
  ps3::Config c;
  for (int p = 0; p < ps3::kPairs; ++p) {
    auto& cur = c[static_cast<size_t>(2 * p)];
    auto& vol = c[static_cast<size_t>(2 * p + 1)];
    const std::string name = "pair" + std::to_string(p);
    cur = {"MLX91221-20", name, 1.65f, 0.0625f, p < pairs};
    vol = {"voltage", name, 0.0f, 0.09f, p < pairs};
  }
  return c;
}

ps2::Config default_ps2_config(int sensors, double volts) {
  ps2::Config c;
  for (int s = 0; s < ps2::kSensors; ++s)
    c[static_cast<size_t>(s)] = {s < sensors ? static_cast<float>(volts) : 0.0f, 0.100f, 0.0f};
  return c;
}

Emulator::Emulator(EmulatorOptions options)
    : options_(std::move(options)),
      rng_(options_.seed),
      created_(std::chrono::steady_clock::now()) {
  const std::string where = "emulator options";
  check_option(options_.rate_hz, 0, kMaxRateHz, true, "rate_hz", where);
  if (!options_.ps2 && options_.rate_hz < 1100)
    throw UsageError(
        "a PowerSensor3 needs >= 1100 frames/s: its 10-bit microsecond timestamps must not wrap "
        "between frames (rate_hz)",
        where);
  const int max_pairs = options_.ps2 ? ps2::kSensors : ps3::kPairs;
  if (options_.pairs < 1 || options_.pairs > max_pairs)
    throw UsageError("pairs must be 1.." + std::to_string(max_pairs), where);
  check_option(options_.corrupt_probability, 0, 1, false, "corrupt_probability", where);
  check_option(options_.noise_levels, 0, kMaxNoiseLevels, false, "noise_levels", where);
  check_option(options_.zero_offset_v, -kPs3ReferenceV, kPs3ReferenceV, false, "zero_offset_v",
               where);
  if (options_.marker_delay_frames > kMaxMarkerDelayFrames)
    throw UsageError("marker_delay_frames must be <= " + std::to_string(kMaxMarkerDelayFrames),
                     where);
  check_waveform(options_.waveform);
  if (options_.version.empty() || options_.version.find('\n') != std::string::npos)
    throw UsageError("version is one non-empty line", where);
  hardware_ = default_ps3_config(options_.pairs);
  ps3_config_ = hardware_;
  ps2_config_ = default_ps2_config(options_.pairs, options_.waveform.volts);
  // A device clock that does not start at 0, so unwrapping is exercised from the first frame.
  clock_offset_us_ = static_cast<int64_t>(rng_() % 100000);
  open_pty();
}

Emulator::~Emulator() {
  stop();
  if (master_ >= 0) ::close(master_);
  if (slave_keepalive_ >= 0) ::close(slave_keepalive_);
  if (!options_.link.empty()) ::unlink(options_.link.c_str());
}

void Emulator::open_pty() {
  master_ = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master_ < 0) throw IoError(std::string("posix_openpt: ") + std::strerror(errno), "psemu");
  char name[128];
  if (grantpt(master_) != 0 || unlockpt(master_) != 0 || ptsname_r(master_, name, sizeof name) != 0)
    throw IoError(std::string("cannot set up the pseudo-terminal: ") + std::strerror(errno),
                  "psemu");
  slave_path_ = name;
  // Holding the slave open keeps the master readable before the host opens the device (no
  // EIO), and lets us put the line in raw mode: a terminal's echo and newline translation
  // would corrupt the binary protocol.
  slave_keepalive_ = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave_keepalive_ < 0)
    throw IoError(std::string("cannot open the pty: ") + std::strerror(errno), slave_path_);
  termios tio{};
  tcgetattr(slave_keepalive_, &tio);
  cfmakeraw(&tio);
  tcsetattr(slave_keepalive_, TCSANOW, &tio);
  ::fcntl(master_, F_SETFL, ::fcntl(master_, F_GETFL) | O_NONBLOCK);
  if (!options_.link.empty()) {
    ::unlink(options_.link.c_str());
    if (::symlink(slave_path_.c_str(), options_.link.c_str()) != 0)
      throw IoError(std::string("cannot create the symlink: ") + std::strerror(errno),
                    options_.link);
  }
}

void Emulator::start() {
  if (thread_.joinable()) return;
  thread_ = std::jthread([this](std::stop_token st) { run(st); });
}

void Emulator::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

void Emulator::disconnect() { disconnect_requested_ = true; }

Truth Emulator::truth() const {
  std::lock_guard lock(mu_);
  return truth_;
}

ps3::Config Emulator::ps3_config() const {
  std::lock_guard lock(mu_);
  return ps3_config_;
}

ps2::Config Emulator::ps2_config() const {
  std::lock_guard lock(mu_);
  return ps2_config_;
}

int64_t Emulator::device_micros() const {
  return clock_offset_us_ + std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now() - created_)
                                .count();
}

double Emulator::noisy(double level) {
  return options_.noise_levels > 0 ? level + options_.noise_levels * noise_(rng_) : level;
}

void Emulator::run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    if (disconnect_requested_.load()) {
      // The kernel hangs up the slave side once no master is left: the host sees EIO.
      ::close(master_);
      master_ = -1;
      ::close(slave_keepalive_);
      slave_keepalive_ = -1;
      return;
    }
    generate_due_frames();
    flush_output();
    pollfd p{master_, static_cast<short>(POLLIN | (out_.empty() ? 0 : POLLOUT)), 0};
    ::poll(&p, 1, streaming_ ? 1 : 20);
    if (p.revents & POLLIN) {
      uint8_t buf[256];
      ssize_t n = ::read(master_, buf, sizeof buf);
      for (ssize_t i = 0; i < n; ++i) in_.push_back(buf[i]);
    }
    process_input();
  }
}

void Emulator::start_stream() {
  streaming_ = true;
  sent_ = 0;
  marker_pending_ = false;
  ideal_energy_j_ = 0;
  last_frame_us_ = 0;
  stream_start_ = std::chrono::steady_clock::now();
  stream_base_us_ = device_micros();
  std::lock_guard lock(mu_);
  const uint64_t streams = truth_.streams + 1;
  truth_ = Truth{};
  truth_.streams = streams;
}

void Emulator::generate_due_frames() {
  if (!streaming_) return;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - stream_start_).count();
  const auto due = static_cast<uint64_t>(elapsed * options_.rate_hz) + 1;
  // Frames keep their ideal times even when the host lags: the device clock is virtual, so a
  // loaded machine changes when frames arrive, never what they say.
  while (sent_ < due && out_.size() < kMaxPendingOutput) {
    if (options_.ps2)
      generate_ps2_frame();
    else
      generate_ps3_frame(false);
  }
}

void Emulator::generate_ps3_frame(bool one_shot) {
  const int64_t t_us = std::llround(static_cast<double>(sent_) * 1e6 / options_.rate_hz);
  const double t = static_cast<double>(t_us) * 1e-6;
  const Waveform& w = options_.waveform;
  const double amps = w.current_at(t);
  const double volts = w.voltage_at(t);
  ps3::Frame f;
  f.timestamp = static_cast<uint16_t>((stream_base_us_ + t_us) & 0x3FF);
  double power = 0;
  for (int p = 0; p < ps3::kPairs; ++p) {
    const auto& cur = hardware_[static_cast<size_t>(2 * p)];
    const auto& vol = hardware_[static_cast<size_t>(2 * p + 1)];
    double li = 0, lv = 0;
    if (p < options_.pairs) {
      li = (amps * cur.sensitivity + cur.vref + options_.zero_offset_v) * kPs3MaxLevel /
           kPs3ReferenceV;
      lv = (volts * vol.sensitivity + vol.vref) * kPs3MaxLevel / kPs3ReferenceV;
      power += amps * volts;
    }
    f.levels[static_cast<size_t>(2 * p)] =
        static_cast<uint16_t>(std::clamp(std::lround(noisy(li)), 0L, 1023L));
    f.levels[static_cast<size_t>(2 * p + 1)] =
        static_cast<uint16_t>(std::clamp(std::lround(noisy(lv)), 0L, 1023L));
  }
  f.marker = marker_pending_ && (one_shot || sent_ >= marker_due_);
  std::array<uint8_t, ps3::kFrameBytes> bytes;
  ps3::encode_frame(f, bytes);
  ++conversions_;
  if (one_shot) {
    out_.insert(out_.end(), bytes.begin(), bytes.end());
    return;
  }
  std::vector<uint8_t> frame(bytes.begin(), bytes.end());
  uint64_t injected = 0;
  if (sent_ >= options_.corrupt_after && options_.corrupt_probability > 0 &&
      std::uniform_real_distribution<double>(0, 1)(rng_) < options_.corrupt_probability) {
    const size_t at = std::uniform_int_distribution<size_t>(0, frame.size())(rng_);
    const int count = std::uniform_int_distribution<int>(1, 3)(rng_);
    for (int i = 0; i < count; ++i)
      frame.insert(frame.begin() + static_cast<long>(at),
                   static_cast<uint8_t>(std::uniform_int_distribution<int>(0, 255)(rng_)));
    injected = static_cast<uint64_t>(count);
  }
  out_.insert(out_.end(), frame.begin(), frame.end());
  if (sent_ > 0) ideal_energy_j_ += power * static_cast<double>(t_us - last_frame_us_) * 1e-6;
  last_frame_us_ = t_us;
  if (options_.keep_truth || injected || f.marker) {
    std::lock_guard lock(mu_);
    if (options_.keep_truth) {
      truth_.time_us.push_back(t_us);
      truth_.energy_j.push_back(ideal_energy_j_);
    }
    if (f.marker) truth_.marker_frames.push_back(sent_);
    truth_.injected_bytes += injected;
  }
  {
    std::lock_guard lock(mu_);
    truth_.frames = sent_ + 1;
  }
  if (f.marker) marker_pending_ = false;
  ++sent_;
}

void Emulator::generate_ps2_frame() {
  const int64_t t_us = std::llround(static_cast<double>(sent_) * 1e6 / options_.rate_hz);
  const double t = static_cast<double>(t_us) * 1e-6;
  const double amps = options_.waveform.current_at(t);
  const double volts = options_.waveform.voltage_at(t);
  const double sensitivity = default_ps2_config(1, volts)[0].type;
  double power = 0;
  std::vector<uint8_t> frame;
  for (int s = 0; s < options_.pairs; ++s) {
    const double level = 512 + (amps * sensitivity + options_.zero_offset_v) / kPs2VoltsPerLevel;
    const auto l = static_cast<uint16_t>(std::clamp(std::lround(noisy(level)), 0L, 1023L));
    auto packet = ps2::encode_packet(s, l);
    frame.insert(frame.end(), packet.begin(), packet.end());
    power += amps * volts;
  }
  uint64_t injected = 0;
  if (sent_ >= options_.corrupt_after && options_.corrupt_probability > 0 &&
      std::uniform_real_distribution<double>(0, 1)(rng_) < options_.corrupt_probability) {
    const size_t at = std::uniform_int_distribution<size_t>(0, frame.size())(rng_);
    frame.insert(frame.begin() + static_cast<long>(at),
                 static_cast<uint8_t>(std::uniform_int_distribution<int>(0, 255)(rng_)));
    injected = 1;
  }
  out_.insert(out_.end(), frame.begin(), frame.end());
  if (sent_ > 0) ideal_energy_j_ += power * static_cast<double>(t_us - last_frame_us_) * 1e-6;
  last_frame_us_ = t_us;
  std::lock_guard lock(mu_);
  if (options_.keep_truth) {
    truth_.time_us.push_back(t_us);
    truth_.energy_j.push_back(ideal_energy_j_);
  }
  truth_.injected_bytes += injected;
  truth_.frames = ++sent_;
}

void Emulator::flush_output() {
  while (!out_.empty() && master_ >= 0) {
    ssize_t n = ::write(master_, out_.data(), out_.size());
    if (n <= 0) return;  // full (EAGAIN): the host is not reading fast enough; try later
    out_.erase(out_.begin(), out_.begin() + n);
  }
}

void Emulator::write_now(const uint8_t* data, size_t size) {
  out_.insert(out_.end(), data, data + size);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(2000);
  while (!out_.empty() && std::chrono::steady_clock::now() < deadline) {
    flush_output();
    if (out_.empty()) break;
    pollfd p{master_, POLLOUT, 0};
    ::poll(&p, 1, 10);
  }
}

bool Emulator::next_byte(uint8_t& byte, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (in_.empty()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) return false;
    pollfd p{master_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) > 0 && (p.revents & POLLIN)) {
      uint8_t buf[256];
      ssize_t n = ::read(master_, buf, sizeof buf);
      for (ssize_t i = 0; i < n; ++i) in_.push_back(buf[i]);
    }
  }
  byte = in_.front();
  in_.pop_front();
  return true;
}

void Emulator::process_input() {
  uint8_t c;
  while (next_byte(c, 0)) {
    if (options_.ps2) {
      switch (c) {
        case ps2::cmd::kStart:
          start_stream();
          break;
        case ps2::cmd::kStop:
          streaming_ = false;
          break;
        case ps2::cmd::kStopWithSequence: {
          streaming_ = false;
          const uint8_t seq[] = {ps2::kStopByte0, ps2::kStopByte1};
          write_now(seq, sizeof seq);
          break;
        }
        case ps2::cmd::kReadConfig: {
          const auto bytes = ps2::encode_config(ps2_config());
          write_now(bytes.data(), bytes.size());
          break;
        }
        case ps2::cmd::kWriteConfig: {
          std::array<uint8_t, ps2::kConfigBytes> bytes;
          size_t got = 0;
          while (got < bytes.size() && next_byte(bytes[got], kHandshakeTimeoutMs)) ++got;
          if (got == bytes.size()) {
            try {
              auto config = ps2::decode_config(bytes);
              std::lock_guard lock(mu_);
              ps2_config_ = config;
            } catch (const Error&) {
              // A firmware stores what it gets; the emulator keeps its config sane instead.
            }
          }
          break;
        }
        default:
          break;  // the firmware ignores unknown bytes
      }
      continue;
    }
    switch (c) {
      case ps3::cmd::kStart:
        start_stream();
        break;
      case ps3::cmd::kStop:
        streaming_ = false;
        break;
      case ps3::cmd::kStopWithSequence: {
        streaming_ = false;
        const uint8_t seq[] = {ps3::kStopByte0, ps3::kStopByte1, ps3::kStopByte0, ps3::kStopByte1};
        write_now(seq, sizeof seq);
        break;
      }
      case ps3::cmd::kMarker:
        // Markers asked for before the marked frame merge into it, as on the board.
        if (!marker_pending_) marker_due_ = sent_ + options_.marker_delay_frames;
        marker_pending_ = true;
        break;
      case ps3::cmd::kOneFrame: {
        const uint64_t saved = sent_;
        generate_ps3_frame(true);
        sent_ = saved;
        break;
      }
      case ps3::cmd::kVersion: {
        const std::string v = options_.version + "\n";
        write_now(reinterpret_cast<const uint8_t*>(v.data()), v.size());
        break;
      }
      case ps3::cmd::kConversionCount: {
        const auto n = static_cast<uint32_t>(conversions_ * ps3::kSensors);
        const uint8_t b[] = {static_cast<uint8_t>(n), static_cast<uint8_t>(n >> 8),
                             static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 24)};
        write_now(b, sizeof b);
        break;
      }
      case ps3::cmd::kReadConfig: {
        const ps3::Config config = ps3_config();
        bool ok = true;
        for (const auto& s : config) {
          const auto rec = ps3::encode_config(s);
          write_now(rec.data(), rec.size());
          uint8_t ack;
          if (!next_byte(ack, kHandshakeTimeoutMs)) {
            ok = false;  // the host went away mid-handshake
            break;
          }
        }
        if (ok) {
          const uint8_t d = 'D';
          write_now(&d, 1);
        }
        break;
      }
      case ps3::cmd::kWriteConfig: {
        ps3::Config config = ps3_config();
        bool ok = true;
        for (auto& s : config) {
          std::array<uint8_t, ps3::kConfigBytes> rec;
          size_t got = 0;
          while (got < rec.size() && next_byte(rec[got], kHandshakeTimeoutMs)) ++got;
          if (got < rec.size()) {
            ok = false;
            break;
          }
          try {
            s = ps3::decode_config(rec);
          } catch (const Error&) {
          }
          const uint8_t ack = 'S';
          write_now(&ack, 1);
        }
        if (ok) {
          {
            std::lock_guard lock(mu_);
            ps3_config_ = config;
          }
          const uint8_t d = 'D';
          write_now(&d, 1);
        }
        break;
      }
      case ps3::cmd::kReset:
      case ps3::cmd::kDfu:
        streaming_ = false;
        break;
      default:
        break;  // 'B' (blink) and unknown bytes: nothing to emulate
    }
  }
}

}  // namespace tpulab::power::emu
