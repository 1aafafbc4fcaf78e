#include "power/trace.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <string_view>

#include "common/csv.h"
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

int device_timestamp(const csv::Table& t, const csv::Row& row, size_t index) {
  const double v = t.number(row, index, "device_timestamp");
  if (v != std::floor(v) || v < -1 || v > std::numeric_limits<int>::max())
    throw FormatError("device_timestamp '" + row.fields[index] + "' is not a whole number >= -1",
                      t.where(row));
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

void parse_csv_rows(const csv::Table& table, Trace& t) {
  const std::vector<std::string>& cols = table.rows[0].fields;
  const std::string header_where = table.where(table.rows[0]);
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
  for (size_t i = 1; i < table.rows.size(); ++i) {
    const csv::Row& row = table.rows[i];
    table.expect_fields(row, cols.size());
    const auto& f = row.fields;
    TraceRow r;
    r.time_s = table.number(row, 1, cols[1]);
    if (f[2].size() > 1) throw FormatError("a marker is one character", table.where(row));
    r.marker = f[2].empty() ? 0 : f[2][0];
    r.device_timestamp = device_timestamp(table, row, 3);
    for (size_t c = 0; c < n; ++c) {
      r.current_a.push_back(table.number(row, 4 + 4 * c, cols[4 + 4 * c]));
      r.voltage_v.push_back(table.number(row, 5 + 4 * c, cols[5 + 4 * c]));
      r.power_w.push_back(table.number(row, 6 + 4 * c, cols[6 + 4 * c]));
      r.energy_j.push_back(table.number(row, 7 + 4 * c, cols[7 + 4 * c]));
    }
    r.total_power_w = table.number(row, f.size() - 2, cols[f.size() - 2]);
    r.total_energy_j = table.number(row, f.size() - 1, cols.back());
    check_time(t, r, table.where(row));
    t.rows.push_back(std::move(r));
  }
}

void parse_dump_rows(const csv::Table& table, Trace& t) {
  const std::vector<std::string>& cols = table.rows[0].fields;
  const std::string header_where = table.where(table.rows[0]);
  if (cols.size() < 5 || (cols.size() - 5) % 3 != 0 || cols.back() != "power_total")
    throw FormatError("unexpected dump header", header_where);
  const size_t n = (cols.size() - 5) / 3;
  for (size_t c = 0; c < n; ++c) {
    const std::string id = cols[4 + 3 * c].starts_with("current") ? cols[4 + 3 * c].substr(7) : "";
    if (id.empty() || cols[5 + 3 * c] != "voltage" + id || cols[6 + 3 * c] != "power" + id)
      throw FormatError("expected the columns currentN voltageN powerN for each pair",
                        header_where);
    t.channels.push_back("pair" + id);
  }
  double energy = 0;
  std::vector<double> channel_energy(n, 0.0);
  for (size_t i = 1; i < table.rows.size(); ++i) {
    const csv::Row& row = table.rows[i];
    const auto& f = row.fields;
    // PowerSensor's own tools also write "M <char>" lines; they mark the next sample.
    if (f.size() == 2 && f[0] == "M" && f[1].size() == 1) continue;
    table.expect_fields(row, cols.size());
    TraceRow r;
    if (f[0].size() != 1) throw FormatError("a line starts with one character", table.where(row));
    r.marker = f[0][0] == 'S' ? 0 : f[0][0];
    r.time_s = table.number(row, 1, cols[1]);
    table.number(row, 2, cols[2]);  // dt_micro: checked, the time column is what counts
    r.device_timestamp = device_timestamp(table, row, 3);
    for (size_t c = 0; c < n; ++c) {
      r.current_a.push_back(table.number(row, 4 + 3 * c, cols[4 + 3 * c]));
      r.voltage_v.push_back(table.number(row, 5 + 3 * c, cols[5 + 3 * c]));
      r.power_w.push_back(table.number(row, 6 + 3 * c, cols[6 + 3 * c]));
    }
    r.total_power_w = table.number(row, f.size() - 1, cols.back());
    check_time(t, r, table.where(row));
    const double dt = t.rows.empty() ? 0.0 : r.time_s - t.rows.back().time_s;
    energy += r.total_power_w * dt;
    r.total_energy_j = energy;
    for (size_t c = 0; c < n; ++c) channel_energy[c] += r.power_w[c] * dt;
    r.energy_j = channel_energy;
    t.rows.push_back(std::move(r));
  }
}

}  // namespace

Trace read_trace(const std::string& path) {
  return parse_trace(read_text_file(path, file_limits::kTrace, "trace"), path);
}

Trace parse_trace(const std::string& content, const std::string& path) {
  std::string_view first_line = std::string_view(content).substr(0, content.find('\n'));
  if (first_line.ends_with('\r')) first_line.remove_suffix(1);
  if (first_line.empty()) throw FormatError("the trace is empty", path);
  Trace t;
  csv::Options options;
  options.drop_cut_last_line = true;
  if (first_line.starts_with("sample,time_s,marker,device_timestamp")) {
    t.format = TraceFormat::Csv;
    parse_csv_rows(csv::parse(content, path, options), t);
  } else if (first_line.starts_with("marker time dt_micro device_timestamp")) {
    t.format = TraceFormat::PowerSensorDump;
    options.separator = ' ';
    parse_dump_rows(csv::parse(content, path, options), t);
  } else {
    throw FormatError("not a tpulab or PowerSensor trace (unknown header)", path + ":1");
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

void write_trace(const Trace& trace, const std::string& path, TraceFormat format) {
  SourceInfo info;
  for (size_t c = 0; c < trace.channels.size(); ++c) {
    // The dump format names pairs by number: "pairN" keeps its N, other names their position.
    const std::string& name = trace.channels[c];
    int id = static_cast<int>(c);
    if (name.starts_with("pair") && name.size() > 4 && name.size() < 9 &&
        name.find_first_not_of("0123456789", 4) == std::string::npos)
      id = std::stoi(name.substr(4));
    info.channels.push_back({name, id, true, true});
  }
  TraceWriter writer(path, info, format, std::numeric_limits<double>::infinity());
  std::vector<ChannelState> channels(trace.channels.size());
  for (size_t i = 0; i < trace.rows.size(); ++i) {
    const TraceRow& r = trace.rows[i];
    for (size_t c = 0; c < channels.size(); ++c)
      channels[c] = {r.current_a.at(c), r.voltage_v.at(c), r.power_w.at(c), r.energy_j.at(c)};
    writer.on_sample({i, r.time_s, r.device_timestamp, r.marker, channels});
  }
  writer.close();
}

TraceCollector::TraceCollector(const SourceInfo& source) {
  for (const auto& c : source.channels) trace_.channels.push_back(c.name);
}

void TraceCollector::on_sample(const Sample& s) {
  TraceRow r;
  r.time_s = s.time_s;
  r.device_timestamp = s.device_timestamp;
  r.marker = s.marker;
  for (const auto& c : s.channels) {
    r.current_a.push_back(c.current_a);
    r.voltage_v.push_back(c.voltage_v);
    r.power_w.push_back(c.power_w);
    r.energy_j.push_back(c.energy_j);
  }
  r.total_power_w = s.power_w();
  r.total_energy_j = s.energy_j();
  trace_.rows.push_back(std::move(r));
}

TraceSummary summarize(const Trace& t, const std::string& where) {
  if (t.rows.empty()) throw Error("the trace has no samples", where);
  TraceSummary s;
  s.samples = t.rows.size();
  s.seconds = t.rows.back().time_s - t.rows.front().time_s;
  s.joules = t.rows.back().total_energy_j - t.rows.front().total_energy_j;
  for (const auto& r : t.rows) s.peak_w = std::max(s.peak_w, r.total_power_w);
  s.between_markers = intervals_between(trace_markers(t));
  return s;
}

nlohmann::json to_json(std::span<const MarkerInterval> intervals) {
  nlohmann::json marks = nlohmann::json::array();
  for (const auto& m : intervals)
    marks.push_back({{"from", std::string(1, m.from)},
                     {"to", std::string(1, m.to)},
                     {"start_s", m.start_s},
                     {"seconds", m.seconds},
                     {"joules", m.joules},
                     {"watts", m.watts}});
  return marks;
}

nlohmann::json to_json(const TraceSummary& s) {
  return {{"samples", s.samples},   {"seconds", s.seconds},
          {"joules", s.joules},     {"average_watts", s.average_w()},
          {"peak_watts", s.peak_w}, {"between_markers", to_json(s.between_markers)}};
}

}  // namespace tpulab::power
