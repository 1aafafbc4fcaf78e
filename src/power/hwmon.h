// Linux hwmon power and energy files (/sys/class/hwmon/hwmonN): power*_input and
// power*_average in microwatts, energy*_input in microjoules.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "power/rapl.h"

namespace tpulab::power {

struct HwmonChannel {
  std::string label;  // powerN_label / energyN_label, or "powerN"
  int index = 0;      // N
  std::filesystem::path file;
  bool is_energy = false;  // energyN_input (cumulative) rather than a power reading
};

struct HwmonDevice {
  std::string name;  // the chip's `name` file ("amdgpu", "nvme", ...)
  std::filesystem::path dir;
  std::vector<HwmonChannel> channels;
};

// Every hwmon device under `root` that reports power or energy.
std::vector<HwmonDevice> list_hwmon_power_devices(
    const std::filesystem::path& root = "/sys/class/hwmon");
// The device named `name` (its `name` file, or the folder name "hwmon3"). Throws UsageError
// listing the devices with power readings when there is no such device.
HwmonDevice find_hwmon_device(const std::string& name,
                              const std::filesystem::path& root = "/sys/class/hwmon");

// Reads a device's channels: for each, power (W) and cumulative energy (J) since construction.
// Energy channels are differentiated for power; power channels are integrated (P * dt).
class HwmonReader {
 public:
  explicit HwmonReader(HwmonDevice device);
  const HwmonDevice& device() const { return device_; }
  // `t_s`: the time of this reading (seconds, any origin, increasing).
  void read(double t_s, std::vector<ChannelState>& out);

 private:
  HwmonDevice device_;
  std::vector<EnergyCounter> counters_;
  std::vector<double> last_energy_;
  bool first_ = true;
  double last_t_ = 0;
};

class HwmonSource final : public ThreadedSource {
 public:
  HwmonSource(const std::string& name, const std::filesystem::path& root = "/sys/class/hwmon",
              PolledOptions options = {0.05});
  ~HwmonSource() override;

 protected:
  void run(std::stop_token stop) override;

 private:
  HwmonReader reader_;
  PolledOptions options_;
  double time_base_s_ = 0;
};

}  // namespace tpulab::power
