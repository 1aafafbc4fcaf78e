#include "common/table.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/mapped_file.h"
#include "testing/testing.h"

namespace tpulab {
namespace {

TEST(Table, AlignsColumnsAndRightAlignsNumbers) {
  TextTable t({"name", "n"});
  t.right_align({1});
  t.add({"a", "1"});
  t.add({"long name", "1,000"});
  EXPECT_EQ(t.str(), "name           n\n----------------\na              1\nlong name  1,000\n");
}

TEST(Table, CsvQuotesOnlyWhenNeeded) {
  TextTable t({"a", "b"});
  t.add({"x,y", "say \"hi\""});
  t.add({"plain", ""});
  EXPECT_EQ(t.csv(), "a,b\n\"x,y\",\"say \"\"hi\"\"\"\nplain,\n");
}

TEST(Table, NumberFormatting) {
  EXPECT_EQ(with_commas(0), "0");
  EXPECT_EQ(with_commas(999), "999");
  EXPECT_EQ(with_commas(1000), "1,000");
  EXPECT_EQ(with_commas(-1234567), "-1,234,567");
  EXPECT_EQ(human_bytes(512), "512 B");
  EXPECT_EQ(human_bytes(3 * 1024 * 1024 / 2), "1.50 MiB");
}

TEST(MappedFile, MapsWritesAtomicallyAndReportsErrors) {
  testing::TempDir dir;
  std::string path = (dir / "f.bin").string();
  std::vector<uint8_t> data = {1, 2, 3};
  write_file_atomic(path, data);
  MappedFile m(path);
  ASSERT_EQ(m.bytes().size(), 3u);
  EXPECT_EQ(m.bytes()[2], 3);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  write_file_atomic((dir / "e").string(), {});
  MappedFile empty((dir / "e").string());
  EXPECT_TRUE(empty.bytes().empty());
  EXPECT_THROW(MappedFile((dir / "missing").string()), IoError);
  EXPECT_THROW(MappedFile(dir.path().string()), IoError);  // a folder
  EXPECT_THROW(write_file_atomic((dir / "no" / "such" / "dir").string(), data), IoError);
}

}  // namespace
}  // namespace tpulab
