#include "data/datasets.h"

#include <fmt/format.h>
#include <zlib.h>

#include <array>
#include <filesystem>
#include <memory>

#include "common/error.h"
#include "common/file_io.h"

namespace tpulab::data {

namespace {

// IDX files of real datasets are far smaller; a corrupt header must not make us allocate more.
constexpr int64_t kMaxIdxBytes = int64_t{1} << 31;

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};

// Reads exactly n bytes (gzread reads plain files transparently); false when the file ends early.
bool read_exact(gzFile f, uint8_t* out, size_t n) {
  while (n > 0) {
    const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n, size_t{1} << 30));
    const int got = gzread(f, out, chunk);
    if (got <= 0) return false;
    out += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

}  // namespace

std::vector<std::string> read_labels(const std::string& path) {
  const std::string text = read_text_file(path, file_limits::kLabels, "label file");
  if (text.empty()) throw IoError("the label file is empty", path);
  if (text.find('\0') != std::string::npos || valid_utf8(text) != text)
    throw IoError("the label file is not text (one class name per line)", path);
  std::vector<std::string> lines;
  size_t first = 0;
  while (first < text.size()) {
    size_t end = text.find('\n', first);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(first, end - first);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    first = end + 1;
  }
  return lines;
}

IdxArray read_idx(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw IoError("file not found", path);
  std::unique_ptr<gzFile_s, GzCloser> f(gzopen(path.c_str(), "rb"));
  if (!f) throw IoError("cannot open file", path);
  std::array<uint8_t, 4> magic{};
  if (!read_exact(f.get(), magic.data(), magic.size()))
    throw IoError("not an IDX file: too short", path);
  // Magic: two zero bytes, the element type (0x08 = unsigned byte), the number of dimensions.
  if (magic[0] != 0 || magic[1] != 0) throw IoError("not an IDX file: bad magic number", path);
  if (magic[2] != 0x08)
    throw IoError(
        fmt::format("IDX element type 0x{:02x} is not supported (unsigned bytes are)", magic[2]),
        path);
  const int rank = magic[3];
  if (rank < 1 || rank > 4)
    throw IoError(fmt::format("IDX file has {} dimensions (1 to 4 supported)", rank), path);
  IdxArray a;
  int64_t total = 1;
  for (int i = 0; i < rank; ++i) {
    std::array<uint8_t, 4> b{};
    if (!read_exact(f.get(), b.data(), b.size())) throw IoError("IDX header is truncated", path);
    const uint32_t d =
        (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
    if (d > static_cast<uint32_t>(INT32_MAX))
      throw IoError(fmt::format("IDX dimension {} is too large", d), path);
    a.dims.push_back(static_cast<int32_t>(d));
    total *= d;
    if (total > kMaxIdxBytes) throw IoError("IDX data is impossibly large", path);
  }
  a.data.resize(static_cast<size_t>(total));
  if (!read_exact(f.get(), a.data.data(), a.data.size()))
    throw IoError(fmt::format("IDX data is truncated (expected {} bytes)", total), path);
  return a;
}

LabeledImages load_fashion_mnist(const std::string& split, const std::string& dir) {
  std::string prefix;
  if (split == "test") {
    prefix = "t10k";
  } else if (split == "train") {
    prefix = "train";
  } else {
    throw UsageError(fmt::format("unknown Fashion-MNIST split \"{}\" (test or train)", split), "");
  }
  namespace fs = std::filesystem;
  // Debian ships them gzip'd; plain copies work too.
  auto find = [&](const std::string& base) {
    for (const std::string& name : {base + ".gz", base}) {
      fs::path p = fs::path(dir) / name;
      std::error_code ec;
      if (fs::is_regular_file(p, ec)) return p.string();
    }
    throw IoError(
        fmt::format("Fashion-MNIST file {}.gz not found (install Debian's dataset-fashion-mnist)",
                    base),
        dir);
  };
  const IdxArray images = read_idx(find(prefix + "-images-idx3-ubyte"));
  const IdxArray labels = read_idx(find(prefix + "-labels-idx1-ubyte"));
  if (images.dims.size() != 3)
    throw IoError("Fashion-MNIST images are not a 3-dimensional IDX array", dir);
  if (labels.dims.size() != 1 || labels.dims[0] != images.dims[0])
    throw IoError(fmt::format("{} labels for {} images", labels.dims.empty() ? 0 : labels.dims[0],
                              images.dims[0]),
                  dir);
  LabeledImages d;
  d.name = "fashion-mnist:" + split;
  d.count = images.dims[0];
  d.height = images.dims[1];
  d.width = images.dims[2];
  d.pixels = images.data;
  d.labels = labels.data;
  // The dataset's published class names, in label order.
  d.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  for (uint8_t l : d.labels)
    if (l >= d.class_names.size())
      throw IoError(fmt::format("label {} is not a Fashion-MNIST class", l), dir);
  return d;
}

LabeledImages load_dataset(const std::string& spec, const std::string& dir) {
  const auto colon = spec.find(':');
  const std::string name = spec.substr(0, colon);
  const std::string split = colon == std::string::npos ? "test" : spec.substr(colon + 1);
  if (name == "fashion-mnist")
    return load_fashion_mnist(split, dir.empty() ? kFashionMnistDir : dir);
  throw UsageError(fmt::format("unknown dataset \"{}\" (known: fashion-mnist[:test|:train])", spec),
                   "");
}

}  // namespace tpulab::data
