#include "power/emulator/waveform.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/error.h"

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

Waveform read_waveform_csv(const std::string& path, double default_volts) {
  std::ifstream in(path);
  if (!in) throw IoError("cannot open the waveform", path);
  Waveform w;
  w.kind = Waveform::Kind::Replay;
  std::string line;
  int line_no = 0;
  int col_t = -1, col_i = -1, col_w = -1, col_v = -1;
  bool header = false;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string where = path + ":" + std::to_string(line_no);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::istringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, ',')) f.push_back(cell);
    if (!header) {
      header = true;
      for (int i = 0; i < static_cast<int>(f.size()); ++i) {
        const std::string& n = f[static_cast<size_t>(i)];
        if (n == "time_s") col_t = i;
        if (n == "current_a") col_i = i;
        if (n == "watts") col_w = i;
        if (n == "voltage_v") col_v = i;
      }
      if (col_t < 0 || (col_i < 0 && col_w < 0))
        throw Error("the header must name time_s and current_a (or watts)", where);
      continue;
    }
    auto num = [&](int col) {
      if (col >= static_cast<int>(f.size())) throw Error("missing field", where);
      const std::string& s = f[static_cast<size_t>(col)];
      char* end = nullptr;
      double v = std::strtod(s.c_str(), &end);
      if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v))
        throw Error("'" + s + "' is not a number", where);
      return v;
    };
    Waveform::Point p{};
    p.time_s = num(col_t);
    p.volts = col_v >= 0 ? num(col_v) : default_volts;
    p.amps = col_i >= 0 ? num(col_i) : (p.volts != 0 ? num(col_w) / p.volts : 0.0);
    if (!w.points.empty() && p.time_s <= w.points.back().time_s)
      throw Error("time_s must increase", where);
    if (w.points.empty() && p.time_s != 0) throw Error("the first point must be at time 0", where);
    w.points.push_back(p);
  }
  if (w.points.empty()) throw Error("the waveform has no points", path);
  return w;
}

}  // namespace tpulab::power::emu
