#include "pipeline/workload.h"

#include <cmath>
#include <random>

#include "common/error.h"

namespace tpulab::pipeline {

LoadKind parse_load_kind(const std::string& name) {
  if (name == "closed") return LoadKind::kClosed;
  if (name == "poisson") return LoadKind::kPoisson;
  if (name == "periodic") return LoadKind::kPeriodic;
  throw UsageError("unknown load '" + name + "' (closed, poisson, periodic)", "pipeline");
}

std::string load_kind_name(LoadKind kind) {
  switch (kind) {
    case LoadKind::kClosed:
      return "closed";
    case LoadKind::kPoisson:
      return "poisson";
    case LoadKind::kPeriodic:
      return "periodic";
  }
  return "?";
}

LoadKind load_kind_or_default(const std::string& name, double rate_ips) {
  if (!name.empty()) return parse_load_kind(name);
  return rate_ips > 0 ? LoadKind::kPoisson : LoadKind::kClosed;
}

void check_workload(const Workload& w) {
  if (w.requests < 1) throw FieldError("requests", "requests must be at least 1");
  if (w.in_flight < 0) throw FieldError("in_flight", "in-flight requests must not be negative");
  if (std::isinf(w.rate_ips)) throw FieldError("rate", "the arrival rate must be finite");
  if (w.kind != LoadKind::kClosed && !(w.rate_ips > 0))
    throw FieldError(
        "rate", "an open-loop load (" + load_kind_name(w.kind) + ") needs an arrival rate above 0");
  if (w.kind == LoadKind::kClosed && w.rate_ips != 0)
    throw FieldError("rate",
                     "an arrival rate is for open loops (poisson, periodic); a closed loop issues "
                     "a request whenever one completes");
  if (w.kind != LoadKind::kClosed && w.in_flight != 0)
    throw FieldError("in_flight",
                     "in-flight requests are for the closed loop; open loops issue requests at "
                     "their rate");
}

Arrivals::Arrivals(const Workload& w, size_t model)
    : periodic_(w.kind == LoadKind::kPeriodic),
      gap_ms_(w.rate_ips > 0 ? 1e3 / w.rate_ips : 0),
      rng_(w.seed * 0x9E3779B97F4A7C15ull + model),
      gap_(gap_ms_ > 0 ? 1.0 / gap_ms_ : 1.0) {
  check_workload(w);
  if (w.kind == LoadKind::kClosed)
    throw UsageError("a closed loop has no arrival times: completions let requests in", "pipeline");
}

double Arrivals::next() {
  // Periodic: i x gap, not a running sum, so the millionth arrival is as exact as the first.
  if (periodic_) return static_cast<double>(index_++) * gap_ms_;
  const double t = now_ms_;
  now_ms_ += gap_(rng_);
  return t;
}

std::vector<double> arrival_times(const Workload& w, size_t model) {
  std::vector<double> t;
  if (w.kind == LoadKind::kClosed) return t;
  Arrivals arrivals(w, model);
  t.reserve(static_cast<size_t>(w.requests));
  for (int64_t i = 0; i < w.requests; ++i) t.push_back(arrivals.next());
  return t;
}

}  // namespace tpulab::pipeline
