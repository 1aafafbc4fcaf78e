// power::measure against the PowerSensor3 emulator (the arithmetic: baseline, subtraction,
// division per inference, peak) and against the simulated Edge TPU's timeline (the energy per
// inference the device model predicts comes back out of the meter).
#include "power/measure.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>
#include <thread>

#include "common/error.h"
#include "device/edgetpu/cost.h"
#include "device/platform.h"
#include "model/tflite.h"
#include "power/edgetpu_measure.h"
#include "power/edgetpu_timeline.h"
#include "power/emulator/emulator.h"
#include "power/powersensor3.h"
#include "power/sim_source.h"
#include "testing/testing.h"

namespace tpulab::power {
namespace {

using emu::Emulator;
using emu::EmulatorOptions;
using emu::Waveform;

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

EmulatorOptions waveform(Waveform::Kind kind) {
  EmulatorOptions o;
  o.rate_hz = 20000;
  o.waveform.kind = kind;
  o.waveform.amps = 3.0;
  o.waveform.idle_amps = 1.0;
  o.waveform.volts = 12.0;
  o.waveform.period_s = 0.05;
  o.waveform.duty = 0.3;
  o.noise_levels = 0.25;  // the peak of noisy samples is the noise's peak
  return o;
}

TEST(Measure, ConstantLoadHasNoEnergyAboveTheBaseline) {
  Emulator e(waveform(Waveform::Kind::Constant));  // 3 A x 12 V
  e.start();
  PowerSensor3Source ps(e.device_path());
  const Measurement m = measure(ps, [] { sleep_ms(5); }, {.baseline_s = 0.2, .requests = 20});
  EXPECT_NEAR(m.baseline_s, 0.2, 0.01);
  EXPECT_NEAR(m.baseline_w, 36.0, 0.36);
  EXPECT_EQ(m.requests, 20);
  // 20 sleeps of 5 ms at least, on the device's clock: the emulator makes each frame once it is
  // due, so when its thread was held up at 'E' but not at 'B' that frame's time reads early.
  EXPECT_GE(m.seconds, 0.1 - 0.02);
  EXPECT_NEAR(m.average_w(), 36.0, 0.36);
  EXPECT_NEAR(m.joules_per_inference(), m.joules / 20, 1e-12);
  EXPECT_NEAR(m.seconds_per_inference(), m.seconds / 20, 1e-12);
  // The idle level is all there is: what remains after subtraction is noise.
  EXPECT_LT(std::fabs(m.net_joules), 0.01 * m.joules);
  EXPECT_NEAR(m.peak_w, 36.0, 1.5);
  EXPECT_NEAR(static_cast<double>(m.samples), m.seconds * 20000, 0.02 * m.seconds * 20000);
}

TEST(Measure, SquareWaveBaselineIsItsMeanAndPeakItsHighLevel) {
  // 36 W for 30 % of each 50 ms, 12 W otherwise: mean 19.2 W. The waveform does not follow
  // the requests, so this checks the arithmetic, not what an inference costs.
  Emulator e(waveform(Waveform::Kind::Square));
  e.start();
  PowerSensor3Source ps(e.device_path());
  const Measurement m = measure(ps, [] { sleep_ms(10); }, {.baseline_s = 0.5, .requests = 30});
  // 10 whole periods, give or take one sample's worth of phase.
  EXPECT_NEAR(m.baseline_w, 19.2, 0.4);
  EXPECT_NEAR(m.peak_w, 36.0, 1.5);
  EXPECT_NEAR(m.net_joules, m.joules - m.baseline_w * m.seconds, 1e-9);
  EXPECT_NEAR(m.net_joules_per_inference(), m.net_joules / 30, 1e-12);
  // About 6 periods between the markers (30 sleeps of 10 ms, less the emulator's clock lag as
  // above): the average is the mean within a partial period.
  EXPECT_GE(m.seconds, 0.3 - 0.02);
  EXPECT_NEAR(m.average_w(), 19.2, 24.0 * 0.05 / m.seconds + 0.4);
}

TEST(Measure, RejectsBadOptionsAndPropagatesInferenceErrors) {
  PowerTimeline t;
  t.add("tpu0", 0, 10, 1.0, "idle");
  SimSource a(t, {1000, 1.0});
  EXPECT_THROW(measure(a, [] {}, {.requests = 0}), UsageError);
  EXPECT_THROW(measure(a, [] {}, {.baseline_s = -1}), UsageError);
  SimSource b(t, {1000, 1.0});
  EXPECT_THROW(measure(b, [] { throw IoError("device gone", "x"); }, {.baseline_s = 0.01}),
               IoError);
}

// ---- the simulated Edge TPU ----------------------------------------------------------------

struct SimModel {
  Graph graph;
  device::Platform platform;
  device::Simulation sim;
};

std::optional<SimModel> mobilenet() {
  const auto path = testing::shared_dir() / "models" / "mobilenet_v1_0.25_128_quant.tflite";
  if (testing::shared_dir().empty() || !std::filesystem::exists(path)) return std::nullopt;
  SimModel m{read_tflite(path.string()), device::load_platform("usb3-1x"), {}};
  const auto n = static_cast<int32_t>(m.graph.main().ops.size());
  m.sim = device::simulate(m.graph, {{0, n}}, m.platform);
  return m;
}

TEST(EdgeTpuTimeline, EachRequestDrawsTheDeviceModelsEnergy) {
  auto m = mobilenet();
  if (!m) GTEST_SKIP() << "shared models not found";
  const device::Placement& p = m->sim.placements[0];
  const device::Cost& c = m->sim.costs[0];
  const EdgeTpuRun run = edgetpu_run(p, c, m->platform, {.baseline_s = 0.5, .requests = 4});
  ASSERT_EQ(run.request_end_s.size(), 4u);
  EXPECT_NEAR(run.energy_j, c.energy_mj() * 1e-3, 1e-15);
  EXPECT_GT(run.load_s, 0);
  const auto& tl = run.timeline;
  EXPECT_EQ(tl.devices()[0].device, "tpu0");
  EXPECT_EQ(tl.state_at(0, 0.3), "idle");
  EXPECT_DOUBLE_EQ(tl.power_at(0, 0.3), m->platform.energy.tpu_idle_w);
  EXPECT_EQ(tl.state_at(0, 0.6 + run.load_s / 2), "loading");
  const double load_end = 0.6 + run.load_s;
  EXPECT_NEAR(tl.energy_between(0, 0.6, load_end), run.load_j, 1e-12);
  for (size_t k = 1; k < 4; ++k) {
    const double from = run.request_end_s[k - 1], to = run.request_end_s[k];
    EXPECT_NEAR(to - from, c.latency_ms() * 1e-3, 1e-12);
    double joules = 0;
    for (size_t d = 0; d < tl.device_count(); ++d) joules += tl.energy_between(d, from, to);
    EXPECT_NEAR(joules, run.energy_j, 1e-9 * run.energy_j);
  }
  bool computing = false;
  for (const auto& i : tl.devices()[0].intervals) computing |= i.state == "computing";
  EXPECT_TRUE(computing);
  EXPECT_THROW(edgetpu_run(p, c, m->platform, {.requests = 0}), UsageError);
}

TEST(EdgeTpuTimeline, MeasuredEnergyPerInferenceMatchesTheDeviceModelWithin1Percent) {
  auto m = mobilenet();
  if (!m) GTEST_SKIP() << "shared models not found";
  const device::Cost& c = m->sim.costs[0];
  const int requests = 60;
  const double rate = 20000;
  const EdgeTpuRun run = edgetpu_run(m->sim.placements[0], c, m->platform,
                                     {.baseline_s = 0.2, .requests = requests + 1});
  SimSource source(run.timeline, {rate, 1.0});
  const Measurement r = measure(source, replay_requests(source, run, rate),
                                {.baseline_s = 0.2, .requests = requests, .warmup = 1});
  const double idle_w = m->platform.energy.tpu_idle_w;
  EXPECT_NEAR(r.baseline_w, idle_w, 1e-9);
  EXPECT_NEAR(r.seconds_per_inference(), c.latency_ms() * 1e-3, 0.01 * c.latency_ms() * 1e-3);
  EXPECT_NEAR(r.joules_per_inference(), run.energy_j, 0.01 * run.energy_j);
  // Minus idle: what the requests add to a powered TPU.
  const double dynamic_j = (c.energy_mj() - c.energy.idle_mj) * 1e-3;
  EXPECT_NEAR(r.net_joules_per_inference(), dynamic_j, 0.01 * dynamic_j);
  // The busiest state of a request (the host's channel, when there is one, draws only while
  // the TPU idles, so the TPU's busiest state is the peak).
  double peak = 0;
  for (const auto& i : run.timeline.devices()[0].intervals)
    if (i.state != "loading") peak = std::max(peak, i.watts);
  if (run.timeline.device_count() == 1) {
    EXPECT_NEAR(r.peak_w, peak, 1e-9);
  }
  EXPECT_GE(r.peak_w, peak - 1e-9);
}

TEST(EdgeTpuMeasure, OneCallMetersTheModelAsTheDeviceModelPredicts) {
  auto m = mobilenet();
  if (!m) GTEST_SKIP() << "shared models not found";
  const device::Cost& c = m->sim.costs[0];
  const EdgeTpuMeasurement r = measure_simulated_edgetpu(
      m->graph, m->platform,
      {.measure = {.baseline_s = 0.1, .requests = 20, .warmup = 2}, .sample_rate_hz = 20000});
  // The prediction is the device model's own figure.
  EXPECT_DOUBLE_EQ(r.predicted_joules_per_inference, c.energy_mj() * 1e-3);
  EXPECT_DOUBLE_EQ(r.predicted_seconds_per_inference, c.latency_ms() * 1e-3);
  EXPECT_DOUBLE_EQ(r.idle_w, m->platform.energy.tpu_idle_w);
  // ...and the meter measures it back.
  EXPECT_EQ(r.measured.requests, 20);
  EXPECT_EQ(r.measured.warmup, 2);
  EXPECT_NEAR(r.measured.baseline_w, r.idle_w, 1e-9);
  EXPECT_NEAR(r.measured.joules_per_inference(), r.predicted_joules_per_inference,
              0.01 * r.predicted_joules_per_inference);
  EXPECT_NEAR(r.measured.seconds_per_inference(), r.predicted_seconds_per_inference,
              0.01 * r.predicted_seconds_per_inference);
  EXPECT_EQ(r.source.kind, "sim");
  EXPECT_EQ(r.source.where, "sim-edgetpu:usb3-1x");
  EXPECT_EQ(r.platform, "usb3-1x");

  const nlohmann::json j = to_json(r);
  EXPECT_EQ(j["requests"], 20);
  EXPECT_EQ(j["warmup"], 2);
  EXPECT_EQ(j["joules_per_inference"], r.measured.joules / 20);
  EXPECT_EQ(j["ms_per_inference"], r.measured.seconds / 20 * 1e3);
  EXPECT_EQ(j["source"]["where"], "sim-edgetpu:usb3-1x");
  EXPECT_EQ(j["device_model"]["platform"], "usb3-1x");
  EXPECT_EQ(j["device_model"]["joules_per_inference"], c.energy_mj() * 1e-3);
}

TEST(EdgeTpuMeasure, RefusesBadOptionsBeforeBuildingAnything) {
  auto m = mobilenet();
  if (!m) GTEST_SKIP() << "shared models not found";
  std::vector<EdgeTpuMeasureOptions> bad(6);
  bad[0].measure.requests = 0;
  bad[1].measure.requests = kMaxRequests + 1;
  bad[2].measure.warmup = -1;
  bad[3].measure.baseline_s = -1;
  bad[4].sample_rate_hz = 0;
  bad[5].speed = std::nan("");
  for (const EdgeTpuMeasureOptions& o : bad) {
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_THROW(measure_simulated_edgetpu(m->graph, m->platform, o), UsageError);
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1);
  }
  Graph empty;
  empty.subgraphs.emplace_back();
  EXPECT_THROW(measure_simulated_edgetpu(empty, m->platform), UsageError);
}

}  // namespace
}  // namespace tpulab::power
