// Calibration of the Edge TPU model against published single-TPU latencies
// (shared/reference/coral_benchmarks.csv and pycoral_reference.csv: the usb3, devboard and usb2
// columns). The models are built from the zoo with the published input size; the fit is a
// least-squares fit of log(predicted / published) over every point, by Nelder-Mead on the
// logarithms of the free parameters (the same parameters for every model: nothing per model).
//
// Free parameters: the chip's mac_efficiency, depthwise_mac_factor, op_overhead_us and
// vector_elements_per_cycle; each link kind's effective_mb_s and invoke_overhead_us; each host
// kind's ns_per_element. Host gmacs is not fitted: it is the median over models of
// MACs / published CPU-only time (desktop_cpu_ms, embedded_cpu_ms columns), a robust estimate
// of each host's speed on these networks.
#pragma once

#include <string>
#include <vector>

#include "device/edgetpu/cost.h"
#include "device/platform.h"

namespace tpulab::device {

struct CalibrationPoint {
  std::string model;     // zoo name
  int32_t input = 0;     // square input resolution
  std::string platform;  // built-in platform it maps to
  std::string source;    // "coral_benchmarks.csv:usb3_ms", ...
  double published_ms = 0;
};

// A published CPU-only time (host speed estimate).
struct HostSpeedPoint {
  std::string model;
  int32_t input = 0;
  std::string host;  // host kind
  double published_ms = 0;
};

struct CalibrationSet {
  std::vector<CalibrationPoint> points;
  std::vector<HostSpeedPoint> host_points;
};

// Reads both CSV files from `reference_dir`. Throws IoError / ModelError naming file and line.
CalibrationSet read_calibration_set(const std::string& reference_dir);

struct CalibrationRow {
  CalibrationPoint point;
  double predicted_ms = 0;
  double error = 0;  // (predicted - published) / published
  Cost cost;
};

struct CalibrationReport {
  CalibratedProfile profile;
  std::vector<CalibrationRow> rows;
  double mape = 0;  // mean |error|
  double max_abs_error = 0;
  double log_rms = 0;   // the fitted objective: RMS of log(predicted / published)
  int evaluations = 0;  // objective evaluations of the fit (0 for evaluate())
};

class Calibrator {
 public:
  // Builds and places every model of the set once (zoo, published input size; the SSD benchmark
  // model carries its CPU-side detection post-processing op, as the published runs did).
  explicit Calibrator(CalibrationSet set);
  // Predictions of `profile` for every point.
  CalibrationReport evaluate(const CalibratedProfile& profile) const;
  // Fits the free parameters starting from `start`.
  CalibrationReport fit(const CalibratedProfile& start) const;

 private:
  struct Model {
    std::string name;
    int32_t input;
    Placement placement;
  };
  const Placement& placement(const std::string& model, int32_t input) const;
  CalibratedProfile with_host_speeds(CalibratedProfile p) const;

  CalibrationSet set_;
  std::vector<Model> models_;
  std::vector<Platform> platforms_;  // built-in platforms the points use
};

}  // namespace tpulab::device
