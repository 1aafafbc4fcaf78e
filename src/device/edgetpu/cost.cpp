#include "device/edgetpu/cost.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"

namespace tpulab::device {

namespace {

double transfer_ms(double bytes, const LinkSpec& link) {
  return bytes / (link.effective_mb_s * 1e6) * 1e3;
}

}  // namespace

Cost cost(const Placement& p, const Platform& pf) {
  Cost c;
  const ChipCalibration& k = pf.calibration;
  if (p.tpu_ops > 0) {
    double mac_rate = peak_macs_per_second(pf.chip) * k.mac_efficiency;
    double macs = static_cast<double>(p.array_macs) +
                  k.depthwise_mac_factor * static_cast<double>(p.depthwise_macs);
    double vector_rate = k.vector_elements_per_cycle * clock_mhz(pf.chip.clock) * 1e6;
    c.latency.compute_ms =
        (macs / mac_rate + static_cast<double>(p.vector_elements) / vector_rate) * 1e3 +
        p.tpu_ops * k.op_overhead_us * 1e-3;
    c.latency.weights_ms = transfer_ms(static_cast<double>(p.streamed_bytes), pf.link);
    c.latency.instructions_ms = transfer_ms(static_cast<double>(p.instruction_bytes), pf.link);
    c.latency.io_ms = transfer_ms(static_cast<double>(p.input_bytes + p.output_bytes), pf.link);
    c.latency.overhead_ms = pf.link.invoke_overhead_us * 1e-3;
    c.energy.compute_mj = pf.energy.mac_pj * macs * 1e-9;
    c.energy.transfer_mj = pf.energy.link_byte_pj * static_cast<double>(p.link_bytes()) * 1e-9;
  }
  c.latency.host_ms = static_cast<double>(p.cpu_macs) / (pf.host.gmacs * 1e9) * 1e3 +
                      static_cast<double>(p.cpu_elements) * pf.host.ns_per_element * 1e-6;
  c.energy.host_mj = pf.host.active_power_w * c.latency.host_ms;
  c.energy.idle_mj = pf.energy.tpu_idle_w * c.latency_ms();
  return c;
}

double model_switch_ms(const Placement& p, const Platform& pf) {
  if (p.tpu_ops == 0) return 0.0;
  return transfer_ms(static_cast<double>(p.cached_bytes), pf.link) +
         pf.link.invoke_overhead_us * 1e-3;
}

Simulation simulate(const Graph& graph, const std::vector<OpRange>& segments,
                    const Platform& platform) {
  if (segments.empty()) throw UsageError("no segments to simulate", "simulate");
  if (static_cast<int>(segments.size()) > platform.tpus)
    throw UsageError(fmt::format("{} segments need {} Edge TPUs but platform {} has {}",
                                 segments.size(), segments.size(), platform.name, platform.tpus),
                     "simulate");
  SegmentCompiler compiler(graph, platform.chip);
  Simulation s;
  double link_bytes = 0;
  for (const OpRange& r : segments) {
    s.placements.push_back(compiler.place(r.first, r.last, true));
    s.costs.push_back(cost(s.placements.back(), platform));
    const Placement& p = s.placements.back();
    const Cost& c = s.costs.back();
    s.latency_ms += c.latency_ms();
    s.energy_mj += c.energy_mj();
    s.bottleneck_ms = std::max(s.bottleneck_ms, c.latency_ms());
    link_bytes += static_cast<double>(p.link_bytes());
  }
  if (platform.shared_link_mb_s > 0) {
    s.shared_link_ms = shared_link_ms(platform, link_bytes);
    if (s.shared_link_ms > s.bottleneck_ms) {
      s.bottleneck_ms = s.shared_link_ms;
      s.shared_link_bound = true;
    }
  }
  s.throughput_ips = s.bottleneck_ms > 0 ? 1e3 / s.bottleneck_ms : 0;
  // Every powered TPU idles while the pipeline waits on its slowest stage.
  double idle_extra_mj = 0;
  for (const Cost& c : s.costs)
    idle_extra_mj += platform.energy.tpu_idle_w * (s.bottleneck_ms - c.latency_ms());
  s.energy_mj += std::max(0.0, idle_extra_mj);
  s.average_power_w = s.energy_mj * s.throughput_ips * 1e-3;
  return s;
}

}  // namespace tpulab::device
