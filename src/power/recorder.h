// A recording session: a source streams into a trace file for a duration, while a command
// runs, or until interrupted; the result summarises energy, power and markers.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "power/source.h"
#include "power/trace.h"

namespace tpulab::power {

struct RecordOptions {
  std::string out;                    // the trace file ("" for none: then keep_samples)
  std::optional<TraceFormat> format;  // default: from the extension
  double duration_s = 0;              // 0: until the command ends / interrupt / source finished
  // Stop after this many samples (0: no limit); the trace and the result hold exactly these.
  uint64_t max_samples = 0;
  bool keep_samples = false;         // RecordResult::trace holds every sample (as read_trace would)
  std::vector<std::string> command;  // argv run while recording (no shell); marked 'B' .. 'E'
  const std::atomic<bool>* interrupt = nullptr;  // set asynchronously (SIGINT): stop cleanly
  std::function<void(const State&, const SourceStats&)> progress;
  double progress_interval_s = 0.25;
  double source_timeout_s = 5;  // for the first sample, and for each marker to come back
};

struct RecordResult {
  State first, last;
  SourceStats stats;
  std::vector<Marker> markers;
  std::vector<MarkerInterval> intervals;
  double peak_power_w = 0;
  uint64_t samples_written = 0;
  std::string ended_by;     // "duration", "samples", "command", "interrupt", "end of source"
  int command_status = -1;  // exit code, or 128 + signal; -1 without a command
  Trace trace;              // with keep_samples
};

// Records `source` (not started yet) into options.out and/or memory. Throws when the source
// fails or the command cannot be started; the trace file keeps every sample taken up to then
// either way. UsageError (naming the field) for out-of-range options.
RecordResult record(PowerSource& source, const RecordOptions& options);

// What `tpulab power record --json` prints of a recording of `source` (all but the trace's path):
// source, ended_by, samples, seconds, joules, average_watts, peak_watts, channels (name,
// joules, average_watts), between_markers, skipped_bytes, discarded_frames, and command_status
// when a command ran.
nlohmann::json to_json(const RecordResult& result, const SourceInfo& source);

}  // namespace tpulab::power
