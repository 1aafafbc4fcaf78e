// What one pipeline stage (an op range on its own TPU) costs, for the searching strategies: the
// device model's segment latency and the bytes it moves over the host link, plus a cheap
// additive lower bound used to prune ranges that cannot be part of a better plan.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "device/edgetpu/compiler.h"
#include "device/platform.h"
#include "model/graph.h"

namespace tpulab::partition {

struct Stage {
  double ms = 0;           // the segment's latency, as simulate() computes it
  int64_t link_bytes = 0;  // streamed parameters + inputs + outputs (the shared link's load)
};

class StageCosts {
 public:
  StageCosts(const Graph& graph, const device::Platform& platform);
  int32_t num_ops() const { return compiler_.num_ops(); }
  // Ops [first, last).
  Stage stage(int32_t first, int32_t last) const;
  // A lower bound on stage(first, last).ms that grows with the range: with h, t the host and TPU
  // compute times of an op and p its parameter bytes, a stage costs at least
  //   max(sum min(h, t), sum min(h, t + p / link) - SRAM / link)
  // (parameters past the SRAM stream over the link on every inference).
  double lower_bound_ms(int32_t first, int32_t last) const {
    const auto a = static_cast<size_t>(first), b = static_cast<size_t>(last);
    return std::max(compute_lb_[b] - compute_lb_[a],
                    streaming_lb_[b] - streaming_lb_[a] - sram_ms_);
  }
  // At least how many stages of at most `bound` ms each ops [first, last) need. The SRAM term
  // makes the bound above super-additive, so this counts it per stage: m stages cost at least
  // max(sum min(h, t), sum min(h, t + p / link) - m x SRAM / link) together.
  double min_stages(int32_t first, int32_t last, double bound) const {
    const auto a = static_cast<size_t>(first), b = static_cast<size_t>(last);
    return std::max(std::ceil((compute_lb_[b] - compute_lb_[a]) / bound - 1e-9),
                    std::ceil((streaming_lb_[b] - streaming_lb_[a]) / (bound + sram_ms_) - 1e-9));
  }
  // Time the platform's shared host link needs for `bytes` (0 when it has none), computed as
  // simulate() does so that comparisons with its bottleneck are exact.
  double shared_link_ms(int64_t bytes) const;
  bool has_shared_link() const { return platform_->shared_link_mb_s > 0; }

 private:
  const device::Platform* platform_;
  device::SegmentCompiler compiler_;
  std::vector<double> compute_lb_, streaming_lb_;  // prefix sums over ops
  double sram_ms_ = 0;                             // time to move a whole SRAM over the link
};

}  // namespace tpulab::partition
