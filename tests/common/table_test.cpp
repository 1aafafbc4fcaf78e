#include "common/table.h"

#include <gtest/gtest.h>

#include "common/error.h"
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

}  // namespace
}  // namespace tpulab
