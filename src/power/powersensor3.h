// PowerSensor3 host side: talks to the real firmware (or tpulab-psemu) over a serial device.
#pragma once

#include <array>
#include <atomic>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "power/ps3_protocol.h"
#include "power/serial.h"
#include "power/threaded_source.h"

namespace tpulab::power {

// Frames -> samples: unwrapped device time, per-pair current, voltage, power and energy
// (E += P * dt on the device clock). No I/O, so the decode benchmark measures it as is.
class Ps3FrameProcessor {
 public:
  explicit Ps3FrameProcessor(const ps3::Config& config);
  // Processes one frame; returns its time in seconds. channels() then hold its values.
  double process(const ps3::Frame& frame);
  std::span<const ChannelState> channels() const { return channels_; }
  // Pair ids in use (both the current and the voltage sensor of the pair are in use).
  const std::vector<int>& pairs() const { return pairs_; }
  // Starts a new stream (after stop/start): time and energy continue where they were.
  void restart();

 private:
  struct Coeffs {
    double current_scale, current_offset, voltage_scale, voltage_offset;
  };
  std::vector<int> pairs_;
  std::vector<Coeffs> coeffs_;
  std::vector<ChannelState> channels_;
  ps3::TimestampUnwrapper unwrapper_;
  bool have_previous_ = false;
  int64_t base_us_ = 0;  // time carried over from earlier streams
  int64_t last_us_ = 0;
};

// The source's channels for a config: one per pair in use, named by the pair name.
std::vector<ChannelInfo> ps3_channels(const ps3::Config& config);

struct Ps3Options {
  // How long to wait for an answer before declaring the device is not a PowerSensor3.
  double timeout_s = 2.0;
};

class PowerSensor3Source final : public ThreadedSource {
 public:
  // Opens the device, stops any stream, reads the firmware version and the sensor config.
  // Throws IoError with a clear message when the device does not answer like a PowerSensor3.
  explicit PowerSensor3Source(const std::string& path, Ps3Options options = {});
  ~PowerSensor3Source() override;

  const std::string& version() const { return version_; }
  const ps3::Config& config() const { return config_; }
  // Writes the config to the device's EEPROM and uses it from now on. Not while streaming.
  void write_config(const ps3::Config& config);
  // The device's 32-bit conversion counter ('Q'). Not while streaming.
  uint32_t conversion_count();

  // Raw ADC level statistics per sensor since the last reset (for zero-offset calibration).
  struct LevelStats {
    uint64_t frames = 0;
    std::array<double, ps3::kSensors> mean{};
    std::array<double, ps3::kSensors> stddev{};
  };
  void reset_level_stats();
  LevelStats level_stats() const;

 protected:
  void run(std::stop_token stop) override;
  void before_start() override;
  void on_stop_requested() override;
  void after_stop() override;
  void on_mark(char label) override;
  void add_stats(SourceStats& stats) const override;

 private:
  void send(char command);
  std::string query_version();
  ps3::Config read_config();
  void require_idle(const std::string& what) const;

  SerialPort port_;
  Ps3Options options_;
  std::mutex write_mu_;  // commands come from callers' threads (mark, stop) concurrently
  std::string version_;
  ps3::Config config_;
  Ps3FrameProcessor processor_;
  ps3::Decoder decoder_;
  std::atomic<bool> stop_sent_{false};
  std::atomic<int64_t> stop_deadline_ms_{0};
  std::atomic<uint64_t> skipped_{0};
  std::atomic<uint64_t> discarded_{0};
  uint64_t skipped_before_run_ = 0;
  uint64_t discarded_before_run_ = 0;

  mutable std::mutex level_mu_;
  std::array<double, ps3::kSensors> level_sum_{};
  std::array<double, ps3::kSensors> level_sum2_{};
  uint64_t level_frames_ = 0;
};

}  // namespace tpulab::power
