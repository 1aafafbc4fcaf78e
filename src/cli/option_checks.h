// Range checks for numeric options: every number a user types is refused, with the option's
// name, when it is not a number of the option's kind, not finite, or outside what the option
// means. CLI11's own conversion accepts "4.7" for an integer, "true" as 1 and NaN for a double.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <limits>

namespace tpulab::cli {

// Segments (and pipeline replicas) a command accepts: more than any board has TPUs, with room
// for studies of hypothetical ones.
inline constexpr int kMaxSegments = 1024;

// A whole number (decimal digits with an optional sign) within [lo, hi].
CLI::Validator whole_number(int64_t lo, int64_t hi = std::numeric_limits<int64_t>::max());
// An unsigned 64-bit whole number (seeds).
CLI::Validator unsigned_number();
// A finite real number within [lo, hi]; `open_lo` excludes lo itself (a rate must be > 0).
CLI::Validator real_number(double lo, double hi, bool open_lo = false);

}  // namespace tpulab::cli
