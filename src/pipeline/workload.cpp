#include "pipeline/workload.h"

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

void check_workload(const Workload& w) {
  if (w.requests < 1) throw UsageError("--requests must be at least 1", "pipeline");
  if (w.in_flight < 0) throw UsageError("--in-flight must not be negative", "pipeline");
  if (w.kind != LoadKind::kClosed && !(w.rate_ips > 0))
    throw UsageError("an open-loop load (" + load_kind_name(w.kind) + ") needs --rate above 0",
                     "pipeline");
}

std::vector<double> arrival_times(const Workload& w, size_t model) {
  std::vector<double> t;
  if (w.kind == LoadKind::kClosed) return t;
  check_workload(w);
  t.reserve(static_cast<size_t>(w.requests));
  const double gap_ms = 1e3 / w.rate_ips;
  if (w.kind == LoadKind::kPeriodic) {
    for (int64_t i = 0; i < w.requests; ++i) t.push_back(static_cast<double>(i) * gap_ms);
    return t;
  }
  // One stream per model from the seed: the same run twice gives the same arrivals.
  std::mt19937_64 rng(w.seed * 0x9E3779B97F4A7C15ull + model);
  std::exponential_distribution<double> gap(1.0 / gap_ms);
  double now = 0;
  for (int64_t i = 0; i < w.requests; ++i) {
    t.push_back(now);
    now += gap(rng);
  }
  return t;
}

}  // namespace tpulab::pipeline
