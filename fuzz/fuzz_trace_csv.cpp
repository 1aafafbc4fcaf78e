// Fuzzes the trace reader (tpulab's CSV and PowerSensor's dump format) and the timeline CSV
// reader: any text gives a trace (with its markers) or an Error, nothing else. The first byte
// chooses the reader.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error.h"
#include "power/timeline.h"
#include "power/trace.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    if (data[0] & 1) {
      (void)tpulab::power::parse_timeline_csv(text, "fuzz.csv");
    } else {
      const tpulab::power::Trace t = tpulab::power::parse_trace(text, "fuzz.csv");
      (void)tpulab::power::trace_markers(t);
    }
  } catch (const tpulab::Error&) {
  }
  return 0;
}
