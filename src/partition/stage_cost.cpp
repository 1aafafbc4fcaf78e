#include "partition/stage_cost.h"

#include <algorithm>

#include "device/edgetpu/cost.h"
#include "model/analysis.h"

namespace tpulab::partition {

StageCosts::StageCosts(const Graph& graph, const device::Platform& platform)
    : platform_(&platform), compiler_(graph, platform.chip) {
  const Subgraph& sg = graph.main();
  const int32_t n = compiler_.num_ops();
  compute_lb_.assign(static_cast<size_t>(n) + 1, 0.0);
  streaming_lb_.assign(static_cast<size_t>(n) + 1, 0.0);
  const double link_bytes_per_ms = platform.link.effective_mb_s * 1e3;
  sram_ms_ = static_cast<double>(platform.chip.sram_bytes) / link_bytes_per_ms;
  for (int32_t i = 0; i < n; ++i) {
    device::Placement p = compiler_.place(i, i + 1);
    device::Cost c = device::cost(p, platform);
    double host = c.latency.host_ms;  // an op the TPU cannot run costs this wherever it is
    double tpu = host, tpu_streaming = host;
    if (p.tpu_ops > 0) {
      // Alone it runs on the TPU; inside a longer segment it may land on the host instead (after
      // an unsupported op), where its MACs alone take at least this long.
      host = static_cast<double>(op_macs(sg, sg.ops[static_cast<size_t>(i)])) /
             (platform.host.gmacs * 1e9) * 1e3;
      tpu = c.latency.compute_ms;
      tpu_streaming = tpu + static_cast<double>(p.parameter_bytes) / link_bytes_per_ms;
    }
    // Prefix sums of doubles round; shave a little so the bound stays below the true cost.
    const auto u = static_cast<size_t>(i);
    compute_lb_[u + 1] = compute_lb_[u] + std::min(host, tpu) * (1 - 1e-9);
    streaming_lb_[u + 1] = streaming_lb_[u] + std::min(host, tpu_streaming) * (1 - 1e-9);
  }
}

Stage StageCosts::stage(int32_t first, int32_t last) const {
  device::Placement p = compiler_.place(first, last);
  Stage s;
  s.ms = device::cost(p, *platform_).latency_ms();
  s.link_bytes = p.link_bytes();
  return s;
}

double StageCosts::shared_link_ms(int64_t bytes) const {
  return device::shared_link_ms(*platform_, static_cast<double>(bytes));
}

}  // namespace tpulab::partition
