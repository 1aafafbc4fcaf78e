// The cost of running a placed segment on a platform: latency broken down into its parts, energy
// per inference, and the cost of switching the TPU to this model (uploading cached parameters).
//
//   compute   = (array MACs + depthwise_mac_factor x depthwise MACs) / (peak MAC rate x
//               mac_efficiency) + vector elements / (vector_elements_per_cycle x clock)
//               + TPU ops x op_overhead_us
//   weights   = streamed parameter bytes / link bandwidth
//   io        = (input + output bytes) / link bandwidth
//   host      = host MACs / host gmacs + host elements x host ns_per_element
//   overhead  = the link's fixed invoke overhead (only when the segment uses the TPU)
//   energy    = TPU idle power x latency + mac_pj x array MACs + link_byte_pj x bytes moved
//               + host active power x host time
#pragma once

#include <vector>

#include "device/edgetpu/compiler.h"
#include "device/platform.h"

namespace tpulab::device {

struct LatencyBreakdown {
  double compute_ms = 0, weights_ms = 0, instructions_ms = 0, io_ms = 0, host_ms = 0,
         overhead_ms = 0;
  double total_ms() const {
    return compute_ms + weights_ms + instructions_ms + io_ms + host_ms + overhead_ms;
  }
};

struct EnergyBreakdown {
  double idle_mj = 0, compute_mj = 0, transfer_mj = 0, host_mj = 0;
  double total_mj() const { return idle_mj + compute_mj + transfer_mj + host_mj; }
};

struct Cost {
  LatencyBreakdown latency;
  EnergyBreakdown energy;
  double latency_ms() const { return latency.total_ms(); }
  double energy_mj() const { return energy.total_mj(); }
};

Cost cost(const Placement& placement, const Platform& platform);

// Time to make this segment's TPU ready after another model used it: upload its cached
// parameters over the link, plus one invoke's overhead.
double model_switch_ms(const Placement& placement, const Platform& platform);

// A model run as consecutive segments, one TPU each (pipelined when there are several).
struct Simulation {
  std::vector<Placement> placements;
  std::vector<Cost> costs;
  double latency_ms = 0;     // one inference through every segment
  double bottleneck_ms = 0;  // the slowest stage (or the shared host link)
  bool shared_link_bound = false;
  double shared_link_ms = 0;   // time the shared host link is busy per inference
  double throughput_ips = 0;   // inferences per second when pipelined
  double energy_mj = 0;        // per inference
  double average_power_w = 0;  // at the pipelined throughput
};

struct OpRange {
  int32_t first = 0, last = 0;  // [first, last)
};

// Places and costs each range of `graph` on its own TPU of `platform`. Throws UsageError when
// there are more segments than TPUs or a range is empty.
Simulation simulate(const Graph& graph, const std::vector<OpRange>& segments,
                    const Platform& platform);

}  // namespace tpulab::device
