// Fuzzes the image decoders behind `tpulab run --input` (BMP, PNG, JPEG via stb_image) and the
// resize that follows: any bytes give an image or an Error, nothing else.
#include <cstddef>
#include <cstdint>

#include "common/error.h"
#include "data/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks grey or colour, as the model's input shape would.
  const int channels = (data[0] & 1) ? 3 : 1;
  try {
    const tpulab::data::Image img =
        tpulab::data::decode_image({data + 1, size - 1}, "fuzz", channels);
    (void)tpulab::data::resize_bilinear(img, 7, 5);
  } catch (const tpulab::Error&) {
  }
  return 0;
}
