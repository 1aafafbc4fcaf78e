// Run statistics whose memory does not grow with the number of requests, so a run of 1e8 requests
// costs what a run of 1e5 does:
//   LogHistogram    counts in logarithmic buckets (HDR-style), relative error <= 2^-11 (0.049 %);
//   LatencyStats    count, mean, max exactly; nearest-rank percentiles exact up to a cap of
//                   samples, from a LogHistogram beyond it;
//   CompletionRate  the report's steady-state throughput (warm-up skipped) from completion times
//                   that arrive nearly in order, exact unless they arrive far out of order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "pipeline/runtime.h"

namespace tpulab::pipeline {

// Each power of two in [2^kMinExponent, 2^kMaxExponent) is split into 2^kSubBucketBits equal
// buckets: a bucket is at most 2^-kSubBucketBits of its lower bound wide, so its midpoint is within
// kRelativeError of every value in it. Values below the range (zero, negatives, NaN) share one
// bucket reported as 0, values above it one reported as 2^kMaxExponent. In milliseconds the range
// is about 1 fs to 35 years; buckets are allocated only between the smallest and largest value
// seen, at most kMaxBuckets in all.
class LogHistogram {
 public:
  static constexpr int kSubBucketBits = 10;
  static constexpr int kMinExponent = -50, kMaxExponent = 40;
  static constexpr double kRelativeError = 1.0 / (2 << kSubBucketBits);
  static constexpr size_t kMaxBuckets =
      (static_cast<size_t>(kMaxExponent - kMinExponent) << kSubBucketBits) + 2;

  void add(double v);
  uint64_t count() const { return count_; }
  // The representative (midpoint) of the bucket holding the rank-th smallest value (1-based, <=
  // count()).
  double value_at_rank(uint64_t rank) const;
  // Values in buckets above the one that holds `v`.
  uint64_t count_above(double v) const;
  // Buckets allocated: what the histogram's memory grows with.
  size_t buckets() const { return counts_.size(); }

  static size_t bucket_of(double v);
  static double bucket_value(size_t bucket);

 private:
  std::vector<uint64_t> counts_;  // buckets [offset_, offset_ + counts_.size())
  size_t offset_ = 0;
  uint64_t count_ = 0;
};

// Samples kept for exact percentiles before the histogram takes over (1 MB of doubles). Runs of
// up to this many requests report exactly what sorting every latency would.
constexpr size_t kExactSamples = size_t{1} << 17;

// A latency summary (nearest-rank p50/p90/p99, max, mean) built one sample at a time. Up to
// `exact_samples` samples it is summarize_latencies() of them; beyond, max is exact, the mean is a
// compensated sum (exact up to rounding), and each percentile is the midpoint of the histogram
// bucket that holds the nearest-rank sample, clamped to [min, max]: within
// LogHistogram::kRelativeError of the exact figure.
class LatencyStats {
 public:
  explicit LatencyStats(size_t exact_samples = kExactSamples) : exact_samples_(exact_samples) {}

  void add(double v);
  int64_t count() const { return static_cast<int64_t>(count_); }
  LatencySummary summary() const;
  // Whether summary() is exact (every sample is still kept).
  bool exact() const { return count_ <= exact_samples_; }
  const LogHistogram& histogram() const { return histogram_; }

 private:
  size_t exact_samples_;
  std::vector<double> samples_;  // while exact()
  LogHistogram histogram_;       // once not exact(): every sample
  uint64_t count_ = 0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
  double sum_ = 0, compensation_ = 0;  // Neumaier summation
};

// Steady-state completions per second from n completion times: the first tenth of completions
// (n >= 20) is warm-up; the rate is the completions after the (n/10 + 1)-th earliest time over the
// span from it to the last. Completion times are expected nearly in time order (the virtual clock
// records them in order; the realtime one almost): a sorted window of `window` times is kept and
// its earliest half released in order whenever it fills. While no time has been released (n <=
// window) or every time came after those released, the figure is exact; otherwise it falls back to
// a LogHistogram of the times (relative error of the warm-up instant <= kRelativeError).
class CompletionRate {
 public:
  // `expected`: the completions the run will record (the warm-up is a tenth of them).
  explicit CompletionRate(int64_t expected, size_t window = kExactSamples);

  void add(double done_ms);
  int64_t count() const { return static_cast<int64_t>(count_); }
  double ips() const;
  // Whether ips() is exact.
  bool exact() const;

 private:
  // Releases the earliest `n` times of the (sorted) window.
  void release(size_t n);

  uint64_t expected_, skip_;
  size_t window_;
  std::vector<double> pending_;  // [0, sorted_) sorted, then unsorted arrivals
  size_t sorted_ = 0;
  LogHistogram histogram_;  // every released time
  uint64_t count_ = 0, released_ = 0, after_first_ = 0;
  double last_released_ = -std::numeric_limits<double>::infinity();
  double first_ = 0;  // the (skip_ + 1)-th earliest time, once released
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
  bool out_of_order_ = false;
};

}  // namespace tpulab::pipeline
