// The PowerSensor3 wire protocol (firmware 1.6.x): config records, stream frames, the decoder
// with resynchronisation, and device-timestamp unwrapping. No I/O here, so the emulator, the
// host source, the tests and the benchmark share it.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace tpulab::power::ps3 {

inline constexpr int kSensors = 8;  // sensor 2p = current of pair p, 2p+1 = its voltage
inline constexpr int kPairs = 4;
inline constexpr int kFrameBytes = 18;  // timestamp packet + 8 sensor packets
inline constexpr int kConfigBytes = 41;
inline constexpr int kTimestampModulo = 1024;  // micros() & 0x3FF

// Host -> device command bytes.
namespace cmd {
inline constexpr char kStart = 'S';
inline constexpr char kStop = 'T';
inline constexpr char kStopWithSequence = 'X';  // answers FF 3F FF 3F
inline constexpr char kMarker = 'M';
inline constexpr char kOneFrame = 'I';
inline constexpr char kReadConfig = 'R';
inline constexpr char kWriteConfig = 'W';
inline constexpr char kVersion = 'V';
inline constexpr char kConversionCount = 'Q';
inline constexpr char kReset = 'Z';
inline constexpr char kDfu = 'Y';
inline constexpr char kBlink = 'B';
}  // namespace cmd
inline constexpr uint8_t kStopByte0 = 0xFF;
inline constexpr uint8_t kStopByte1 = 0x3F;

// One sensor's EEPROM record (packed on the wire: type[16], pairName[16], float vref,
// float sensitivity, bool inUse; little-endian floats as on the STM32).
struct SensorConfig {
  std::string type;       // up to 16 chars
  std::string pair_name;  // up to 16 chars
  float vref = 0;
  float sensitivity = 0;  // V/A for current sensors, gain for voltage sensors; < 0: inverted
  bool in_use = false;
};
using Config = std::array<SensorConfig, kSensors>;

// What a config record may hold for the board to measure with it: vref is a voltage at the
// ADC's input (0..3.3 V), |sensitivity| a V/A slope or a divider gain of plausible magnitude.
// The firmware stores whatever it gets, so these are checked before anything is written.
inline constexpr double kMinSensitivity = 1e-3;
inline constexpr double kMaxSensitivity = 10;
// Each throws FieldError ("vref", "sensitivity") when its value is outside those bounds, so a
// front end can check a user's value before opening the device.
void check_vref(double vref);
void check_sensitivity(double sensitivity);
// Both, for a whole record; the message names `sensor`.
void check_sensor_values(const SensorConfig& config, int sensor);

std::array<uint8_t, kConfigBytes> encode_config(const SensorConfig& config);
// Throws Error when the record is not plausible (non-finite numbers, bad flag byte).
SensorConfig decode_config(std::span<const uint8_t, kConfigBytes> bytes);

struct Frame {
  std::array<uint16_t, kSensors> levels{};
  uint16_t timestamp = 0;  // device micros() & 0x3FF
  bool marker = false;
  // Bytes skipped since the previous decoded frame (0 for a clean stream).
  uint32_t skipped_before = 0;
};

void encode_frame(const Frame& frame, std::span<uint8_t, kFrameBytes> out);

// Streaming decoder. Packets are 2 bytes: 1iiiaaaa 0mbbbbbb. A frame is a timestamp packet
// (id 7 with the marker bit) followed by sensors 0..7 in order. Bytes whose sync bits are wrong
// are dropped one at a time; a packet out of order abandons the frame in progress. Every byte
// not part of a decoded frame is counted in skipped_bytes, so for any stream:
// bytes == 18 * frames + skipped_bytes + (bytes of a frame still in progress)
// (+ 2 for an acknowledged stop sequence).
class Decoder {
 public:
  // Calls on_frame(const Frame&) for every complete frame. Returns bytes consumed (all of
  // them unless the stop sequence was seen; the bytes after it are left for the caller).
  template <class OnFrame>
  size_t feed(std::span<const uint8_t> bytes, OnFrame&& on_frame);

  // After the host sent 'X': an FF 3F packet at a frame boundary ends the stream.
  void expect_stop(bool on) { expect_stop_ = on; }
  bool stopped() const { return stopped_; }
  void reset();

  uint64_t frames() const { return frames_; }
  uint64_t skipped_bytes() const { return skipped_; }
  uint64_t discarded_frames() const { return discarded_; }

 private:
  void skip(uint32_t n) {
    skipped_ += n;
    skipped_since_frame_ += n;
  }
  void abandon_frame() {
    if (next_ >= 0) {
      ++discarded_;
      skip(static_cast<uint32_t>(2 * (next_ + 1)));  // the timestamp and sensors 0..next-1
    }
    next_ = -1;
  }

  Frame frame_;
  int next_ = -1;  // next sensor expected; -1: waiting for a timestamp packet
  int have_byte_ = 0;
  uint8_t byte0_ = 0;
  bool expect_stop_ = false;
  bool stopped_ = false;
  uint64_t frames_ = 0;
  uint64_t skipped_ = 0;
  uint64_t discarded_ = 0;
  uint32_t skipped_since_frame_ = 0;
};

template <class OnFrame>
size_t Decoder::feed(std::span<const uint8_t> bytes, OnFrame&& on_frame) {
  size_t i = 0;
  const size_t n = bytes.size();
  while (i < n && !stopped_) {
    uint8_t b0, b1;
    if (have_byte_) {
      b0 = byte0_;
      b1 = bytes[i];
      have_byte_ = 0;
      ++i;
    } else {
      if (i + 1 >= n) {
        byte0_ = bytes[i];
        have_byte_ = 1;
        ++i;
        break;
      }
      b0 = bytes[i];
      b1 = bytes[i + 1];
      i += 2;
    }
    if (!(b0 & 0x80) || (b1 & 0x80)) {
      // Sync bits wrong: drop one byte and retry with the second as the first.
      skip(1);
      byte0_ = b1;
      have_byte_ = 1;
      continue;
    }
    const int id = (b0 >> 4) & 7;
    const bool mark = (b1 & 0x40) != 0;
    const uint16_t level = static_cast<uint16_t>(((b0 & 0x0F) << 6) | (b1 & 0x3F));
    if (id == 7 && mark) {
      abandon_frame();
      frame_.timestamp = level;
      frame_.marker = false;
      next_ = 0;
      continue;
    }
    if (next_ < 0) {
      if (expect_stop_ && b0 == kStopByte0 && b1 == kStopByte1) {
        stopped_ = true;  // the acknowledged end of the stream, not a skipped byte
        break;
      }
      skip(2);  // a sensor packet with no frame to belong to
      continue;
    }
    if (id != next_) {
      abandon_frame();
      skip(2);
      continue;
    }
    frame_.levels[static_cast<size_t>(id)] = level;
    if (id == 0) frame_.marker = mark;  // real markers only ever come on sensor 0
    if (++next_ == kSensors) {
      next_ = -1;
      ++frames_;
      frame_.skipped_before = skipped_since_frame_;
      skipped_since_frame_ = 0;
      on_frame(static_cast<const Frame&>(frame_));
    }
  }
  return i;
}

// Turns 10-bit device timestamps into a continuous microsecond clock starting at 0.
// Clean consecutive frames are < 1024 us apart at the device's rates (>= ~1 kHz), so the
// difference modulo 1024 is the elapsed time. After corrupt or lost bytes the frame's own
// timestamp may be wrong and several frames may be missing: then the time is estimated from
// the frame period, and the next clean frame re-anchors on the last trusted timestamp with
// the number of wraps that best matches the estimate, so errors do not accumulate.
class TimestampUnwrapper {
 public:
  // Returns the frame's time in microseconds since the first frame.
  int64_t next(uint16_t timestamp, uint32_t skipped_before);
  double period_us() const { return period_us_; }
  void reset() { *this = TimestampUnwrapper(); }

 private:
  bool started_ = false;
  uint16_t anchor_ts_ = 0;
  int64_t anchor_us_ = 0;
  int64_t last_us_ = 0;
  double frames_since_anchor_ = 0;
  double period_us_ = 0;  // running estimate from clean single-frame steps
};

}  // namespace tpulab::power::ps3
