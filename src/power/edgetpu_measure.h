// Energy per inference of a model on a simulated Edge TPU, measured the way hardware is: the
// device model's costs become a power timeline (edgetpu_timeline.h), the sim source samples it
// like a meter, and measure() takes the idle baseline and the requests between markers. What
// `tpulab power measure --device sim-edgetpu` does, as one call:
//
//   EdgeTpuMeasurement r = measure_simulated_edgetpu(graph, device::load_platform("usb3-1x"),
//                                                    {.measure = {.requests = 20}});
//   r.measured.net_joules_per_inference();   // vs r.predicted_joules_per_inference
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "device/platform.h"
#include "model/graph.h"
#include "power/measure.h"
#include "power/source.h"

namespace tpulab::power {

struct EdgeTpuMeasureOptions {
  MeasureOptions measure;
  // Samples per second of the simulated meter: ms-long inferences need a 0.1 ms sample to keep
  // the markers' error small.
  double sample_rate_hz = 10000;
  double speed = 1.0;  // timeline seconds per wall-clock second
};

struct EdgeTpuMeasurement {
  Measurement measured;
  SourceInfo source;     // the simulated meter ("sim", "sim-edgetpu:<platform>")
  std::string platform;  // its name
  // What the device model says, per inference in steady state, and the TPU's idle power.
  double predicted_joules_per_inference = 0;
  double predicted_seconds_per_inference = 0;
  double idle_w = 0;
};

// The whole model as one Edge TPU segment on `platform`. Throws UsageError for a model without
// ops or bad options (FieldError naming the field), Error when the replay stalls.
EdgeTpuMeasurement measure_simulated_edgetpu(const Graph& graph, const device::Platform& platform,
                                             const EdgeTpuMeasureOptions& options = {});

// to_json(measured) plus "source": {kind, where} and "device_model": {platform,
// joules_per_inference, ms_per_inference, idle_watts}: `power measure --json` without the
// model and device, which the caller names.
nlohmann::json to_json(const EdgeTpuMeasurement& m);

}  // namespace tpulab::power
