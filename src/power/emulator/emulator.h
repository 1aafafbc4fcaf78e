// A PowerSensor3 (or PowerSensor2) device on a pseudo-terminal: answers the firmware's
// commands and streams frames of a chosen waveform, so the host side can be tested (and
// demonstrated) without hardware. tpulab-psemu is a thin main around it; tests run it
// in-process and compare what the host measured with what the emulator sent.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <random>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "power/emulator/waveform.h"
#include "power/ps2_protocol.h"
#include "power/ps3_protocol.h"

namespace tpulab::power::emu {

struct EmulatorOptions {
  bool ps2 = false;
  double rate_hz = 20000;  // frames per second; PowerSensor3 needs >= 1100 (10-bit timestamps)
  int pairs = 1;           // sensor pairs (PS3) or sensors (PS2) in use, each with the waveform
  Waveform waveform;
  double noise_levels = 1.0;  // Gaussian sensor noise, standard deviation in ADC levels
  uint64_t seed = 1;
  // Probability per frame of inserting 1..3 garbage bytes at a random place in it, from
  // frame `corrupt_after` of each stream on.
  double corrupt_probability = 0;
  uint64_t corrupt_after = 100;
  // The current sensors' true zero differs from the configured vref by this much (volts at
  // the ADC), as an uncalibrated sensor does; `tpulab power calibrate` should remove it.
  double zero_offset_v = 0;
  std::string version = "F411-1.6.1";
  // Frames sent after a marker command before the marked one. The real board's USB and the
  // host's buffers hold frames in flight, so a marker never lands a fixed number of samples
  // after the host asked for it; tests use this to make that delay long.
  uint64_t marker_delay_frames = 0;
  bool keep_truth = false;  // record per-frame ideal energy and markers for tests
  std::string link;         // also make this symlink to the pty (removed at exit)
};

// The board's default EEPROM: pair p = MLX91221-20 current sensor (vref 1.65 V) and a voltage
// divider with gain 0.09; pairs >= `pairs` not in use.
ps3::Config default_ps3_config(int pairs);
ps2::Config default_ps2_config(int sensors, double volts);

// What the emulator sent in its current (or last) stream, for comparing with the host.
struct Truth {
  std::vector<int64_t> time_us;  // frame k's device time since the stream's first frame
  std::vector<double> energy_j;  // ideal (noise- and quantisation-free) energy up to frame k
  std::vector<uint64_t> marker_frames;
  uint64_t frames = 0;
  uint64_t injected_bytes = 0;
  uint64_t streams = 0;  // 'S' commands honoured
};

class Emulator {
 public:
  // Opens the pseudo-terminal (and the symlink). Throws IoError / UsageError.
  explicit Emulator(EmulatorOptions options);
  ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  const std::string& device_path() const { return slave_path_; }

  // Runs on the calling thread until `stop` is requested (tpulab-psemu's main loop).
  void run(std::stop_token stop);
  // Or on a background thread.
  void start();
  void stop();
  // Makes the device vanish as if unplugged or killed: the pty master is closed.
  void disconnect();

  Truth truth() const;
  ps3::Config ps3_config() const;
  ps2::Config ps2_config() const;

 private:
  void open_pty();
  void generate_due_frames();
  void generate_ps3_frame(bool one_shot);
  void generate_ps2_frame();
  void start_stream();
  void process_input();
  bool next_byte(uint8_t& byte, int timeout_ms);
  void write_now(const uint8_t* data, size_t size);
  void flush_output();
  int64_t device_micros() const;
  double noisy(double level);

  EmulatorOptions options_;
  int master_ = -1;
  int slave_keepalive_ = -1;
  std::string slave_path_;
  std::jthread thread_;
  std::atomic<bool> disconnect_requested_{false};

  // Loop-thread state.
  std::mt19937_64 rng_;
  std::normal_distribution<double> noise_{0.0, 1.0};
  std::chrono::steady_clock::time_point created_;
  int64_t clock_offset_us_ = 0;
  bool streaming_ = false;
  std::chrono::steady_clock::time_point stream_start_;
  int64_t stream_base_us_ = 0;
  uint64_t sent_ = 0;  // frames in this stream
  bool marker_pending_ = false;
  uint64_t marker_due_ = 0;  // the first frame that may carry the pending marker
  double ideal_energy_j_ = 0;
  int64_t last_frame_us_ = 0;
  uint64_t conversions_ = 0;
  std::deque<uint8_t> in_;
  std::vector<uint8_t> out_;
  ps3::Config hardware_;  // the sensors as built (EEPROM writes do not change them)

  mutable std::mutex mu_;  // guards the members below (read by other threads)
  Truth truth_;
  ps3::Config ps3_config_;
  ps2::Config ps2_config_;
};

}  // namespace tpulab::power::emu
