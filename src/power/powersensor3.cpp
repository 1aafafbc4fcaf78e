#include "power/powersensor3.h"

#include <chrono>
#include <cmath>

#include "common/error.h"
#include "power/sensors.h"

namespace tpulab::power {

namespace {

// Checked before the port is opened: a device is not touched for options that are wrong.
const std::string& checked(const std::string& path, const Ps3Options& o) {
  check_option(o.timeout_s, 0, kMaxTimeoutS, true, "timeout_s", path);
  return path;
}

bool pair_in_use(const ps3::Config& config, int pair) {
  return config[static_cast<size_t>(2 * pair)].in_use &&
         config[static_cast<size_t>(2 * pair + 1)].in_use;
}

}  // namespace

std::vector<ChannelInfo> ps3_channels(const ps3::Config& config) {
  std::vector<ChannelInfo> out;
  for (int p = 0; p < ps3::kPairs; ++p) {
    if (!pair_in_use(config, p)) continue;
    ChannelInfo c;
    const std::string& name = config[static_cast<size_t>(2 * p)].pair_name;
    c.name = name.empty() ? "pair" + std::to_string(p) : name;
    c.id = p;
    c.measures_current = c.measures_voltage = true;
    out.push_back(c);
  }
  return out;
}

Ps3FrameProcessor::Ps3FrameProcessor(const ps3::Config& config) {
  for (int p = 0; p < ps3::kPairs; ++p) {
    if (!pair_in_use(config, p)) continue;
    const auto& cur = config[static_cast<size_t>(2 * p)];
    const auto& vol = config[static_cast<size_t>(2 * p + 1)];
    // value = level * scale + offset, the documented formula with the division hoisted.
    const double step = kPs3ReferenceV / kPs3MaxLevel;
    pairs_.push_back(p);
    coeffs_.push_back({step / cur.sensitivity, -cur.vref / cur.sensitivity, step / vol.sensitivity,
                       -vol.vref / vol.sensitivity});
  }
  channels_.resize(pairs_.size());
}

void Ps3FrameProcessor::restart() {
  unwrapper_.reset();
  have_previous_ = false;
  base_us_ = last_us_;
}

double Ps3FrameProcessor::process(const ps3::Frame& frame) {
  const int64_t t_us = base_us_ + unwrapper_.next(frame.timestamp, frame.skipped_before);
  const double dt = have_previous_ ? static_cast<double>(t_us - last_us_) * 1e-6 : 0.0;
  have_previous_ = true;
  last_us_ = t_us;
  for (size_t c = 0; c < pairs_.size(); ++c) {
    const size_t p = static_cast<size_t>(pairs_[c]);
    const Coeffs& k = coeffs_[c];
    ChannelState& ch = channels_[c];
    ch.current_a = frame.levels[2 * p] * k.current_scale + k.current_offset;
    ch.voltage_v = frame.levels[2 * p + 1] * k.voltage_scale + k.voltage_offset;
    ch.power_w = ch.current_a * ch.voltage_v;
    // The sample's power holds since the previous sample, as in PowerSensor's host library.
    ch.energy_j += ch.power_w * dt;
  }
  return static_cast<double>(t_us) * 1e-6;
}

PowerSensor3Source::PowerSensor3Source(const std::string& path, Ps3Options options)
    : ThreadedSource(SourceInfo{"ps3", path, "", true, {}}, /*device_marks=*/true),
      port_(checked(path, options)),
      options_(options),
      processor_(ps3::Config{}) {
  // The device may still be streaming for a program that died: stop it and let it go quiet.
  send(ps3::cmd::kStop);
  if (!port_.drain(50, 1000))
    throw IoError(
        "the device keeps sending data after the stop command: not a PowerSensor3, or another "
        "program is using it",
        path);
  version_ = query_version();
  config_ = read_config();
  processor_ = Ps3FrameProcessor(config_);
  SourceInfo info{"ps3", path, "PowerSensor3 firmware " + version_, true, ps3_channels(config_)};
  if (info.channels.empty())
    throw Error("the device has no sensor pair in use (configure one with `tpulab power config`)",
                path);
  set_info(std::move(info));
}

PowerSensor3Source::~PowerSensor3Source() { shutdown(); }

void PowerSensor3Source::send(char command) {
  std::lock_guard lock(write_mu_);
  port_.write(command);
}

std::string PowerSensor3Source::query_version() {
  const int wait_ms = timeout_ms(options_.timeout_s);
  send(ps3::cmd::kVersion);
  std::string version;
  const int64_t deadline = steady_now_ms() + wait_ms;
  uint8_t byte;
  while (true) {
    const int64_t left = deadline - steady_now_ms();
    if (left <= 0)
      throw IoError("timed out after " + std::to_string(wait_ms) +
                        " ms waiting for the firmware version: not a PowerSensor3, or it is busy",
                    port_.path());
    if (port_.read_some(std::span<uint8_t>(&byte, 1), static_cast<int>(left)) == 0) continue;
    if (byte == '\n') break;
    if (byte == '\r') continue;
    if (byte < 0x20 || byte > 0x7E || version.size() >= 64)
      throw IoError("unexpected answer to the version request: not a PowerSensor3", port_.path());
    version.push_back(static_cast<char>(byte));
  }
  if (version.empty())
    throw IoError("empty answer to the version request: not a PowerSensor3", port_.path());
  return version;
}

ps3::Config PowerSensor3Source::read_config() {
  const int wait_ms = timeout_ms(options_.timeout_s);
  send(ps3::cmd::kReadConfig);
  ps3::Config config;
  for (int s = 0; s < ps3::kSensors; ++s) {
    std::array<uint8_t, ps3::kConfigBytes> record;
    port_.read_exact(record, wait_ms, "sensor config record " + std::to_string(s));
    try {
      config[static_cast<size_t>(s)] = ps3::decode_config(record);
    } catch (const Error& e) {
      throw IoError("sensor " + std::to_string(s) + ": " + e.problem(), port_.path());
    }
    // The device sends the next record when the host answers with any byte.
    send('a');
  }
  uint8_t done = 0;
  port_.read_exact(std::span<uint8_t>(&done, 1), wait_ms, "the end of the config ('D')");
  if (done != 'D')
    throw IoError(
        "the device did not end the config with 'D' (got byte " + std::to_string(done) + ")",
        port_.path());
  return config;
}

void PowerSensor3Source::require_idle(const std::string& what) const {
  if (running()) throw UsageError("stop streaming before " + what, port_.path());
}

void PowerSensor3Source::write_config(const ps3::Config& config) {
  require_idle("writing the config");
  const int wait_ms = timeout_ms(options_.timeout_s);
  for (int s = 0; s < ps3::kSensors; ++s) {
    const auto& c = config[static_cast<size_t>(s)];
    const auto& old = config_[static_cast<size_t>(s)];
    if (c.type.size() > 16 || c.pair_name.size() > 16)
      throw UsageError("sensor type and pair name are at most 16 characters", port_.path());
    // An unused sensor keeps whatever the EEPROM held (factory zeros); what is in use or being
    // changed must be a value the board can measure with (NaN compares as changed).
    const bool changed =
        c.vref != old.vref || c.sensitivity != old.sensitivity || c.in_use != old.in_use;
    if (c.in_use || changed) ps3::check_sensor_values(c, s);
  }
  auto channels = ps3_channels(config);
  if (channels.empty()) throw UsageError("the new config has no sensor pair in use", port_.path());
  send(ps3::cmd::kWriteConfig);
  for (int s = 0; s < ps3::kSensors; ++s) {
    auto record = ps3::encode_config(config[static_cast<size_t>(s)]);
    {
      std::lock_guard lock(write_mu_);
      port_.write(record);
    }
    uint8_t ack = 0;
    port_.read_exact(std::span<uint8_t>(&ack, 1), wait_ms,
                     "the acknowledgement of config record " + std::to_string(s));
    if (ack != 'S')
      throw IoError("the device did not acknowledge config record " + std::to_string(s),
                    port_.path());
  }
  uint8_t done = 0;
  port_.read_exact(std::span<uint8_t>(&done, 1), wait_ms, "the end of the config write ('D')");
  if (done != 'D') throw IoError("the device did not confirm the config write", port_.path());
  config_ = config;
  processor_ = Ps3FrameProcessor(config_);
  SourceInfo info = info_;
  info.channels = std::move(channels);
  set_info(std::move(info));
}

uint32_t PowerSensor3Source::conversion_count() {
  require_idle("reading the conversion counter");
  send(ps3::cmd::kConversionCount);
  std::array<uint8_t, 4> bytes;
  port_.read_exact(bytes, timeout_ms(options_.timeout_s), "the conversion counter");
  return static_cast<uint32_t>(bytes[0]) | static_cast<uint32_t>(bytes[1]) << 8 |
         static_cast<uint32_t>(bytes[2]) << 16 | static_cast<uint32_t>(bytes[3]) << 24;
}

void PowerSensor3Source::reset_level_stats() {
  std::lock_guard lock(level_mu_);
  level_sum_.fill(0);
  level_sum2_.fill(0);
  level_frames_ = 0;
}

PowerSensor3Source::LevelStats PowerSensor3Source::level_stats() const {
  std::lock_guard lock(level_mu_);
  LevelStats s;
  s.frames = level_frames_;
  if (level_frames_ == 0) return s;
  const double n = static_cast<double>(level_frames_);
  for (size_t i = 0; i < ps3::kSensors; ++i) {
    s.mean[i] = level_sum_[i] / n;
    s.stddev[i] = std::sqrt(std::max(0.0, level_sum2_[i] / n - s.mean[i] * s.mean[i]));
  }
  return s;
}

void PowerSensor3Source::before_start() {
  decoder_.reset();
  processor_.restart();
  stop_sent_ = false;
  port_.flush_input();
  send(ps3::cmd::kStart);
}

void PowerSensor3Source::on_stop_requested() {
  // 'X' makes the firmware end the stream with FF 3F FF 3F, so every frame sent before the
  // stop reaches the sinks; give it a bounded time in case the device is gone.
  stop_deadline_ms_ = steady_now_ms() + timeout_ms(options_.timeout_s);
  stop_sent_ = true;
  send(ps3::cmd::kStopWithSequence);
}

void PowerSensor3Source::after_stop() {
  skipped_before_run_ = skipped_.load();
  discarded_before_run_ = discarded_.load();
  try {
    port_.drain(20, 200);
  } catch (const Error&) {
    // Gone: the failure is already recorded by the reader.
  }
}

void PowerSensor3Source::on_mark(char /*label*/) { send(ps3::cmd::kMarker); }

void PowerSensor3Source::add_stats(SourceStats& stats) const {
  stats.skipped_bytes = skipped_.load();
  stats.discarded_frames = discarded_.load();
}

void PowerSensor3Source::run(std::stop_token stop) {
  std::vector<uint8_t> buffer(1 << 15);
  auto on_frame = [&](const ps3::Frame& frame) {
    {
      std::lock_guard lock(level_mu_);
      for (size_t i = 0; i < ps3::kSensors; ++i) {
        const double l = frame.levels[i];
        level_sum_[i] += l;
        level_sum2_[i] += l * l;
      }
      ++level_frames_;
    }
    const double t = processor_.process(frame);
    publish(t, frame.timestamp, frame.marker, processor_.channels());
  };
  while (true) {
    if (stop.stop_requested() && steady_now_ms() > stop_deadline_ms_.load()) break;
    const size_t n = port_.read_some(buffer, 20);
    // Checked after the read: a stop sequence in these bytes was sent after the flag was set.
    if (stop_sent_.load()) decoder_.expect_stop(true);
    if (n > 0) decoder_.feed(std::span<const uint8_t>(buffer.data(), n), on_frame);
    skipped_ = skipped_before_run_ + decoder_.skipped_bytes();
    discarded_ = discarded_before_run_ + decoder_.discarded_frames();
    if (decoder_.stopped()) break;
  }
}

}  // namespace tpulab::power
