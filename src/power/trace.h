// Trace files: every sample to CSV (for plotting) or to PowerSensor's dump format (for their
// tools), written as the samples arrive and flushed often to a temporary beside the trace, which
// becomes the trace on close(): an interrupted or failed recording keeps everything up to that
// point, and the trace appears whole at its name or (when it cannot be written) not at all.
// Plus a reader for both, and energy between the markers found in a trace.
#pragma once

#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "common/file_io.h"
#include "power/source.h"

namespace tpulab::power {

enum class TraceFormat {
  Csv,  // sample,time_s,marker,device_timestamp,<ch>_current_a,...,total_power_w,total_energy_j
  // PowerSensor3 dump: "marker time dt_micro device_timestamp currentN voltageN powerN ...
  // power_total"; a line starts with 'S', or with the marker character of a marked sample.
  PowerSensorDump,
};
// .csv -> Csv, anything else (.txt, .dump, .out) -> PowerSensorDump.
TraceFormat trace_format_for(const std::string& path);

class TraceWriter final : public SampleSink {
 public:
  // Creates the temporary beside `path` and writes the header. Throws IoError.
  TraceWriter(const std::string& path, const SourceInfo& source, TraceFormat format,
              double flush_interval_s = 0.2);
  // Closes (the samples so far become the trace) unless writing failed.
  ~TraceWriter() override;
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  // Throws IoError when the data cannot be written (a full disk): the temporary is removed and
  // nothing appears at `path`.
  void on_sample(const Sample& sample) override;
  void on_end(const std::string& error) override;
  // Flushes, syncs and puts the trace in place; throws IoError if anything could not be
  // written (then no trace is left, nor a temporary). Idempotent: a second call reports the
  // first one's failure again.
  void close();

  const std::string& path() const { return path_; }
  // Where the samples are until close() (tests look at what an unfinished recording holds).
  std::string temporary_path() const;
  uint64_t samples_written() const { return written_.load(); }
  // Highest total sample power seen (W), and the first sample as a State (the start of the
  // trace); valid once the source has stopped.
  double peak_power_w() const { return peak_w_; }
  const State& first_state() const { return first_; }

 private:
  void flush();
  std::string path_;
  TraceFormat format_;
  size_t channels_;
  std::unique_ptr<AtomicFile> file_;  // null once closed or failed
  std::exception_ptr error_;          // why writing failed
  std::string buffer_;
  std::chrono::steady_clock::time_point last_flush_;
  std::chrono::duration<double> flush_interval_;
  double last_time_s_ = 0;
  bool have_time_ = false;
  double peak_w_ = 0;
  State first_;
  std::atomic<uint64_t> written_{0};
};

// A trace read back from either format.
struct TraceRow {
  double time_s = 0;
  int device_timestamp = -1;
  char marker = 0;
  std::vector<double> current_a, voltage_v, power_w;  // per channel
  std::vector<double> energy_j;  // per channel: CSV: recorded; dump: integrated from its power
  double total_power_w = 0;
  double total_energy_j = 0;  // CSV: recorded; dump: integrated from power_total
};
struct Trace {
  TraceFormat format = TraceFormat::Csv;
  std::vector<std::string> channels;
  std::vector<TraceRow> rows;
};
// Refuses anything but a regular file (a FIFO at once) with IoError. Throws FormatError naming
// file:line on malformed content: a field that is not a number, a number that is not finite, a
// time that goes back. A last line cut short (the recording was killed mid-write) is dropped
// rather than failing the whole trace.
Trace read_trace(const std::string& path);
// The same for a trace's text; `path` only names it in errors.
Trace parse_trace(const std::string& content, const std::string& path);
std::vector<Marker> trace_markers(const Trace& trace);

// Writes `trace` as a trace file (`format`, as a TraceWriter would have written its samples):
// atomically, the whole file or nothing. Throws IoError.
void write_trace(const Trace& trace, const std::string& path, TraceFormat format);

// Keeps every sample of a source in memory, as a Trace (CSV format; what read_trace gives back
// for the file a TraceWriter writes, up to that file's rounding).
class TraceCollector final : public SampleSink {
 public:
  explicit TraceCollector(const SourceInfo& source);
  void on_sample(const Sample& sample) override;
  void on_end(const std::string& /*error*/) override {}
  // The samples so far; call once the source has stopped (the sink is fed on its thread).
  const Trace& trace() const { return trace_; }
  Trace take() { return std::move(trace_); }

 private:
  Trace trace_;
};

// What `tpulab power summary` reports of a trace: the energy and time from its first sample to
// its last, the highest sample power, and the energy between consecutive markers.
struct TraceSummary {
  uint64_t samples = 0;
  double seconds = 0;
  double joules = 0;
  double peak_w = 0;  // highest total sample power (0 if every sample is below 0 W)
  std::vector<MarkerInterval> between_markers;
  double average_w() const { return seconds > 0 ? joules / seconds : 0.0; }
};
// Throws Error naming `where` when the trace has no samples.
TraceSummary summarize(const Trace& trace, const std::string& where);
// {samples, seconds, joules, average_watts, peak_watts, between_markers}.
nlohmann::json to_json(const TraceSummary& summary);
// [{from, to, start_s, seconds, joules, watts}, ...].
nlohmann::json to_json(std::span<const MarkerInterval> intervals);

}  // namespace tpulab::power
