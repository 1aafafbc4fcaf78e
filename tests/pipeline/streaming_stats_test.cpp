// The run report's streaming statistics against sorting every sample: exact up to the cap,
// within the histogram's stated relative error beyond it, memory bounded whatever the count.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "pipeline/runtime.h"
#include "pipeline/streaming_stats.h"
#include "pipeline/timed_system.h"
#include "pipeline/workload.h"

namespace tpulab::pipeline {
namespace {

using Sampler = std::function<double(std::mt19937_64&)>;

struct Distribution {
  std::string name;
  Sampler draw;
};

// Latency-like shapes, from tight to heavy-tailed, spanning many octaves.
std::vector<Distribution> distributions() {
  return {
      {"uniform", [](std::mt19937_64& g) { return std::uniform_real_distribution(5.0, 6.0)(g); }},
      {"exponential",
       [](std::mt19937_64& g) { return std::exponential_distribution(1 / 20.0)(g); }},
      {"lognormal", [](std::mt19937_64& g) { return std::lognormal_distribution(2.0, 1.5)(g); }},
      // Pareto with alpha 1.1: the mean barely exists, p99 is ~60x p50.
      {"pareto",
       [](std::mt19937_64& g) {
         return 3.0 / std::pow(1.0 - std::uniform_real_distribution(0.0, 1.0)(g), 1 / 1.1);
       }},
      {"bimodal",
       [](std::mt19937_64& g) {
         return std::bernoulli_distribution(0.95)(g) ? std::normal_distribution(10.0, 0.5)(g)
                                                     : std::normal_distribution(400.0, 50.0)(g);
       }},
      // A deterministic pipeline: every request takes the same time.
      {"constant", [](std::mt19937_64&) { return 11.0; }},
  };
}

std::vector<double> draw(const Distribution& d, size_t n, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::vector<double> v(n);
  for (double& x : v) x = d.draw(g);
  return v;
}

void expect_within(double got, double exact, double relative, const std::string& what) {
  EXPECT_LE(std::abs(got - exact), relative * std::abs(exact))
      << what << ": " << got << " vs exact " << exact;
}

TEST(LogHistogram, EveryValueIsWithinTheStatedErrorOfItsBucket) {
  std::mt19937_64 g(7);
  // Log-uniform over the whole range, plus every power of two and its neighbours.
  std::vector<double> values;
  for (int i = 0; i < 200000; ++i)
    values.push_back(std::exp2(std::uniform_real_distribution(-49.9, 39.9)(g)));
  for (int e = LogHistogram::kMinExponent; e < LogHistogram::kMaxExponent; ++e) {
    const double p = std::ldexp(1.0, e);
    values.insert(values.end(), {p, std::nextafter(p, 0.0), std::nextafter(p, 1e300)});
  }
  for (double v : values) {
    if (v < std::ldexp(1.0, LogHistogram::kMinExponent)) continue;
    const size_t b = LogHistogram::bucket_of(v);
    ASSERT_LT(b, LogHistogram::kMaxBuckets);
    const double rep = LogHistogram::bucket_value(b);
    ASSERT_LE(std::abs(rep - v), LogHistogram::kRelativeError * v) << v;
  }
  // Buckets follow the values' order.
  std::sort(values.begin(), values.end());
  for (size_t i = 1; i < values.size(); ++i)
    ASSERT_LE(LogHistogram::bucket_of(values[i - 1]), LogHistogram::bucket_of(values[i]));
  EXPECT_LE(LogHistogram::kRelativeError, 0.001);
}

TEST(LogHistogram, OutOfRangeValuesShareTheEndBuckets) {
  LogHistogram h;
  for (double v : {0.0, -1.0, 1e-300, std::numeric_limits<double>::quiet_NaN()}) {
    EXPECT_EQ(LogHistogram::bucket_of(v), 0u) << v;
    h.add(v);
  }
  for (double v : {1e300, std::numeric_limits<double>::infinity()}) {
    EXPECT_EQ(LogHistogram::bucket_of(v), LogHistogram::kMaxBuckets - 1) << v;
    h.add(v);
  }
  EXPECT_EQ(h.count(), 6u);
  EXPECT_EQ(h.buckets(), LogHistogram::kMaxBuckets);  // the whole range, and no more
  EXPECT_EQ(h.value_at_rank(1), 0.0);
  EXPECT_EQ(h.value_at_rank(6), std::ldexp(1.0, LogHistogram::kMaxExponent));
  EXPECT_EQ(h.count_above(0.0), 2u);
}

TEST(LogHistogram, MemoryFollowsTheRangeNotTheCount) {
  LogHistogram h;
  std::mt19937_64 g(3);
  std::uniform_real_distribution<double> ms(1.0, 1000.0);  // 10 octaves
  for (int i = 0; i < 10000; ++i) h.add(ms(g));
  for (int i = 0; i < 1000000; ++i) h.add(ms(g));
  EXPECT_EQ(h.count(), 1010000u);
  // The range's octaves, and at most one more (the front grows an octave at a time).
  const size_t octave = size_t{1} << LogHistogram::kSubBucketBits;
  EXPECT_LE(h.buckets(), 11 * octave);
  // Ever smaller values: still the range, now 50 octaves.
  for (int e = 0; e > -40; --e) h.add(std::ldexp(1.0, e));
  EXPECT_LE(h.buckets(), 51 * octave);
}

TEST(LatencyStats, UpToTheCapItIsSortingEverySample) {
  for (const Distribution& d : distributions()) {
    const std::vector<double> v = draw(d, 5000, 11);
    LatencyStats s(5000);
    for (double x : v) s.add(x);
    ASSERT_TRUE(s.exact());
    EXPECT_EQ(s.count(), 5000);
    const LatencySummary got = s.summary(), want = summarize_latencies(v);
    EXPECT_EQ(got.p50, want.p50) << d.name;
    EXPECT_EQ(got.p90, want.p90) << d.name;
    EXPECT_EQ(got.p99, want.p99) << d.name;
    EXPECT_EQ(got.max, want.max) << d.name;
    EXPECT_EQ(got.mean, want.mean) << d.name;
  }
  // The default cap covers the runs the docs and tests quote (up to 100,000 requests).
  EXPECT_GE(kExactSamples, 100000u);
}

TEST(LatencyStats, BeyondTheCapPercentilesStayWithinTheStatedError) {
  for (const Distribution& d : distributions()) {
    for (uint64_t seed : {1, 2}) {
      const std::vector<double> v = draw(d, 300000, seed);
      LatencyStats s(1000);  // a small cap: the histogram answers
      for (double x : v) s.add(x);
      ASSERT_FALSE(s.exact());
      EXPECT_EQ(s.count(), 300000);
      const LatencySummary got = s.summary(), want = summarize_latencies(v);
      const double e = LogHistogram::kRelativeError;
      expect_within(got.p50, want.p50, e, d.name + " p50");
      expect_within(got.p90, want.p90, e, d.name + " p90");
      expect_within(got.p99, want.p99, e, d.name + " p99");
      EXPECT_EQ(got.max, want.max) << d.name;
      expect_within(got.mean, want.mean, 1e-10, d.name + " mean");
      EXPECT_LE(got.p50, got.p90);
      EXPECT_LE(got.p90, got.p99);
      EXPECT_LE(got.p99, got.max);
      // The samples are gone: memory is the histogram's buckets.
      EXPECT_LE(s.histogram().buckets(), LogHistogram::kMaxBuckets);
    }
  }
}

TEST(LatencyStats, ASmallRunAndNoRunAreWellDefined) {
  LatencyStats none;
  EXPECT_EQ(none.summary().max, 0.0);
  LatencyStats one(0);  // no exact samples at all: the histogram from the first
  one.add(4.0);
  EXPECT_EQ(one.summary().p50, 4.0);  // clamped to the one value
  EXPECT_EQ(one.summary().mean, 4.0);
}

// The report's throughput computed from every completion time (what CompletionRate replaces).
double rate_of_all(std::vector<double> done) {
  std::sort(done.begin(), done.end());
  const size_t skip = done.size() >= 20 ? done.size() / 10 : 0;
  const double first = done[skip], span = done.back() - first;
  if (span <= 0) return first > 0 ? static_cast<double>(done.size()) / first * 1e3 : 0;
  const auto after = done.end() - std::upper_bound(done.begin(), done.end(), first);
  return static_cast<double>(after) / span * 1e3;
}

// Completion times of a pipeline: a slow warm-up, then a steady rate, replicas finishing in
// pairs (ties), in time order.
std::vector<double> completions(size_t n, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::exponential_distribution<double> gap(1.0);
  std::vector<double> t;
  double now = 50;
  for (size_t i = 0; i < n; ++i) {
    if (i % 2 == 0) now += i < n / 20 ? 20 * gap(g) : gap(g);
    t.push_back(now);
  }
  return t;
}

TEST(CompletionRate, InOrderTimesGiveTheExactFigureWithAnyWindow) {
  const std::vector<double> t = completions(200000, 5);
  for (size_t window : {size_t{2}, size_t{64}, kExactSamples}) {
    CompletionRate r(static_cast<int64_t>(t.size()), window);
    for (double x : t) r.add(x);
    EXPECT_TRUE(r.exact()) << window;
    EXPECT_EQ(r.ips(), rate_of_all(t)) << window;
  }
}

TEST(CompletionRate, NearlyInOrderTimesWithinTheWindowAreExact) {
  // The realtime clock's collectors record completions slightly out of order.
  std::vector<double> t = completions(100000, 6);
  std::mt19937_64 g(8);
  for (size_t i = 0; i + 16 < t.size(); i += 16)
    std::shuffle(t.begin() + static_cast<std::ptrdiff_t>(i),
                 t.begin() + static_cast<std::ptrdiff_t>(i + 16), g);
  CompletionRate r(static_cast<int64_t>(t.size()), 256);
  for (double x : t) r.add(x);
  EXPECT_TRUE(r.exact());
  EXPECT_EQ(r.ips(), rate_of_all(t));
}

TEST(CompletionRate, ShuffledTimesFallBackToTheHistogram) {
  std::vector<double> t = completions(100000, 9);
  std::shuffle(t.begin(), t.end(), std::mt19937_64(10));
  CompletionRate small(static_cast<int64_t>(t.size()), 256), whole(0, t.size());
  for (double x : t) {
    small.add(x);
    whole.add(x);
  }
  // A window holding every time is exact in any order (and needs no expected count).
  EXPECT_TRUE(whole.exact());
  EXPECT_EQ(whole.ips(), rate_of_all(t));
  EXPECT_FALSE(small.exact());
  expect_within(small.ips(), rate_of_all(t), 2e-3, "fallback");
}

TEST(CompletionRate, AllAtOnceAndNothing) {
  CompletionRate none(0);
  EXPECT_EQ(none.ips(), 0.0);
  // Replicas finishing together: n over the time since the start, as before.
  CompletionRate together(4, 2);
  for (int i = 0; i < 4; ++i) together.add(8.0);
  EXPECT_TRUE(together.exact());
  EXPECT_EQ(together.ips(), 500.0);
}

TEST(Arrivals, ComeOneAtATime) {
  Workload w;
  w.kind = LoadKind::kPeriodic;
  w.rate_ips = 250;
  w.requests = 1000;
  Arrivals periodic(w, 0);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(periodic.next(), 4.0 * i);
  w.kind = LoadKind::kPoisson;
  Arrivals a(w, 1), again(w, 1);
  double last = -1;
  for (int i = 0; i < 1000; ++i) {
    const double t = a.next();
    ASSERT_GE(t, last);
    ASSERT_EQ(again.next(), t);  // reproducible from the seed
    last = t;
  }
  EXPECT_NEAR(last / 999, 4.0, 0.5);  // mean gap 1 / rate
  w.kind = LoadKind::kClosed;
  EXPECT_THROW(Arrivals(w, 0), UsageError);
}

// Runs past the cap report through the histogram: still the figures a fixed-time system must
// give, and no request lost.
TEST(VirtualRuntime, RunsPastTheExactCapKeepTheirFigures) {
  System sys = testing::timed_system({{2.0, 5.0, 4.0}, {1.0, 1.0}}, {0, 1});
  Workload w;
  w.kind = LoadKind::kPeriodic;
  w.rate_ips = 100;  // below both pipelines' capacity: no request waits
  w.requests = static_cast<int64_t>(kExactSamples) + 50000;
  const RunReport r = run(sys, w, RunOptions{});
  ASSERT_EQ(r.models.size(), 2u);
  EXPECT_EQ(r.requests, 2 * w.requests);
  // Request i arrives at 10 i ms and is done 11 ms (model 0) or 2 ms (model 1) later.
  std::vector<double> done0, done_all;
  for (int64_t i = 0; i < w.requests; ++i) {
    done0.push_back(10.0 * static_cast<double>(i) + 11.0);
    done_all.insert(done_all.end(), {done0.back(), 10.0 * static_cast<double>(i) + 2.0});
  }
  EXPECT_DOUBLE_EQ(r.models[0].throughput_ips, rate_of_all(done0));
  EXPECT_NEAR(r.models[0].throughput_ips, 100.0, 1e-6);
  EXPECT_DOUBLE_EQ(r.throughput_ips, rate_of_all(done_all));
  const double e = LogHistogram::kRelativeError;
  expect_within(r.models[0].latency_ms.p50, 11.0, e, "model0 p50");
  expect_within(r.models[1].latency_ms.p99, 2.0, e, "model1 p99");
  EXPECT_DOUBLE_EQ(r.models[0].latency_ms.max, 11.0);
  EXPECT_NEAR(r.models[1].latency_ms.mean, 2.0, 1e-9);
  // All models: half the requests take 2 ms, half 11 ms.
  expect_within(r.latency_ms.p50, 2.0, e, "p50");
  expect_within(r.latency_ms.p90, 11.0, e, "p90");
  EXPECT_NEAR(r.latency_ms.mean, 6.5, 1e-9);
}

}  // namespace
}  // namespace tpulab::pipeline
