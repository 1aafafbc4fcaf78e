#include "power/timeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "common/csv.h"
#include "common/error.h"
#include "common/file_io.h"

namespace tpulab::power {

void PowerTimeline::add(const std::string& device, double start_s, double duration_s, double watts,
                        const std::string& state) {
  const std::string where = "timeline device " + device;
  if (device.empty()) throw UsageError("a timeline interval needs a device name", "timeline");
  if (!std::isfinite(start_s) || !std::isfinite(duration_s) || !std::isfinite(watts))
    throw UsageError("interval numbers must be finite", where);
  if (start_s < 0 || duration_s < 0 || watts < 0)
    throw UsageError("interval start, duration and power must not be negative", where);
  auto it = std::find_if(devices_.begin(), devices_.end(),
                         [&](const DeviceTimeline& d) { return d.device == device; });
  if (it == devices_.end()) {
    devices_.push_back({device, {}});
    energy_before_.emplace_back();
    it = devices_.end() - 1;
  }
  auto& iv = it->intervals;
  PowerInterval interval{start_s, duration_s, watts, state};
  auto pos = std::upper_bound(iv.begin(), iv.end(), start_s,
                              [](double s, const PowerInterval& p) { return s < p.start_s; });
  // Small rounding overlaps (intervals built by summing durations) are tolerated.
  const double eps = 1e-9 * std::max(1.0, start_s);
  if (pos != iv.begin() && std::prev(pos)->end_s() > start_s + eps)
    throw UsageError(
        fmt::format("interval at {} s overlaps the one at {} s", start_s, std::prev(pos)->start_s),
        where);
  if (pos != iv.end() && interval.end_s() > pos->start_s + eps)
    throw UsageError(
        fmt::format("interval at {} s overlaps the one at {} s", start_s, pos->start_s), where);
  iv.insert(pos, interval);
  auto& before = energy_before_[static_cast<size_t>(it - devices_.begin())];
  before.assign(iv.size(), 0);
  for (size_t i = 1; i < iv.size(); ++i)
    before[i] = before[i - 1] + iv[i - 1].watts * iv[i - 1].duration_s;
}

double PowerTimeline::end_s() const {
  double end = 0;
  for (const auto& d : devices_)
    if (!d.intervals.empty()) end = std::max(end, d.intervals.back().end_s());
  return end;
}

long PowerTimeline::find(size_t device, double t) const {
  const auto& iv = devices_.at(device).intervals;
  auto pos = std::upper_bound(iv.begin(), iv.end(), t,
                              [](double s, const PowerInterval& p) { return s < p.start_s; });
  return static_cast<long>(pos - iv.begin()) - 1;
}

double PowerTimeline::power_at(size_t device, double t) const {
  long i = find(device, t);
  if (i < 0) return 0;
  const auto& p = devices_[device].intervals[static_cast<size_t>(i)];
  return t < p.end_s() ? p.watts : 0;
}

const std::string& PowerTimeline::state_at(size_t device, double t) const {
  static const std::string none;
  long i = find(device, t);
  if (i < 0) return none;
  const auto& p = devices_[device].intervals[static_cast<size_t>(i)];
  return t < p.end_s() ? p.state : none;
}

double PowerTimeline::energy_to(size_t device, double t) const {
  long i = find(device, t);
  if (i < 0) return 0;
  const auto& p = devices_[device].intervals[static_cast<size_t>(i)];
  return energy_before_[device][static_cast<size_t>(i)] +
         p.watts * std::clamp(t - p.start_s, 0.0, p.duration_s);
}

PowerTimeline read_timeline_csv(const std::string& path) {
  return parse_timeline_csv(read_text_file(path, file_limits::kTable, "timeline"), path);
}

PowerTimeline parse_timeline_csv(const std::string& text, const std::string& path) {
  const csv::Table table = csv::parse(
      text, path, {.separator = ',', .skip_comments = true, .skip_blank = true, .trim = true});
  if (table.rows.empty()) throw FormatError("the timeline is empty", path);
  const auto& header = table.rows[0].fields;
  if (header.size() < 4 || header[0] != "device" || header[1] != "start_s" ||
      header[2] != "duration_s" || header[3] != "watts")
    throw FormatError("expected the header device,start_s,duration_s,watts,state",
                      table.where(table.rows[0]));
  PowerTimeline t;
  // Each device's intervals come in time order: a start that goes back is a damaged or
  // hand-edited file, not an order to sort into (an equal start is a zero-length interval).
  std::map<std::string, double> last_start;
  for (size_t i = 1; i < table.rows.size(); ++i) {
    const csv::Row& row = table.rows[i];
    const auto& f = row.fields;
    const std::string where = table.where(row);
    if (f.size() < 4 || f.size() > 5)
      throw FormatError("expected 4 or 5 fields, found " + std::to_string(f.size()), where);
    const double start = table.number(row, 1, "start_s");
    const double duration = table.number(row, 2, "duration_s");
    const double watts = table.number(row, 3, "watts");
    if (duration < 0) throw FormatError("column duration_s: a duration is not negative", where);
    const auto last = last_start.find(f[0]);
    if (last != last_start.end() && start < last->second)
      throw FormatError(fmt::format("column start_s: {} s goes back before the device's "
                                    "previous interval at {} s",
                                    start, last->second),
                        where);
    try {
      t.add(f[0], start, duration, watts, f.size() == 5 ? f[4] : "");
    } catch (const UsageError& e) {
      throw FormatError(e.problem(), where);
    }
    last_start[f[0]] = start;
  }
  if (t.device_count() == 0) throw FormatError("the timeline has no intervals", path);
  return t;
}

void write_timeline_csv(const PowerTimeline& timeline, const std::string& path) {
  std::string text = "device,start_s,duration_s,watts,state\n";
  for (const auto& d : timeline.devices())
    for (const auto& p : d.intervals)
      text += fmt::format("{},{},{},{},{}\n", d.device, p.start_s, p.duration_s, p.watts, p.state);
  write_text_atomic(path, text);
}

}  // namespace tpulab::power
