#include "common/csv.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

#include "common/error.h"
#include "common/file_io.h"

namespace tpulab::csv {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string> split(std::string_view line, const Options& o) {
  std::vector<std::string> out;
  if (o.separator == ' ') {
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && is_space(line[i])) ++i;
      const size_t start = i;
      while (i < line.size() && !is_space(line[i])) ++i;
      if (i > start) out.emplace_back(line.substr(start, i - start));
    }
    return out;
  }
  size_t start = 0;
  while (true) {
    const size_t pos = line.find(o.separator, start);
    std::string_view field = line.substr(start, pos == std::string_view::npos ? pos : pos - start);
    out.emplace_back(o.trim ? trimmed(field) : field);
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

}  // namespace

Table parse(std::string_view text, std::string path, const Options& o) {
  Table t;
  t.path = std::move(path);
  size_t start = 0, line = 0;
  while (start < text.size()) {
    ++line;
    size_t end = text.find('\n', start);
    const bool cut = end == std::string_view::npos;
    if (cut) end = text.size();
    std::string_view s = text.substr(start, end - start);
    start = end + 1;
    if (cut && o.drop_cut_last_line && line > 1) break;
    if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
    if (o.skip_comments && !s.empty() && s.front() == '#') continue;
    if (o.skip_blank && trimmed(s).empty()) continue;
    t.rows.push_back({line, split(s, o)});
  }
  return t;
}

Table read(const std::string& path, uint64_t max_bytes, std::string_view what, const Options& o) {
  return parse(read_text_file(path, max_bytes, what), path, o);
}

std::optional<double> parse_number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const std::string s(text);  // strtod needs the terminator
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  return v;
}

std::string Table::where(const Row& row) const { return fmt::format("{}:{}", path, row.line); }

void Table::expect_fields(const Row& row, size_t count) const {
  if (row.fields.size() != count)
    throw FormatError(fmt::format("expected {} fields, found {}", count, row.fields.size()),
                      where(row));
}

double Table::number(const Row& row, size_t index, std::string_view column,
                     bool allow_non_finite) const {
  if (index >= row.fields.size())
    throw FormatError(fmt::format("column {}: missing field", column), where(row));
  const std::string& s = row.fields[index];
  const auto v = parse_number(s);
  if (!v) throw FormatError(fmt::format("column {}: '{}' is not a number", column, s), where(row));
  // A NaN would turn every sum after it into NaN ("average -nan W").
  if (!allow_non_finite && !std::isfinite(*v))
    throw FormatError(fmt::format("column {}: '{}' is not a finite number", column, s), where(row));
  return *v;
}

}  // namespace tpulab::csv
