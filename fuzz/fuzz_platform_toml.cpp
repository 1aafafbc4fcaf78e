// Fuzzes the platform TOML reader: any text gives a Platform or an Error, nothing else.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error.h"
#include "device/platform.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)tpulab::device::parse_platform(text, "fuzz.toml", tpulab::device::builtin_profile());
  } catch (const tpulab::Error&) {
  }
  return 0;
}
