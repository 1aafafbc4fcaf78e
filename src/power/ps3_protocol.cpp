#include "power/ps3_protocol.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "common/error.h"
#include "power/sensors.h"

namespace tpulab::power::ps3 {

namespace {

constexpr size_t kTypeBytes = 16;
constexpr size_t kNameBytes = 16;

void put_float_le(uint8_t* out, float v) {
  uint32_t u = std::bit_cast<uint32_t>(v);
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(u >> (8 * i));
}

float get_float_le(const uint8_t* in) {
  uint32_t u = 0;
  for (int i = 0; i < 4; ++i) u |= static_cast<uint32_t>(in[i]) << (8 * i);
  return std::bit_cast<float>(u);
}

std::string get_text(const uint8_t* in, size_t size) {
  size_t len = 0;
  while (len < size && in[len] != 0) ++len;
  std::string s(reinterpret_cast<const char*>(in), len);
  // EEPROM garbage must not reach a terminal or a CSV header raw.
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) c = '?';
  return s;
}

}  // namespace

void check_vref(double vref) {
  if (!std::isfinite(vref) || vref < 0 || vref > kPs3ReferenceV)
    throw FieldError("vref", fmt::format("vref {:g} V is outside the ADC's input range 0..{} V",
                                         vref, kPs3ReferenceV));
}

void check_sensitivity(double sensitivity) {
  const double magnitude = std::fabs(sensitivity);
  if (!std::isfinite(sensitivity) || magnitude < kMinSensitivity || magnitude > kMaxSensitivity)
    throw FieldError("sensitivity",
                     fmt::format("sensitivity {:g} is not a V/A slope or gain the board can use: "
                                 "its magnitude must be {:g}..{:g} (negative inverts)",
                                 sensitivity, kMinSensitivity, kMaxSensitivity));
}

void check_sensor_values(const SensorConfig& c, int sensor) {
  try {
    check_vref(c.vref);
    check_sensitivity(c.sensitivity);
  } catch (const FieldError& e) {
    throw FieldError(e.field(), fmt::format("PowerSensor3 sensor {}: {}", sensor, e.problem()));
  }
}

std::array<uint8_t, kConfigBytes> encode_config(const SensorConfig& config) {
  std::array<uint8_t, kConfigBytes> out{};
  std::memcpy(out.data(), config.type.data(), std::min(config.type.size(), kTypeBytes));
  std::memcpy(out.data() + kTypeBytes, config.pair_name.data(),
              std::min(config.pair_name.size(), kNameBytes));
  put_float_le(out.data() + 32, config.vref);
  put_float_le(out.data() + 36, config.sensitivity);
  out[40] = config.in_use ? 1 : 0;
  return out;
}

SensorConfig decode_config(std::span<const uint8_t, kConfigBytes> bytes) {
  SensorConfig c;
  c.type = get_text(bytes.data(), kTypeBytes);
  c.pair_name = get_text(bytes.data() + kTypeBytes, kNameBytes);
  c.vref = get_float_le(bytes.data() + 32);
  c.sensitivity = get_float_le(bytes.data() + 36);
  if (bytes[40] > 1) throw Error("config record has an invalid in-use flag", "PowerSensor3");
  c.in_use = bytes[40] == 1;
  if (!std::isfinite(c.vref) || !std::isfinite(c.sensitivity))
    throw Error("config record holds a non-finite vref or sensitivity", "PowerSensor3");
  if (c.in_use && c.sensitivity == 0)
    throw Error("config record of a sensor in use has sensitivity 0", "PowerSensor3");
  return c;
}

void encode_frame(const Frame& frame, std::span<uint8_t, kFrameBytes> out) {
  const uint16_t ts = frame.timestamp & 0x3FF;
  out[0] = static_cast<uint8_t>(0x80 | (7 << 4) | (ts >> 6));
  out[1] = static_cast<uint8_t>(0x40 | (ts & 0x3F));
  for (int s = 0; s < kSensors; ++s) {
    const uint16_t level = frame.levels[static_cast<size_t>(s)] & 0x3FF;
    const bool mark = s == 0 && frame.marker;
    out[static_cast<size_t>(2 + 2 * s)] = static_cast<uint8_t>(0x80 | (s << 4) | (level >> 6));
    out[static_cast<size_t>(3 + 2 * s)] = static_cast<uint8_t>((mark ? 0x40 : 0) | (level & 0x3F));
  }
}

void Decoder::reset() { *this = Decoder(); }

int64_t TimestampUnwrapper::next(uint16_t timestamp, uint32_t skipped_before) {
  const int ts = timestamp & 0x3FF;
  if (!started_) {
    started_ = true;
    anchor_ts_ = static_cast<uint16_t>(ts);
    anchor_us_ = last_us_ = 0;
    frames_since_anchor_ = 0;
    return 0;
  }
  const double lost = std::round(skipped_before / static_cast<double>(kFrameBytes));
  frames_since_anchor_ += 1 + lost;
  int delta = (ts - anchor_ts_) & 0x3FF;
  bool trusted = skipped_before == 0;
  int64_t t;
  if (trusted && frames_since_anchor_ == 1) {
    if (delta == 0) delta = kTimestampModulo;  // time only moves forward
    // A clean step far longer than the period is a timestamp corrupted without a lost byte:
    // estimate it; the next clean frame re-anchors and repairs the time.
    if (period_us_ > 0 && delta > 3 * period_us_ && delta > period_us_ + 200) {
      trusted = false;
      t = last_us_ + static_cast<int64_t>(std::llround(period_us_));
    } else {
      t = anchor_us_ + delta;
      period_us_ = period_us_ == 0 ? delta : 0.9 * period_us_ + 0.1 * delta;
    }
  } else if (trusted) {
    // A clean frame after untrusted ones: choose the wraps that best match the frames counted.
    const double expected = frames_since_anchor_ * period_us_;
    const double wraps = std::max(0.0, std::round((expected - delta) / kTimestampModulo));
    t = anchor_us_ + delta + static_cast<int64_t>(wraps) * kTimestampModulo;
    if (t <= anchor_us_) t += kTimestampModulo;
  } else {
    const double step = period_us_ > 0 ? period_us_ * (1 + lost) : (delta == 0 ? 1024 : delta);
    t = last_us_ + static_cast<int64_t>(std::llround(step));
  }
  if (trusted) {
    anchor_ts_ = static_cast<uint16_t>(ts);
    anchor_us_ = t;
    frames_since_anchor_ = 0;
  }
  // Never run backwards, even when an estimate overshot.
  last_us_ = std::max(last_us_, t);
  return last_us_;
}

}  // namespace tpulab::power::ps3
