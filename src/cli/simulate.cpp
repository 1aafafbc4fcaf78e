// tpulab simulate MODEL.tflite --platform NAME [--segments K | --plan plan.json] [--json]
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "cli/platform_options.h"
#include "common/error.h"
#include "common/json_text.h"
#include "common/table.h"
#include "device/edgetpu/cost.h"
#include "device/edgetpu/simulation_json.h"
#include "device/platform.h"
#include "model/tflite.h"
#include "model/zoo/model_spec.h"
#include "partition/plan_files.h"
#include "partition/strategy.h"

namespace tpulab::cli {

void add_simulate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("simulate", "Cost a model on a simulated Edge TPU platform");
  struct Opts {
    std::string model, plan;
    PlatformOptions platform{"usb3-1x", "", ""};
    int segments = 1;
    bool json = false;
  };
  auto opts = std::make_shared<Opts>();
  cmd->add_option("model", opts->model, "Model file (.tflite) or zoo:NAME")->required();
  add_platform_options(cmd, opts->platform);
  auto* seg = cmd->add_option("--segments", opts->segments,
                              "Split into K segments by parameter bytes (edgetpu_compiler's rule)")
                  ->check(whole_number(1, kMaxSegments));
  cmd->add_option("--plan", opts->plan, "Segments from a plan.json")->excludes(seg);
  cmd->add_flag("--json", opts->json, "Print JSON");
  cmd->callback([opts] {
    const device::Platform pf = load_platform(opts->platform);
    Graph g = load_model(opts->model);
    auto n = static_cast<int32_t>(g.main().ops.size());
    if (n == 0) throw UsageError("the model has no ops", opts->model);
    std::vector<device::OpRange> segments =
        opts->plan.empty() ? partition::split_by_parameters(g, opts->segments)
                           : partition::ranges_of(partition::read_plan_starts(opts->plan, g), n);
    device::Simulation s = device::simulate(g, segments, pf);
    for (const auto& p : s.placements)
      for (const auto& w : p.warnings) fmt::print(stderr, "warning: {}\n", w);
    if (opts->json) {
      std::cout << json_text(device::simulation_to_json(s, pf)) << "\n";
      return;
    }
    fmt::print("{} on {} ({})\n", opts->model, pf.name, pf.description);
    TextTable t({"seg", "ops", "TPU/CPU", "cached", "streamed", "SRAM", "compute", "weights",
                 "instr", "io", "host", "overhead", "latency ms", "energy mJ", "switch ms"});
    t.right_align({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14});
    for (size_t i = 0; i < s.placements.size(); ++i) {
      const auto& p = s.placements[i];
      const auto& c = s.costs[i];
      t.add(
          {std::to_string(i), fmt::format("{}-{}", p.first_op, p.last_op - 1),
           fmt::format("{}/{}", p.tpu_ops, p.cpu_ops), human_bytes(p.cached_bytes),
           human_bytes(p.streamed_bytes), human_bytes(p.sram_used_bytes),
           fmt::format("{:.2f}", c.latency.compute_ms), fmt::format("{:.2f}", c.latency.weights_ms),
           fmt::format("{:.2f}", c.latency.instructions_ms), fmt::format("{:.2f}", c.latency.io_ms),
           fmt::format("{:.2f}", c.latency.host_ms), fmt::format("{:.2f}", c.latency.overhead_ms),
           fmt::format("{:.2f}", c.latency_ms()), fmt::format("{:.3f}", c.energy_mj()),
           fmt::format("{:.2f}", device::model_switch_ms(p, pf))});
    }
    std::cout << t.str();
    fmt::print(
        "single inference {:.2f} ms; pipelined {:.1f} inferences/s (bottleneck {:.2f} ms{}); "
        "{:.3f} mJ per inference; {:.2f} W average\n",
        s.latency_ms, s.throughput_ips, s.bottleneck_ms,
        s.shared_link_bound ? ", the shared host link" : "", s.energy_mj, s.average_power_w);
  });
}

}  // namespace tpulab::cli
