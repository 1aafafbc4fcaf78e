#include "power/source.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <string>

#include "common/error.h"

namespace tpulab::power {

double State::power_w() const {
  double sum = 0;
  for (const auto& c : channels) sum += c.power_w;
  return sum;
}

double State::energy_j() const {
  double sum = 0;
  for (const auto& c : channels) sum += c.energy_j;
  return sum;
}

double Sample::power_w() const {
  double sum = 0;
  for (const auto& c : channels) sum += c.power_w;
  return sum;
}

double Sample::energy_j() const {
  double sum = 0;
  for (const auto& c : channels) sum += c.energy_j;
  return sum;
}

static double channel_energy(const State& s, int channel) {
  if (channel < 0) return s.energy_j();
  if (static_cast<size_t>(channel) >= s.channels.size())
    throw UsageError("channel " + std::to_string(channel) + " does not exist (the source has " +
                         std::to_string(s.channels.size()) + ")",
                     "power");
  return s.channels[static_cast<size_t>(channel)].energy_j;
}

double joules(const State& a, const State& b, int channel) {
  return channel_energy(b, channel) - channel_energy(a, channel);
}

double seconds(const State& a, const State& b) { return b.time_s - a.time_s; }

double watts(const State& a, const State& b, int channel) {
  double dt = seconds(a, b);
  // Two reads of the same sample carry no interval: report no power rather than NaN.
  return dt > 0 ? joules(a, b, channel) / dt : 0.0;
}

bool valid_marker_label(char label) {
  return label > ' ' && label <= '~' && label != ',' && label != '"' && label != 'S';
}

std::vector<MarkerInterval> intervals_between(std::span<const Marker> markers) {
  std::vector<MarkerInterval> out;
  for (size_t i = 1; i < markers.size(); ++i) {
    const Marker& a = markers[i - 1];
    const Marker& b = markers[i];
    MarkerInterval m;
    m.from = a.label;
    m.to = b.label;
    m.start_s = a.time_s;
    m.seconds = b.time_s - a.time_s;
    m.joules = b.energy_j - a.energy_j;
    m.watts = m.seconds > 0 ? m.joules / m.seconds : 0.0;
    out.push_back(m);
  }
  return out;
}

std::chrono::steady_clock::time_point deadline_after(double seconds) {
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(
             std::chrono::duration<double>(seconds));
}

void check_option(double value, double lo, double hi, bool open_lo, const char* field,
                  const std::string& where) {
  if (std::isfinite(value) && value <= hi && (open_lo ? value > lo : value >= lo)) return;
  throw UsageError(fmt::format("{} must be a finite number {} {} and <= {} (it is {})", field,
                               open_lo ? ">" : ">=", lo, hi, value),
                   where);
}

int timeout_ms(double seconds) {
  // Clamped rather than trusted: a cast of an out-of-range double to int is undefined.
  const double ms = std::ceil(seconds * 1000);
  if (!(ms > 0)) return 0;
  return ms >= INT_MAX / 2 ? INT_MAX / 2 : static_cast<int>(ms);
}

Marker wait_for_marker(PowerSource& source, char label, size_t from, double timeout_s) {
  const auto deadline = deadline_after(timeout_s);
  for (;;) {
    const std::vector<Marker> markers = source.markers();
    for (size_t i = from; i < markers.size(); ++i)
      if (markers[i].label == label) return markers[i];
    if (source.finished() || std::chrono::steady_clock::now() > deadline)
      throw IoError(std::string("the marker '") + label +
                        "' did not come back from the source (is it still streaming?)",
                    source.info().where);
    source.wait_for_samples(source.read().samples + 1, 0.01);  // read() rethrows a failure
  }
}

}  // namespace tpulab::power
