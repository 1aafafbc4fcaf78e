// tpulab pipeline MODEL.tflite|zoo:NAME [MODEL2 ...] [--segments K | --plan plan.json]
//                 [--pipelines P] [--requests N] [--load closed|poisson|periodic] [--rate R]
//                 [--clock virtual|realtime] [--timing-only] [--json]
#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "cli/platform_options.h"
#include "common/error.h"
#include "common/json_text.h"
#include "common/table.h"
#include "device/platform.h"
#include "partition/plan_files.h"
#include "partition/strategy.h"
#include "pipeline/report_json.h"
#include "pipeline/runtime.h"
#include "pipeline/system.h"
#include "pipeline/topology_sweep.h"
#include "pipeline/workload.h"

namespace tpulab::cli {

namespace {

struct PipelineArgs {
  std::vector<std::string> models;
  PlatformOptions platform{"asus-8x-pcie", "", ""};
  std::string plan;
  std::string strategy = "optimal", load, clock = "virtual", dispatch = "round-robin";
  int segments = 1, pipelines = 1, in_flight = 0;
  int64_t requests = 1000;
  double rate = 0;
  uint64_t seed = 1;
  int64_t queue_size = 1;
  bool timing_only = false, json = false, topologies = false, csv = false;
  bool segments_given = false, pipelines_given = false;
};

std::string ms(double v) { return fmt::format("{:.2f}", v); }

std::string load_description(const pipeline::RunReport& r) {
  const pipeline::Workload& w = r.workload;
  std::string s = fmt::format("{} requests per model, ", w.requests);
  switch (w.kind) {
    case pipeline::LoadKind::kClosed:
      return s + fmt::format("closed loop ({} in flight{})", r.models.at(0).in_flight,
                             r.models.size() > 1 ? " per model" : "");
    case pipeline::LoadKind::kPoisson:
      return s + fmt::format("poisson arrivals at {:g}/s per model", w.rate_ips);
    case pipeline::LoadKind::kPeriodic:
      return s + fmt::format("periodic arrivals at {:g}/s per model", w.rate_ips);
  }
  return s;
}

void print_report(const pipeline::RunReport& r, const PipelineArgs& a) {
  std::vector<std::string> names;
  for (const auto& m : r.models) names.push_back(m.name);
  const pipeline::ModelReport& first = r.models.front();
  const int k = first.segments, p = first.pipelines;
  const bool shared = r.any_device_shared();
  fmt::print("{} on {} ({} TPUs): {}{} pipeline{} x {} segment{} ({}){}\n", fmt::join(names, ", "),
             r.platform, r.tpus, names.size() > 1 ? fmt::format("{} models x ", names.size()) : "",
             p, p == 1 ? "" : "s", k, k == 1 ? "" : "s",
             a.plan.empty() ? partition::strategy_name(first.strategy) : "plan " + a.plan,
             shared ? ", TPUs shared between models" : "");
  fmt::print("{} clock{}, {} dispatch; {}\n", pipeline::clock_kind_name(r.clock),
             r.timing_only ? " (timing only)" : "", pipeline::dispatch_name(r.dispatch),
             load_description(r));

  TextTable models(
      {"model", "requests", "throughput/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "mean ms"});
  models.right_align({1, 2, 3, 4, 5, 6, 7});
  for (const auto& m : r.models)
    models.add({m.name, std::to_string(m.requests), fmt::format("{:.1f}", m.throughput_ips),
                ms(m.latency_ms.p50), ms(m.latency_ms.p90), ms(m.latency_ms.p99),
                ms(m.latency_ms.max), ms(m.latency_ms.mean)});
  std::cout << "\n" << models.str();

  TextTable devices(
      {"device", "stages", "invokes", "utilization %", "switches", "switch ms", "energy mJ"});
  devices.right_align({2, 3, 4, 5, 6});
  for (const auto& dr : r.devices) {
    devices.add({dr.name, dr.stages.empty() ? "-" : fmt::format("{}", fmt::join(dr.stages, " ")),
                 std::to_string(dr.invokes), fmt::format("{:.1f}", 100 * dr.utilization),
                 std::to_string(dr.switches), ms(dr.switch_ms),
                 fmt::format("{:.1f}", dr.energy_mj)});
  }
  std::cout << "\n" << devices.str() << "\n";

  fmt::print(
      "throughput {:.1f} inferences/s; device model {:.1f}/s{} (ratio {:.3f}); {:.3f} mJ per "
      "inference; shared host link {:.1f} % busy; {} requests in {:.1f} ms {}, {:.0f} ms wall\n",
      r.throughput_ips, r.analytic_throughput_ips, shared ? " without model switches" : "",
      r.device_model_ratio(), r.energy_per_inference_mj, 100 * r.shared_link_utilization,
      r.requests, r.duration_ms, r.clock == pipeline::ClockKind::kVirtual ? "modeled" : "measured",
      r.wall_ms);
}

// --topologies: every P x K = TPUs split of the card, one row each; CSV rows are printed as each
// run finishes, so a long realtime sweep keeps what it measured.
void run_sweep(const pipeline::ModelToRun& model, const device::Platform& pf,
               const pipeline::SystemOptions& so, const pipeline::Workload& w,
               const pipeline::RunOptions& ro, const PipelineArgs& a) {
  const std::string csv_header =
      "model,platform,clock,pipelines,segments,throughput_ips,analytic_throughput_ips,"
      "latency_p50_ms,latency_p90_ms,latency_p99_ms,latency_max_ms,energy_per_inference_mj,"
      "shared_link_utilization,requests";
  if (a.csv) fmt::print("{}\n", csv_header);
  auto csv_row = [&](const pipeline::TopologyRun& t) {
    const pipeline::RunReport& r = t.report;
    fmt::print("{},{},{},{},{},{:.3f},{:.3f},{:.3f},{:.3f},{:.3f},{:.3f},{:.4f},{:.4f},{}\n",
               model.name, pf.name, pipeline::clock_kind_name(r.clock), t.pipelines, t.segments,
               r.throughput_ips, r.analytic_throughput_ips, r.latency_ms.p50, r.latency_ms.p90,
               r.latency_ms.p99, r.latency_ms.max, r.energy_per_inference_mj,
               r.shared_link_utilization, r.requests);
    std::fflush(stdout);
  };
  const pipeline::TopologySweep sweep =
      pipeline::sweep_topologies(model, pf, so, w, ro, [&](const pipeline::TopologyRun& t) {
        if (a.csv) csv_row(t);
      });
  if (a.csv) return;
  if (a.json) {
    std::cout << json_text(pipeline::topology_sweep_to_json(sweep)) << "\n";
    return;
  }
  fmt::print("{} on {} ({} TPUs), every equal topology; {} clock{}, {} requests\n", sweep.model,
             sweep.platform, sweep.tpus, pipeline::clock_kind_name(sweep.clock),
             sweep.timing_only ? " (timing only)" : "", sweep.requests);
  TextTable t({"topology", "throughput/s", "device model/s", "ratio", "p50 ms", "p99 ms",
               "mJ/inference", "link %"});
  t.right_align({1, 2, 3, 4, 5, 6, 7});
  for (const auto& run : sweep.runs) {
    const pipeline::RunReport& r = run.report;
    t.add({fmt::format("{}x{}", run.pipelines, run.segments),
           fmt::format("{:.1f}", r.throughput_ips),
           fmt::format("{:.1f}", r.analytic_throughput_ips),
           fmt::format("{:.3f}", r.device_model_ratio()), ms(r.latency_ms.p50),
           ms(r.latency_ms.p99), fmt::format("{:.2f}", r.energy_per_inference_mj),
           fmt::format("{:.1f}", 100 * r.shared_link_utilization)});
  }
  std::cout << t.str();
}

void run_pipeline(const PipelineArgs& a) {
  // Everything that can be checked without loading a model comes first.
  const partition::Strategy strategy = partition::parse_strategy(a.strategy);
  pipeline::RunOptions ro;
  ro.clock = pipeline::parse_clock_kind(a.clock);
  ro.dispatch = pipeline::parse_dispatch(a.dispatch);
  ro.queue_size = static_cast<size_t>(a.queue_size);
  pipeline::Workload w;
  w.kind = pipeline::load_kind_or_default(a.load, a.rate);
  w.requests = a.requests;
  w.in_flight = a.in_flight;
  w.rate_ips = a.rate;
  w.seed = a.seed;
  if (w.kind == pipeline::LoadKind::kClosed && a.rate != 0)
    throw UsageError(
        "--rate is for open loops (--load poisson or periodic); a closed loop "
        "issues a request whenever one completes",
        "--rate");
  if (w.kind != pipeline::LoadKind::kClosed && a.in_flight != 0)
    throw UsageError("--in-flight is for the closed loop; open loops issue requests at --rate",
                     "--in-flight");
  if (w.kind != pipeline::LoadKind::kClosed && !(a.rate > 0))
    throw UsageError(fmt::format("--load {} needs --rate R (inferences/s per model, > 0)",
                                 pipeline::load_kind_name(w.kind)),
                     "--rate");
  pipeline::check_workload(w);
  if (a.topologies &&
      (a.models.size() > 1 || !a.plan.empty() || a.segments_given || a.pipelines_given))
    throw UsageError(
        "--topologies runs one model in every P x K split of the TPUs; it takes no --segments, "
        "--pipelines, --plan or second model",
        "--topologies");
  if (a.csv && !a.topologies)
    throw UsageError("--csv is the --topologies table; a single run has --json", "--csv");
  if (!a.plan.empty() && a.models.size() > 1)
    throw UsageError("--plan holds the cut points of one model; it cannot go with several models",
                     "--plan");

  const device::Platform pf = load_platform(a.platform);

  std::vector<pipeline::ModelToRun> models;
  for (const std::string& arg : a.models) {
    pipeline::ModelToRun m = pipeline::model_to_run(arg);
    if (!a.plan.empty()) m.starts = partition::read_plan_starts(a.plan, m.graph);
    models.push_back(std::move(m));
  }

  const bool tty = isatty(STDERR_FILENO) == 1;
  std::mutex progress_lock;
  if (tty)
    ro.on_progress = [&progress_lock](int64_t done, int64_t total) {
      std::lock_guard lock(progress_lock);
      fmt::print(stderr, "\r  {}/{} requests", done, total);
      std::fflush(stderr);
      if (done == total) fmt::print(stderr, "\r{:60}\r", "");
    };

  pipeline::SystemOptions so;
  so.segments = a.segments;
  so.pipelines = a.pipelines;
  so.strategy = strategy;
  so.timing_only = a.timing_only;
  if (a.topologies) {
    run_sweep(models.front(), pf, so, w, ro, a);
    return;
  }
  pipeline::System sys = pipeline::build_system(std::move(models), pf, so);

  pipeline::RunReport r;
  try {
    r = pipeline::run(sys, w, ro);
  } catch (...) {
    if (tty) fmt::print(stderr, "\n");
    throw;
  }
  if (a.json) {
    std::cout << json_text(pipeline::run_report_to_json(r)) << "\n";
    return;
  }
  print_report(r, a);
}

}  // namespace

void add_pipeline_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "pipeline",
      "Run models as pipelines of segments on a platform's simulated Edge TPUs under a load");
  auto a = std::make_shared<PipelineArgs>();
  cmd->add_option("models", a->models, "Model files (.tflite) or zoo:NAME")->required();
  add_platform_options(cmd, a->platform);
  auto* seg = cmd->add_option("--segments", a->segments, "Segments K per pipeline, one TPU each")
                  ->capture_default_str()
                  ->check(whole_number(1, kMaxSegments))
                  ->each([a](const std::string&) { a->segments_given = true; });
  cmd->add_option("--plan", a->plan, "Cut points from a plan.json (one model)")->excludes(seg);
  cmd->add_option("--strategy", a->strategy, "Where to cut: params, profile or optimal")
      ->capture_default_str();
  cmd->add_option("--pipelines", a->pipelines, "Replicas P of each model's pipeline")
      ->capture_default_str()
      ->check(whole_number(1, kMaxSegments))
      ->each([a](const std::string&) { a->pipelines_given = true; });
  cmd->add_flag("--topologies", a->topologies,
                "Run one model in every P x K = TPUs topology (1x8, 2x4, 4x2, 8x1) and compare");
  cmd->add_flag("--csv", a->csv, "--topologies: print CSV rows as each run finishes");
  cmd->add_option("--requests", a->requests, "Requests per model")
      ->capture_default_str()
      ->check(whole_number(1));
  cmd->add_option("--load", a->load,
                  "closed, poisson or periodic (default: closed; poisson when --rate is given)");
  cmd->add_option("--rate", a->rate, "Open loops: arrivals per second per model")
      ->check(real_number(0, 1e9, true));
  cmd->add_option("--in-flight", a->in_flight,
                  "Closed loop: requests in flight per model (default: 2 per stage)")
      ->check(whole_number(1, 1000000));
  cmd->add_option("--seed", a->seed, "Seed of the poisson arrivals")
      ->capture_default_str()
      ->check(unsigned_number());
  cmd->add_option("--dispatch", a->dispatch,
                  "How requests pick a replica: round-robin or least-loaded")
      ->capture_default_str();
  cmd->add_option("--queue-size", a->queue_size, "Queue between stages (0 = unbounded)")
      ->capture_default_str()
      ->check(whole_number(0, 1000000));
  cmd->add_option("--clock", a->clock,
                  "virtual (discrete-event, instant) or realtime (threads, modeled device times)")
      ->capture_default_str();
  cmd->add_flag("--timing-only", a->timing_only,
                "Devices only keep time (no engine, zero outputs): fast for big models");
  cmd->add_flag("--json", a->json, "Print JSON");
  cmd->callback([a] { run_pipeline(*a); });
}

}  // namespace tpulab::cli
