// Linux RAPL energy counters through powercap (/sys/class/powercap/intel-rapl:*).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "power/threaded_source.h"

namespace tpulab::power {

// One RAPL zone's energy_uj counter, unwrapped into a running total.
class EnergyCounter {
 public:
  // `max_range_uj`: the counter counts modulo max_range_uj + 1 (0 = never wraps).
  explicit EnergyCounter(uint64_t max_range_uj) : max_range_uj_(max_range_uj) {}
  // Feeds a raw reading; returns the energy in joules accumulated since the first reading.
  double update(uint64_t raw_uj);
  double total_j() const { return total_uj_ * 1e-6; }
  uint64_t wraps() const { return wraps_; }

 private:
  uint64_t max_range_uj_;
  bool first_ = true;
  uint64_t last_ = 0;
  double total_uj_ = 0;
  uint64_t wraps_ = 0;
};

// Reads an unsigned decimal integer file (sysfs style: digits and a newline).
// Throws IoError naming the file when it cannot be read or holds anything else.
uint64_t read_sysfs_uint(const std::filesystem::path& file);

struct RaplZone {
  std::string name;  // "package-0", "dram", "core", "psys"
  std::filesystem::path dir;
  uint64_t max_range_uj = 0;
};

// Finds the zones under `root`. Top-level zones only unless `subzones` (a package's core and
// dram subzones are part of its energy, so adding them would count twice). The platform zone
// "psys" also overlaps the packages and is skipped when packages exist.
// Throws Error when there is no RAPL, IoError (with the fix) when it is not readable.
std::vector<RaplZone> find_rapl_zones(const std::filesystem::path& root = "/sys/class/powercap",
                                      bool subzones = false);

// Reads the zones' counters: cumulative joules per zone since construction.
class RaplReader {
 public:
  explicit RaplReader(std::vector<RaplZone> zones);
  const std::vector<RaplZone>& zones() const { return zones_; }
  std::vector<double> read_joules();

 private:
  std::vector<RaplZone> zones_;
  std::vector<EnergyCounter> counters_;
};

struct PolledOptions {
  double interval_s = 0.01;  // RAPL counters update about every millisecond
};

class RaplSource final : public ThreadedSource {
 public:
  explicit RaplSource(const std::filesystem::path& root = "/sys/class/powercap",
                      PolledOptions options = {});
  ~RaplSource() override;

 protected:
  void run(std::stop_token stop) override;

 private:
  RaplReader reader_;
  PolledOptions options_;
  double time_base_s_ = 0;
};

}  // namespace tpulab::power
