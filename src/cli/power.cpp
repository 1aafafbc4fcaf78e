// `tpulab power ...`: record traces, calibrate and configure PowerSensor boards, summarise
// traces. Thin: the work is in src/power.
#include <fmt/core.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "common/error.h"
#include "common/json_text.h"
#include "power/calibrate.h"
#include "power/open_source.h"
#include "power/powersensor2.h"
#include "power/powersensor3.h"
#include "power/recorder.h"
#include "power/sensors.h"
#include "power/sim_source.h"
#include "power/trace.h"

namespace tpulab::cli {

namespace {

using nlohmann::json;
namespace pw = tpulab::power;

std::atomic<bool> g_interrupted{false};

extern "C" void on_sigint(int) { g_interrupted.store(true); }

// Ctrl-C stops a recording cleanly (the trace is kept) instead of killing the process.
class InterruptScope {
 public:
  InterruptScope() {
    g_interrupted = false;
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~InterruptScope() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

struct SourceArgs {
  std::string spec;
  double timeout_s = 0;
  double interval_s = 0;
  double sim_rate_hz = 1000;
  double sim_speed = 1.0;
};

void add_source_options(CLI::App* cmd, SourceArgs& a, bool software_sources) {
  cmd->add_option("--source", a.spec,
                  software_sources ? "ps3:DEVICE, ps2:DEVICE, rapl, hwmon:NAME or sim:TIMELINE.csv"
                                   : "ps3:DEVICE or ps2:DEVICE")
      ->required();
  cmd->add_option("--timeout", a.timeout_s, "Seconds to wait for a device's answers")
      ->check(real_number(0, pw::kMaxTimeoutS, true));
  if (software_sources) {
    cmd->add_option("--interval", a.interval_s, "Polling interval of rapl/hwmon (s)")
        ->check(real_number(0, pw::kMaxTimeoutS, true));
    cmd->add_option("--sim-rate", a.sim_rate_hz, "Samples per second of the sim source")
        ->capture_default_str()
        ->check(real_number(0, pw::SimOptions::kMaxSampleRateHz, true));
    cmd->add_option("--sim-speed", a.sim_speed, "Timeline seconds per second (sim)")
        ->capture_default_str()
        ->check(real_number(0, pw::kMaxSimSpeed, true));
  }
}

pw::OpenOptions open_options(const SourceArgs& a) {
  pw::OpenOptions o;
  o.timeout_s = a.timeout_s;
  o.interval_s = a.interval_s;
  o.sim_rate_hz = a.sim_rate_hz;
  o.sim_speed = a.sim_speed;
  return o;
}

bool stderr_is_tty() { return isatty(STDERR_FILENO) == 1; }

std::string describe(const pw::SourceInfo& info) {
  return fmt::format("{} {}{}", info.kind, info.where,
                     info.detail.empty() ? "" : " (" + info.detail + ")");
}

// The energy between consecutive markers, as a table after a blank line (nothing without any).
void print_intervals(const std::vector<pw::MarkerInterval>& intervals) {
  if (intervals.empty()) return;
  fmt::print("\n{:<8} {:>10} {:>10} {:>12} {:>12}\n", "markers", "start (s)", "seconds",
             "energy (J)", "average (W)");
  for (const auto& m : intervals)
    fmt::print("{} -> {}   {:>10.4f} {:>10.4f} {:>12.4f} {:>12.4f}\n", m.from, m.to, m.start_s,
               m.seconds, m.joules, m.watts);
}

// ---- record ---------------------------------------------------------------------------

struct RecordArgs {
  SourceArgs source;
  std::string out;
  std::string format;
  double duration_s = 0;
  bool json = false;
  std::vector<std::string> command;
};

void run_record(const RecordArgs& a) {
  pw::RecordOptions o;
  o.out = a.out;
  if (a.format == "csv") o.format = pw::TraceFormat::Csv;
  if (a.format == "dump") o.format = pw::TraceFormat::PowerSensorDump;
  o.duration_s = a.duration_s;
  o.command = a.command;
  auto source = pw::open_source(a.source.spec, open_options(a.source));
  if (a.command.empty() && a.duration_s == 0 && source->info().kind != "sim" && !stderr_is_tty())
    fmt::print(stderr, "recording until interrupted (Ctrl-C or SIGTERM)\n");
  InterruptScope interrupt_scope;
  o.interrupt = &g_interrupted;
  const bool tty = stderr_is_tty();
  if (tty) {
    o.progress = [](const pw::State& s, const pw::SourceStats& st) {
      fmt::print(stderr, "\r  {:8.2f} s  {:>9} samples  {:8.2f} W  {:10.3f} J{}   ", s.time_s,
                 st.samples, s.power_w(), s.energy_j(),
                 st.skipped_bytes ? fmt::format("  ({} bytes skipped)", st.skipped_bytes) : "");
    };
  }
  pw::RecordResult r;
  try {
    r = pw::record(*source, o);
  } catch (const Error& e) {
    if (tty) fmt::print(stderr, "\n");
    // Errors of the trace itself name it: then there is no trace (nor a temporary) to keep.
    if (e.where() == a.out) throw;
    // Otherwise the trace holds every sample up to the failure; say so with the error.
    throw Error(e.problem() + "; the trace " + a.out + " keeps the samples recorded until then",
                e.where());
  }
  if (tty) fmt::print(stderr, "\r{:80}\r", "");

  const double secs = pw::seconds(r.first, r.last);
  const double joules = pw::joules(r.first, r.last);
  const auto& channels = source->info().channels;
  if (a.json) {
    json j = pw::to_json(r, source->info());
    j["trace"] = a.out;
    fmt::print("{}\n", json_text(j));
  } else {
    fmt::print("trace     {} ({} samples)\n", a.out, r.samples_written);
    fmt::print("source    {}\n", describe(source->info()));
    fmt::print("duration  {:.3f} s (ended by {})\n", secs, r.ended_by);
    fmt::print("energy    {:.4f} J\n", joules);
    fmt::print("average   {:.4f} W\n", secs > 0 ? joules / secs : 0.0);
    fmt::print("peak      {:.4f} W\n", r.peak_power_w);
    if (channels.size() > 1) {
      fmt::print("\n{:<16} {:>12} {:>12}\n", "channel", "energy (J)", "average (W)");
      for (size_t c = 0; c < channels.size(); ++c)
        fmt::print("{:<16} {:>12.4f} {:>12.4f}\n", channels[c].name,
                   pw::joules(r.first, r.last, static_cast<int>(c)),
                   pw::watts(r.first, r.last, static_cast<int>(c)));
    }
    print_intervals(r.intervals);
    if (r.stats.skipped_bytes || r.stats.discarded_frames)
      fmt::print("\nstream    {} corrupt bytes skipped, {} frames discarded\n",
                 r.stats.skipped_bytes, r.stats.discarded_frames);
  }
  if (r.command_status > 0)
    throw Error("the command exited with status " + std::to_string(r.command_status) +
                    " (the trace is complete)",
                a.command.front());
}

// ---- calibrate ------------------------------------------------------------------------

struct CalibrateArgs {
  SourceArgs source;
  double seconds = 2.0;
  bool write = false;
  bool json = false;
};

void run_calibrate(const CalibrateArgs& a) {
  const auto spec = pw::parse_source_spec(a.source.spec);
  pw::CalibrateOptions o;
  o.seconds = a.seconds;
  std::vector<pw::ZeroOffset> offsets;
  const char* unit;
  if (spec.kind == "ps3") {
    pw::Ps3Options po;
    if (a.source.timeout_s > 0) po.timeout_s = a.source.timeout_s;
    pw::PowerSensor3Source ps(spec.arg, po);
    offsets = pw::measure_zero_offsets(ps, o);
    if (a.write) ps.write_config(pw::with_zero_offsets(ps.config(), offsets));
    unit = "vref (V)";
  } else if (spec.kind == "ps2") {
    pw::Ps2Options po;
    if (a.source.timeout_s > 0) po.timeout_s = a.source.timeout_s;
    pw::PowerSensor2Source ps(spec.arg, po);
    offsets = pw::measure_zero_offsets(ps, o);
    if (a.write) ps.write_config(pw::with_zero_offsets(ps.config(), offsets));
    unit = "null level (W)";
  } else {
    throw UsageError("calibration needs a PowerSensor (ps3:DEVICE or ps2:DEVICE)", a.source.spec);
  }
  if (a.json) {
    json arr = json::array();
    for (const auto& z : offsets)
      arr.push_back({{"sensor", z.sensor},
                     {"samples", z.samples},
                     {"old", z.old_value},
                     {"new", z.new_value},
                     {"offset_current_a", z.offset_current_a},
                     {"offset_power_w", z.offset_power_w},
                     {"level_stddev", z.level_stddev}});
    fmt::print("{}\n", json_text(json{{"sensors", arr}, {"written", a.write}}));
    return;
  }
  fmt::print("{:<7} {:>9} {:>16} {:>16} {:>14} {:>13}\n", "sensor", "samples",
             std::string("old ") + unit, std::string("new ") + unit, "offset (A)", "offset (W)");
  for (const auto& z : offsets)
    fmt::print("{:<7} {:>9} {:>16.5f} {:>16.5f} {:>14.4f} {:>13.4f}\n", z.sensor, z.samples,
               z.old_value, z.new_value, z.offset_current_a, z.offset_power_w);
  fmt::print("\n{}\n", a.write ? "written to the device's EEPROM"
                               : "not written: run again with --write to store the new zeros");
}

// ---- info / config --------------------------------------------------------------------

void print_ps3_config(const pw::ps3::Config& c, bool json_out, const std::string& version) {
  if (json_out) {
    json arr = json::array();
    for (size_t s = 0; s < c.size(); ++s)
      arr.push_back({{"sensor", s},
                     {"type", c[s].type},
                     {"pair_name", c[s].pair_name},
                     {"vref", c[s].vref},
                     {"sensitivity", c[s].sensitivity},
                     {"in_use", c[s].in_use}});
    fmt::print("{}\n", json_text(json{{"firmware", version}, {"sensors", arr}}));
    return;
  }
  fmt::print("firmware  {}\n\n", version);
  fmt::print("{:<7} {:<5} {:<17} {:<17} {:>9} {:>12} {}\n", "sensor", "pair", "type", "pair name",
             "vref", "sensitivity", "in use");
  for (size_t s = 0; s < c.size(); ++s)
    fmt::print("{:<7} {:<5} {:<17} {:<17} {:>9.4f} {:>12.5f} {}\n", s, s / 2, c[s].type,
               c[s].pair_name, c[s].vref, c[s].sensitivity, c[s].in_use ? "yes" : "no");
}

void run_info(const SourceArgs& a, bool json_out) {
  const auto spec = pw::parse_source_spec(a.spec);
  if (spec.kind == "ps3") {
    pw::Ps3Options po;
    if (a.timeout_s > 0) po.timeout_s = a.timeout_s;
    pw::PowerSensor3Source ps(spec.arg, po);
    print_ps3_config(ps.config(), json_out, ps.version());
    return;
  }
  auto source = pw::open_source(a.spec, open_options(a));
  const auto& info = source->info();
  if (spec.kind == "ps2") {
    auto& ps = dynamic_cast<pw::PowerSensor2Source&>(*source);
    if (json_out) {
      json arr = json::array();
      for (size_t s = 0; s < ps.config().size(); ++s)
        arr.push_back({{"sensor", s},
                       {"volt", ps.config()[s].volt},
                       {"sensitivity", ps.config()[s].type},
                       {"null_level", ps.config()[s].null_level}});
      fmt::print("{}\n", json_text(json{{"sensors", arr}}));
      return;
    }
    fmt::print("{:<7} {:>8} {:>12} {:>11} {}\n", "sensor", "volt", "sensitivity", "null (W)",
               "model");
    for (size_t s = 0; s < ps.config().size(); ++s) {
      const auto& c = ps.config()[s];
      const auto* model = pw::sensor_by_sensitivity(c.type);
      fmt::print("{:<7} {:>8.3f} {:>12.4f} {:>11.4f} {}\n", s, c.volt, c.type, c.null_level,
                 c.in_use() ? (model ? std::string(model->name) : "?") : "not in use");
    }
    return;
  }
  if (json_out) {
    json chans = json::array();
    for (const auto& c : info.channels) chans.push_back({{"name", c.name}, {"id", c.id}});
    fmt::print("{}\n", json_text(json{{"kind", info.kind},
                                      {"where", info.where},
                                      {"detail", info.detail},
                                      {"channels", chans}}));
    return;
  }
  fmt::print("source    {}\nchannels ", describe(info));
  for (const auto& c : info.channels) fmt::print(" {}", c.name);
  fmt::print("\n");
}

struct ConfigArgs {
  SourceArgs source;
  int sensor = -1;
  std::string type;
  std::string pair_name;
  std::optional<double> vref;
  std::optional<double> sensitivity;
  std::optional<bool> in_use;
  bool json = false;
};

void run_config(const ConfigArgs& a) {
  // The library's bounds, checked before the device is opened (FieldError: exit 2, --flag).
  if (a.vref) pw::ps3::check_vref(*a.vref);
  if (a.sensitivity) pw::ps3::check_sensitivity(*a.sensitivity);
  const auto spec = pw::parse_source_spec(a.source.spec);
  if (spec.kind != "ps3")
    throw UsageError("config editing is for PowerSensor3 (ps3:DEVICE)", a.source.spec);
  pw::Ps3Options po;
  if (a.source.timeout_s > 0) po.timeout_s = a.source.timeout_s;
  pw::PowerSensor3Source ps(spec.arg, po);
  if (a.sensor < 0) {
    print_ps3_config(ps.config(), a.json, ps.version());
    return;
  }
  auto config = ps.config();
  auto& s = config[static_cast<size_t>(a.sensor)];
  if (!a.type.empty()) {
    s.type = a.type;
    // A known current sensor brings its datasheet sensitivity along.
    if (a.sensor % 2 == 0 && !a.sensitivity) {
      try {
        s.sensitivity = static_cast<float>(pw::find_current_sensor(a.type).sensitivity_v_per_a);
      } catch (const UsageError&) {
        // An unknown type name is fine: it is only a label then.
      }
    }
  }
  if (!a.pair_name.empty()) {
    // The firmware names pairs through both of their sensors.
    config[static_cast<size_t>(a.sensor & ~1)].pair_name = a.pair_name;
    config[static_cast<size_t>(a.sensor | 1)].pair_name = a.pair_name;
  }
  if (a.vref) s.vref = static_cast<float>(*a.vref);
  if (a.sensitivity) s.sensitivity = static_cast<float>(*a.sensitivity);
  if (a.in_use) s.in_use = *a.in_use;
  ps.write_config(config);
  print_ps3_config(ps.config(), a.json, ps.version());
}

// ---- summary / sensors ----------------------------------------------------------------

void run_summary(const std::string& path, bool json_out) {
  const pw::TraceSummary s = pw::summarize(pw::read_trace(path), path);
  if (json_out) {
    fmt::print("{}\n", json_text(pw::to_json(s)));
    return;
  }
  fmt::print(
      "samples   {}\nduration  {:.4f} s\nenergy    {:.4f} J\naverage   {:.4f} W\npeak      "
      "{:.4f} W\n",
      s.samples, s.seconds, s.joules, s.average_w(), s.peak_w);
  print_intervals(s.between_markers);
}

void run_sensors(bool json_out) {
  if (json_out) {
    json arr = json::array();
    for (const auto& m : pw::current_sensor_models())
      arr.push_back({{"name", m.name},
                     {"sensitivity_v_per_a", m.sensitivity_v_per_a},
                     {"range_a", m.range_a},
                     {"supply_v", m.supply_v},
                     {"noise_pp_v", m.noise_pp_v}});
    fmt::print("{}\n", json_text(arr));
    return;
  }
  fmt::print("{:<13} {:>13} {:>10} {:>9} {:>15}\n", "model", "sensitivity", "range", "supply",
             "noise p-p");
  for (const auto& m : pw::current_sensor_models())
    fmt::print("{:<13} {:>9.2f} mV/A {:>8.0f} A {:>7.1f} V {:>12}\n", m.name,
               1000 * m.sensitivity_v_per_a, m.range_a, m.supply_v,
               m.noise_pp_v > 0 ? fmt::format("{:.0f} mV", 1000 * m.noise_pp_v) : "-");
}

}  // namespace

void add_power_command(CLI::App& app) {
  CLI::App* power =
      app.add_subcommand("power", "Measure power and energy (PowerSensor, RAPL, hwmon, sim)");
  power->require_subcommand(1);

  auto rec = std::make_shared<RecordArgs>();
  CLI::App* record = power->add_subcommand(
      "record",
      "Record a power trace for a duration, while a command runs (after --), or until Ctrl-C");
  add_source_options(record, rec->source, true);
  record->add_option("--out", rec->out, "Trace file (.csv, or PowerSensor's dump format otherwise)")
      ->required();
  record->add_option("--format", rec->format, "csv or dump (default: from the extension)")
      ->check(CLI::IsMember({"csv", "dump"}));
  record->add_option("--duration", rec->duration_s, "Seconds to record")
      ->check(real_number(0, pw::kMaxDurationS));
  record->add_flag("--json", rec->json, "Print the summary as JSON");
  record->add_option("command", rec->command, "Command to run while recording (after --)");
  record->callback([rec] { run_record(*rec); });

  auto cal = std::make_shared<CalibrateArgs>();
  CLI::App* calibrate = power->add_subcommand(
      "calibrate", "Measure the current sensors' zero with NO load connected, optionally store it");
  add_source_options(calibrate, cal->source, false);
  calibrate->add_option("--seconds", cal->seconds, "Averaging time")
      ->capture_default_str()
      ->check(real_number(0, pw::kMaxTimeoutS, true));
  calibrate->add_flag("--write", cal->write, "Write the new zeros to the device's EEPROM");
  calibrate->add_flag("--json", cal->json, "Print JSON");
  calibrate->callback([cal] { run_calibrate(*cal); });

  auto inf = std::make_shared<std::pair<SourceArgs, bool>>();
  CLI::App* info =
      power->add_subcommand("info", "Show a source's channels (and a PowerSensor's config)");
  add_source_options(info, inf->first, true);
  info->add_flag("--json", inf->second, "Print JSON");
  info->callback([inf] { run_info(inf->first, inf->second); });

  auto cfg = std::make_shared<ConfigArgs>();
  CLI::App* config = power->add_subcommand(
      "config", "Show or change a PowerSensor3 sensor's config (written to its EEPROM)");
  add_source_options(config, cfg->source, false);
  config->add_option("--sensor", cfg->sensor, "Sensor 0..7 (2p: current, 2p+1: voltage of pair p)")
      ->check(whole_number(0, pw::ps3::kSensors - 1));
  config->add_option("--type", cfg->type,
                     "Sensor type; a known current sensor sets its sensitivity");
  config->add_option("--pair-name", cfg->pair_name, "Name of the sensor's pair");
  config->add_option("--vref", cfg->vref, "Zero reference (V, within the ADC's 0..3.3 V)")
      ->check(real_number(0, pw::kPs3ReferenceV));
  config
      ->add_option("--sensitivity", cfg->sensitivity,
                   "V/A (current) or gain (voltage); < 0 inverts; magnitude 0.001..10")
      ->check(real_number(-pw::ps3::kMaxSensitivity, pw::ps3::kMaxSensitivity));
  config->add_option("--in-use", cfg->in_use, "true or false");
  config->add_flag("--json", cfg->json, "Print JSON");
  config->callback([cfg] { run_config(*cfg); });

  auto sum = std::make_shared<std::pair<std::string, bool>>();
  CLI::App* summary =
      power->add_subcommand("summary", "Energy, power and energy between markers of a trace");
  summary->add_option("trace", sum->first, "Trace file (CSV or dump)")->required();
  summary->add_flag("--json", sum->second, "Print JSON");
  summary->callback([sum] { run_summary(sum->first, sum->second); });

  add_power_measure_command(power);

  auto sens = std::make_shared<bool>(false);
  CLI::App* sensors = power->add_subcommand("sensors", "List the known current-sensor models");
  sensors->add_flag("--json", *sens, "Print JSON");
  sensors->callback([sens] { run_sensors(*sens); });
}

}  // namespace tpulab::cli
