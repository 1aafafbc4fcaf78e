// Decoding throughput of the PowerSensor3 stream vs the real device's 20 kHz frame rate.
// Run: bench_power; the last lines give frames/s and the ratio to 20 kHz (goal: >= 100x).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "power/powersensor3.h"
#include "power/ps3_protocol.h"

namespace tpulab::power {
namespace {

constexpr double kDeviceFramesPerSecond = 20000;

// A second of device output (20,000 frames), with realistic level changes.
std::vector<uint8_t> device_stream(size_t frames, double garbage_probability) {
  std::mt19937 rng(1);
  std::vector<uint8_t> out;
  out.reserve(frames * 19);
  for (size_t k = 0; k < frames; ++k) {
    ps3::Frame f;
    for (auto& l : f.levels) l = static_cast<uint16_t>(300 + rng() % 400);
    f.timestamp = static_cast<uint16_t>((k * 50) & 0x3FF);
    f.marker = k % 1000 == 0;
    std::array<uint8_t, ps3::kFrameBytes> b;
    ps3::encode_frame(f, b);
    out.insert(out.end(), b.begin(), b.end());
    if (garbage_probability > 0 &&
        std::uniform_real_distribution<>(0, 1)(rng) < garbage_probability)
      out.push_back(static_cast<uint8_t>(rng()));
  }
  return out;
}

void report(benchmark::State& state, size_t frames) {
  const double total = static_cast<double>(frames) * static_cast<double>(state.iterations());
  state.counters["frames_per_s"] = benchmark::Counter(total, benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(total) * ps3::kFrameBytes);
}

// The byte-level decoder alone, fed in 4 KiB reads as a tty delivers them.
void BM_Ps3Decode(benchmark::State& state) {
  const auto stream = device_stream(20000, static_cast<double>(state.range(0)) / 1000);
  uint64_t sum = 0;
  for (auto _ : state) {
    ps3::Decoder d;
    for (size_t i = 0; i < stream.size(); i += 4096)
      d.feed(std::span<const uint8_t>(stream.data() + i, std::min<size_t>(4096, stream.size() - i)),
             [&](const ps3::Frame& f) { sum += f.levels[3]; });
    benchmark::DoNotOptimize(sum);
  }
  report(state, 20000);
}
BENCHMARK(BM_Ps3Decode)->Arg(0)->Arg(10);  // clean, and 1 % of frames with a garbage byte

// What the reader thread does per frame: decode, unwrap the timestamp, convert 4 pairs,
// integrate energy.
void BM_Ps3DecodeConvertIntegrate(benchmark::State& state) {
  const auto stream = device_stream(20000, 0);
  ps3::Config config;
  for (int p = 0; p < ps3::kPairs; ++p) {
    config[static_cast<size_t>(2 * p)] = {"MLX91221-20", "", 1.65f, 0.0625f, true};
    config[static_cast<size_t>(2 * p + 1)] = {"voltage", "", 0.0f, 0.09f, true};
  }
  double energy = 0;
  for (auto _ : state) {
    ps3::Decoder d;
    Ps3FrameProcessor p(config);
    for (size_t i = 0; i < stream.size(); i += 4096)
      d.feed(std::span<const uint8_t>(stream.data() + i, std::min<size_t>(4096, stream.size() - i)),
             [&](const ps3::Frame& f) { p.process(f); });
    energy += p.channels()[0].energy_j;
    benchmark::DoNotOptimize(energy);
  }
  report(state, 20000);
}
BENCHMARK(BM_Ps3DecodeConvertIntegrate);

// The console table plus, at the end, each benchmark's ratio to the device's frame rate.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // Colours only on a terminal: piped output stays plain text.
  RatioReporter() : ConsoleReporter(isatty(STDOUT_FILENO) ? OO_Defaults : OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& r : runs) {
      auto it = r.counters.find("frames_per_s");
      if (it != r.counters.end()) rates_.emplace_back(r.benchmark_name(), it->second.value);
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\nvs the PowerSensor3's %.0f frames/s (CPU time):\n", kDeviceFramesPerSecond);
    for (const auto& [name, rate] : rates_)
      std::printf("  %-30s %12.0f frames/s = %8.0fx %s\n", name.c_str(), rate,
                  rate / kDeviceFramesPerSecond,
                  rate >= 100 * kDeviceFramesPerSecond ? "(>= 100x: keeps up)" : "(BELOW 100x)");
  }

 private:
  std::vector<std::pair<std::string, double>> rates_;
};

}  // namespace
}  // namespace tpulab::power

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  tpulab::power::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
