// The power-source abstraction every meter implements (PowerSensor2/3, RAPL, hwmon, sim):
// a State snapshot with cumulative energy, free functions to difference two States, markers,
// and sinks that see every sample (the trace recorder is one).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace tpulab::power {

// One measured channel (a PowerSensor pair, a RAPL domain, a simulated device).
struct ChannelState {
  double current_a = 0;  // 0 when the source does not measure current (RAPL, sim)
  double voltage_v = 0;  // 0 when the source does not measure voltage
  double power_w = 0;    // at the last sample
  double energy_j = 0;   // consumed since the source started
};

struct State {
  double time_s = 0;     // of the last sample, seconds since the first one (device clock if any)
  uint64_t samples = 0;  // samples integrated so far
  std::vector<ChannelState> channels;

  double power_w() const;   // all channels, at the last sample
  double energy_j() const;  // all channels, cumulative
};

// Energy (J), elapsed time (s) and average power (W) between two States of one source.
// channel -1 means all channels; an out-of-range channel throws UsageError.
double joules(const State& a, const State& b, int channel = -1);
double seconds(const State& a, const State& b);
double watts(const State& a, const State& b, int channel = -1);

struct ChannelInfo {
  std::string name;  // "pair0", a configured pair name, "package-0", "tpu0"...
  int id = 0;        // the physical index (PowerSensor pair id, hwmon channel number)
  bool measures_current = false;
  bool measures_voltage = false;
};

struct SourceInfo {
  std::string kind;           // "ps3", "ps2", "rapl", "hwmon", "sim"
  std::string where;          // device path, sysfs folder or timeline file
  std::string detail;         // firmware version, hwmon chip name...
  bool device_clock = false;  // time comes from the device's own timestamps
  std::vector<ChannelInfo> channels;
};

// A marker: a label attached to the sample it was taken at.
struct Marker {
  char label = 0;
  uint64_t sample = 0;  // index of the sample carrying it
  double time_s = 0;
  double energy_j = 0;  // cumulative energy (all channels) at that sample
};

// The energy and average power between two consecutive markers.
struct MarkerInterval {
  char from = 0;
  char to = 0;
  double start_s = 0;
  double seconds = 0;
  double joules = 0;
  double watts = 0;
};
std::vector<MarkerInterval> intervals_between(std::span<const Marker> markers);
// Marker labels are one printable character that keeps both trace formats parseable: not a
// space, ',' or '"', and not 'S' (PowerSensor's dump format starts unmarked lines with it).
bool valid_marker_label(char label);

// One sample as it is integrated (seen by sinks on the source's reader thread).
struct Sample {
  uint64_t index = 0;
  double time_s = 0;
  int device_timestamp = -1;  // raw device timestamp (PowerSensor3: micros & 1023), -1 if none
  char marker = 0;            // 0 when unmarked
  std::span<const ChannelState> channels;
  double power_w() const;
  double energy_j() const;
};

// Receives every sample. Called on the source's reader thread, one call at a time.
class SampleSink {
 public:
  virtual ~SampleSink() = default;
  virtual void on_sample(const Sample& sample) = 0;
  // The stream ended: `error` is empty on a normal stop. Flush here: nothing may be lost.
  virtual void on_end(const std::string& error) = 0;
};

// Counters a caller may want to report (how clean the stream was).
struct SourceStats {
  uint64_t samples = 0;
  uint64_t skipped_bytes = 0;     // bytes that were not part of a decoded frame
  uint64_t discarded_frames = 0;  // frames begun but broken by corrupt or lost bytes
  uint64_t unexpected_markers = 0;
};

class PowerSource {
 public:
  virtual ~PowerSource() = default;
  virtual const SourceInfo& info() const = 0;
  // Registers a sink for every sample; call before start().
  virtual void add_sink(std::shared_ptr<SampleSink> sink) = 0;
  virtual void start() = 0;
  // Stops sampling and joins the reader; safe to call twice and after a failure.
  virtual void stop() = 0;
  // The latest State. Throws (IoError...) once the source has failed, e.g. the device vanished.
  virtual State read() = 0;
  // Attaches `label` to the next sample (PowerSensor3: the device marks the next frame).
  virtual void mark(char label) = 0;
  // Markers seen so far, in order.
  virtual std::vector<Marker> markers() const = 0;
  virtual SourceStats stats() const = 0;
  // True once a finite source (a replayed timeline) has no more samples to give.
  virtual bool finished() const { return false; }
  // Blocks until at least `count` samples exist, the source fails or `timeout_s` passes.
  // Returns whether the samples are there.
  virtual bool wait_for_samples(uint64_t count, double timeout_s) = 0;
};

// Blocks until a marker labelled `label` is back from the source at position `from` or later in
// markers(), and returns it. A PowerSensor marks a frame only after the frames already in flight,
// so a marker is not there a fixed number of samples after mark(). Throws if the source fails,
// finishes or `timeout_s` passes first.
Marker wait_for_marker(PowerSource& source, char label, size_t from, double timeout_s);

// now + seconds on the steady clock, for the loops that wait on a source.
std::chrono::steady_clock::time_point deadline_after(double seconds);

// The longest wait on a device's answer an option may ask for: a millisecond count of it fits
// an int (poll(), serial reads) with a wide margin.
inline constexpr double kMaxTimeoutS = 3600;
// The longest recording, baseline or emulator run an option may ask for (115 days).
inline constexpr double kMaxDurationS = 1e7;
// The fastest replay of the simulated source (timeline seconds per second).
inline constexpr double kMaxSimSpeed = 1e6;

// Throws UsageError naming `field` (and `where`) unless `value` is a finite number within
// [lo, hi] (lo excluded when `open_lo`): the option structs check their fields with it, so a
// caller of the library (Python) gets the checks the CLI's options have.
void check_option(double value, double lo, double hi, bool open_lo, const char* field,
                  const std::string& where);
// `seconds` (checked by the caller) as whole milliseconds for poll() and serial reads.
int timeout_ms(double seconds);

}  // namespace tpulab::power
