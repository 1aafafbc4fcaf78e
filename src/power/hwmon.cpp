#include "power/hwmon.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <regex>

#include "common/error.h"

namespace tpulab::power {

namespace fs = std::filesystem;

namespace {

std::string read_line(const fs::path& file) {
  std::ifstream in(file);
  std::string s;
  std::getline(in, s);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.pop_back();
  // Labels and names end up in tables and CSV headers: keep them printable and comma-free.
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E || c == ',')
      c = '_';
  return s;
}

HwmonDevice scan(const fs::path& dir) {
  HwmonDevice d;
  d.dir = dir;
  d.name = read_line(dir / "name");
  static const std::regex pattern(R"((power|energy)(\d+)_(input|average))");
  // Per index: energy counters beat instantaneous power (exact integral), and an input
  // reading beats an average.
  std::map<int, std::pair<int, HwmonChannel>> best;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::smatch m;
    const std::string file = entry.path().filename().string();
    if (!std::regex_match(file, m, pattern)) continue;
    HwmonChannel c;
    c.index = std::stoi(m[2].str());
    c.file = entry.path();
    c.is_energy = m[1] == "energy";
    const int rank = c.is_energy ? 3 : (m[3] == "input" ? 2 : 1);
    const fs::path label = dir / (m[1].str() + m[2].str() + "_label");
    c.label = fs::exists(label, ec) ? read_line(label) : m[1].str() + m[2].str();
    if (c.label.empty()) c.label = m[1].str() + m[2].str();
    auto it = best.find(c.index);
    if (it == best.end() || it->second.first < rank) best[c.index] = {rank, c};
  }
  for (auto& [index, ranked] : best) d.channels.push_back(ranked.second);
  return d;
}

}  // namespace

std::vector<HwmonDevice> list_hwmon_power_devices(const fs::path& root) {
  std::vector<HwmonDevice> out;
  std::error_code ec;
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(root, ec)) dirs.push_back(entry.path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& dir : dirs) {
    HwmonDevice d = scan(dir);
    if (!d.channels.empty()) out.push_back(std::move(d));
  }
  return out;
}

HwmonDevice find_hwmon_device(const std::string& name, const fs::path& root) {
  auto devices = list_hwmon_power_devices(root);
  for (auto& d : devices)
    if (d.name == name || d.dir.filename() == name) return d;
  std::string known;
  for (const auto& d : devices)
    known += (known.empty() ? "" : ", ") + d.name + " (" + d.dir.filename().string() + ")";
  throw UsageError(
      "no hwmon device named '" + name + "' with power or energy readings" +
          (known.empty() ? std::string(" (none on this machine)") : " (available: " + known + ")"),
      root.string());
}

HwmonReader::HwmonReader(HwmonDevice device) : device_(std::move(device)) {
  if (device_.channels.empty())
    throw UsageError("hwmon device has no power or energy readings", device_.dir.string());
  for (size_t i = 0; i < device_.channels.size(); ++i) counters_.emplace_back(0);
  last_energy_.assign(device_.channels.size(), 0);
}

void HwmonReader::read(double t_s, std::vector<ChannelState>& out) {
  out.resize(device_.channels.size());
  const double dt = first_ ? 0.0 : t_s - last_t_;
  for (size_t i = 0; i < device_.channels.size(); ++i) {
    const HwmonChannel& c = device_.channels[i];
    const uint64_t raw = read_sysfs_uint(c.file);
    ChannelState& s = out[i];
    if (c.is_energy) {
      // Counters are 64-bit in hwmon; one going backwards was reset and counts nothing.
      const double e = counters_[i].update(raw);
      s.power_w = dt > 0 ? (e - last_energy_[i]) / dt : 0.0;
      s.energy_j = e;
    } else {
      s.power_w = static_cast<double>(raw) * 1e-6;
      s.energy_j = last_energy_[i] + s.power_w * dt;
    }
    last_energy_[i] = s.energy_j;
  }
  first_ = false;
  last_t_ = t_s;
}

HwmonSource::HwmonSource(const std::string& name, const fs::path& root, PolledOptions options)
    : ThreadedSource(SourceInfo{"hwmon", root.string(), name, false, {}}, false),
      reader_(find_hwmon_device(name, root)),
      options_(options) {
  check_option(options_.interval_s, 0, kMaxTimeoutS, true, "interval_s", "hwmon");
  SourceInfo info{"hwmon", reader_.device().dir.string(), reader_.device().name, false, {}};
  for (const auto& c : reader_.device().channels)
    info.channels.push_back({c.label, c.index, false, false});
  // Fail now, not on the reader thread, when a file cannot be read (permissions, no data).
  for (const auto& c : reader_.device().channels) read_sysfs_uint(c.file);
  set_info(std::move(info));
}

HwmonSource::~HwmonSource() { shutdown(); }

void HwmonSource::run(std::stop_token stop) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<ChannelState> channels;
  auto now_s = [&] {
    return time_base_s_ +
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  double t = now_s();
  reader_.read(t, channels);
  publish(t, -1, false, channels);
  while (sleep_unless_stopped(stop, options_.interval_s)) {
    t = now_s();
    reader_.read(t, channels);
    publish(t, -1, false, channels);
  }
  time_base_s_ = t;
}

}  // namespace tpulab::power
