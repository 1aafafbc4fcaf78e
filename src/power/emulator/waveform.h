// What the emulated board "measures": current and voltage of a pair over time.
#pragma once

#include <string>
#include <vector>

namespace tpulab::power::emu {

struct Waveform {
  enum class Kind { Constant, Square, Replay };
  Kind kind = Kind::Constant;
  double amps = 2.0;  // constant level, and the square wave's active level
  double volts = 12.0;
  double idle_amps = 0.5;  // square wave: idle level
  double period_s = 0.1;
  double duty = 0.5;  // active fraction of each period (active first)
  // Replay: sample-and-hold points (time_s ascending from 0), looping over the last time.
  struct Point {
    double time_s, amps, volts;
  };
  std::vector<Point> points;

  double current_at(double t) const;
  double voltage_at(double t) const;
  double power_at(double t) const { return current_at(t) * voltage_at(t); }
};

// Throws UsageError naming the field unless every number is finite and within what a board
// measures (|amps|, |volts| <= 1000; period in (0, 3600] s; duty in [0, 1]; replay points from
// time 0, strictly increasing).
void check_waveform(const Waveform& waveform);

// CSV with a header naming time_s and current_a (or watts), optionally voltage_v; a missing
// voltage uses `default_volts`. Refuses anything but a regular file (a FIFO at once) with
// IoError; throws FormatError naming file:line for malformed rows, numbers that are not finite
// and times that do not increase.
Waveform read_waveform_csv(const std::string& path, double default_volts = 12.0);

}  // namespace tpulab::power::emu
