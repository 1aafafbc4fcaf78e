#include "power/trace.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string_view>

#include "common/error.h"
#include "common/file_io.h"

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
  file_ = std::make_unique<AtomicFile>(path);
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

std::string TraceWriter::temporary_path() const {
  return file_ ? file_->temporary_path() : std::string();
}

void TraceWriter::on_sample(const Sample& s) {
  if (!file_) return;
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
  try {
    file_->write(buffer_);
    file_->flush();
  } catch (...) {
    // AtomicFile removed the temporary: a trace that cannot be written whole is not left half.
    error_ = std::current_exception();
    file_.reset();
    buffer_.clear();
    throw;
  }
  buffer_.clear();
  last_flush_ = std::chrono::steady_clock::now();
}

void TraceWriter::on_end(const std::string& /*error*/) {
  // Whatever ended the stream, what was measured goes to disk now.
  flush();
}

void TraceWriter::close() {
  if (!file_) {
    if (error_) std::rethrow_exception(error_);
    return;
  }
  flush();
  try {
    file_->commit();
  } catch (...) {
    error_ = std::current_exception();
    file_.reset();
    throw;
  }
  file_.reset();
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
  if (s.empty() || end != s.c_str() + s.size())
    throw FormatError("'" + s + "' is not a number", where);
  // A NaN would turn every sum after it into NaN ("average -nan W").
  if (!std::isfinite(v)) throw FormatError("'" + s + "' is not a finite number", where);
  return v;
}

int device_timestamp(const std::string& s, const std::string& where) {
  const double v = number(s, where);
  if (v != std::floor(v) || v < -1 || v > std::numeric_limits<int>::max())
    throw FormatError("device_timestamp '" + s + "' is not a whole number >= -1", where);
  return static_cast<int>(v);
}

// Time may stand still (a device clock repaired after lost frames) but never go back: the
// energy integration and every interval after it would be wrong.
void check_time(const Trace& t, const TraceRow& r, const std::string& where) {
  if (!t.rows.empty() && r.time_s < t.rows.back().time_s)
    throw FormatError(fmt::format("time {} s goes back (the previous row is at {} s)", r.time_s,
                                  t.rows.back().time_s),
                      where);
}

// "<name><suffix>" -> name; throws naming the header otherwise.
std::string strip_suffix(const std::string& column, std::string_view suffix,
                         const std::string& where) {
  if (!column.ends_with(suffix))
    throw FormatError(fmt::format("header column '{}' should end with '{}'", column, suffix),
                      where);
  return column.substr(0, column.size() - suffix.size());
}

}  // namespace

Trace read_trace(const std::string& path) {
  return parse_trace(read_text_file(path, file_limits::kTrace, "trace"), path);
}

Trace parse_trace(const std::string& content, const std::string& path) {
  std::vector<std::string> lines = split(content, '\n');
  if (!content.empty() && content.back() == '\n') {
    lines.pop_back();  // the empty piece after the final newline
  } else if (lines.size() > 1) {
    lines.pop_back();  // cut short by a kill mid-write
  }
  if (lines.empty() || lines[0].empty()) throw FormatError("the trace is empty", path);

  Trace t;
  const std::string& header = lines[0];
  const std::string header_where = path + ":1";
  if (header.starts_with("sample,time_s,marker,device_timestamp")) {
    t.format = TraceFormat::Csv;
    auto cols = split(header, ',');
    if (cols.size() < 6 || (cols.size() - 6) % 4 != 0 || cols[cols.size() - 2] != "total_power_w" ||
        cols.back() != "total_energy_j")
      throw FormatError("unexpected CSV trace header", header_where);
    const size_t n = (cols.size() - 6) / 4;
    for (size_t c = 0; c < n; ++c) {
      const std::string name = strip_suffix(cols[4 + 4 * c], "_current_a", header_where);
      if (cols[5 + 4 * c] != name + "_voltage_v" || cols[6 + 4 * c] != name + "_power_w" ||
          cols[7 + 4 * c] != name + "_energy_j")
        throw FormatError("unexpected columns for channel " + name, header_where);
      t.channels.push_back(name);
    }
    for (size_t i = 1; i < lines.size(); ++i) {
      const std::string where = path + ":" + std::to_string(i + 1);
      auto f = split(lines[i], ',');
      if (f.size() != cols.size())
        throw FormatError(fmt::format("expected {} fields, found {}", cols.size(), f.size()),
                          where);
      TraceRow r;
      r.time_s = number(f[1], where);
      if (f[2].size() > 1) throw FormatError("a marker is one character", where);
      r.marker = f[2].empty() ? 0 : f[2][0];
      r.device_timestamp = device_timestamp(f[3], where);
      for (size_t c = 0; c < n; ++c) {
        r.current_a.push_back(number(f[4 + 4 * c], where));
        r.voltage_v.push_back(number(f[5 + 4 * c], where));
        r.power_w.push_back(number(f[6 + 4 * c], where));
        number(f[7 + 4 * c], where);  // the channel's energy: checked, not kept
      }
      r.total_power_w = number(f[f.size() - 2], where);
      r.total_energy_j = number(f[f.size() - 1], where);
      check_time(t, r, where);
      t.rows.push_back(std::move(r));
    }
  } else if (header.starts_with("marker time dt_micro device_timestamp")) {
    t.format = TraceFormat::PowerSensorDump;
    auto cols = split(header, ' ');
    if (cols.size() < 5 || (cols.size() - 5) % 3 != 0 || cols.back() != "power_total")
      throw FormatError("unexpected dump header", header_where);
    const size_t n = (cols.size() - 5) / 3;
    for (size_t c = 0; c < n; ++c) {
      const std::string id =
          cols[4 + 3 * c].starts_with("current") ? cols[4 + 3 * c].substr(7) : "";
      if (id.empty() || cols[5 + 3 * c] != "voltage" + id || cols[6 + 3 * c] != "power" + id)
        throw FormatError("expected the columns currentN voltageN powerN for each pair",
                          header_where);
      t.channels.push_back("pair" + id);
    }
    double energy = 0;
    for (size_t i = 1; i < lines.size(); ++i) {
      const std::string where = path + ":" + std::to_string(i + 1);
      auto f = split(lines[i], ' ');
      // PowerSensor's own tools also write "M <char>" lines; they mark the next sample.
      if (f.size() == 2 && f[0] == "M" && f[1].size() == 1) continue;
      if (f.size() != cols.size())
        throw FormatError(fmt::format("expected {} fields, found {}", cols.size(), f.size()),
                          where);
      TraceRow r;
      if (f[0].size() != 1) throw FormatError("a line starts with one character", where);
      r.marker = f[0][0] == 'S' ? 0 : f[0][0];
      r.time_s = number(f[1], where);
      number(f[2], where);  // dt_micro: checked, the time column is what counts
      r.device_timestamp = device_timestamp(f[3], where);
      for (size_t c = 0; c < n; ++c) {
        r.current_a.push_back(number(f[4 + 3 * c], where));
        r.voltage_v.push_back(number(f[5 + 3 * c], where));
        r.power_w.push_back(number(f[6 + 3 * c], where));
      }
      r.total_power_w = number(f.back(), where);
      check_time(t, r, where);
      if (!t.rows.empty()) energy += r.total_power_w * (r.time_s - t.rows.back().time_s);
      r.total_energy_j = energy;
      t.rows.push_back(std::move(r));
    }
  } else {
    throw FormatError("not a tpulab or PowerSensor trace (unknown header)", header_where);
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
