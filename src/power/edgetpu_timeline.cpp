#include "power/edgetpu_timeline.h"

#include <fmt/format.h>

#include <cmath>
#include <memory>

#include "common/error.h"

namespace tpulab::power {

namespace {

constexpr const char* kTpu = "tpu0";
constexpr const char* kHost = "host";

// Appends device states back to back; zero-length phases leave no interval.
class PhaseWriter {
 public:
  PhaseWriter(PowerTimeline& timeline, bool with_host) : timeline_(timeline), host_(with_host) {}
  void add(double seconds, const char* tpu_state, double tpu_w, const char* host_state = "idle",
           double host_w = 0) {
    if (!(seconds > 0)) return;
    timeline_.add(kTpu, t_, seconds, tpu_w, tpu_state);
    if (host_) timeline_.add(kHost, t_, seconds, host_w, host_state);
    t_ += seconds;
  }
  double now() const { return t_; }

 private:
  PowerTimeline& timeline_;
  bool host_;
  double t_ = 0;
};

// Idle power plus `dynamic_mj` spread over `ms` (mJ / ms = W).
double phase_watts(double idle_w, double dynamic_mj, double ms) {
  return ms > 0 ? idle_w + dynamic_mj / ms : idle_w;
}

}  // namespace

EdgeTpuRun edgetpu_run(const device::Placement& p, const device::Cost& c,
                       const device::Platform& pf, const EdgeTpuRunPlan& plan) {
  for (double v : {plan.baseline_s, plan.guard_s, plan.tail_s})
    if (!(v >= 0) || !std::isfinite(v))
      throw UsageError("baseline, guard and tail durations must be finite and >= 0",
                       "edgetpu timeline");
  if (plan.requests < 1)
    throw UsageError("the number of requests must be >= 1", "edgetpu timeline");

  const double idle_w = pf.energy.tpu_idle_w;
  const double pj_mj = pf.energy.link_byte_pj * 1e-9;  // mJ per byte over the link
  const auto& lat = c.latency;
  const double in_bytes = static_cast<double>(p.input_bytes);
  const double out_bytes = static_cast<double>(p.output_bytes);
  const double io_in_share = in_bytes + out_bytes > 0 ? in_bytes / (in_bytes + out_bytes) : 0.0;

  const double in_ms =
      lat.overhead_ms + lat.weights_ms + lat.instructions_ms + lat.io_ms * io_in_share;
  const double out_ms = lat.io_ms * (1 - io_in_share);
  const double in_mj =
      p.tpu_ops > 0 ? pj_mj * static_cast<double>(p.link_bytes() - p.output_bytes) : 0;
  const double out_mj = p.tpu_ops > 0 ? pj_mj * out_bytes : 0;
  const double host_w = lat.host_ms > 0 ? c.energy.host_mj / lat.host_ms : 0;

  EdgeTpuRun run;
  run.idle_w = idle_w;
  run.latency_s = c.latency_ms() * 1e-3;
  run.energy_j = c.energy_mj() * 1e-3;
  const double load_ms = device::model_switch_ms(p, pf);
  const double load_mj =
      idle_w * load_ms + (p.tpu_ops > 0 ? pj_mj * static_cast<double>(p.cached_bytes) : 0);
  run.load_s = load_ms * 1e-3;
  run.load_j = load_mj * 1e-3;

  PhaseWriter w(run.timeline, lat.host_ms > 0);
  w.add(plan.baseline_s + plan.guard_s, "idle", idle_w);
  w.add(run.load_s, "loading", phase_watts(idle_w, load_mj - idle_w * load_ms, load_ms));
  for (int r = 0; r < plan.requests; ++r) {
    w.add(in_ms * 1e-3, "transferring", phase_watts(idle_w, in_mj, in_ms));
    w.add(lat.compute_ms * 1e-3, "computing",
          phase_watts(idle_w, c.energy.compute_mj, lat.compute_ms));
    w.add(out_ms * 1e-3, "transferring", phase_watts(idle_w, out_mj, out_ms));
    w.add(lat.host_ms * 1e-3, "idle", idle_w, "computing", host_w);
    run.request_end_s.push_back(w.now());
  }
  w.add(plan.tail_s, "idle", idle_w);
  return run;
}

std::function<void()> replay_requests(SimSource& source, const EdgeTpuRun& run,
                                      double sample_rate_hz, double timeout_s) {
  if (!(sample_rate_hz > 0)) throw UsageError("the sample rate must be > 0", "replay");
  auto next = std::make_shared<size_t>(0);
  return [&source, ends = run.request_end_s, sample_rate_hz, timeout_s, next] {
    if (*next >= ends.size())
      throw Error(fmt::format("the timeline has only {} requests", ends.size()), "replay");
    // Sample i is at i / rate: samples [0, i) are those before the request's end (the epsilon
    // absorbs rounding of exact multiples); the hold keeps sample i for the next marker. Moving
    // the hold on to the next request releases it when no marker came in between.
    const double first_after = std::ceil(ends[*next] * sample_rate_hz - 1e-6);
    source.hold_at(ends[*next]);
    ++*next;
    if (!source.wait_for_samples(static_cast<uint64_t>(first_after), timeout_s))
      throw Error("the simulated source stalled", source.info().where);
  };
}

}  // namespace tpulab::power
