// The CSV reader every text table goes through: fields and line numbers, CRLF, comments and
// blank lines, the dump format's space separation, and errors naming file, line and column.
#include "common/csv.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "testing/testing.h"

namespace tpulab::csv {
namespace {

std::vector<std::vector<std::string>> fields(const Table& t) {
  std::vector<std::vector<std::string>> out;
  for (const auto& r : t.rows) out.push_back(r.fields);
  return out;
}

std::string format_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const FormatError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("not a FormatError: ") + e.what();
  }
  return "no error";
}

TEST(Csv, FieldsLinesAndCrlf) {
  const Table t = parse("a,b,c\r\n1,,3\n4,5,6,\n", "t.csv");
  EXPECT_EQ(fields(t), (std::vector<std::vector<std::string>>{
                           {"a", "b", "c"}, {"1", "", "3"}, {"4", "5", "6", ""}}));
  EXPECT_EQ(t.rows[2].line, 3u);
  EXPECT_EQ(t.where(t.rows[1]), "t.csv:2");
  // No final newline: the last line is a row, unless it is a cut-off one being dropped.
  EXPECT_EQ(parse("a\n1", "t.csv").rows.size(), 2u);
  EXPECT_EQ(parse("a\n1", "t.csv", {.drop_cut_last_line = true}).rows.size(), 1u);
  EXPECT_EQ(parse("a", "t.csv", {.drop_cut_last_line = true}).rows.size(), 1u);
  EXPECT_TRUE(parse("", "t.csv").rows.empty());
}

TEST(Csv, CommentsBlankLinesTrimAndSpaceSeparation) {
  const Options o{.separator = ',', .skip_comments = true, .skip_blank = true, .trim = true};
  const Table t = parse("# note\n\n  \t\nx , y\r\n#,1\n 2,\t3 \n", "t.csv", o);
  EXPECT_EQ(fields(t), (std::vector<std::vector<std::string>>{{"x", "y"}, {"2", "3"}}));
  EXPECT_EQ(t.rows[0].line, 4u);
  EXPECT_EQ(t.rows[1].line, 6u);
  // Without the options every line is a row, as it is.
  EXPECT_EQ(parse("# note\n\nx , y\n", "t.csv").rows[2].fields[0], "x ");

  const Table d = parse("S  0.5\t1 2\r\nM x\n", "t.txt", {.separator = ' '});
  EXPECT_EQ(fields(d), (std::vector<std::vector<std::string>>{{"S", "0.5", "1", "2"}, {"M", "x"}}));
}

TEST(Csv, RaggedRowsAndBadNumbersNameFileLineAndColumn) {
  const Table t = parse("time_s,watts\n0,1\n0.5\n1,abc\n2,nan\n3,-inf\n4, 5\n5,1e999\n", "w.csv");
  EXPECT_NO_THROW(t.expect_fields(t.rows[1], 2));
  std::string e = format_error([&] { t.expect_fields(t.rows[2], 2); });
  EXPECT_NE(e.find("expected 2 fields, found 1 (w.csv:3)"), std::string::npos) << e;
  e = format_error([&] { t.number(t.rows[2], 1, "watts"); });
  EXPECT_NE(e.find("column watts: missing field (w.csv:3)"), std::string::npos) << e;
  e = format_error([&] { t.number(t.rows[3], 1, "watts"); });
  EXPECT_NE(e.find("column watts: 'abc' is not a number (w.csv:4)"), std::string::npos) << e;
  for (size_t row : {4, 5, 7}) {
    e = format_error([&] { t.number(t.rows[row], 1, "watts"); });
    EXPECT_NE(e.find("is not a finite number"), std::string::npos) << e;
    EXPECT_NE(e.find("w.csv:" + std::to_string(row + 1)), std::string::npos) << e;
  }
  EXPECT_TRUE(std::isnan(t.number(t.rows[4], 1, "watts", true)));
  EXPECT_EQ(t.number(t.rows[5], 1, "watts", true), -INFINITY);
  EXPECT_EQ(t.number(t.rows[6], 1, "watts"), 5.0);  // strtod's leading space
  EXPECT_EQ(t.number(t.rows[1], 0, "time_s"), 0.0);

  EXPECT_EQ(parse_number("0x10"), 16.0);
  EXPECT_FALSE(parse_number(""));
  EXPECT_FALSE(parse_number("1 "));
  EXPECT_FALSE(parse_number("1,5"));
}

TEST(Csv, ReadRefusesFilesOverTheLimitAndWhatIsMissing) {
  testing::TempDir dir;
  const std::string big = (dir / "big.csv").string();
  testing::write_bytes(big, std::vector<uint8_t>(4096, '1'));
  try {
    read(big, 1024, "waveform");
    ADD_FAILURE() << "a file over the limit was read";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(big), std::string::npos) << e.what();
  }
  EXPECT_EQ(read(big, 4096, "waveform").rows.size(), 1u);
  EXPECT_THROW(read((dir / "none.csv").string(), 1024, "waveform"), IoError);
}

}  // namespace
}  // namespace tpulab::csv
