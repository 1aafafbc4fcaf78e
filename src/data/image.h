// Turning image files into model inputs: decode (BMP/PNG/JPEG, via stb_image), resize
// bilinearly to the input's height and width, and convert to the input's dtype.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/kernel.h"

namespace tpulab::data {

// 8-bit pixels, row-major, channels interleaved (HWC).
struct Image {
  int width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;
};

// Decodes BMP, PNG or JPEG bytes to `channels` (1 = grey, 3 = RGB) channels; grey from colour
// uses stb_image's luma weights. `name` is used in errors (IoError for undecodable bytes).
Image decode_image(std::span<const uint8_t> bytes, const std::string& name, int channels);
// Reads and decodes a file (IoError when it cannot be read or decoded).
Image read_image(const std::string& path, int channels);

// Bilinear resize with half-pixel centres (source coordinate = (x + 0.5) * in / out - 0.5,
// clamped at the borders; no anti-aliasing), the convention of TF2's tf.image.resize and of
// TFLite's RESIZE_BILINEAR with half_pixel_centers. Results are rounded to the nearest integer.
Image resize_bilinear(const Image& image, int width, int height);

// How an input tensor holds an image.
struct ImageShape {
  int height = 0, width = 0, channels = 0;
};
// [1,H,W,C] or [H,W,C] with C = 1 or 3, or [1,H,W] / [H,W] for one grey channel. UsageError
// naming `what` for any other shape.
ImageShape image_shape_of(const engine::TensorRef& input, const std::string& what);

// real = (pixel - mean) / std.
struct PixelNormalization {
  float mean = 0.0f;
  float std = 1.0f;
};

// Writes pixels (HWC, as many as `input` has elements) into `out` in the input's dtype.
// Without a normalization, the pixel range 0..255 maps onto the integer type's range: uint8
// inputs get the pixel bytes unchanged (what quantized image models are built for), int8 inputs
// pixel - 128, and float inputs pixel / 255. With one, real values are quantized with the input's
// scale and zero point (round half away from zero, clamped), or stored as float.
void pixels_to_tensor(std::span<const uint8_t> pixels, const engine::TensorRef& input,
                      std::span<uint8_t> out,
                      const std::optional<PixelNormalization>& norm = std::nullopt);

// All of the above: reads `path`, resizes to the input's size and fills `out`.
void load_image_input(const std::string& path, const engine::TensorRef& input,
                      std::span<uint8_t> out,
                      const std::optional<PixelNormalization>& norm = std::nullopt);

}  // namespace tpulab::data
