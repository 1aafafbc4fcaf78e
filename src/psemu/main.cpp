// tpulab-psemu: pretends to be a PowerSensor3 (or, with --ps2, a PowerSensor2) on a pseudo-
// terminal. Prints the device path on the first line of stdout, then streams until killed,
// interrupted, or --duration passes.
#include <fmt/core.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <optional>

#include "cli/option_checks.h"
#include "common/error.h"
#include "power/emulator/emulator.h"
#include "power/sensors.h"
#include "power/source.h"

int main(int argc, char** argv) {
  using tpulab::cli::real_number;
  using tpulab::cli::unsigned_number;
  using tpulab::cli::whole_number;
  using tpulab::power::emu::Waveform;
  namespace pw = tpulab::power;
  CLI::App app{"tpulab-psemu: a PowerSensor3/PowerSensor2 emulator on a pseudo-terminal"};
  tpulab::power::emu::EmulatorOptions o;
  std::string waveform = "square";
  double duration = 0;
  std::optional<double> rate;
  // The bounds are what a board measures; the emulator re-checks its options (library callers).
  app.add_flag("--ps2", o.ps2, "Behave like a PowerSensor2 (Arduino, ACS712) instead");
  app.add_option("--rate", rate, "Frames per second (default 20000; 8600 with --ps2)")
      ->check(real_number(0, 100000, true));
  app.add_option("--pairs", o.pairs, "Sensor pairs (PS2: sensors) in use")
      ->capture_default_str()
      ->check(whole_number(1, tpulab::power::ps2::kSensors));
  app.add_option("--waveform", waveform,
                 "constant, square (idle/active), or a CSV file to replay "
                 "(time_s,current_a[,voltage_v] or time_s,watts)")
      ->capture_default_str();
  app.add_option("--amps", o.waveform.amps, "Constant current / square-wave active current")
      ->capture_default_str()
      ->check(real_number(-1000, 1000));
  app.add_option("--idle-amps", o.waveform.idle_amps, "Square-wave idle current")
      ->capture_default_str()
      ->check(real_number(-1000, 1000));
  app.add_option("--volts", o.waveform.volts, "Rail voltage")
      ->capture_default_str()
      ->check(real_number(-1000, 1000));
  app.add_option("--period", o.waveform.period_s, "Square-wave period (s)")
      ->capture_default_str()
      ->check(real_number(0, 3600, true));
  app.add_option("--duty", o.waveform.duty, "Square-wave active fraction")
      ->capture_default_str()
      ->check(real_number(0, 1));
  app.add_option("--noise", o.noise_levels, "Sensor noise, standard deviation in ADC levels")
      ->capture_default_str()
      ->check(real_number(0, 1023));
  app.add_option("--corrupt", o.corrupt_probability,
                 "Probability per frame of inserting garbage bytes")
      ->capture_default_str()
      ->check(real_number(0, 1));
  double zero_offset_mv = 0;
  app.add_option("--zero-offset-mv", zero_offset_mv,
                 "Uncalibrated zero of the current sensors (mV at the ADC)")
      ->check(real_number(-1000 * pw::kPs3ReferenceV, 1000 * pw::kPs3ReferenceV));
  app.add_option("--firmware", o.version, "Version string to report")->capture_default_str();
  app.add_option("--seed", o.seed, "Noise and corruption seed")
      ->capture_default_str()
      ->check(unsigned_number());
  app.add_option("--marker-delay", o.marker_delay_frames,
                 "Frames sent after a marker command before the marked one (in-flight frames)")
      ->capture_default_str()
      ->check(whole_number(0, 100'000'000));
  app.add_option("--link", o.link, "Also create this symlink to the pty");
  app.add_option("--duration", duration, "Exit after this many seconds (default: run until killed)")
      ->check(real_number(0, pw::kMaxDurationS));
  // One exit-code rule with tpulab: one "error:" line; 2 for usage errors, 1 for the others.
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "error: {}\nRun with --help for usage.\n", e.what());
    return 2;
  }
  try {
    if (waveform == "constant") {
      o.waveform.kind = Waveform::Kind::Constant;
    } else if (waveform == "square") {
      o.waveform.kind = Waveform::Kind::Square;
    } else {
      o.waveform = tpulab::power::emu::read_waveform_csv(waveform, o.waveform.volts);
    }
    o.rate_hz = rate ? *rate : (o.ps2 ? 8600 : 20000);
    o.zero_offset_v = zero_offset_mv / 1000.0;

    // Signals are taken synchronously by this thread only, so the emulator thread needs no
    // signal-safety of its own.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    tpulab::power::emu::Emulator emulator(o);
    emulator.start();
    fmt::print("{}\n", emulator.device_path());
    std::fflush(stdout);
    fmt::print(stderr, "tpulab-psemu: {} emulator on {}{}, {} frames/s, {} pair(s)\n",
               o.ps2 ? "PowerSensor2" : "PowerSensor3", emulator.device_path(),
               o.link.empty() ? "" : " (" + o.link + ")", o.rate_hz, o.pairs);
    timespec limit{};
    timespec* timeout = nullptr;
    if (duration > 0) {
      limit.tv_sec = static_cast<time_t>(duration);
      limit.tv_nsec = static_cast<long>((duration - std::floor(duration)) * 1e9);
      timeout = &limit;
    }
    siginfo_t info;
    sigtimedwait(&signals, &info, timeout);
    emulator.stop();
  } catch (const tpulab::UsageError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  return 0;
}
