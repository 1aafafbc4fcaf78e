// The simulated Edge TPU as a power timeline: what a meter on it would see while it idles,
// loads a model's cached parameters on the first request and then serves requests back to
// back, built from the device model's latency and energy breakdown (device/edgetpu/cost.h).
// The sim source replays it and `measure` meters it like real hardware.
//
// Why here and not in src/device: PowerTimeline is the power testbed's type and the device model
// should not know about meters; the device model already exposes every duration and energy
// this needs (Cost, model_switch_ms, Platform::energy).
//
// Per request, on channel "tpu0" (all at idle power plus the dynamic part of that state):
//   transferring  invoke overhead + input + streamed parameters; link energy of those bytes
//   computing     compute time; MAC energy
//   transferring  output bytes; their link energy
//   idle          while the host runs the CPU-side ops (channel "host" draws its active power)
// so a request's energy is exactly the device model's energy per inference. The first request
// is preceded by "loading": model_switch_ms at idle power plus the link energy of the cached
// bytes.
#pragma once

#include <functional>
#include <vector>

#include "device/edgetpu/cost.h"
#include "power/sim_source.h"
#include "power/timeline.h"

namespace tpulab::power {

struct EdgeTpuRunPlan {
  double baseline_s = 1.0;  // idle before the first request...
  double guard_s = 0.1;     // ...plus this much, so a late end of the baseline still sees idle
  int requests = 1;         // every request, warm-up included
  double tail_s = 0.05;     // idle after the last request, so a marker there has a sample
};

struct EdgeTpuRun {
  PowerTimeline timeline;
  std::vector<double> request_end_s;  // when request k has completed (timeline time)
  double idle_w = 0;                  // TPU idle power: what a baseline measures
  double latency_s = 0;               // per request, steady state
  double energy_j = 0;                // per request, steady state (the device model's)
  double load_s = 0;                  // before the first request
  double load_j = 0;
};

// One TPU segment (`placement` costed as `cost`) on `platform`. Throws UsageError for a
// non-finite or negative plan, or requests < 1.
EdgeTpuRun edgetpu_run(const device::Placement& placement, const device::Cost& cost,
                       const device::Platform& platform, const EdgeTpuRunPlan& plan);

// The `infer` callback for measure() replaying `run` on `source` (sampling at
// `sample_rate_hz`): call k returns once the source has sampled up to the end of request k and
// holds it there, so a marker placed then lands on the first sample at or after that end.
// Throws Error when the source stalls (timeout_s) or more calls are made than there are
// requests.
std::function<void()> replay_requests(SimSource& source, const EdgeTpuRun& run,
                                      double sample_rate_hz, double timeout_s = 30);

}  // namespace tpulab::power
