// Power: sources by the CLI's spec strings, recording into Traces whose columns are numpy arrays,
// trace files and their summary, energy per inference on a simulated Edge TPU, and the
// PowerSensor emulator.
#include <fmt/format.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bind.h"
#include "common/error.h"
#include "device/platform.h"
#include "power/edgetpu_measure.h"
#include "power/emulator/emulator.h"
#include "power/open_source.h"
#include "power/recorder.h"
#include "power/trace.h"

namespace tpulab::py {

namespace {

namespace pw = tpulab::power;

// A source opened once; record() starts and stops it, so it records once.
struct PySource {
  std::unique_ptr<pw::PowerSource> source;
  std::string spec;
  bool used = false;

  pw::PowerSource& get() const {
    if (!source) throw UsageError("the source is closed", spec);
    return *source;
  }
};

pw::TraceFormat parse_format(const std::string& format, const std::string& path) {
  if (format.empty()) return pw::trace_format_for(path);
  if (format == "csv") return pw::TraceFormat::Csv;
  if (format == "dump") return pw::TraceFormat::PowerSensorDump;
  throw FieldError("format", "the format is 'csv' or 'dump', not '" + format + "'");
}

std::unique_ptr<pw::PowerSource> open_spec(const std::string& spec, double timeout, double interval,
                                           double sim_rate, double sim_speed) {
  pw::OpenOptions o;
  o.timeout_s = timeout;
  o.interval_s = interval;
  o.sim_rate_hz = sim_rate;
  o.sim_speed = sim_speed;
  pyb::gil_scoped_release release;
  return pw::open_source(spec, o);
}

pyb::dict info_dict(const pw::SourceInfo& info) {
  pyb::list channels;
  for (const auto& c : info.channels) {
    pyb::dict d;
    d["name"] = c.name, d["id"] = c.id, d["measures_current"] = c.measures_current;
    d["measures_voltage"] = c.measures_voltage;
    channels.append(d);
  }
  pyb::dict d;
  d["kind"] = info.kind, d["where"] = info.where, d["detail"] = info.detail;
  d["device_clock"] = info.device_clock, d["channels"] = channels;
  return d;
}

using SharedTrace = std::shared_ptr<pw::Trace>;

// One number per row.
template <typename T, typename F>
pyb::array_t<T> column(const pw::Trace& t, F value) {
  pyb::array_t<T> a(static_cast<pyb::ssize_t>(t.rows.size()));
  auto out = a.template mutable_unchecked<1>();
  for (size_t i = 0; i < t.rows.size(); ++i) out(static_cast<pyb::ssize_t>(i)) = value(t.rows[i]);
  return a;
}

// One number per row and channel: rows x channels.
pyb::array_t<double> per_channel(const pw::Trace& t, std::vector<double> pw::TraceRow::*field) {
  const size_t n = t.channels.size();
  pyb::array_t<double> a({static_cast<pyb::ssize_t>(t.rows.size()), static_cast<pyb::ssize_t>(n)});
  auto out = a.mutable_unchecked<2>();
  for (size_t i = 0; i < t.rows.size(); ++i)
    for (size_t c = 0; c < n; ++c)
      out(static_cast<pyb::ssize_t>(i), static_cast<pyb::ssize_t>(c)) = (t.rows[i].*field)[c];
  return a;
}

SharedTrace record(PySource& s, double duration, uint64_t samples,
                   const std::optional<std::filesystem::path>& out, const std::string& format,
                   double timeout) {
  pw::PowerSource& source = s.get();
  if (s.used) throw UsageError("a source records once: open another", s.spec);
  if (duration == 0 && samples == 0 && !(source.info().kind == "sim"))
    throw UsageError("give a duration or a number of samples (only a sim source ends by itself)",
                     s.spec);
  pw::RecordOptions o;
  o.duration_s = duration;
  o.max_samples = samples;
  o.source_timeout_s = timeout;
  o.keep_samples = true;
  if (out) {
    o.out = out->string();
    o.format = parse_format(format, o.out);
  }
  s.used = true;
  // Ctrl-C: Python's handler runs when the recording loop checks for signals (with the GIL);
  // the recording then stops cleanly (the file is complete) and KeyboardInterrupt is raised.
  std::atomic<bool> interrupted{false};
  o.interrupt = &interrupted;
  o.progress_interval_s = 0.1;
  o.progress = [&interrupted](const pw::State&, const pw::SourceStats&) {
    pyb::gil_scoped_acquire acquire;
    if (PyErr_CheckSignals() != 0) interrupted = true;
  };
  pw::RecordResult r;
  {
    pyb::gil_scoped_release release;
    r = pw::record(source, o);
  }
  if (interrupted) throw pyb::error_already_set();
  return std::make_shared<pw::Trace>(std::move(r.trace));
}

pyb::dict measure(const Model& model, const std::string& label, const device::Platform& platform,
                  int requests, int warmup, double baseline, double timeout, double sim_rate,
                  double sim_speed) {
  pw::EdgeTpuMeasureOptions o;
  o.measure.requests = requests;
  o.measure.warmup = warmup;
  o.measure.baseline_s = baseline;
  o.measure.timeout_s = timeout;
  o.sample_rate_hz = sim_rate;
  o.speed = sim_speed;
  nlohmann::json j;
  {
    pyb::gil_scoped_release release;
    j = pw::to_json(pw::measure_simulated_edgetpu(*model.graph, platform, o));
  }
  j["model"] = label;
  j["device"] = "sim-edgetpu";
  return to_python(j);
}

pw::emu::EmulatorOptions emulator_options(bool ps2, std::optional<double> rate, int pairs,
                                          const std::string& waveform, double amps,
                                          double idle_amps, double volts, double period,
                                          double duty, double noise, uint64_t seed,
                                          uint64_t marker_delay, double corrupt,
                                          double zero_offset_mv) {
  using pw::emu::Waveform;
  pw::emu::EmulatorOptions o;
  o.ps2 = ps2;
  o.pairs = pairs;
  o.waveform.amps = amps;
  o.waveform.idle_amps = idle_amps;
  o.waveform.volts = volts;
  o.waveform.period_s = period;
  o.waveform.duty = duty;
  if (waveform == "constant") {
    o.waveform.kind = Waveform::Kind::Constant;
  } else if (waveform == "square") {
    o.waveform.kind = Waveform::Kind::Square;
  } else {
    o.waveform = pw::emu::read_waveform_csv(waveform, volts);
  }
  // tpulab-psemu's defaults: a PowerSensor2 streams slower.
  o.rate_hz = rate ? *rate : (ps2 ? 8600 : 20000);
  o.noise_levels = noise;
  o.seed = seed;
  o.marker_delay_frames = marker_delay;
  o.corrupt_probability = corrupt;
  o.zero_offset_v = zero_offset_mv / 1000.0;
  return o;
}

struct PyEmulator {
  std::unique_ptr<pw::emu::Emulator> emulator;
  bool ps2 = false;
  bool running = false;

  pw::emu::Emulator& get() const {
    if (!emulator) throw UsageError("the emulator is closed", "emulator");
    return *emulator;
  }
  void start() {
    if (running) return;
    pw::emu::Emulator& e = get();
    pyb::gil_scoped_release release;
    e.start();
    running = true;
  }
  // Stops and closes the pseudo-terminal: the device is gone.
  void close() {
    if (!emulator) return;
    pyb::gil_scoped_release release;
    if (running) emulator->stop();
    emulator.reset();
    running = false;
  }
};

}  // namespace

void bind_power(pyb::module_& m) {
  pyb::class_<PySource>(m, "PowerSource",
                        "A power source opened from a spec string (tpulab.power.open_source).")
      .def_property_readonly("spec", [](const PySource& s) { return s.spec; })
      .def_property_readonly(
          "info", [](const PySource& s) { return info_dict(s.get().info()); },
          "kind, where, detail, device_clock and channels, as `tpulab power info --json`.")
      .def_property_readonly("kind", [](const PySource& s) { return s.get().info().kind; })
      .def_property_readonly("channels",
                             [](const PySource& s) {
                               std::vector<std::string> names;
                               for (const auto& c : s.get().info().channels)
                                 names.push_back(c.name);
                               return names;
                             })
      .def(
          "close",
          [](PySource& s) {
            pyb::gil_scoped_release release;
            s.source.reset();
          },
          "Releases the device (also when the object is collected).")
      .def("__enter__", [](PySource& s) -> PySource& { return s; })
      .def("__exit__",
           [](PySource& s, const pyb::args&) {
             pyb::gil_scoped_release release;
             s.source.reset();
           })
      .def("__repr__", [](const PySource& s) { return fmt::format("PowerSource('{}')", s.spec); });

  m.def(
      "power_open_source",
      [](const std::string& spec, double timeout, double interval, double sim_rate,
         double sim_speed) {
        return PySource{open_spec(spec, timeout, interval, sim_rate, sim_speed), spec, false};
      },
      pyb::arg("spec"), pyb::arg("timeout") = 0.0, pyb::arg("interval") = 0.0,
      pyb::arg("sim_rate") = 1000.0, pyb::arg("sim_speed") = 1.0);
  m.def("power_list_sources", [] {
    pyb::gil_scoped_release release;
    return pw::list_sources();
  });

  pyb::class_<pw::Trace, SharedTrace>(m, "Trace",
                                      "A power trace: one row per sample, columns as numpy arrays.")
      .def_property_readonly(
          "format",
          [](const pw::Trace& t) { return t.format == pw::TraceFormat::Csv ? "csv" : "dump"; })
      .def_property_readonly("channels", [](const pw::Trace& t) { return t.channels; })
      .def("__len__", [](const pw::Trace& t) { return t.rows.size(); })
      .def_property_readonly(
          "time",
          [](const pw::Trace& t) { return column<double>(t, [](auto& r) { return r.time_s; }); },
          "Seconds since the first sample (float64, one per sample).")
      .def_property_readonly(
          "device_timestamp",
          [](const pw::Trace& t) {
            return column<int32_t>(t, [](auto& r) { return r.device_timestamp; });
          },
          "The device's raw timestamp (int32; -1 where the source has none).")
      .def_property_readonly(
          "marker",
          [](const pw::Trace& t) {
            return column<uint8_t>(t, [](auto& r) { return static_cast<uint8_t>(r.marker); });
          },
          "The marker character's code on each sample (uint8; 0 unmarked).")
      .def_property_readonly(
          "markers",
          [](const pw::Trace& t) {
            pyb::list out;
            for (const auto& mk : pw::trace_markers(t))
              out.append(
                  pyb::make_tuple(std::string(1, mk.label), mk.sample, mk.time_s, mk.energy_j));
            return out;
          },
          "[(label, sample index, time_s, cumulative energy_j), ...] in order.")
      .def_property_readonly(
          "current", [](const pw::Trace& t) { return per_channel(t, &pw::TraceRow::current_a); },
          "Amperes, samples x channels (float64).")
      .def_property_readonly(
          "voltage", [](const pw::Trace& t) { return per_channel(t, &pw::TraceRow::voltage_v); },
          "Volts, samples x channels.")
      .def_property_readonly(
          "power", [](const pw::Trace& t) { return per_channel(t, &pw::TraceRow::power_w); },
          "Watts, samples x channels.")
      .def_property_readonly(
          "energy", [](const pw::Trace& t) { return per_channel(t, &pw::TraceRow::energy_j); },
          "Cumulative joules, samples x channels.")
      .def_property_readonly(
          "total_power",
          [](const pw::Trace& t) {
            return column<double>(t, [](auto& r) { return r.total_power_w; });
          },
          "Watts of all channels, one per sample.")
      .def_property_readonly(
          "total_energy",
          [](const pw::Trace& t) {
            return column<double>(t, [](auto& r) { return r.total_energy_j; });
          },
          "Cumulative joules of all channels, one per sample.")
      .def(
          "summary",
          [](const pw::Trace& t) { return to_python(pw::to_json(pw::summarize(t, "trace"))); },
          "Energy, time, average and peak power, energy between markers: the dict "
          "`tpulab power summary --json` prints.")
      .def(
          "write",
          [](const pw::Trace& t, const std::filesystem::path& path, const std::string& format) {
            const pw::TraceFormat f = parse_format(format, path.string());
            pyb::gil_scoped_release release;
            pw::write_trace(t, path.string(), f);
          },
          pyb::arg("path"), pyb::arg("format") = "",
          "Writes the trace file ('csv' or 'dump'; default from the extension: .csv is CSV), "
          "whole or not at all.")
      .def("__repr__", [](const pw::Trace& t) {
        return fmt::format("Trace({} samples, {} channel(s))", t.rows.size(), t.channels.size());
      });

  m.def(
      "power_read_trace",
      [](const std::filesystem::path& path) {
        pyb::gil_scoped_release release;
        return std::make_shared<pw::Trace>(pw::read_trace(path.string()));
      },
      pyb::arg("path"));
  m.def(
      "power_summary",
      [](const std::filesystem::path& path) {
        nlohmann::json j;
        {
          pyb::gil_scoped_release release;
          j = pw::to_json(pw::summarize(pw::read_trace(path.string()), path.string()));
        }
        return to_python(j);
      },
      pyb::arg("path"));
  m.def("power_record", &record, pyb::arg("source"), pyb::arg("duration") = 0.0,
        pyb::arg("samples") = 0, pyb::arg("out") = pyb::none(), pyb::arg("format") = "",
        pyb::arg("timeout") = 5.0);
  m.def("power_measure", &measure, pyb::arg("model"), pyb::arg("label"), pyb::arg("platform"),
        pyb::arg("requests") = 100, pyb::arg("warmup") = 1, pyb::arg("baseline") = 1.0,
        pyb::arg("timeout") = 30.0, pyb::arg("sim_rate") = 10000.0, pyb::arg("sim_speed") = 1.0);

  pyb::class_<PyEmulator>(m, "Emulator",
                          "A PowerSensor3 (or PowerSensor2) on a pseudo-terminal, as tpulab-psemu.")
      .def(pyb::init([](bool ps2, std::optional<double> rate, int pairs,
                        const std::string& waveform, double amps, double idle_amps, double volts,
                        double period, double duty, double noise, uint64_t seed,
                        uint64_t marker_delay, double corrupt, double zero_offset_mv) {
             auto o = emulator_options(ps2, rate, pairs, waveform, amps, idle_amps, volts, period,
                                       duty, noise, seed, marker_delay, corrupt, zero_offset_mv);
             return PyEmulator{std::make_unique<pw::emu::Emulator>(std::move(o)), ps2, false};
           }),
           pyb::kw_only(), pyb::arg("ps2") = false, pyb::arg("rate") = pyb::none(),
           pyb::arg("pairs") = 1, pyb::arg("waveform") = "square", pyb::arg("amps") = 2.0,
           pyb::arg("idle_amps") = 0.5, pyb::arg("volts") = 12.0, pyb::arg("period") = 0.1,
           pyb::arg("duty") = 0.5, pyb::arg("noise") = 1.0, pyb::arg("seed") = 1,
           pyb::arg("marker_delay") = 0, pyb::arg("corrupt") = 0.0,
           pyb::arg("zero_offset_mv") = 0.0,
           "Opens the pseudo-terminal (not streaming yet: start() or `with`). The options are "
           "tpulab-psemu's: ps2 (a PowerSensor2 instead), rate (frames/s; default 20000, 8600 "
           "with ps2), pairs, waveform ('constant', 'square' or a CSV file to replay), amps, "
           "idle_amps, volts, period (s), duty, noise (ADC levels), seed, marker_delay (frames "
           "in flight before a marked one), corrupt (probability per frame of garbage bytes), "
           "zero_offset_mv (an uncalibrated current zero). UsageError for values a board cannot "
           "measure, FormatError for a malformed waveform file.")
      .def_property_readonly(
          "device_path", [](const PyEmulator& e) { return e.get().device_path(); },
          "The pseudo-terminal the emulated board is on (what /dev/ttyACM0 is for hardware).")
      .def_property_readonly(
          "spec",
          [](const PyEmulator& e) {
            return std::string(e.ps2 ? "ps2:" : "ps3:") + e.get().device_path();
          },
          "The source spec that opens it: 'ps3:<device_path>' ('ps2:' with ps2=True).")
      .def_property_readonly("running", [](const PyEmulator& e) { return e.running; })
      .def("start", &PyEmulator::start, "Starts answering on a background thread.")
      .def("close", &PyEmulator::close, "Stops it and removes the device.")
      .def("__enter__",
           [](PyEmulator& e) -> PyEmulator& {
             e.start();
             return e;
           })
      .def("__exit__", [](PyEmulator& e, const pyb::args&) { e.close(); })
      .def("__repr__", [](const PyEmulator& e) {
        return e.emulator ? fmt::format("Emulator('{}')", e.emulator->device_path())
                          : std::string("Emulator(closed)");
      });
}

}  // namespace tpulab::py
