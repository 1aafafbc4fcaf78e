// A recording session: a source streams into a trace file for a duration, while a command
// runs, or until interrupted; the result summarises energy, power and markers.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "power/source.h"
#include "power/trace.h"

namespace tpulab::power {

struct RecordOptions {
  std::string out;                    // the trace file
  std::optional<TraceFormat> format;  // default: from the extension
  double duration_s = 0;              // 0: until the command ends / interrupt / source finished
  std::vector<std::string> command;   // argv run while recording (no shell); marked 'B' .. 'E'
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
  std::string ended_by;     // "duration", "command", "interrupt", "end of source"
  int command_status = -1;  // exit code, or 128 + signal; -1 without a command
};

// Records `source` (not started yet) into options.out. Throws when the source fails or the
// command cannot be started; the trace keeps every sample taken up to then either way.
RecordResult record(PowerSource& source, const RecordOptions& options);

}  // namespace tpulab::power
