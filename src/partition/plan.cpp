#include <fmt/format.h>

#include "common/error.h"
#include "model/op.h"
#include "partition/strategy.h"

namespace tpulab::partition {

Strategy parse_strategy(const std::string& name) {
  for (Strategy s : all_strategies())
    if (strategy_name(s) == name) return s;
  throw UsageError(fmt::format("unknown strategy '{}' (params, profile, optimal)", name),
                   "--strategy");
}

std::string strategy_name(Strategy s) {
  switch (s) {
    case Strategy::kParams:
      return "params";
    case Strategy::kProfile:
      return "profile";
    case Strategy::kOptimal:
      return "optimal";
  }
  return "?";
}

Objective parse_objective(const std::string& name) {
  if (name == "throughput") return Objective::kThroughput;
  if (name == "latency") return Objective::kLatency;
  throw UsageError(fmt::format("unknown objective '{}' (throughput, latency)", name),
                   "--objective");
}

std::string objective_name(Objective o) {
  return o == Objective::kThroughput ? "throughput" : "latency";
}

const std::vector<Strategy>& all_strategies() {
  static const std::vector<Strategy> all = {Strategy::kParams, Strategy::kProfile,
                                            Strategy::kOptimal};
  return all;
}

void check_partitionable(const Graph& graph, int k, const device::Platform& platform) {
  if (graph.subgraphs.size() != 1)
    throw UnsupportedError(
        fmt::format("the model has {} subgraphs; only single-subgraph models (no control flow) "
                    "can be cut into pipeline segments",
                    graph.subgraphs.size()),
        "partition");
  const Subgraph& sg = graph.main();
  // Control flow ops call other subgraphs; a cut through them has no meaning.
  constexpr int32_t kCall = 31, kIf = 118, kWhile = 119, kCallOnce = 129;
  for (size_t i = 0; i < sg.ops.size(); ++i) {
    int32_t c = sg.ops[i].code;
    if (c == kCall || c == kIf || c == kWhile || c == kCallOnce)
      throw UnsupportedError(fmt::format("op {} is control flow ({}); models with control flow "
                                         "cannot be cut into pipeline segments",
                                         i, builtin_op_name(c)),
                             "partition");
  }
  const auto n = static_cast<int64_t>(sg.ops.size());
  if (n == 0) throw UsageError("the model has no ops", "partition");
  if (k < 1) throw UsageError(fmt::format("-n must be at least 1 (got {})", k), "partition");
  if (k > n)
    throw UsageError(fmt::format("cannot cut a {}-op model into {} segments (at most {})", n, k, n),
                     "partition");
  if (k > platform.tpus)
    throw UsageError(fmt::format("{} segments need {} Edge TPUs but platform {} has {}", k, k,
                                 platform.name, platform.tpus),
                     "partition");
}

std::vector<device::OpRange> ranges_of(const std::vector<int32_t>& starts, int32_t n_ops) {
  std::vector<device::OpRange> out;
  int32_t first = 0;
  for (int32_t s : starts) {
    out.push_back({first, s});
    first = s;
  }
  out.push_back({first, n_ops});
  return out;
}

std::vector<int32_t> starts_of(const std::vector<device::OpRange>& ranges) {
  std::vector<int32_t> out;
  for (size_t i = 1; i < ranges.size(); ++i) out.push_back(ranges[i].first);
  return out;
}

Plan evaluate(const Graph& graph, Strategy strategy, const std::vector<int32_t>& starts,
              const device::Platform& platform) {
  Plan p;
  p.strategy = strategy;
  p.starts = starts;
  p.simulation = device::simulate(
      graph, ranges_of(starts, static_cast<int32_t>(graph.main().ops.size())), platform);
  return p;
}

Plan partition(const Graph& graph, Strategy strategy, const device::Platform& platform,
               const Options& opts) {
  switch (strategy) {
    case Strategy::kParams:
      return partition_params(graph, platform, opts);
    case Strategy::kProfile:
      return partition_profile(graph, platform, opts);
    case Strategy::kOptimal:
      return partition_optimal(graph, platform, opts);
  }
  throw UsageError("unknown strategy", "partition");
}

double objective_ms(const Plan& plan, Objective objective) {
  return objective == Objective::kThroughput ? plan.simulation.bottleneck_ms
                                             : plan.simulation.latency_ms;
}

}  // namespace tpulab::partition
