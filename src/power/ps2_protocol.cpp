#include "power/ps2_protocol.h"

#include <bit>
#include <cmath>
#include <string>

#include "common/error.h"

namespace tpulab::power::ps2 {

namespace {

void put(uint8_t* out, float v) {
  uint32_t u = std::bit_cast<uint32_t>(v);
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(u >> (8 * i));
}

float get(const uint8_t* in) {
  uint32_t u = 0;
  for (int i = 0; i < 4; ++i) u |= static_cast<uint32_t>(in[i]) << (8 * i);
  return std::bit_cast<float>(u);
}

}  // namespace

std::array<uint8_t, kConfigBytes> encode_config(const Config& config) {
  std::array<uint8_t, kConfigBytes> out{};
  for (size_t s = 0; s < kSensors; ++s) {
    uint8_t* r = out.data() + s * kConfigRecordBytes;
    put(r, config[s].volt);
    put(r + 4, config[s].type);
    put(r + 8, config[s].null_level);
  }
  return out;
}

Config decode_config(std::span<const uint8_t, kConfigBytes> bytes) {
  Config c;
  for (size_t s = 0; s < kSensors; ++s) {
    const uint8_t* r = bytes.data() + s * kConfigRecordBytes;
    c[s] = {get(r), get(r + 4), get(r + 8)};
    if (!std::isfinite(c[s].volt) || !std::isfinite(c[s].type) || !std::isfinite(c[s].null_level))
      throw Error("config of sensor " + std::to_string(s) + " holds a non-finite number",
                  "PowerSensor2");
    if (c[s].in_use() && c[s].type == 0)
      throw Error("sensor " + std::to_string(s) + " is in use but has sensitivity 0",
                  "PowerSensor2");
  }
  return c;
}

}  // namespace tpulab::power::ps2
