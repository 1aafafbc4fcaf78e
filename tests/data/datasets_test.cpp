// IDX reading (gzip'd and plain), Fashion-MNIST loading, and errors for missing or corrupt files.
#include "data/datasets.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <array>
#include <filesystem>

#include "common/error.h"
#include "testing/testing.h"

namespace tpulab::data {
namespace {

using ::testing::HasSubstr;

std::vector<uint8_t> idx(std::vector<uint32_t> dims, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> b{0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(d >> s));
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

void write_gz(const std::filesystem::path& p, const std::vector<uint8_t>& bytes) {
  gzFile f = gzopen(p.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  gzclose(f);
}

std::string error_of(const std::string& path) {
  try {
    read_idx(path);
  } catch (const IoError& e) {
    return e.what();
  }
  return "<read>";
}

TEST(Datasets, ReadsPlainAndGzippedIdx) {
  testing::TempDir dir;
  const std::vector<uint8_t> data{1, 2, 3, 4, 5, 6};
  testing::write_bytes(dir / "a.idx", idx({2, 3}, data));
  write_gz(dir / "a.idx.gz", idx({2, 3}, data));
  for (const char* name : {"a.idx", "a.idx.gz"}) {
    const IdxArray a = read_idx((dir / name).string());
    EXPECT_EQ(a.dims, (std::vector<int32_t>{2, 3}));
    EXPECT_EQ(a.data, data);
  }
}

TEST(Datasets, CorruptIdxFilesAreClearErrors) {
  testing::TempDir dir;
  EXPECT_THAT(error_of((dir / "none").string()), HasSubstr("not found"));
  testing::write_bytes(dir / "short", {0, 0});
  EXPECT_THAT(error_of((dir / "short").string()), HasSubstr("too short"));
  testing::write_bytes(dir / "magic", {1, 2, 8, 1, 0, 0, 0, 0});
  EXPECT_THAT(error_of((dir / "magic").string()), HasSubstr("magic"));
  testing::write_bytes(dir / "float", {0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0});
  EXPECT_THAT(error_of((dir / "float").string()), HasSubstr("element type"));
  testing::write_bytes(dir / "cut", idx({10, 10}, std::vector<uint8_t>(99)));
  EXPECT_THAT(error_of((dir / "cut").string()), HasSubstr("truncated"));
  // A header claiming 2^32 elements fails fast instead of allocating.
  testing::write_bytes(dir / "huge", idx({65536, 65536}, {}));
  EXPECT_THAT(error_of((dir / "huge").string()), HasSubstr("impossibly large"));
  // Truncated gzip stream.
  write_gz(dir / "full.gz", idx({100}, std::vector<uint8_t>(100, 7)));
  auto gz = testing::read_bytes(dir / "full.gz");
  gz.resize(gz.size() / 2);
  testing::write_bytes(dir / "half.gz", gz);
  EXPECT_NE(error_of((dir / "half.gz").string()), "<read>");
}

TEST(Datasets, MissingFashionMnistFilesNameThePackage) {
  testing::TempDir dir;
  try {
    load_fashion_mnist("test", dir.path().string());
    FAIL();
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("t10k-images-idx3-ubyte.gz not found"));
    EXPECT_THAT(e.what(), HasSubstr("dataset-fashion-mnist"));
  }
  EXPECT_THROW(load_dataset("mnist"), UsageError);
  EXPECT_THROW(load_dataset("fashion-mnist:validation"), UsageError);
}

TEST(Datasets, LabelCountMustMatch) {
  testing::TempDir dir;
  write_gz(dir / "t10k-images-idx3-ubyte.gz", idx({3, 2, 2}, std::vector<uint8_t>(12)));
  write_gz(dir / "t10k-labels-idx1-ubyte.gz", idx({2}, {0, 1}));
  EXPECT_THROW(load_fashion_mnist("test", dir.path().string()), IoError);
  write_gz(dir / "t10k-labels-idx1-ubyte.gz", idx({3}, {0, 1, 10}));
  EXPECT_THROW(load_fashion_mnist("test", dir.path().string()), IoError);  // 10 is no class
  write_gz(dir / "t10k-labels-idx1-ubyte.gz", idx({3}, {0, 1, 9}));
  const LabeledImages d = load_fashion_mnist("test", dir.path().string());
  EXPECT_EQ(d.count, 3);
  EXPECT_EQ(d.height, 2);
}

TEST(Datasets, FashionMnistTestSplit) {
  std::error_code ec;
  if (!std::filesystem::exists(std::string(kFashionMnistDir) + "/t10k-images-idx3-ubyte.gz", ec))
    GTEST_SKIP() << "!!! Debian's dataset-fashion-mnist is not installed: test SKIPPED !!!";
  const LabeledImages d = load_dataset("fashion-mnist");
  EXPECT_EQ(d.name, "fashion-mnist:test");
  EXPECT_EQ(d.count, 10000);
  EXPECT_EQ(d.height, 28);
  EXPECT_EQ(d.width, 28);
  EXPECT_EQ(d.pixels.size(), 10000u * 28 * 28);
  // The published test split is balanced: 1,000 images per class.
  std::array<int, 10> per_class{};
  for (uint8_t l : d.labels) ++per_class[l];
  for (int n : per_class) EXPECT_EQ(n, 1000);
  EXPECT_EQ(d.class_names[9], "Ankle boot");
}

}  // namespace
}  // namespace tpulab::data
