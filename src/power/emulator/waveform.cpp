#include "power/emulator/waveform.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "common/csv.h"
#include "common/error.h"
#include "common/file_io.h"

namespace tpulab::power::emu {

namespace {

const Waveform::Point* replay_point(const Waveform& w, double t) {
  if (w.points.empty()) return nullptr;
  const double span = w.points.back().time_s;
  if (span > 0) t = std::fmod(t, span);
  auto it = std::upper_bound(w.points.begin(), w.points.end(), t,
                             [](double x, const Waveform::Point& p) { return x < p.time_s; });
  return it == w.points.begin() ? &w.points.front() : &*std::prev(it);
}

}  // namespace

double Waveform::current_at(double t) const {
  switch (kind) {
    case Kind::Constant:
      return amps;
    case Kind::Square: {
      const double phase = std::fmod(t, period_s) / period_s;
      return phase < duty ? amps : idle_amps;
    }
    case Kind::Replay: {
      const Point* p = replay_point(*this, t);
      return p ? p->amps : 0.0;
    }
  }
  return 0;
}

double Waveform::voltage_at(double t) const {
  if (kind == Kind::Replay) {
    const Point* p = replay_point(*this, t);
    return p ? p->volts : 0.0;
  }
  return volts;
}

namespace {

constexpr double kMaxAmps = 1000;
constexpr double kMaxVolts = 1000;
constexpr double kMaxPeriodS = 3600;

void check_level(double v, double max, const char* field, const std::string& where) {
  if (!std::isfinite(v) || std::fabs(v) > max)
    throw UsageError(
        fmt::format("{} must be a finite number within +-{} (it is {})", field, max, v), where);
}

}  // namespace

void check_waveform(const Waveform& w) {
  const std::string where = "emulator waveform";
  check_level(w.amps, kMaxAmps, "amps", where);
  check_level(w.volts, kMaxVolts, "volts", where);
  check_level(w.idle_amps, kMaxAmps, "idle_amps", where);
  if (!std::isfinite(w.period_s) || !(w.period_s > 0) || w.period_s > kMaxPeriodS)
    throw UsageError(
        fmt::format("period_s must be > 0 and <= {} s (it is {})", kMaxPeriodS, w.period_s), where);
  if (!(w.duty >= 0 && w.duty <= 1))
    throw UsageError(fmt::format("duty must be within [0, 1] (it is {})", w.duty), where);
  if (w.kind != Waveform::Kind::Replay) return;
  if (w.points.empty()) throw UsageError("a replayed waveform needs points", where);
  for (size_t i = 0; i < w.points.size(); ++i) {
    const auto& p = w.points[i];
    const std::string at = fmt::format("{} point {}", where, i);
    if (!std::isfinite(p.time_s) || (i == 0 ? p.time_s != 0 : !(p.time_s > w.points[i - 1].time_s)))
      throw UsageError("point times start at 0 and increase", at);
    check_level(p.amps, kMaxAmps, "amps", at);
    check_level(p.volts, kMaxVolts, "volts", at);
  }
}

Waveform read_waveform_csv(const std::string& path, double default_volts) {
  const csv::Table table = csv::read(path, file_limits::kTable, "waveform",
                                     {.separator = ',', .skip_comments = true, .skip_blank = true});
  Waveform w;
  w.kind = Waveform::Kind::Replay;
  if (table.rows.empty()) throw FormatError("the waveform has no points", path);
  size_t col_t = SIZE_MAX, col_i = SIZE_MAX, col_w = SIZE_MAX, col_v = SIZE_MAX;
  const auto& header = table.rows[0].fields;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == "time_s") col_t = i;
    if (header[i] == "current_a") col_i = i;
    if (header[i] == "watts") col_w = i;
    if (header[i] == "voltage_v") col_v = i;
  }
  if (col_t == SIZE_MAX || (col_i == SIZE_MAX && col_w == SIZE_MAX))
    throw FormatError("the header must name time_s and current_a (or watts)",
                      table.where(table.rows[0]));
  for (size_t r = 1; r < table.rows.size(); ++r) {
    const csv::Row& row = table.rows[r];
    const std::string where = table.where(row);
    auto num = [&](size_t col, double max) {
      const double v = table.number(row, col, header[col]);
      if (std::fabs(v) > max)
        throw FormatError(
            fmt::format("column {}: '{}' is not within +-{}", header[col], row.fields[col], max),
            where);
      return v;
    };
    Waveform::Point p{};
    p.time_s = num(col_t, std::numeric_limits<double>::max());
    p.volts = col_v != SIZE_MAX ? num(col_v, kMaxVolts) : default_volts;
    p.amps = col_i != SIZE_MAX ? num(col_i, kMaxAmps)
                               : (p.volts != 0 ? num(col_w, kMaxAmps * kMaxVolts) / p.volts : 0.0);
    if (!std::isfinite(p.amps) || std::fabs(p.amps) > kMaxAmps)
      throw FormatError(
          fmt::format("{} A is more than the +-{} A a sensor measures", p.amps, kMaxAmps), where);
    if (!w.points.empty() && p.time_s <= w.points.back().time_s)
      throw FormatError("time_s must increase", where);
    if (w.points.empty() && p.time_s != 0)
      throw FormatError("the first point must be at time 0", where);
    w.points.push_back(p);
  }
  if (w.points.empty()) throw FormatError("the waveform has no points", path);
  return w;
}

}  // namespace tpulab::power::emu
