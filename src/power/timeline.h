// PowerTimeline: what the device model says each device draws over time, as piecewise-constant
// intervals labelled with the device state (idle, loading parameters, computing,
// transferring). The sim power source replays it; a CSV form lets people write one by hand.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace tpulab::power {

struct PowerInterval {
  double start_s = 0;
  double duration_s = 0;
  double watts = 0;
  std::string state;  // "idle", "loading", "computing", "transferring", ...
  double end_s() const { return start_s + duration_s; }
};

struct DeviceTimeline {
  std::string device;                    // "tpu0", "host"...
  std::vector<PowerInterval> intervals;  // sorted by start, never overlapping
};

class PowerTimeline {
 public:
  // Adds an interval to `device` (created on first use, in order). Throws UsageError when a
  // number is not finite, a duration or power is negative, or it overlaps another interval of
  // the same device. Gaps between intervals draw 0 W.
  void add(const std::string& device, double start_s, double duration_s, double watts,
           const std::string& state);

  const std::vector<DeviceTimeline>& devices() const { return devices_; }
  size_t device_count() const { return devices_.size(); }
  // The end of the last interval of any device (0 when empty).
  double end_s() const;

  // Power of `device` at time t (intervals are [start, end)).
  double power_at(size_t device, double t) const;
  const std::string& state_at(size_t device, double t) const;  // "" in a gap
  // Exact energy of `device` from time 0 to t, and between two times.
  double energy_to(size_t device, double t) const;
  double energy_between(size_t device, double t0, double t1) const {
    return energy_to(device, t1) - energy_to(device, t0);
  }

 private:
  // Index of the last interval starting at or before t, or -1.
  long find(size_t device, double t) const;
  std::vector<DeviceTimeline> devices_;
  std::vector<std::vector<double>> energy_before_;  // per device: energy of intervals before i
};

// CSV with the header "device,start_s,duration_s,watts,state"; '#' starts a comment line.
// Refuses anything but a regular file (a FIFO at once) with IoError. Throws FormatError naming
// file:line on malformed rows, numbers that are not finite, negative durations, and a device's
// start time that goes back from one of its rows to the next.
PowerTimeline read_timeline_csv(const std::string& path);
// The same for the CSV's text; `path` only names it in errors.
PowerTimeline parse_timeline_csv(const std::string& text, const std::string& path);
// Atomic: the file appears whole at `path` or not at all. Throws IoError.
void write_timeline_csv(const PowerTimeline& timeline, const std::string& path);

}  // namespace tpulab::power
