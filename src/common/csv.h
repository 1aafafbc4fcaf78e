// The one CSV reader of tpulab's text tables (power traces and timelines, emulator waveforms, the
// device model's calibration data): rows of fields with their line numbers, and numbers parsed
// with errors that name the file, the line and the column. No quoting: none of these files
// needs it, and a quote is then just a character of its field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tpulab::csv {

struct Options {
  // ' ' splits on runs of spaces and tabs (PowerSensor's dump format) and drops empty fields;
  // any other character separates exactly (",," is an empty field, a trailing ',' one more).
  char separator = ',';
  bool skip_comments = false;  // lines starting with '#'
  bool skip_blank = false;     // empty or whitespace-only lines
  bool trim = false;           // spaces and tabs around each field
  // A last line without its '\n' is dropped when other lines exist: a writer killed mid-line
  // (a recording) leaves one, and half a row would fail the whole file.
  bool drop_cut_last_line = false;
};

struct Row {
  size_t line = 0;  // 1-based line of the file
  std::vector<std::string> fields;
};

struct Table {
  std::string path;  // names the file in errors
  std::vector<Row> rows;

  // "path:line", the `where` of errors about a row.
  std::string where(const Row& row) const;
  // Throws FormatError at the row unless it has exactly `count` fields.
  void expect_fields(const Row& row, size_t count) const;
  // Field `index` of `row` as a number; `column` names it in errors. Throws FormatError naming
  // file:line and the column when the field is missing, is not a whole number in C syntax, or
  // (unless `allow_non_finite`) is NaN or infinite.
  double number(const Row& row, size_t index, std::string_view column,
                bool allow_non_finite = false) const;
};

// Lines end with '\n' or "\r\n". Never throws.
Table parse(std::string_view text, std::string path, const Options& options = {});
// read_text_file(path, max_bytes, what) then parse: IoError for what is not a regular file or
// is larger than `max_bytes` (file_limits::...).
Table read(const std::string& path, uint64_t max_bytes, std::string_view what,
           const Options& options = {});

// The whole of `text` as a number (strtod's syntax, so "inf" and "nan" are numbers), or nothing.
std::optional<double> parse_number(std::string_view text);

}  // namespace tpulab::csv
