// PowerSensor2 host side (Arduino + ACS712 sensors). The device has no clock of its own in the
// stream, so samples are timed on the host.
#pragma once

#include <atomic>
#include <mutex>
#include <string>

#include "power/ps2_protocol.h"
#include "power/serial.h"
#include "power/threaded_source.h"

namespace tpulab::power {

struct Ps2Options {
  int baud = 2000000;  // the Uno firmware's link speed
  // Opening the port resets an Uno (about 2 s in its boot loader), so the config request is
  // retried until this much time has passed.
  double timeout_s = 3.0;
};

std::vector<ChannelInfo> ps2_channels(const ps2::Config& config);

class PowerSensor2Source final : public ThreadedSource {
 public:
  explicit PowerSensor2Source(const std::string& path, Ps2Options options = {});
  ~PowerSensor2Source() override;

  const ps2::Config& config() const { return config_; }
  void write_config(const ps2::Config& config);  // not while streaming

  // Mean uncorrected power per sensor since the last reset (for zero-offset calibration):
  // the value null_level must take for the sensor to read 0 W.
  void reset_offset_stats();
  std::array<double, ps2::kSensors> mean_uncorrected_power() const;
  uint64_t offset_samples() const;

 protected:
  void run(std::stop_token stop) override;
  void before_start() override;
  void on_stop_requested() override;
  void after_stop() override;
  void add_stats(SourceStats& stats) const override;

 private:
  void send(char command);
  ps2::Config read_config();

  SerialPort port_;
  Ps2Options options_;
  std::mutex write_mu_;
  ps2::Config config_;
  ps2::Decoder decoder_;
  std::atomic<bool> stop_sent_{false};
  std::atomic<int64_t> stop_deadline_ms_{0};
  std::atomic<uint64_t> skipped_{0};
  uint64_t skipped_before_run_ = 0;
  std::vector<ChannelState> channels_;
  double time_base_s_ = 0;

  mutable std::mutex offset_mu_;
  std::array<double, ps2::kSensors> offset_sum_{};
  uint64_t offset_samples_ = 0;
};

}  // namespace tpulab::power
