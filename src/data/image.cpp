#include "data/image.h"

#include <fmt/format.h>
#include <stb/stb_image.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "common/error.h"
#include "common/file_io.h"

namespace tpulab::data {

namespace {
// Larger images are refused rather than risk a huge allocation from a corrupt header.
constexpr int64_t kMaxPixels = int64_t{1} << 28;

uint32_t le32(std::span<const uint8_t> b, size_t at) {
  return uint32_t{b[at]} | uint32_t{b[at + 1]} << 8 | uint32_t{b[at + 2]} << 16 |
         uint32_t{b[at + 3]} << 24;
}

// stb_image decodes a truncated BMP or JPEG as if the missing pixels were black and reports
// success; a cut-off file must be an error, not a confident classification of half an image.
void check_complete(std::span<const uint8_t> b, const std::string& name) {
  if (b.size() >= 2 && b[0] == 'B' && b[1] == 'M') {
    if (b.size() < 54) throw IoError("truncated BMP image (no complete header)", name);
    const uint32_t data_offset = le32(b, 10);
    const uint32_t header_size = le32(b, 14);
    if (header_size < 40) return;  // OS/2 BMPs: stb checks those itself
    const auto width = static_cast<int32_t>(le32(b, 18));
    const auto height = static_cast<int32_t>(le32(b, 22));
    const uint32_t bits = uint32_t{b[28]} | uint32_t{b[29]} << 8;
    const uint32_t compression = le32(b, 30);
    if (compression != 0 && compression != 3) return;  // RLE: length depends on the data
    const int64_t w = width < 0 ? -int64_t{width} : width;
    const int64_t h = height < 0 ? -int64_t{height} : height;
    const int64_t row = (w * bits + 31) / 32 * 4;  // < 2^46
    // row * h can overflow int64 for a hostile header: compare by division instead.
    const int64_t pixel_bytes = static_cast<int64_t>(b.size()) - int64_t{data_offset};
    if (pixel_bytes < 0 || (h > 0 && row > pixel_bytes / h))
      throw IoError(fmt::format("truncated BMP image: {} bytes, the header needs {:.0f}", b.size(),
                                static_cast<double>(data_offset) +
                                    static_cast<double>(row) * static_cast<double>(h)),
                    name);
  } else if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) {
    // The end-of-image marker must follow the last start-of-scan (FF D9 inside entropy-coded
    // data is impossible: 0xFF bytes there are stuffed as FF 00).
    size_t last_sos = 0, last_eoi = 0;
    for (size_t i = 0; i + 1 < b.size(); ++i) {
      if (b[i] != 0xFF) continue;
      if (b[i + 1] == 0xDA) last_sos = i;
      if (b[i + 1] == 0xD9) last_eoi = i;
    }
    if (last_eoi <= last_sos) throw IoError("truncated JPEG image (no end-of-image marker)", name);
  }
}
}  // namespace

Image decode_image(std::span<const uint8_t> bytes, const std::string& name, int channels) {
  if (channels != 1 && channels != 3)
    throw UsageError(fmt::format("images decode to 1 or 3 channels, not {}", channels), name);
  if (bytes.empty()) throw IoError("image file is empty", name);
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) throw IoError("image file is too large", name);
  check_complete(bytes, name);
  const auto len = static_cast<int>(bytes.size());
  int w = 0, h = 0, n = 0;
  if (!stbi_info_from_memory(bytes.data(), len, &w, &h, &n))
    throw IoError(fmt::format("not a readable BMP, PNG or JPEG image ({})", stbi_failure_reason()),
                  name);
  if (w <= 0 || h <= 0 || int64_t{w} * h > kMaxPixels)
    throw IoError(fmt::format("image size {}x{} is not supported", w, h), name);
  std::unique_ptr<stbi_uc, void (*)(void*)> data(
      stbi_load_from_memory(bytes.data(), len, &w, &h, &n, channels), stbi_image_free);
  if (!data) throw IoError(fmt::format("cannot decode image ({})", stbi_failure_reason()), name);
  Image img;
  img.width = w;
  img.height = h;
  img.channels = channels;
  img.pixels.assign(data.get(), data.get() + static_cast<size_t>(w) * static_cast<size_t>(h) *
                                                 static_cast<size_t>(channels));
  return img;
}

Image read_image(const std::string& path, int channels) {
  return decode_image(read_file(path, file_limits::kImage, "image"), path, channels);
}

Image resize_bilinear(const Image& image, int width, int height) {
  if (width <= 0 || height <= 0 || int64_t{width} * height > kMaxPixels)
    throw UsageError(fmt::format("cannot resize to {}x{}", width, height), "");
  if (image.width <= 0 || image.height <= 0) throw UsageError("cannot resize an empty image", "");
  if (image.width == width && image.height == height) return image;
  const int c = image.channels;
  // Source coordinate of each destination row/column: lower index and weight of the upper one.
  struct Tap {
    int lo, hi;
    float w;
  };
  auto taps = [](int in, int out) {
    std::vector<Tap> t(static_cast<size_t>(out));
    const float scale = static_cast<float>(in) / static_cast<float>(out);
    for (int i = 0; i < out; ++i) {
      float s = (static_cast<float>(i) + 0.5f) * scale - 0.5f;
      s = std::clamp(s, 0.0f, static_cast<float>(in - 1));
      const int lo = static_cast<int>(std::floor(s));
      t[static_cast<size_t>(i)] = {lo, std::min(lo + 1, in - 1), s - static_cast<float>(lo)};
    }
    return t;
  };
  const std::vector<Tap> xs = taps(image.width, width), ys = taps(image.height, height);
  Image out;
  out.width = width;
  out.height = height;
  out.channels = c;
  out.pixels.resize(static_cast<size_t>(width) * static_cast<size_t>(height) *
                    static_cast<size_t>(c));
  auto at = [&](int y, int x, int ch) {
    return static_cast<float>(
        image.pixels[(static_cast<size_t>(y) * static_cast<size_t>(image.width) +
                      static_cast<size_t>(x)) *
                         static_cast<size_t>(c) +
                     static_cast<size_t>(ch)]);
  };
  size_t o = 0;
  for (const Tap& ty : ys) {
    for (const Tap& tx : xs) {
      for (int ch = 0; ch < c; ++ch) {
        const float top =
            at(ty.lo, tx.lo, ch) + (at(ty.lo, tx.hi, ch) - at(ty.lo, tx.lo, ch)) * tx.w;
        const float bottom =
            at(ty.hi, tx.lo, ch) + (at(ty.hi, tx.hi, ch) - at(ty.hi, tx.lo, ch)) * tx.w;
        const float v = top + (bottom - top) * ty.w;
        out.pixels[o++] = static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
      }
    }
  }
  return out;
}

ImageShape image_shape_of(const engine::TensorRef& input, const std::string& what) {
  const auto& s = input.shape;
  auto bad = [&]() {
    return UsageError(
        fmt::format("input shape {} is not an image ([1,H,W,C] with C = 1 or 3)", shape_string(s)),
        what);
  };
  ImageShape r;
  if (s.size() == 4 && s[0] == 1) {
    r = {s[1], s[2], s[3]};
  } else if (s.size() == 3 && s[0] != 1 && (s[2] == 1 || s[2] == 3)) {
    r = {s[0], s[1], s[2]};
  } else if (s.size() == 3 && s[0] == 1) {
    r = {s[1], s[2], 1};
  } else if (s.size() == 2) {
    r = {s[0], s[1], 1};
  } else {
    throw bad();
  }
  if (r.height <= 0 || r.width <= 0 || (r.channels != 1 && r.channels != 3)) throw bad();
  return r;
}

void pixels_to_tensor(std::span<const uint8_t> pixels, const engine::TensorRef& input,
                      std::span<uint8_t> out, const std::optional<PixelNormalization>& norm) {
  const auto n = static_cast<size_t>(input.num_elements());
  if (pixels.size() != n)
    throw UsageError(fmt::format("{} pixel values for an input of {} elements", pixels.size(), n),
                     "");
  if (out.size() != static_cast<size_t>(input.byte_size()))
    throw UsageError(
        fmt::format("{} bytes for an input of {} bytes", out.size(), input.byte_size()), "");
  if (norm && !(norm->std != 0.0f && std::isfinite(norm->std) && std::isfinite(norm->mean)))
    throw UsageError(fmt::format("pixel normalization std must be finite and non-zero"), "");
  auto real = [&](uint8_t p) { return (static_cast<float>(p) - norm->mean) / norm->std; };
  auto quantize = [&](uint8_t p, int32_t lo, int32_t hi) {
    const float scale = input.scale();
    if (!(scale > 0.0f))
      throw UsageError("a normalized image needs a quantized (or float) input", "");
    const long q = std::lround(real(p) / scale) + input.zero_point();
    return static_cast<int32_t>(std::clamp<long>(q, lo, hi));
  };
  switch (input.dtype) {
    case DType::kUInt8:
      for (size_t i = 0; i < n; ++i)
        out[i] = norm ? static_cast<uint8_t>(quantize(pixels[i], 0, 255)) : pixels[i];
      break;
    case DType::kInt8:
      for (size_t i = 0; i < n; ++i) {
        const int32_t v =
            norm ? quantize(pixels[i], -128, 127) : static_cast<int32_t>(pixels[i]) - 128;
        out[i] = static_cast<uint8_t>(static_cast<int8_t>(v));
      }
      break;
    case DType::kFloat32:
      for (size_t i = 0; i < n; ++i) {
        const float v = norm ? real(pixels[i]) : static_cast<float>(pixels[i]) / 255.0f;
        std::memcpy(out.data() + i * sizeof(float), &v, sizeof(float));
      }
      break;
    default:
      throw UnsupportedError(
          fmt::format("image inputs of type {} are not supported (uint8, int8, float32 are)",
                      dtype_name(input.dtype)),
          "");
  }
}

void load_image_input(const std::string& path, const engine::TensorRef& input,
                      std::span<uint8_t> out, const std::optional<PixelNormalization>& norm) {
  const ImageShape shape = image_shape_of(input, path);
  const Image img = resize_bilinear(read_image(path, shape.channels), shape.width, shape.height);
  pixels_to_tensor(img.pixels, input, out, norm);
}

}  // namespace tpulab::data
