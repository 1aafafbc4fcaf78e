// Plain-text tables for human output (aligned columns) and the same rows as CSV.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tpulab {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
  // Columns whose index is listed are right-aligned (numbers).
  void right_align(std::vector<size_t> columns) { right_ = std::move(columns); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string str() const;
  std::string csv() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<size_t> right_;
};

// 1234567 -> "1,234,567"
std::string with_commas(int64_t n);
// 3493408 -> "3.33 MiB"
std::string human_bytes(int64_t n);
// Quotes a CSV field when it needs it.
std::string csv_field(const std::string& s);

}  // namespace tpulab
