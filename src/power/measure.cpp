#include "power/measure.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>

#include "common/error.h"

namespace tpulab::power {

namespace {

constexpr char kBegin = 'B';
constexpr char kEnd = 'E';

// The highest power and the sample count between the markers, seen on the reader thread. The
// 'B' sample is left out: its power covers the time before the marker.
class WindowSink final : public SampleSink {
 public:
  void on_sample(const Sample& s) override {
    std::lock_guard lock(mu_);
    if (done_) return;
    if (s.marker == kBegin) {
      inside_ = true;
      return;
    }
    if (!inside_) return;
    peak_w_ = std::max(peak_w_, s.power_w());
    ++samples_;
    if (s.marker == kEnd) done_ = true;
  }
  void on_end(const std::string&) override {}
  double peak_w() const {
    std::lock_guard lock(mu_);
    return peak_w_;
  }
  uint64_t samples() const {
    std::lock_guard lock(mu_);
    return samples_;
  }

 private:
  mutable std::mutex mu_;
  bool inside_ = false, done_ = false;
  double peak_w_ = 0;
  uint64_t samples_ = 0;
};

using Clock = std::chrono::steady_clock;

// Polls rather than sleeping for baseline_s: the source's clock is what counts (a replayed
// timeline may run faster or slower than the wall clock).
State wait_until_source_time(PowerSource& source, double time_s, double timeout_s) {
  const auto deadline = deadline_after(timeout_s);
  for (;;) {
    State s = source.read();
    if (s.time_s >= time_s) return s;
    if (source.finished() || Clock::now() > deadline)
      throw Error(fmt::format("the source's clock did not reach {:.3f} s (it is at {:.3f} s)",
                              time_s, s.time_s),
                  source.info().where);
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

// Stops the source however measure() leaves (an exception from `infer` included).
struct StopOnExit {
  PowerSource& source;
  ~StopOnExit() { source.stop(); }
};

}  // namespace

void check_measure_options(const MeasureOptions& o) {
  if (o.requests < 1 || o.requests > kMaxRequests)
    throw UsageError(fmt::format("requests must be >= 1 and <= {}", kMaxRequests), "measure");
  if (o.warmup < 0 || o.warmup > kMaxRequests)
    throw UsageError(fmt::format("warmup must be >= 0 and <= {}", kMaxRequests), "measure");
  check_option(o.baseline_s, 0, kMaxDurationS, false, "baseline_s", "measure");
  check_option(o.timeout_s, 0, kMaxTimeoutS, true, "timeout_s", "measure");
}

Measurement measure(PowerSource& source, const std::function<void()>& infer,
                    const MeasureOptions& o) {
  check_measure_options(o);

  auto window = std::make_shared<WindowSink>();
  source.add_sink(window);
  source.start();
  StopOnExit stop_on_exit{source};
  // Two samples: energies are differences, and the first sample has no interval behind it.
  if (!source.wait_for_samples(2, o.timeout_s))
    throw Error("the source gave no samples", source.info().where);

  Measurement m;
  m.requests = o.requests;
  m.warmup = o.warmup;
  if (o.baseline_s > 0) {
    const State first = source.read();
    const State last =
        wait_until_source_time(source, first.time_s + o.baseline_s, o.baseline_s * 2 + o.timeout_s);
    m.baseline_s = seconds(first, last);
    m.baseline_w = watts(first, last);
  }
  for (int i = 0; i < o.warmup; ++i) infer();
  const size_t earlier_markers = source.markers().size();
  source.mark(kBegin);
  // A PowerSensor marks the next frame once however many requests came before it: 'B' must be
  // back before 'E' is asked for, or a short run (or a stalled reader) would merge the two.
  const Marker begin = wait_for_marker(source, kBegin, earlier_markers, o.timeout_s);
  for (int i = 0; i < o.requests; ++i) infer();
  source.mark(kEnd);
  const Marker end = wait_for_marker(source, kEnd, earlier_markers, o.timeout_s);
  // Sinks see a sample after its marker is listed: joining the reader lets the window finish.
  source.stop();

  m.seconds = end.time_s - begin.time_s;
  m.joules = end.energy_j - begin.energy_j;
  m.net_joules = m.joules - m.baseline_w * m.seconds;
  m.peak_w = window->peak_w();
  m.samples = window->samples();
  return m;
}

nlohmann::json to_json(const Measurement& m) {
  return {{"requests", m.requests},
          {"warmup", m.warmup},
          {"baseline_seconds", m.baseline_s},
          {"baseline_watts", m.baseline_w},
          {"seconds", m.seconds},
          {"joules", m.joules},
          {"net_joules", m.net_joules},
          {"ms_per_inference", m.seconds_per_inference() * 1e3},
          {"joules_per_inference", m.joules_per_inference()},
          {"net_joules_per_inference", m.net_joules_per_inference()},
          {"average_watts", m.average_w()},
          {"net_average_watts", m.net_average_w()},
          {"peak_watts", m.peak_w},
          {"samples", m.samples}};
}

}  // namespace tpulab::power
