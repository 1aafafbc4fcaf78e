// The PowerSensor2 wire protocol (Arduino with ACS712 sensors): sample packets, the stop
// sequence and the EEPROM config. No I/O here.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace tpulab::power::ps2 {

inline constexpr int kSensors = 5;
inline constexpr int kConfigRecordBytes = 12;  // float volt, float type, float nullLevel
inline constexpr int kConfigBytes = kSensors * kConfigRecordBytes;
inline constexpr uint8_t kStopByte0 = 0xFF;
inline constexpr uint8_t kStopByte1 = 0xE0;

namespace cmd {
inline constexpr char kReadConfig = 'r';
inline constexpr char kWriteConfig = 'w';
inline constexpr char kStart = 'S';
inline constexpr char kStop = 'T';
inline constexpr char kStopWithSequence = 'X';  // answers FF E0
}  // namespace cmd

struct SensorConfig {
  float volt = 0;        // supply voltage of the measured rail; 0 = sensor not in use
  float type = 0;        // sensitivity in V/A (0.185, 0.100, 0.066 for the ACS712 parts)
  float null_level = 0;  // watts subtracted (zero-offset calibration)
  bool in_use() const { return volt != 0; }
};
using Config = std::array<SensorConfig, kSensors>;

std::array<uint8_t, kConfigBytes> encode_config(const Config& config);
// Throws Error when a value is not finite or a sensor in use has type 0.
Config decode_config(std::span<const uint8_t, kConfigBytes> bytes);

// byte0 = (id << 5) | (level >> 5), byte1 = 0xE0 | (level & 0x1F)
inline std::array<uint8_t, 2> encode_packet(int sensor, uint16_t level) {
  return {static_cast<uint8_t>((sensor << 5) | ((level >> 5) & 0x1F)),
          static_cast<uint8_t>(0xE0 | (level & 0x1F))};
}

// Decodes packets, dropping one byte whenever the sync bits are wrong.
class Decoder {
 public:
  // Calls on_packet(int sensor, uint16_t level) per packet; returns bytes consumed (less than
  // all only when the stop sequence was seen).
  template <class OnPacket>
  size_t feed(std::span<const uint8_t> bytes, OnPacket&& on_packet) {
    size_t i = 0;
    while (i < bytes.size() && !stopped_) {
      uint8_t b = bytes[i++];
      if (!have_byte_) {
        byte0_ = b;
        have_byte_ = true;
        continue;
      }
      const uint8_t b0 = byte0_;
      if (expect_stop_ && b0 == kStopByte0 && b == kStopByte1) {
        stopped_ = true;
        break;
      }
      const int id = b0 >> 5;
      if ((b & 0xE0) != 0xE0 || id >= kSensors) {
        ++skipped_;
        byte0_ = b;  // drop the first byte, retry with the second
        continue;
      }
      have_byte_ = false;
      ++packets_;
      on_packet(id, static_cast<uint16_t>(((b0 & 0x1F) << 5) | (b & 0x1F)));
    }
    return i;
  }
  void expect_stop(bool on) { expect_stop_ = on; }
  bool stopped() const { return stopped_; }
  uint64_t packets() const { return packets_; }
  uint64_t skipped_bytes() const { return skipped_; }
  void reset() { *this = Decoder(); }

 private:
  bool have_byte_ = false;
  uint8_t byte0_ = 0;
  bool expect_stop_ = false;
  bool stopped_ = false;
  uint64_t packets_ = 0;
  uint64_t skipped_ = 0;
};

}  // namespace tpulab::power::ps2
