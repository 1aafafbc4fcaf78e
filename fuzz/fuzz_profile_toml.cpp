// Fuzzes the calibrated-profile TOML reader: any text gives a profile or an Error; a profile that
// loads also writes back to TOML that loads again.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error.h"
#include "device/platform.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  tpulab::device::CalibratedProfile profile;
  try {
    profile = tpulab::device::parse_profile(text, "fuzz.toml");
  } catch (const tpulab::Error&) {
    return 0;
  }
  (void)tpulab::device::parse_profile(tpulab::device::profile_to_toml(profile), "written");
  return 0;
}
