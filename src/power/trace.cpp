#include "power/trace.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "common/error.h"

namespace tpulab::power {

TraceFormat trace_format_for(const std::string& path) {
  auto dot = path.rfind('.');
  std::string ext = dot == std::string::npos ? "" : path.substr(dot);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".csv" ? TraceFormat::Csv : TraceFormat::PowerSensorDump;
}

static std::string column_name(const std::string& s) {
  std::string out = s;
  for (char& c : out)
    if (c == ',' || c == ' ' || c == '"' || static_cast<unsigned char>(c) < 0x21) c = '_';
  return out;
}

TraceWriter::TraceWriter(const std::string& path, const SourceInfo& source, TraceFormat format,
                         double flush_interval_s)
    : path_(path),
      format_(format),
      channels_(source.channels.size()),
      last_flush_(std::chrono::steady_clock::now()),
      flush_interval_(flush_interval_s) {
  file_ = std::fopen(path.c_str(), "w");
  if (!file_) throw IoError(std::string("cannot create the trace: ") + std::strerror(errno), path);
  std::string header;
  if (format_ == TraceFormat::Csv) {
    header = "sample,time_s,marker,device_timestamp";
    for (const auto& c : source.channels) {
      const std::string n = column_name(c.name);
      header += fmt::format(",{0}_current_a,{0}_voltage_v,{0}_power_w,{0}_energy_j", n);
    }
    header += ",total_power_w,total_energy_j\n";
  } else {
    header = "marker time dt_micro device_timestamp";
    for (const auto& c : source.channels)
      header += fmt::format(" current{0} voltage{0} power{0}", c.id);
    header += " power_total\n";
  }
  buffer_ = header;
  flush();
}

TraceWriter::~TraceWriter() {
  try {
    close();
  } catch (...) {
    // Reported by an explicit close(); a destructor must not throw.
  }
}

void TraceWriter::on_sample(const Sample& s) {
  if (failed_ || !file_) return;
  const double power = s.power_w();
  if (written_.load(std::memory_order_relaxed) == 0) {
    peak_w_ = power;
    first_.time_s = s.time_s;
    first_.samples = 1;
    first_.channels.assign(s.channels.begin(), s.channels.end());
  }
  peak_w_ = std::max(peak_w_, power);
  auto out = std::back_inserter(buffer_);
  if (format_ == TraceFormat::Csv) {
    fmt::format_to(out, "{},{:.6f},", s.index, s.time_s);
    if (s.marker) buffer_.push_back(s.marker);
    fmt::format_to(out, ",{}", s.device_timestamp);
    for (const auto& c : s.channels)
      fmt::format_to(out, ",{:.6g},{:.6g},{:.6g},{:.9g}", c.current_a, c.voltage_v, c.power_w,
                     c.energy_j);
    fmt::format_to(out, ",{:.6g},{:.9g}\n", power, s.energy_j());
  } else {
    const long dt_us = have_time_ ? std::lround((s.time_s - last_time_s_) * 1e6) : 0L;
    buffer_.push_back(s.marker ? s.marker : 'S');
    fmt::format_to(out, " {:.6f} {} {}", s.time_s, dt_us,
                   s.device_timestamp < 0 ? 0 : s.device_timestamp);
    for (const auto& c : s.channels)
      fmt::format_to(out, " {:.6g} {:.6g} {:.6g}", c.current_a, c.voltage_v, c.power_w);
    fmt::format_to(out, " {:.6g}\n", power);
  }
  have_time_ = true;
  last_time_s_ = s.time_s;
  written_.fetch_add(1, std::memory_order_relaxed);
  // Checking the clock every 64 samples keeps it cheap at 20 kHz.
  if ((s.index & 63) == 0 || buffer_.size() > (1 << 16)) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_flush_ >= flush_interval_ || buffer_.size() > (1 << 16)) flush();
  }
}

void TraceWriter::flush() {
  if (!file_ || buffer_.empty()) return;
  const size_t n = std::fwrite(buffer_.data(), 1, buffer_.size(), file_);
  const bool ok = n == buffer_.size() && std::fflush(file_) == 0;
  buffer_.clear();
  last_flush_ = std::chrono::steady_clock::now();
  if (!ok) {
    failed_ = true;
    throw IoError(std::string("cannot write the trace: ") + std::strerror(errno), path_);
  }
}

void TraceWriter::on_end(const std::string& /*error*/) {
  // Whatever ended the stream, what was measured goes to disk now.
  flush();
}

void TraceWriter::close() {
  if (!file_) return;
  std::exception_ptr error;
  try {
    flush();
  } catch (...) {
    error = std::current_exception();
  }
  const bool ok = std::fclose(file_) == 0;
  file_ = nullptr;
  if (error) std::rethrow_exception(error);
  if (!ok) throw IoError("cannot close the trace", path_);
}

namespace {

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  if (sep == ' ') {
    std::istringstream in(line);
    std::string w;
    while (in >> w) out.push_back(w);
    return out;
  }
  size_t start = 0;
  while (true) {
    size_t pos = line.find(sep, start);
    out.push_back(line.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  if (!out.empty() && !out.back().empty() && out.back().back() == '\r') out.back().pop_back();
  return out;
}

double number(const std::string& s, const std::string& where) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size()) throw Error("'" + s + "' is not a number", where);
  return v;
}

}  // namespace

Trace read_trace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot open the trace", path);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_trace(content, path);
}

Trace parse_trace(const std::string& content, const std::string& path) {
  std::vector<std::string> lines = split(content, '\n');
  if (!content.empty() && content.back() == '\n') {
    lines.pop_back();  // the empty piece after the final newline
  } else if (lines.size() > 1) {
    lines.pop_back();  // cut short by a kill mid-write
  }
  if (lines.empty() || lines[0].empty()) throw Error("the trace is empty", path);

  Trace t;
  const std::string& header = lines[0];
  if (header.starts_with("sample,time_s,marker,device_timestamp")) {
    t.format = TraceFormat::Csv;
    auto cols = split(header, ',');
    if ((cols.size() - 6) % 4 != 0 || cols.size() < 6)
      throw Error("unexpected CSV trace header", path + ":1");
    const size_t n = (cols.size() - 6) / 4;
    for (size_t c = 0; c < n; ++c) {
      std::string name = cols[4 + 4 * c];
      t.channels.push_back(name.substr(0, name.size() - std::strlen("_current_a")));
    }
    for (size_t i = 1; i < lines.size(); ++i) {
      const std::string where = path + ":" + std::to_string(i + 1);
      auto f = split(lines[i], ',');
      if (f.size() != cols.size())
        throw Error(fmt::format("expected {} fields, found {}", cols.size(), f.size()), where);
      TraceRow r;
      r.time_s = number(f[1], where);
      if (f[2].size() > 1) throw Error("a marker is one character", where);
      r.marker = f[2].empty() ? 0 : f[2][0];
      r.device_timestamp = static_cast<int>(number(f[3], where));
      for (size_t c = 0; c < n; ++c) {
        r.current_a.push_back(number(f[4 + 4 * c], where));
        r.voltage_v.push_back(number(f[5 + 4 * c], where));
        r.power_w.push_back(number(f[6 + 4 * c], where));
      }
      r.total_power_w = number(f[f.size() - 2], where);
      r.total_energy_j = number(f[f.size() - 1], where);
      t.rows.push_back(std::move(r));
    }
  } else if (header.starts_with("marker time dt_micro device_timestamp")) {
    t.format = TraceFormat::PowerSensorDump;
    auto cols = split(header, ' ');
    if (cols.size() < 5 || (cols.size() - 5) % 3 != 0)
      throw Error("unexpected dump header", path + ":1");
    const size_t n = (cols.size() - 5) / 3;
    for (size_t c = 0; c < n; ++c) t.channels.push_back("pair" + cols[4 + 3 * c].substr(7));
    double energy = 0;
    for (size_t i = 1; i < lines.size(); ++i) {
      const std::string where = path + ":" + std::to_string(i + 1);
      auto f = split(lines[i], ' ');
      // PowerSensor's own tools also write "M <char>" lines; they mark the next sample.
      if (f.size() == 2 && f[0] == "M" && f[1].size() == 1) continue;
      if (f.size() != cols.size())
        throw Error(fmt::format("expected {} fields, found {}", cols.size(), f.size()), where);
      TraceRow r;
      if (f[0].size() != 1) throw Error("a line starts with one character", where);
      r.marker = f[0][0] == 'S' ? 0 : f[0][0];
      r.time_s = number(f[1], where);
      r.device_timestamp = static_cast<int>(number(f[3], where));
      for (size_t c = 0; c < n; ++c) {
        r.current_a.push_back(number(f[4 + 3 * c], where));
        r.voltage_v.push_back(number(f[5 + 3 * c], where));
        r.power_w.push_back(number(f[6 + 3 * c], where));
      }
      r.total_power_w = number(f.back(), where);
      if (!t.rows.empty()) energy += r.total_power_w * (r.time_s - t.rows.back().time_s);
      r.total_energy_j = energy;
      t.rows.push_back(std::move(r));
    }
  } else {
    throw Error("not a tpulab or PowerSensor trace (unknown header)", path + ":1");
  }
  return t;
}

std::vector<Marker> trace_markers(const Trace& trace) {
  std::vector<Marker> out;
  for (size_t i = 0; i < trace.rows.size(); ++i) {
    const TraceRow& r = trace.rows[i];
    if (r.marker) out.push_back({r.marker, i, r.time_s, r.total_energy_j});
  }
  return out;
}

}  // namespace tpulab::power
