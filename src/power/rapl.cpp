#include "power/rapl.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/error.h"

namespace tpulab::power {

namespace fs = std::filesystem;

double EnergyCounter::update(uint64_t raw_uj) {
  if (first_) {
    first_ = false;
    last_ = raw_uj;
    return 0;
  }
  uint64_t delta;
  if (raw_uj >= last_) {
    delta = raw_uj - last_;
  } else if (max_range_uj_ > 0 && last_ <= max_range_uj_) {
    // Wrapped: up to the top of the range, one step over to 0, then to the new value. (The
    // real step is one hardware energy unit, tens of uJ, which sysfs does not expose.)
    delta = (max_range_uj_ - last_) + 1 + raw_uj;
    ++wraps_;
  } else {
    // Went backwards with no known range (a reset): count nothing rather than garbage.
    delta = 0;
  }
  last_ = raw_uj;
  total_uj_ += static_cast<double>(delta);
  return total_j();
}

uint64_t read_sysfs_uint(const fs::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoError(std::string("cannot read: ") + std::strerror(errno), file.string());
  char buf[64];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  int err = errno;
  ::close(fd);
  if (n < 0) throw IoError(std::string("cannot read: ") + std::strerror(err), file.string());
  std::string text(buf, static_cast<size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r'))
    text.pop_back();
  if (text.empty() || text.size() > 20 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw IoError("expected an unsigned integer, found '" + text.substr(0, 32) + "'",
                  file.string());
  errno = 0;
  unsigned long long v = std::strtoull(text.c_str(), nullptr, 10);
  if (errno == ERANGE) throw IoError("number out of range", file.string());
  return v;
}

static std::string read_name(const fs::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  char buf[128];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  std::string s(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::vector<RaplZone> find_rapl_zones(const fs::path& root, bool subzones) {
  std::vector<RaplZone> zones;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const std::string dir = entry.path().filename().string();
    if (!dir.starts_with("intel-rapl:")) continue;  // not intel-rapl-mmio: it repeats package-0
    const auto colons = std::count(dir.begin(), dir.end(), ':');
    if (colons > 1 && !subzones) continue;
    RaplZone z;
    z.dir = entry.path();
    z.name = read_name(z.dir / "name");
    if (z.name.empty()) z.name = dir;
    if (colons > 1) z.name = dir.substr(dir.find(':') + 1) + ":" + z.name;
    zones.push_back(std::move(z));
  }
  if (zones.empty())
    throw Error(
        "no RAPL energy counters (no intel-rapl zones): not an Intel/AMD CPU with the powercap "
        "driver, or running in a VM or container",
        root.string());
  bool has_package = std::any_of(zones.begin(), zones.end(),
                                 [](const RaplZone& z) { return z.name.starts_with("package"); });
  if (has_package) std::erase_if(zones, [](const RaplZone& z) { return z.name == "psys"; });
  std::sort(zones.begin(), zones.end(),
            [](const RaplZone& a, const RaplZone& b) { return a.dir < b.dir; });
  for (auto& z : zones) {
    const fs::path energy = z.dir / "energy_uj";
    if (::access(energy.c_str(), R_OK) != 0) {
      if (errno == EACCES)
        throw IoError(
            "RAPL energy counters are readable only by root since Linux 5.10: run as root, or "
            "allow reading with `sudo chmod a+r /sys/class/powercap/intel-rapl:*/energy_uj`",
            energy.string());
      throw IoError(std::string("cannot read the RAPL counter: ") + std::strerror(errno),
                    energy.string());
    }
    std::error_code ec2;
    z.max_range_uj = fs::exists(z.dir / "max_energy_range_uj", ec2)
                         ? read_sysfs_uint(z.dir / "max_energy_range_uj")
                         : 0;
  }
  return zones;
}

RaplReader::RaplReader(std::vector<RaplZone> zones) : zones_(std::move(zones)) {
  for (const auto& z : zones_) counters_.emplace_back(z.max_range_uj);
  read_joules();  // the first reading is the zero point
}

std::vector<double> RaplReader::read_joules() {
  std::vector<double> out;
  out.reserve(zones_.size());
  for (size_t i = 0; i < zones_.size(); ++i)
    out.push_back(counters_[i].update(read_sysfs_uint(zones_[i].dir / "energy_uj")));
  return out;
}

static SourceInfo rapl_info(const fs::path& root, const std::vector<RaplZone>& zones) {
  SourceInfo info{"rapl", root.string(), "Linux powercap RAPL", false, {}};
  for (size_t i = 0; i < zones.size(); ++i)
    info.channels.push_back({zones[i].name, static_cast<int>(i), false, false});
  return info;
}

RaplSource::RaplSource(const fs::path& root, PolledOptions options)
    : ThreadedSource(SourceInfo{"rapl", root.string(), "", false, {}}, false),
      reader_(find_rapl_zones(root)),
      options_(options) {
  check_option(options_.interval_s, 0, kMaxTimeoutS, true, "interval_s", "rapl");
  set_info(rapl_info(root, reader_.zones()));
}

RaplSource::~RaplSource() { shutdown(); }

void RaplSource::run(std::stop_token stop) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<ChannelState> channels(reader_.zones().size());
  std::vector<double> last = reader_.read_joules();
  for (size_t i = 0; i < channels.size(); ++i) channels[i].energy_j = last[i];
  double last_t = time_base_s_;
  publish(last_t, -1, false, channels);
  while (sleep_unless_stopped(stop, options_.interval_s)) {
    const double t =
        time_base_s_ +
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<double> now = reader_.read_joules();
    const double dt = t - last_t;
    for (size_t i = 0; i < channels.size(); ++i) {
      channels[i].power_w = dt > 0 ? (now[i] - last[i]) / dt : 0;
      channels[i].energy_j = now[i];
    }
    last = std::move(now);
    last_t = t;
    publish(t, -1, false, channels);
  }
  time_base_s_ = last_t;
}

}  // namespace tpulab::power
