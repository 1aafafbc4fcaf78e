// Fuzzes the Edge TPU package reader (an edgetpu-custom-op's custom options: a FlexBuffer map
// holding nested flatbuffers): any bytes give a package or a ModelError, nothing else.
#include <cstddef>
#include <cstdint>

#include "common/error.h"
#include "model/edgetpu_package.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const tpulab::EdgeTpuPackage p = tpulab::parse_edgetpu_package({data, size}, "fuzz", "op 0");
    (void)p.cached_parameter_bytes();
    (void)p.streamed_parameter_bytes();
    (void)p.instruction_bytes();
    (void)p.runner();
  } catch (const tpulab::Error&) {
  }
  return 0;
}
