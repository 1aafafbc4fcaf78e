#include "power/powersensor2.h"

#include <chrono>
#include <cmath>

#include "common/error.h"
#include "power/sensors.h"
#include "power/serial.h"

namespace tpulab::power {

namespace {

// Bounds of what a config may store (see write_config).
constexpr int kMaxRailVolts = 1000;
constexpr double kMinSensitivity = 1e-3;
constexpr double kMaxSensitivity = 10;
constexpr int kMaxNullLevelW = 10000;

// Checked before the port is opened: a device is not touched for options that are wrong.
const std::string& checked(const std::string& path, const Ps2Options& o) {
  check_option(o.timeout_s, 0, kMaxTimeoutS, true, "timeout_s", path);
  return path;
}

}  // namespace

std::vector<ChannelInfo> ps2_channels(const ps2::Config& config) {
  std::vector<ChannelInfo> out;
  for (int s = 0; s < ps2::kSensors; ++s) {
    if (!config[static_cast<size_t>(s)].in_use()) continue;
    out.push_back({"sensor" + std::to_string(s), s, true, false});
  }
  return out;
}

PowerSensor2Source::PowerSensor2Source(const std::string& path, Ps2Options options)
    : ThreadedSource(SourceInfo{"ps2", path, "PowerSensor2", false, {}}, /*device_marks=*/false),
      port_(checked(path, options), options.baud),
      options_(options) {
  config_ = read_config();
  auto channels = ps2_channels(config_);
  if (channels.empty())
    throw Error("the device has no sensor in use (every configured voltage is 0)", path);
  channels_.resize(channels.size());
  set_info(SourceInfo{"ps2", path, "PowerSensor2", false, std::move(channels)});
}

PowerSensor2Source::~PowerSensor2Source() { shutdown(); }

void PowerSensor2Source::send(char command) {
  std::lock_guard lock(write_mu_);
  port_.write(command);
}

ps2::Config PowerSensor2Source::read_config() {
  const int64_t deadline = steady_now_ms() + timeout_ms(options_.timeout_s);
  std::array<uint8_t, ps2::kConfigBytes> bytes{};
  size_t got = 0;
  bool keeps_talking = false;
  while (steady_now_ms() < deadline) {
    // Stop a stream left running, let the line go quiet, then ask. Repeated because a freshly
    // reset Uno ignores what it receives while its boot loader runs.
    send(ps2::cmd::kStop);
    keeps_talking = !port_.drain(30, 500);
    if (keeps_talking) continue;
    send(ps2::cmd::kReadConfig);
    got = 0;
    const int64_t answer_deadline = std::min(deadline, steady_now_ms() + 500);
    while (got < bytes.size() && steady_now_ms() < answer_deadline) {
      got += port_.read_some(
          std::span<uint8_t>(bytes).subspan(got),
          static_cast<int>(std::max<int64_t>(1, answer_deadline - steady_now_ms())));
    }
    if (got == bytes.size()) break;
  }
  if (keeps_talking)
    throw IoError(
        "the device keeps sending data after the stop command: not a PowerSensor2, or another "
        "program is using it",
        port_.path());
  if (got < bytes.size())
    throw IoError("timed out after " + std::to_string(options_.timeout_s) +
                      " s waiting for the sensor config (" + std::to_string(got) + " of " +
                      std::to_string(bytes.size()) + " bytes): not a PowerSensor2",
                  port_.path());
  try {
    return ps2::decode_config(bytes);
  } catch (const Error& e) {
    throw IoError(e.problem() + ": not a PowerSensor2, or its EEPROM is not configured",
                  port_.path());
  }
}

void PowerSensor2Source::write_config(const ps2::Config& config) {
  if (running()) throw UsageError("stop streaming before writing the config", port_.path());
  auto channels = ps2_channels(config);
  if (channels.empty()) throw UsageError("the new config has no sensor in use", port_.path());
  // The firmware stores whatever it gets: refuse what no board measures with before writing.
  for (size_t s = 0; s < config.size(); ++s) {
    const auto& c = config[s];
    const std::string where = port_.path() + " sensor " + std::to_string(s);
    if (!std::isfinite(c.volt) || !std::isfinite(c.type) || !std::isfinite(c.null_level))
      throw UsageError("volt, sensitivity and null level must be finite", where);
    if (!c.in_use()) continue;
    if (std::fabs(c.volt) > kMaxRailVolts)
      throw UsageError("the rail voltage must be within +-" + std::to_string(kMaxRailVolts) + " V",
                       where);
    if (std::fabs(c.type) < kMinSensitivity || std::fabs(c.type) > kMaxSensitivity)
      throw UsageError("a sensor in use needs a sensitivity of 0.001..10 V/A", where);
    if (std::fabs(c.null_level) > kMaxNullLevelW)
      throw UsageError("the null level must be within +-" + std::to_string(kMaxNullLevelW) + " W",
                       where);
  }
  send(ps2::cmd::kWriteConfig);
  {
    std::lock_guard lock(write_mu_);
    port_.write(ps2::encode_config(config));
  }
  config_ = config;
  channels_.assign(channels.size(), ChannelState{});
  set_info(SourceInfo{"ps2", port_.path(), "PowerSensor2", false, std::move(channels)});
}

void PowerSensor2Source::reset_offset_stats() {
  std::lock_guard lock(offset_mu_);
  offset_sum_.fill(0);
  offset_samples_ = 0;
}

std::array<double, ps2::kSensors> PowerSensor2Source::mean_uncorrected_power() const {
  std::lock_guard lock(offset_mu_);
  std::array<double, ps2::kSensors> out{};
  if (offset_samples_ == 0) return out;
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = offset_sum_[i] / static_cast<double>(offset_samples_);
  return out;
}

uint64_t PowerSensor2Source::offset_samples() const {
  std::lock_guard lock(offset_mu_);
  return offset_samples_;
}

void PowerSensor2Source::before_start() {
  decoder_.reset();
  stop_sent_ = false;
  port_.flush_input();
  send(ps2::cmd::kStart);
}

void PowerSensor2Source::on_stop_requested() {
  stop_deadline_ms_ = steady_now_ms() + timeout_ms(options_.timeout_s);
  stop_sent_ = true;
  send(ps2::cmd::kStopWithSequence);
}

void PowerSensor2Source::after_stop() {
  skipped_before_run_ = skipped_.load();
  try {
    port_.drain(20, 200);
  } catch (const Error&) {
  }
}

void PowerSensor2Source::add_stats(SourceStats& stats) const {
  stats.skipped_bytes = skipped_.load();
}

void PowerSensor2Source::run(std::stop_token stop) {
  const auto start = std::chrono::steady_clock::now();
  auto host_s = [&] {
    return time_base_s_ +
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  int last_sensor = -1;
  for (int s = 0; s < ps2::kSensors; ++s)
    if (config_[static_cast<size_t>(s)].in_use()) last_sensor = s;

  std::vector<uint8_t> buffer(1 << 14);
  std::array<uint16_t, ps2::kSensors> levels{};
  std::vector<std::array<uint16_t, ps2::kSensors>> frames;
  double chunk_start_s = host_s();
  double last_sample_s = -1;
  while (true) {
    if (stop.stop_requested() && steady_now_ms() > stop_deadline_ms_.load()) break;
    const size_t n = port_.read_some(buffer, 20);
    if (stop_sent_.load()) decoder_.expect_stop(true);
    frames.clear();
    decoder_.feed(std::span<const uint8_t>(buffer.data(), n), [&](int sensor, uint16_t level) {
      levels[static_cast<size_t>(sensor)] = level;
      if (sensor == last_sensor) frames.push_back(levels);
    });
    skipped_ = skipped_before_run_ + decoder_.skipped_bytes();
    if (!frames.empty()) {
      // A read returns many samples at once; spread them evenly over the time since the
      // previous read rather than stacking them on one instant.
      const double now = host_s();
      const double step = (now - chunk_start_s) / static_cast<double>(frames.size());
      for (size_t k = 0; k < frames.size(); ++k) {
        const double t = chunk_start_s + step * static_cast<double>(k + 1);
        const double dt = last_sample_s < 0 ? 0.0 : t - last_sample_s;
        last_sample_s = t;
        size_t c = 0;
        std::array<double, ps2::kSensors> raw_power{};
        for (size_t s = 0; s < ps2::kSensors; ++s) {
          const auto& cfg = config_[s];
          if (!cfg.in_use()) continue;
          ChannelState& ch = channels_[c++];
          ch.current_a = ps2_current(frames[k][s], cfg.type);
          ch.voltage_v = cfg.volt;
          raw_power[s] = ch.current_a * cfg.volt;
          ch.power_w = raw_power[s] - cfg.null_level;
          ch.energy_j += ch.power_w * dt;
        }
        {
          std::lock_guard lock(offset_mu_);
          for (size_t s = 0; s < ps2::kSensors; ++s) offset_sum_[s] += raw_power[s];
          ++offset_samples_;
        }
        publish(t, -1, false, channels_);
      }
      chunk_start_s = now;
    }
    if (decoder_.stopped()) break;
  }
  time_base_s_ = last_sample_s < 0 ? time_base_s_ : last_sample_s;
}

}  // namespace tpulab::power
