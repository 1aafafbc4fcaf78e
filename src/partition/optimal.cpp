// The `optimal` strategy: the exact best cut points under the device model.
//
// A segment's cost is not additive over its ops (parameters spill past the SRAM once a segment
// holds too many, cut tensors cost transfers, the shared host link adds up every segment's
// bytes), so the search evaluates real segment costs:
//   1. an upper bound U: the better of the params and (finely bisected) profile plans;
//   2. every op range that can be a stage of a K-segment plan with all stages <= U, pruned with
//      an additive lower bound (a range whose bound exceeds U, or whose prefix or suffix cannot
//      fit the remaining segments under U, is never costed);
//   3. dynamic programs over those ranges, exact over all cut points:
//      - minimum bottleneck stage; with a shared host link, bisection over the candidate stage
//        times with a minimum-bytes program finds min max(stage, link) exactly;
//      - minimum latency with every stage (and the shared link) at or below a bound; with a
//        shared link whose bound binds, Pareto labels (latency, bytes) keep it exact.
// Throughput objective: minimum bottleneck, then the lowest latency among plans reaching it.
// Latency objective: minimum latency with the bottleneck at or below the throughput floor.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "common/error.h"
#include "partition/stage_cost.h"
#include "partition/strategy.h"

namespace tpulab::partition {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

struct Candidate {
  int32_t first;
  double ms;
  int64_t bytes;
};

class Search {
 public:
  Search(const StageCosts& costs, int k) : costs_(costs), k_(k), n_(costs.num_ops()) {}

  // Costs every range that can be a stage of a K-segment plan whose stages all take <= bound.
  void collect(double bound) {
    const double u = bound * (1 + 1e-9) + 1e-12;  // tolerance for the bound's rounding
    // Segments the ops before i (after j) need at least, every stage under the bound.
    std::vector<double> need_pre(static_cast<size_t>(n_) + 1), need_suf(need_pre.size());
    for (int32_t i = 0; i <= n_; ++i) {
      need_pre[static_cast<size_t>(i)] = i == 0 ? 0 : std::max(1.0, costs_.min_stages(0, i, u));
      need_suf[static_cast<size_t>(i)] = i == n_ ? 0 : std::max(1.0, costs_.min_stages(i, n_, u));
    }
    by_end_.assign(static_cast<size_t>(n_) + 1, {});
    for (int32_t j = 1; j <= n_; ++j) {
      // Segment index k - 1 (0-based) must leave room: at most K - 1 - need_suf(j) before it and
      // at least K - 1 - (n - j) (one op per later segment).
      const double hi_k = std::min<double>(k_ - 1 - need_suf[static_cast<size_t>(j)], j - 1);
      const double lo_k = std::max(0, k_ - 1 - (n_ - j));
      if (hi_k < lo_k) continue;
      for (int32_t i = j - 1; i >= 0; --i) {
        if (costs_.lower_bound_ms(i, j) > u) break;  // longer ranges only cost more
        const double pre = need_pre[static_cast<size_t>(i)];
        if (std::max<double>(pre, lo_k) > std::min<double>(hi_k, i)) continue;
        Stage s = costs_.stage(i, j);
        ++evaluated_;
        if (s.ms <= bound) by_end_[static_cast<size_t>(j)].push_back({i, s.ms, s.link_bytes});
      }
    }
  }

  int64_t evaluated() const { return evaluated_; }

  // The smallest achievable max(stage times, shared link time) among the collected ranges.
  std::optional<double> min_bottleneck() const {
    // Minimum largest stage first (a min-max program).
    std::vector<double> best = layered<double>(
        kInf, 0.0, [](double prev, const Candidate& c) { return std::max(prev, c.ms); },
        [](double a, double b) { return a < b; }, kInf);
    double m = best[index(k_, n_)];
    if (m == kInf) return std::nullopt;
    if (!costs_.has_shared_link()) return m;
    // The shared link adds every stage's bytes. Allowing slower stages (t) can only lower the
    // fewest bytes S(t); the optimum is at the crossing of t and S(t) over the stage times.
    std::vector<double> times;
    for (const auto& v : by_end_)
      for (const Candidate& c : v)
        if (c.ms >= m) times.push_back(c.ms);
    std::sort(times.begin(), times.end());
    times.erase(std::unique(times.begin(), times.end()), times.end());
    auto link_ms = [&](double t) { return costs_.shared_link_ms(min_bytes(t)); };
    size_t lo = 0, hi = times.size();  // first index with link_ms(t) <= t
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (link_ms(times[mid]) <= times[mid])
        hi = mid;
      else
        lo = mid + 1;
    }
    double result = kInf;
    if (lo < times.size()) result = times[lo];
    if (lo > 0) result = std::min(result, link_ms(times[lo - 1]));
    return result;
  }

  // The plan with the lowest latency whose stages and shared link all take <= bound.
  std::optional<std::vector<int32_t>> min_latency(double bound) const {
    std::vector<int32_t> parent;
    std::vector<double> sum = layered<double>(
        kInf, 0.0, [](double prev, const Candidate& c) { return prev + c.ms; },
        [](double a, double b) { return a < b; }, bound, &parent);
    if (sum[index(k_, n_)] == kInf) return std::nullopt;
    std::vector<int32_t> cuts = trace(parent);
    if (!costs_.has_shared_link() || costs_.shared_link_ms(bytes_of(cuts)) <= bound) return cuts;
    return min_latency_with_link(bound);
  }

 private:
  size_t index(int k, int32_t j) const {
    return static_cast<size_t>(k) * (static_cast<size_t>(n_) + 1) + static_cast<size_t>(j);
  }

  // best[k][j] over plans of the first j ops in k segments, each stage <= bound:
  // best[k][j] = better over stages (i, j) of combine(best[k-1][i], stage).
  template <typename T, typename Combine, typename Better>
  std::vector<T> layered(T worst, T empty, Combine combine, Better better, double bound,
                         std::vector<int32_t>* parent = nullptr) const {
    std::vector<T> best(index(k_ + 1, 0), worst);
    if (parent) parent->assign(best.size(), -1);
    best[index(0, 0)] = empty;
    for (int32_t j = 1; j <= n_; ++j)
      for (const Candidate& c : by_end_[static_cast<size_t>(j)]) {
        if (c.ms > bound) continue;
        for (int k = 1; k <= k_; ++k) {
          const T& prev = best[index(k - 1, c.first)];
          if (prev == worst) continue;
          T v = combine(prev, c);
          if (better(v, best[index(k, j)])) {
            best[index(k, j)] = v;
            if (parent) (*parent)[index(k, j)] = c.first;
          }
        }
      }
    return best;
  }

  // The fewest bytes over the shared link among plans with every stage <= t.
  int64_t min_bytes(double t) const {
    constexpr int64_t kNone = std::numeric_limits<int64_t>::max();
    std::vector<int64_t> best = layered<int64_t>(
        kNone, 0, [](int64_t prev, const Candidate& c) { return prev + c.bytes; },
        [](int64_t a, int64_t b) { return a < b; }, t);
    return best[index(k_, n_)];
  }

  std::vector<int32_t> trace(const std::vector<int32_t>& parent) const {
    std::vector<int32_t> cuts;
    int32_t j = n_;
    for (int k = k_; k > 1; --k) {
      j = parent[index(k, j)];
      cuts.push_back(j);
    }
    std::reverse(cuts.begin(), cuts.end());
    return cuts;
  }

  int64_t bytes_of(const std::vector<int32_t>& cuts) const {
    int64_t total = 0;
    int32_t first = 0;
    for (size_t s = 0; s <= cuts.size(); ++s) {
      int32_t last = s < cuts.size() ? cuts[s] : n_;
      for (const Candidate& c : by_end_[static_cast<size_t>(last)])
        if (c.first == first) total += c.bytes;
      first = last;
    }
    return total;
  }

  // Exact when the latency-best plan overloads the shared link: per (k, j), every plan that is
  // not beaten in both latency and bytes.
  std::optional<std::vector<int32_t>> min_latency_with_link(double bound) const {
    struct Label {
      double ms;
      int64_t bytes;
      int32_t from;    // previous end op
      int32_t parent;  // label index there
    };
    std::vector<std::vector<Label>> labels(index(k_ + 1, 0));
    labels[index(0, 0)].push_back({0.0, 0, -1, -1});
    for (int32_t j = 1; j <= n_; ++j) {
      for (int k = 1; k <= k_; ++k) {
        std::vector<Label>& out = labels[index(k, j)];
        for (const Candidate& c : by_end_[static_cast<size_t>(j)]) {
          if (c.ms > bound) continue;
          const auto& in = labels[index(k - 1, c.first)];
          for (size_t l = 0; l < in.size(); ++l) {
            Label x{in[l].ms + c.ms, in[l].bytes + c.bytes, c.first, static_cast<int32_t>(l)};
            if (costs_.shared_link_ms(x.bytes) <= bound) out.push_back(x);
          }
        }
        std::sort(out.begin(), out.end(), [](const Label& a, const Label& b) {
          return a.ms != b.ms ? a.ms < b.ms : a.bytes < b.bytes;
        });
        std::vector<Label> front;
        for (const Label& x : out)
          if (front.empty() || x.bytes < front.back().bytes) front.push_back(x);
        out = std::move(front);
      }
    }
    const auto& last = labels[index(k_, n_)];
    if (last.empty()) return std::nullopt;
    std::vector<int32_t> cuts;
    int32_t j = n_;
    int32_t l = 0;  // the front is sorted by latency
    for (int k = k_; k > 1; --k) {
      const Label& x = labels[index(k, j)][static_cast<size_t>(l)];
      cuts.push_back(x.from);
      j = x.from;
      l = x.parent;
    }
    std::reverse(cuts.begin(), cuts.end());
    return cuts;
  }

  const StageCosts& costs_;
  int k_;
  int32_t n_;
  std::vector<std::vector<Candidate>> by_end_;
  int64_t evaluated_ = 0;
};

}  // namespace

Plan partition_optimal(const Graph& graph, const device::Platform& platform, const Options& opts) {
  Plan params = partition_params(graph, platform, opts);
  params.strategy = Strategy::kOptimal;
  const int k = opts.segments;
  if (k == 1) return params;
  StageCosts costs(graph, platform);
  Search search(costs, k);
  std::optional<std::vector<int32_t>> cuts;
  if (opts.objective == Objective::kThroughput) {
    // A tight upper bound keeps the candidate ranges few: libcoral's search, bisected finely.
    Options fine = opts;
    fine.diff_threshold_ms = params.simulation.bottleneck_ms * 1e-3;
    Plan profile = partition_profile(graph, platform, fine);
    double bound = std::min(params.simulation.bottleneck_ms, profile.simulation.bottleneck_ms);
    search.collect(bound);
    std::optional<double> best = search.min_bottleneck();
    if (best) cuts = search.min_latency(*best);
    // Both heuristic plans are among the candidates, so the search cannot come back empty.
    if (!cuts)
      cuts = params.simulation.bottleneck_ms <= profile.simulation.bottleneck_ms ? params.starts
                                                                                 : profile.starts;
  } else {
    const double floor_ms = opts.min_throughput_ips > 0 ? 1e3 / opts.min_throughput_ips
                                                        : params.simulation.bottleneck_ms;
    search.collect(floor_ms);
    cuts = search.min_latency(floor_ms);
    if (!cuts)
      throw UsageError(fmt::format("no {}-segment plan reaches {:.1f} inferences/s on {}", k,
                                   1e3 / floor_ms, platform.name),
                       "--min-throughput");
  }
  return evaluate(graph, Strategy::kOptimal, *cuts, platform);
}

}  // namespace tpulab::partition
