// Image input preparation: decoding (BMP, PNG, JPEG), the bilinear convention, conversion to
// each input dtype, and clear errors for bad files.
#include "data/image.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stb/stb_image_write.h>

#include <cstring>

#include "common/error.h"
#include "testing/testing.h"

namespace tpulab::data {
namespace {

using engine::TensorRef;
using ::testing::HasSubstr;

Image gradient(int w, int h) {
  Image img{w, h, 3, {}};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c)
        img.pixels.push_back(static_cast<uint8_t>((x * 7 + y * 13 + c * 50) % 256));
  return img;
}

TEST(Image, DecodesSharedBmps) {
  TPULAB_REQUIRE_SHARED();
  const Image cat = read_image((testing::shared_dir() / "images/cat.bmp").string(), 3);
  EXPECT_EQ(cat.width, 512);
  EXPECT_EQ(cat.height, 341);
  EXPECT_EQ(cat.pixels.size(), 512u * 341 * 3);
  const Image nine = read_image((testing::shared_dir() / "images/mnist_nine.bmp").string(), 1);
  EXPECT_EQ(nine.width, 28);
  EXPECT_EQ(nine.channels, 1);
  // A handwritten digit: mostly background, some ink.
  const auto ink =
      std::count_if(nine.pixels.begin(), nine.pixels.end(), [](uint8_t p) { return p > 128; });
  EXPECT_GT(ink, 30);
  EXPECT_LT(ink, 400);
}

TEST(Image, PngIsLosslessAndJpegIsClose) {
  testing::TempDir dir;
  const Image img = gradient(37, 21);
  const std::string png = (dir / "g.png").string(), jpg = (dir / "g.jpg").string();
  ASSERT_TRUE(
      stbi_write_png(png.c_str(), img.width, img.height, 3, img.pixels.data(), img.width * 3));
  ASSERT_TRUE(stbi_write_jpg(jpg.c_str(), img.width, img.height, 3, img.pixels.data(), 100));
  EXPECT_EQ(read_image(png, 3).pixels, img.pixels);
  const Image j = read_image(jpg, 3);
  ASSERT_EQ(j.pixels.size(), img.pixels.size());
  double err = 0;
  for (size_t i = 0; i < j.pixels.size(); ++i)
    err += std::abs(int(j.pixels[i]) - int(img.pixels[i]));
  EXPECT_LT(err / static_cast<double>(j.pixels.size()), 8.0);
}

TEST(Image, BadFilesAreIoErrors) {
  testing::TempDir dir;
  EXPECT_THROW(read_image((dir / "missing.png").string(), 3), IoError);
  testing::write_bytes(dir / "junk.bmp", {'B', 'M', 1, 2, 3, 4, 5, 6, 7, 8});
  try {
    read_image((dir / "junk.bmp").string(), 3);
    FAIL();
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("junk.bmp"));
  }
  testing::write_bytes(dir / "empty.png", {});
  EXPECT_THROW(read_image((dir / "empty.png").string(), 3), IoError);
  // Truncations of a valid PNG never crash.
  const Image img = gradient(8, 8);
  const std::string png = (dir / "g.png").string();
  ASSERT_TRUE(stbi_write_png(png.c_str(), 8, 8, 3, img.pixels.data(), 24));
  const std::vector<uint8_t> bytes = testing::read_bytes(png);
  for (size_t len = 0; len < bytes.size(); len += 7) {
    try {
      decode_image({bytes.data(), len}, "cut.png", 3);
    } catch (const IoError&) {
    }
  }
}

TEST(Image, BilinearHalfPixelCentres) {
  // 2x1 grey [0, 100] to 4x1: source x = (i + 0.5) / 2 - 0.5 = -0.25 (clamped), 0.25, 0.75, 1.25
  // (clamped) -> 0, 25, 75, 100.
  const Image src{2, 1, 1, {0, 100}};
  EXPECT_EQ(resize_bilinear(src, 4, 1).pixels, (std::vector<uint8_t>{0, 25, 75, 100}));
  // Halving averages neighbours: x = 0.5 and 2.5.
  const Image row{4, 1, 1, {0, 10, 20, 31}};
  EXPECT_EQ(resize_bilinear(row, 2, 1).pixels, (std::vector<uint8_t>{5, 26}));  // 25.5 rounds up
  const Image g = gradient(9, 5);
  EXPECT_EQ(resize_bilinear(g, 9, 5).pixels, g.pixels);
  Image flat{13, 7, 3, std::vector<uint8_t>(13 * 7 * 3, 77)};
  for (uint8_t p : resize_bilinear(flat, 5, 11).pixels) ASSERT_EQ(p, 77);
}

TensorRef tensor(DType dt, std::vector<int32_t> shape, const Quantization* q = nullptr) {
  TensorRef t;
  t.dtype = dt;
  t.shape = std::move(shape);
  t.quant = q;
  return t;
}

TEST(Image, ImageShapes) {
  EXPECT_EQ(image_shape_of(tensor(DType::kUInt8, {1, 224, 200, 3}), "").width, 200);
  EXPECT_EQ(image_shape_of(tensor(DType::kUInt8, {1, 28, 28}), "").channels, 1);
  EXPECT_EQ(image_shape_of(tensor(DType::kUInt8, {28, 28, 1}), "").height, 28);
  EXPECT_THROW(image_shape_of(tensor(DType::kUInt8, {1, 1, 1, 1024}), "m"), UsageError);
  EXPECT_THROW(image_shape_of(tensor(DType::kUInt8, {2, 8, 8, 3}), "m"), UsageError);
  EXPECT_THROW(image_shape_of(tensor(DType::kUInt8, {784}), "m"), UsageError);
}

TEST(Image, PixelsToEachDtype) {
  const std::vector<uint8_t> px{0, 1, 128, 255};
  std::vector<uint8_t> out(4);
  pixels_to_tensor(px, tensor(DType::kUInt8, {4}), out);
  EXPECT_EQ(out, px);
  pixels_to_tensor(px, tensor(DType::kInt8, {4}), out);
  EXPECT_EQ(out, (std::vector<uint8_t>{0x80, 0x81, 0x00, 0x7f}));  // -128, -127, 0, 127
  std::vector<uint8_t> f(16);
  pixels_to_tensor(px, tensor(DType::kFloat32, {4}), f);
  float v[4];
  std::memcpy(v, f.data(), 16);
  EXPECT_FLOAT_EQ(v[2], 128.0f / 255.0f);
  EXPECT_FLOAT_EQ(v[3], 1.0f);

  // With a normalization: real = (p - 128) / 128, quantized with scale 1/64 and zero point 128:
  // q = (p - 128) / 2 + 128, halves rounded away from zero (-63.5 -> -64, 63.5 -> 64).
  Quantization q;
  q.scale = {1.0f / 64.0f};
  q.zero_point = {128};
  pixels_to_tensor(px, tensor(DType::kUInt8, {4}, &q), out, PixelNormalization{128.0f, 128.0f});
  EXPECT_EQ(out, (std::vector<uint8_t>{64, 64, 128, 192}));
  // Out of range values clamp.
  pixels_to_tensor(px, tensor(DType::kUInt8, {4}, &q), out, PixelNormalization{0.0f, 1.0f});
  EXPECT_EQ(out, (std::vector<uint8_t>{128, 192, 255, 255}));
  EXPECT_THROW(pixels_to_tensor(px, tensor(DType::kUInt8, {5}), out), UsageError);
  EXPECT_THROW(pixels_to_tensor(px, tensor(DType::kInt32, {4}), f), UnsupportedError);
}

// Found by fuzz_image: a BMP header of 2^31-1 x 2^31-1 pixels of 65535 bits made the truncation
// check's byte count overflow int64 (UBSan: signed integer overflow).
TEST(Image, HugeBmpHeaderIsATruncatedImage) {
  std::vector<uint8_t> bmp(64, 0);
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i)
      bmp[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
  };
  bmp[0] = 'B';
  bmp[1] = 'M';
  put32(10, 54);          // pixel data offset
  put32(14, 40);          // BITMAPINFOHEADER
  put32(18, 0x7FFFFFFF);  // width
  put32(22, 0x7FFFFFFF);  // height
  bmp[28] = 0xFF;         // bits per pixel: 65535
  bmp[29] = 0xFF;
  try {
    decode_image(bmp, "huge.bmp", 3);
    FAIL() << "decoded";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("truncated BMP image: 64 bytes"));
  }
}

}  // namespace
}  // namespace tpulab::data
