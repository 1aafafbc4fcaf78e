#include "cli/option_checks.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <string>

namespace tpulab::cli {

namespace {

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::string bound_text(double v) {
  if (v == std::numeric_limits<double>::max()) return "any";
  return fmt::format("{}", v);
}

}  // namespace

CLI::Validator whole_number(int64_t lo, int64_t hi) {
  const std::string desc = hi == std::numeric_limits<int64_t>::max()
                               ? fmt::format("INT >= {}", lo)
                               : fmt::format("INT in {}..{}", lo, hi);
  return CLI::Validator(
      [lo, hi](std::string& input) -> std::string {
        const std::string s = trimmed(input);
        int64_t v = 0;
        const char* first = s.data();
        const char* end = s.data() + s.size();
        if (!s.empty() && *first == '+') ++first;
        const auto [ptr, ec] = std::from_chars(first, end, v);
        if (ec == std::errc::result_out_of_range ||
            (ec == std::errc() && ptr == end && (v < lo || v > hi))) {
          return hi == std::numeric_limits<int64_t>::max()
                     ? fmt::format("{} is out of range: it must be a whole number >= {}", s, lo)
                     : fmt::format("{} is out of range: it must be a whole number in {}..{}", s, lo,
                                   hi);
        }
        if (s.empty() || ec != std::errc() || ptr != end)
          return fmt::format("{} is not a whole number", s.empty() ? "''" : s);
        input = s;
        return {};
      },
      desc);
}

CLI::Validator unsigned_number() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        const std::string s = trimmed(input);
        uint64_t v = 0;
        const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec == std::errc::result_out_of_range)
          return fmt::format("{} is out of range: it must be a whole number in 0..{}", s,
                             std::numeric_limits<uint64_t>::max());
        if (s.empty() || ec != std::errc() || ptr != s.data() + s.size())
          return fmt::format("{} is not a whole number >= 0", s.empty() ? "''" : s);
        input = s;
        return {};
      },
      "UINT");
}

CLI::Validator real_number(double lo, double hi, bool open_lo) {
  const std::string desc = fmt::format(
      "NUMBER {} {}{}", open_lo ? ">" : ">=", lo,
      hi == std::numeric_limits<double>::max() ? std::string() : fmt::format(", <= {}", hi));
  return CLI::Validator(
      [lo, hi, open_lo](std::string& input) -> std::string {
        const std::string s = trimmed(input);
        double v = 0;
        const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || (ec != std::errc() && ec != std::errc::result_out_of_range) ||
            ptr != s.data() + s.size())
          return fmt::format("{} is not a number", s.empty() ? "''" : s);
        if (ec == std::errc::result_out_of_range || !std::isfinite(v))
          return fmt::format("{} is not a finite number", s);
        if (v < lo || (open_lo && v == lo) || v > hi)
          return fmt::format(
              "{} is out of range: it must be {} {}{}", s, open_lo ? ">" : ">=", bound_text(lo),
              hi == std::numeric_limits<double>::max() ? std::string()
                                                       : fmt::format(" and <= {}", bound_text(hi)));
        input = s;
        return {};
      },
      desc);
}

}  // namespace tpulab::cli
