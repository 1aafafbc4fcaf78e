// The `params` strategy: the Edge TPU compiler's parameter-balanced split (edgetpu.md).
#include <fmt/format.h>

#include "common/error.h"
#include "model/analysis.h"
#include "partition/strategy.h"

namespace tpulab::partition {

std::vector<device::OpRange> split_by_parameters(const Graph& graph, int k) {
  const Subgraph& sg = graph.main();
  const auto n = static_cast<int32_t>(sg.ops.size());
  if (k < 1) throw FieldError("segments", fmt::format("segments must be at least 1 (got {})", k));
  if (n < k)
    throw UsageError(fmt::format("cannot split a {}-op model into {} segments", n, k), "split");
  std::vector<int64_t> weights(static_cast<size_t>(n));
  int64_t total = 0;
  for (int32_t i = 0; i < n; ++i)
    total += weights[static_cast<size_t>(i)] = op_weight_bytes(sg, sg.ops[static_cast<size_t>(i)]);
  const int64_t target = total / k;
  std::vector<device::OpRange> out;
  int32_t first = 0;
  int64_t filled = 0;
  for (int32_t i = 0; i < n; ++i) {
    const int remaining_segments = k - static_cast<int>(out.size());
    if (remaining_segments == 1) break;  // the last segment takes the rest
    const int64_t w = weights[static_cast<size_t>(i)];
    // Close the current segment before op i when adding it would pass the target, or when the
    // ops left are only just enough for one op per remaining segment.
    const bool over = i > first && filled + w > target;
    const bool must = n - i <= remaining_segments - 1 && i > first;
    if (over || must) {
      out.push_back({first, i});
      first = i;
      filled = 0;
      if (k - static_cast<int>(out.size()) == 1) break;
    }
    filled += w;
  }
  out.push_back({first, n});
  return out;
}

Plan partition_params(const Graph& graph, const device::Platform& platform, const Options& opts) {
  check_partitionable(graph, opts.segments, platform);
  return evaluate(graph, Strategy::kParams, starts_of(split_by_parameters(graph, opts.segments)),
                  platform);
}

}  // namespace tpulab::partition
