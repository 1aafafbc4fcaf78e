#include "pipeline/streaming_stats.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace tpulab::pipeline {

namespace {

constexpr uint64_t kSubBuckets = uint64_t{1} << LogHistogram::kSubBucketBits;

// The report's throughput from every completion time, sorted: what the streaming figure must
// equal (and does, exactly, while it keeps every time).
double rate_of_sorted(const std::vector<double>& done_ms) {
  if (done_ms.empty()) return 0;
  // The first tenth of completions is warm-up: parameter loads and stages after a slow first
  // invoke draining their backlog faster than the bottleneck would bias a short run.
  const size_t skip = done_ms.size() >= 20 ? done_ms.size() / 10 : 0;
  const double first = done_ms[skip], span = done_ms.back() - first;
  if (span <= 0) return first > 0 ? static_cast<double>(done_ms.size()) / first * 1e3 : 0;
  // Completions after that instant over the span: replicas finishing together must not count
  // as work done in no time.
  const auto after_first =
      static_cast<double>(done_ms.end() - std::upper_bound(done_ms.begin(), done_ms.end(), first));
  return after_first / span * 1e3;
}

double rate(uint64_t n, double first, uint64_t after_first, double last) {
  const double span = last - first;
  if (span <= 0) return first > 0 ? static_cast<double>(n) / first * 1e3 : 0;
  return static_cast<double>(after_first) / span * 1e3;
}

}  // namespace

size_t LogHistogram::bucket_of(double v) {
  if (!(v >= std::ldexp(1.0, kMinExponent))) return 0;  // also NaN
  if (v >= std::ldexp(1.0, kMaxExponent)) return kMaxBuckets - 1;
  // The exponent and the top mantissa bits of the double are the octave and the bucket in it.
  const auto bits = std::bit_cast<uint64_t>(v);
  const auto exponent = static_cast<int64_t>((bits >> 52) & 0x7ff) - 1023;
  const uint64_t sub = (bits >> (52 - kSubBucketBits)) & (kSubBuckets - 1);
  return 1 + (static_cast<size_t>(exponent - kMinExponent) << kSubBucketBits) + sub;
}

double LogHistogram::bucket_value(size_t bucket) {
  if (bucket == 0) return 0;
  if (bucket >= kMaxBuckets - 1) return std::ldexp(1.0, kMaxExponent);
  const size_t i = bucket - 1;
  const int exponent = static_cast<int>(i >> kSubBucketBits) + kMinExponent;
  const double sub = static_cast<double>(i & (kSubBuckets - 1));
  return std::ldexp(1.0 + (sub + 0.5) / static_cast<double>(kSubBuckets), exponent);
}

void LogHistogram::add(double v) {
  const size_t b = bucket_of(v);
  if (counts_.empty()) {
    offset_ = b;
    counts_.assign(1, 0);
  } else if (b < offset_) {
    // At least an octave at a time: ever smaller values move the buckets at most once an octave.
    const size_t grow = std::min(offset_, std::max(offset_ - b, size_t{kSubBuckets}));
    counts_.insert(counts_.begin(), grow, 0);
    offset_ -= grow;
  } else if (b >= offset_ + counts_.size()) {
    counts_.resize(b + 1 - offset_, 0);
  }
  ++counts_[b - offset_];
  ++count_;
}

double LogHistogram::value_at_rank(uint64_t rank) const {
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank && counts_[i] > 0) return bucket_value(offset_ + i);
  }
  // rank > count(): the largest value's bucket.
  for (size_t i = counts_.size(); i-- > 0;)
    if (counts_[i] > 0) return bucket_value(offset_ + i);
  return 0;
}

uint64_t LogHistogram::count_above(double v) const {
  const size_t b = bucket_of(v);
  uint64_t n = 0;
  for (size_t i = counts_.size(); i-- > 0 && offset_ + i > b;) n += counts_[i];
  return n;
}

void LatencyStats::add(double v) {
  ++count_;
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
  // Neumaier: 1e8 additions of similar values keep the mean exact to a few ulp.
  const double t = sum_ + v;
  compensation_ += std::abs(sum_) >= std::abs(v) ? (sum_ - t) + v : (v - t) + sum_;
  sum_ = t;
  if (count_ <= exact_samples_) {
    samples_.push_back(v);
    return;
  }
  if (!samples_.empty()) {
    for (double s : samples_) histogram_.add(s);
    samples_.clear();
    samples_.shrink_to_fit();
  }
  histogram_.add(v);
}

LatencySummary LatencyStats::summary() const {
  if (exact()) return summarize_latencies(samples_);
  const auto rank = [&](double q) {
    const auto r = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
    return std::clamp(histogram_.value_at_rank(std::clamp<uint64_t>(r, 1, count_)), min_, max_);
  };
  LatencySummary s;
  s.p50 = rank(0.50);
  s.p90 = rank(0.90);
  s.p99 = rank(0.99);
  s.max = max_;
  s.mean = (sum_ + compensation_) / static_cast<double>(count_);
  return s;
}

CompletionRate::CompletionRate(int64_t expected, size_t window)
    : expected_(static_cast<uint64_t>(std::max<int64_t>(expected, 0))),
      skip_(expected_ >= 20 ? expected_ / 10 : 0),
      window_(std::max<size_t>(window, 2)) {}

void CompletionRate::add(double done_ms) {
  ++count_;
  min_ = std::min(min_, done_ms);
  max_ = std::max(max_, done_ms);
  pending_.push_back(done_ms);
  if (pending_.size() <= window_) return;
  // Sorting only the new half and merging keeps in-order input cheap.
  std::sort(pending_.begin() + static_cast<std::ptrdiff_t>(sorted_), pending_.end());
  std::inplace_merge(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(sorted_),
                     pending_.end());
  sorted_ = pending_.size();
  release(pending_.size() - window_ / 2);
}

void CompletionRate::release(size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const double v = pending_[i];
    // A time before one already released: the window was too small for this disorder.
    if (v < last_released_) out_of_order_ = true;
    last_released_ = std::max(last_released_, v);
    if (released_ == skip_)
      first_ = v;
    else if (released_ > skip_ && v > first_)
      ++after_first_;
    ++released_;
    histogram_.add(v);
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
  sorted_ -= n;
}

bool CompletionRate::exact() const {
  if (released_ == 0) return true;
  if (out_of_order_ || count_ != expected_) return false;
  return std::all_of(pending_.begin(), pending_.end(),
                     [&](double v) { return v >= last_released_; });
}

double CompletionRate::ips() const {
  if (count_ == 0) return 0;
  std::vector<double> rest(pending_);
  std::sort(rest.begin(), rest.end());
  if (released_ == 0) return rate_of_sorted(rest);
  if (exact()) {
    // Release the rest, in order, on copies.
    uint64_t index = released_, after_first = after_first_;
    double first = first_;
    for (double v : rest) {
      if (index == skip_)
        first = v;
      else if (index > skip_ && v > first)
        ++after_first;
      ++index;
    }
    return rate(count_, first, after_first, max_);
  }
  LogHistogram all = histogram_;
  for (double v : rest) all.add(v);
  const uint64_t skip = count_ >= 20 ? count_ / 10 : 0;
  const double first = std::clamp(all.value_at_rank(skip + 1), min_, max_);
  return rate(count_, first, all.count_above(first), max_);
}

}  // namespace tpulab::pipeline
