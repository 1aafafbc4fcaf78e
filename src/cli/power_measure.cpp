// tpulab power measure --source SPEC MODEL.tflite --device cpu|sim-edgetpu [--requests N]
//                      [--warmup N] [--baseline S] [--platform NAME] [--json]
// Thin: measuring is power::measure, the simulated Edge TPU's chain
// power::measure_simulated_edgetpu.

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "common/error.h"
#include "common/json_text.h"
#include "device/platform.h"
#include "engine/interpreter.h"
#include "engine/thread_pool.h"
#include "model/tflite.h"
#include "model/zoo/model_spec.h"
#include "power/edgetpu_measure.h"
#include "power/measure.h"
#include "power/open_source.h"
#include "power/sim_source.h"

namespace tpulab::cli {

namespace {

namespace pw = tpulab::power;
using nlohmann::json;

struct MeasureArgs {
  std::string source;
  std::string model;
  std::string device;
  std::string platform = "usb3-1x";
  int requests = 100;
  int warmup = 1;
  double baseline_s = 1.0;
  int threads = 1;
  double timeout_s = 0;
  double interval_s = 0;
  double sim_rate_hz = 10000;  // ms-long inferences: a 0.1 ms sample keeps marker error small
  double sim_speed = 1.0;
  bool json = false;
};

void print(const MeasureArgs& a, const pw::Measurement& m, const pw::SourceInfo& info,
           const pw::EdgeTpuMeasurement* edgetpu) {
  if (a.json) {
    json j = edgetpu ? pw::to_json(*edgetpu) : pw::to_json(m);
    if (!edgetpu) j["source"] = {{"kind", info.kind}, {"where", info.where}};
    j["model"] = a.model;
    j["device"] = a.device;
    fmt::print("{}\n", json_text(j));
    return;
  }
  fmt::print("model      {} on {}\n", a.model, a.device);
  fmt::print("source     {} {}\n", info.kind, info.where);
  fmt::print("baseline   {:.4f} W over {:.3f} s\n", m.baseline_w, m.baseline_s);
  fmt::print("requests   {} ({} warm-up before)\n\n", m.requests, m.warmup);
  fmt::print("{:<22} {:>14} {:>14}\n", "", "measured", "minus idle");
  fmt::print("{:<22} {:>14.6f} {:>14.6f}\n", "energy/inference (mJ)",
             m.joules_per_inference() * 1e3, m.net_joules_per_inference() * 1e3);
  fmt::print("{:<22} {:>14.4f} {:>14.4f}\n", "average power (W)", m.average_w(), m.net_average_w());
  fmt::print("{:<22} {:>14.4f} {:>14.4f}\n", "peak power (W)", m.peak_w, m.peak_w - m.baseline_w);
  fmt::print("{:<22} {:>14.4f}\n", "time/inference (ms)", m.seconds_per_inference() * 1e3);
  if (edgetpu)
    fmt::print("\ndevice model ({}): {:.6f} mJ, {:.4f} ms per inference, idle {:.4f} W\n",
               edgetpu->platform, edgetpu->predicted_joules_per_inference * 1e3,
               edgetpu->predicted_seconds_per_inference * 1e3, edgetpu->idle_w);
}

void run_measure(const MeasureArgs& a) {
  pw::MeasureOptions mo;
  mo.requests = a.requests;
  mo.warmup = a.warmup;
  mo.baseline_s = a.baseline_s;
  if (a.timeout_s > 0) mo.timeout_s = a.timeout_s;
  const Graph graph = load_model(a.model);

  if (a.device == "sim-edgetpu") {
    if (a.source != "sim")
      throw UsageError(
          "--device sim-edgetpu has no hardware to meter: use --source sim (its power comes "
          "from the device model)",
          a.source);
    const pw::EdgeTpuMeasurement r = pw::measure_simulated_edgetpu(
        graph, device::load_platform(a.platform), {mo, a.sim_rate_hz, a.sim_speed});
    print(a, r.measured, r.source, &r);
    return;
  }

  if (a.source == "sim" || a.source.starts_with("sim:"))
    throw UsageError(
        "a sim source replays a timeline that does not follow the CPU's work: --device cpu "
        "needs a meter (ps3:DEVICE, ps2:DEVICE, rapl or hwmon:NAME)",
        a.source);
  pw::OpenOptions oo;
  oo.timeout_s = a.timeout_s;
  oo.interval_s = a.interval_s;
  auto source = pw::open_source(a.source, oo);
  engine::ThreadPool pool(a.threads);
  // Zero inputs: the CPU kernels' time and energy do not depend on the values.
  engine::Interpreter in(graph, engine::model_display_name(a.model),
                         {engine::KernelSet::kOptimized, &pool});
  const pw::Measurement m = pw::measure(
      *source, [&in] { in.invoke(); }, mo);
  print(a, m, source->info(), nullptr);
}

}  // namespace

void add_power_measure_command(CLI::App* power) {
  auto a = std::make_shared<MeasureArgs>();
  CLI::App* cmd = power->add_subcommand(
      "measure",
      "Energy per inference, average and peak power: idle baseline first, then N inferences "
      "between markers");
  cmd->add_option("model", a->model, "Model file (.tflite) or zoo:NAME")->required();
  cmd->add_option("--source", a->source,
                  "ps3:DEVICE, ps2:DEVICE, rapl or hwmon:NAME (cpu); sim (sim-edgetpu)")
      ->required();
  cmd->add_option("--device", a->device, "What runs the inferences")
      ->required()
      ->check(CLI::IsMember({"cpu", "sim-edgetpu"}));
  cmd->add_option("--requests", a->requests, "Inferences between the markers")
      ->capture_default_str()
      ->check(whole_number(1, pw::kMaxRequests));
  cmd->add_option("--warmup", a->warmup, "Inferences before the first marker (model loading)")
      ->capture_default_str()
      ->check(whole_number(0, pw::kMaxRequests));
  cmd->add_option("--baseline", a->baseline_s, "Seconds of idle measured first")
      ->capture_default_str()
      ->check(real_number(0, pw::kMaxDurationS));
  cmd->add_option("--platform", a->platform, "Simulated platform (sim-edgetpu)")
      ->capture_default_str();
  cmd->add_option("--threads", a->threads, "CPU threads (cpu)")
      ->capture_default_str()
      ->check(whole_number(1, 256));
  cmd->add_option("--timeout", a->timeout_s, "Seconds to wait for the meter")
      ->check(real_number(0, pw::kMaxTimeoutS, true));
  cmd->add_option("--interval", a->interval_s, "Polling interval of rapl/hwmon (s)")
      ->check(real_number(0, pw::kMaxTimeoutS, true));
  cmd->add_option("--sim-rate", a->sim_rate_hz, "Samples per second of the sim source")
      ->capture_default_str()
      ->check(real_number(0, pw::SimOptions::kMaxSampleRateHz, true));
  cmd->add_option("--sim-speed", a->sim_speed, "Timeline seconds per second (sim)")
      ->capture_default_str()
      ->check(real_number(0, pw::kMaxSimSpeed, true));
  cmd->add_flag("--json", a->json, "Print JSON");
  cmd->callback([a] { run_measure(*a); });
}

}  // namespace tpulab::cli
