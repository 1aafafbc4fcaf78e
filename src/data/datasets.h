// Labelled image datasets for accuracy measurements. Fashion-MNIST comes from Debian's
// dataset-fashion-mnist package as IDX files (gzip'd); the IDX format is read directly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tpulab::data {

// An IDX array (the MNIST file format): unsigned bytes with 1..4 dimensions.
struct IdxArray {
  std::vector<int32_t> dims;
  std::vector<uint8_t> data;
};
// Reads an IDX file of unsigned bytes, gzip'd or not. IoError naming the file when it is missing,
// truncated, not IDX, or not of unsigned bytes.
IdxArray read_idx(const std::string& path);

struct LabeledImages {
  std::string name;  // "fashion-mnist:test"
  int32_t count = 0, height = 0, width = 0;
  std::vector<uint8_t> pixels;  // count * height * width grey pixels, image after image
  std::vector<uint8_t> labels;  // count class indices
  std::vector<std::string> class_names;

  const uint8_t* image(int32_t i) const {
    return pixels.data() +
           static_cast<size_t>(i) * static_cast<size_t>(height) * static_cast<size_t>(width);
  }
};

// A label file: one class name per line, line i naming class i (a trailing \r is dropped).
// IoError when it is not a readable regular file, empty, or binary (NUL bytes, invalid UTF-8).
std::vector<std::string> read_labels(const std::string& path);

// Where dataset-fashion-mnist installs its files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// Fashion-MNIST's "test" (10,000 images) or "train" (60,000) split from `dir`.
LabeledImages load_fashion_mnist(const std::string& split,
                                 const std::string& dir = kFashionMnistDir);

// A dataset by name as the CLI spells it: "fashion-mnist", "fashion-mnist:test",
// "fashion-mnist:train" (UsageError for anything else).
LabeledImages load_dataset(const std::string& spec, const std::string& dir = "");

}  // namespace tpulab::data
