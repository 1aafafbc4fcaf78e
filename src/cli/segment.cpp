// tpulab segment MODEL.tflite -n K --strategy params|profile|optimal --out DIR
// tpulab segment MODEL.tflite -n K --strategy profile --measure [--measure-runs N] --out DIR
// tpulab segment MODEL.tflite --compare -n 1..8
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "cli/platform_options.h"
#include "common/error.h"
#include "common/json_text.h"
#include "common/table.h"
#include "device/platform.h"
#include "model/tflite.h"
#include "model/zoo/model_spec.h"
#include "partition/measured_latency.h"
#include "partition/plan_files.h"
#include "partition/strategy.h"

namespace tpulab::cli {

namespace {

// "4" -> {4}; "1..8" -> {1, ..., 8}.
std::vector<int> parse_counts(const std::string& text) {
  auto number = [&](const std::string& s) {
    try {
      size_t used = 0;
      int v = std::stoi(s, &used);
      if (used == s.size() && v >= 1 && v <= kMaxSegments) return v;
    } catch (const std::exception&) {
    }
    throw UsageError(
        fmt::format("-n takes a segment count of at least 1 and at most {}, or a range "
                    "like 1..8 (got '{}')",
                    kMaxSegments, text),
        "-n");
  };
  auto dots = text.find("..");
  if (dots == std::string::npos) return {number(text)};
  int a = number(text.substr(0, dots)), b = number(text.substr(dots + 2));
  if (a > b) throw UsageError(fmt::format("empty range '{}'", text), "-n");
  std::vector<int> out;
  for (int k = a; k <= b; ++k) out.push_back(k);
  return out;
}

// `measured_ms`: each segment's measured latency (a last column), or empty.
void print_plan(const partition::Plan& plan, const device::Platform& pf,
                const std::vector<double>& measured_ms) {
  const auto& s = plan.simulation;
  std::vector<std::string> header = {"seg",      "ops",  "params", "cached",
                                     "streamed", "SRAM", "in+out", "latency ms"};
  if (!measured_ms.empty()) header.push_back("CPU ms");
  TextTable t(header);
  t.right_align({0, 1, 2, 3, 4, 5, 6, 7, 8});
  size_t slowest = 0;
  for (size_t i = 0; i < s.placements.size(); ++i) {
    const auto& p = s.placements[i];
    if (s.costs[i].latency_ms() > s.costs[slowest].latency_ms()) slowest = i;
    std::vector<std::string> row = {
        std::to_string(i),
        fmt::format("{} ({}-{})", p.last_op - p.first_op, p.first_op, p.last_op - 1),
        human_bytes(p.parameter_bytes),
        human_bytes(p.cached_bytes),
        human_bytes(p.streamed_bytes),
        human_bytes(p.sram_used_bytes),
        human_bytes(p.input_bytes + p.output_bytes),
        fmt::format("{:.3f}", s.costs[i].latency_ms())};
    if (!measured_ms.empty()) row.push_back(fmt::format("{:.3f}", measured_ms[i]));
    t.add(row);
  }
  std::cout << t.str();
  fmt::print(
      "bottleneck {:.3f} ms ({}); throughput {:.1f} inferences/s; end-to-end latency {:.3f} ms "
      "on {}\n",
      s.bottleneck_ms,
      s.shared_link_bound ? std::string("the shared host link")
                          : fmt::format("segment {}", slowest),
      s.throughput_ips, s.latency_ms, pf.name);
}

}  // namespace

void add_segment_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "segment", "Cut a model into pipeline segments, one Edge TPU each (or --compare strategies)");
  struct Opts {
    std::string model, counts = "1", strategy = "optimal", objective = "throughput", out;
    PlatformOptions platform{"asus-8x-pcie", "", ""};
    double min_throughput = 0, diff_threshold_ms = 1.0;
    int measure_runs = 5;
    bool compare = false, json = false, csv = false, measure = false;
  };
  auto opts = std::make_shared<Opts>();
  cmd->add_option("model", opts->model, "Model file (.tflite) or zoo:NAME")->required();
  cmd->add_option("-n,--segments", opts->counts,
                  "Number of segments K (with --compare: a range, 1..8)")
      ->required();
  cmd->add_option("--strategy", opts->strategy, "params, profile or optimal")
      ->capture_default_str();
  cmd->add_option("--objective", opts->objective,
                  "throughput (min bottleneck) or latency (min latency over a throughput floor)")
      ->capture_default_str();
  cmd->add_option("--min-throughput", opts->min_throughput,
                  "Latency objective: inferences/s the pipeline must reach (default: the params "
                  "split's)")
      ->check(real_number(0, 1e12, true));
  cmd->add_option("--diff-threshold-ms", opts->diff_threshold_ms,
                  "Profile strategy: stop bisecting at this gap (libcoral's default 1 ms)")
      ->capture_default_str()
      ->check(real_number(0, 1e6, true));
  add_platform_options(cmd, opts->platform);
  cmd->add_option("--out", opts->out, "Folder for the segment files and plan.json");
  cmd->add_flag("--compare", opts->compare, "Print every strategy side by side for each K");
  cmd->add_flag("--measure", opts->measure,
                "Profile strategy: search on segment latencies measured on the CPU engine "
                "(one thread) instead of the device model's");
  cmd->add_option("--measure-runs", opts->measure_runs,
                  "With --measure: timed runs per segment (the median counts)")
      ->capture_default_str()
      ->check(whole_number(1, 100000));
  cmd->add_flag("--json", opts->json, "Print JSON");
  cmd->add_flag("--csv", opts->csv, "With --compare: print CSV");
  cmd->callback([opts] {
    const device::Platform pf = load_platform(opts->platform);
    partition::Options po;
    po.objective = partition::parse_objective(opts->objective);
    po.min_throughput_ips = opts->min_throughput;
    po.diff_threshold_ms = opts->diff_threshold_ms;
    const partition::Strategy strategy = partition::parse_strategy(opts->strategy);
    if (opts->measure && (opts->compare || strategy != partition::Strategy::kProfile))
      // Only profile searches on per-segment latencies; the others would ignore measurements.
      throw UsageError(
          "--measure works with --strategy profile only: params cuts by parameter bytes, and "
          "optimal needs the cost of O(n^2) op ranges, too many to measure",
          "--measure");
    const std::vector<int> counts = parse_counts(opts->counts);
    Graph g = load_model(opts->model);
    const std::string stem = model_name(opts->model);

    if (opts->compare) {
      for (int k : counts) partition::check_partitionable(g, k, pf);
      auto rows = partition::compare_strategies(g, pf, counts, po);
      if (opts->json) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& r : rows)
          for (size_t s = 0; s < r.plans.size(); ++s)
            j.push_back({{"segments", r.segments},
                         {"strategy", partition::strategy_name(r.plans[s].strategy)},
                         {"starts", r.plans[s].starts},
                         {"bottleneck_ms", r.plans[s].simulation.bottleneck_ms},
                         {"throughput_ips", r.plans[s].simulation.throughput_ips},
                         {"latency_ms", r.plans[s].simulation.latency_ms},
                         {"solve_ms", r.solve_ms[s]}});
        std::cout << json_text(j) << "\n";
        return;
      }
      TextTable t({"K", "params ips", "profile ips", "optimal ips", "opt/params", "opt/profile",
                   "params lat ms", "profile lat ms", "optimal lat ms", "optimal solve ms"});
      t.right_align({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
      for (const auto& r : rows) {
        const auto& p = r.plans;  // all_strategies() order: params, profile, optimal
        t.add({std::to_string(r.segments), fmt::format("{:.1f}", p[0].simulation.throughput_ips),
               fmt::format("{:.1f}", p[1].simulation.throughput_ips),
               fmt::format("{:.1f}", p[2].simulation.throughput_ips),
               fmt::format("{:.2f}x",
                           p[2].simulation.throughput_ips / p[0].simulation.throughput_ips),
               fmt::format("{:.2f}x",
                           p[2].simulation.throughput_ips / p[1].simulation.throughput_ips),
               fmt::format("{:.2f}", p[0].simulation.latency_ms),
               fmt::format("{:.2f}", p[1].simulation.latency_ms),
               fmt::format("{:.2f}", p[2].simulation.latency_ms),
               fmt::format("{:.2f}", r.solve_ms[2])});
      }
      if (opts->csv) {
        std::cout << t.csv();
        return;
      }
      fmt::print("{} on {} (objective {}; ips = pipelined inferences/s)\n", opts->model, pf.name,
                 partition::objective_name(po.objective));
      std::cout << t.str();
      return;
    }

    if (counts.size() != 1) throw UsageError("-n takes one segment count unless --compare", "-n");
    if (opts->out.empty()) throw UsageError("--out DIR is required (or use --compare)", "--out");
    po.segments = counts.front();
    partition::Plan plan;
    std::vector<double> measured_ms;
    if (opts->measure) {
      partition::MeasureOptions mo;
      mo.runs = opts->measure_runs;
      partition::MeasuredLatency measured(mo);
      plan = partition::partition_profile(g, pf, po, measured);
      // The plan's segments were measured during the search: these come from the cache.
      for (const auto& r :
           partition::ranges_of(plan.starts, static_cast<int32_t>(g.main().ops.size())))
        measured_ms.push_back(measured.latency_ms(g, r.first, r.last));
    } else {
      plan = partition::partition(g, strategy, pf, po);
    }
    auto files = partition::write_plan(g, plan, pf, stem, opts->out, po.objective);
    if (opts->json) {
      nlohmann::json j = partition::plan_to_json(g, plan, pf, stem, po.objective);
      if (opts->measure) j["measured_cpu_ms"] = measured_ms;
      std::cout << json_text(j) << "\n";
      return;
    }
    fmt::print("{}: {} segments by {} (objective {}{})\n", opts->model, plan.segments(),
               partition::strategy_name(plan.strategy), partition::objective_name(po.objective),
               opts->measure ? "; searched on CPU-measured latencies" : "");
    print_plan(plan, pf, measured_ms);
    fmt::print("wrote {} files to {}\n", files.size(), opts->out);
  });
}

}  // namespace tpulab::cli
