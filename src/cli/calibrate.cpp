// tpulab calibrate [--reference DIR] [-o PROFILE.toml] [--csv FILE]
#include <fmt/format.h>

#include <cstdlib>
#include <iostream>

#include "cli/commands.h"
#include "common/file_io.h"
#include "common/table.h"
#include "device/edgetpu/calibration.h"

namespace tpulab::cli {

namespace {

std::string default_reference_dir() {
  if (const char* s = std::getenv("TPULAB_SHARED_DIR"); s && *s)
    return std::string(s) + "/reference";
  return "../shared/reference";
}

void write_text(const std::string& path, const std::string& text) {
  write_file_atomic(path, {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

}  // namespace

void add_calibrate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "calibrate", "Fit the Edge TPU model to published latencies; print per-model error");
  struct Opts {
    std::string reference = default_reference_dir(), out, csv;
    bool evaluate_only = false;
  };
  auto opts = std::make_shared<Opts>();
  cmd->add_option("--reference", opts->reference,
                  "Folder with coral_benchmarks.csv and pycoral_reference.csv")
      ->capture_default_str();
  cmd->add_option("-o,--output", opts->out, "Write the fitted profile (TOML) here");
  cmd->add_option("--csv", opts->csv, "Write the per-model table as CSV here");
  cmd->add_flag("--evaluate", opts->evaluate_only,
                "Only evaluate the built-in profile, do not fit");
  cmd->callback([opts] {
    device::Calibrator cal(device::read_calibration_set(opts->reference));
    device::CalibrationReport r = opts->evaluate_only ? cal.evaluate(device::builtin_profile())
                                                      : cal.fit(device::builtin_profile());
    TextTable t({"model", "input", "platform", "published", "predicted ms", "error %", "compute",
                 "weights", "instr", "io", "host", "overhead"});
    t.right_align({1, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    for (const auto& row : r.rows) {
      const auto& l = row.cost.latency;
      t.add({row.point.model, std::to_string(row.point.input), row.point.platform,
             fmt::format("{:.2f} ({})", row.point.published_ms,
                         row.point.source.substr(0, row.point.source.find('.'))),
             fmt::format("{:.2f}", row.predicted_ms), fmt::format("{:+.1f}", 100 * row.error),
             fmt::format("{:.2f}", l.compute_ms), fmt::format("{:.2f}", l.weights_ms),
             fmt::format("{:.2f}", l.instructions_ms), fmt::format("{:.2f}", l.io_ms),
             fmt::format("{:.2f}", l.host_ms), fmt::format("{:.2f}", l.overhead_ms)});
    }
    std::cout << t.str();
    fmt::print(
        "{} points: MAPE {:.2f} % (goal <= 15 %), worst {:.2f} % (goal <= 35 %), "
        "log RMS {:.4f}{}\n",
        r.rows.size(), 100 * r.mape, 100 * r.max_abs_error, r.log_rms,
        r.evaluations ? fmt::format(", {} evaluations", r.evaluations) : "");
    if (!opts->csv.empty()) write_text(opts->csv, t.csv());
    if (!opts->out.empty()) {
      write_text(opts->out, device::profile_to_toml(r.profile));
      fmt::print("wrote {}\n", opts->out);
    } else if (!opts->evaluate_only) {
      std::cout << "\n" << device::profile_to_toml(r.profile);
    }
  });
}

}  // namespace tpulab::cli
