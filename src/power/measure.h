// Energy per inference: the idle baseline is measured first, then N inferences run between the
// markers 'B' and 'E'; energy between the markers, minus baseline power x their duration, is
// what the inferences cost on top of idling.
//
//   auto source = open_source("ps3:/dev/ttyACM0");
//   Measurement m = measure(*source, [&] { interpreter.invoke(); }, {.requests = 100});
//   m.net_joules_per_inference();
//
// The inference is a callback so this library does not depend on what runs it (the CPU
// interpreter, a real Edge TPU, or the simulated one's timeline replay).
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>

#include "power/source.h"

namespace tpulab::power {

// Inferences between the markers (and before them): ten million is hours of any model.
inline constexpr int kMaxRequests = 10'000'000;

struct MeasureOptions {
  double baseline_s = 1.0;  // idle time measured before any request, in the source's time
  int requests = 100;       // inferences between the markers
  // Requests run after the baseline but before 'B': the first one pays for loading the model
  // (parameters to the device, caches), which is not the steady-state cost per inference.
  int warmup = 1;
  double timeout_s = 30;  // bound on waiting for the source's samples and markers
};

struct Measurement {
  int requests = 0;
  int warmup = 0;
  double baseline_s = 0;  // measured idle time
  double baseline_w = 0;  // average idle power
  double seconds = 0;     // between the markers
  double joules = 0;      // between the markers, all channels
  double net_joules = 0;  // joules - baseline_w x seconds
  double peak_w = 0;      // highest sample power after 'B' up to and including 'E'
  uint64_t samples = 0;   // samples after 'B' up to and including 'E'

  double average_w() const { return seconds > 0 ? joules / seconds : 0.0; }
  double net_average_w() const { return seconds > 0 ? net_joules / seconds : 0.0; }
  double joules_per_inference() const { return requests > 0 ? joules / requests : 0.0; }
  double net_joules_per_inference() const { return requests > 0 ? net_joules / requests : 0.0; }
  double seconds_per_inference() const { return requests > 0 ? seconds / requests : 0.0; }
};

// Throws UsageError naming the field that is out of range.
void check_measure_options(const MeasureOptions& options);

// Starts `source` (it must not be started yet; a sink is added to it), measures, stops it.
// Throws UsageError for bad options, Error when the source gives no samples or markers within
// timeout_s, and whatever the source or `infer` throws (the source is stopped first).
Measurement measure(PowerSource& source, const std::function<void()>& infer,
                    const MeasureOptions& options = {});

// The fields of `tpulab power measure --json` that a Measurement holds: requests, warmup,
// baseline_seconds, baseline_watts, seconds, joules, net_joules, ms_per_inference,
// joules_per_inference, net_joules_per_inference, average_watts, net_average_watts, peak_watts,
// samples.
nlohmann::json to_json(const Measurement& m);

}  // namespace tpulab::power
