// `tpulab power measure` as a user runs it: the simulated Edge TPU, the CPU metered by the
// emulated PowerSensor3, and the errors (exit code 2 for usage, 1 for a meter that fails).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "power/emulator/emulator.h"
#include "testing/testing.h"

namespace tpulab::power {
namespace {

namespace fs = std::filesystem;

fs::path tpulab_bin() { return testing::tpulab_binary(); }

std::string small_model() {
  const fs::path p = testing::shared_dir() / "models" / "mobilenet_v1_0.25_128_quant.tflite";
  return testing::shared_dir().empty() || !fs::exists(p) ? "" : p.string();
}

#define REQUIRE_BINARY_AND_MODEL()                                                  \
  do {                                                                              \
    if (!fs::exists(tpulab_bin())) GTEST_SKIP() << "tpulab not built: CLI SKIPPED"; \
    if (small_model().empty()) GTEST_SKIP() << "shared models not found: SKIPPED";  \
  } while (0)

TEST(PowerMeasureCli, SimEdgeTpuReportsTheDeviceModelsEnergy) {
  REQUIRE_BINARY_AND_MODEL();
  auto r = testing::run_command(
      {tpulab_bin().string(), "power", "measure", "--source", "sim", small_model(), "--device",
       "sim-edgetpu", "--requests", "50", "--baseline", "0.2", "--json"},
      60);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* key :
       {"baseline_watts", "baseline_seconds", "seconds", "joules", "net_joules",
        "joules_per_inference", "net_joules_per_inference", "ms_per_inference", "average_watts",
        "net_average_watts", "peak_watts", "samples", "requests", "warmup"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["requests"], 50);
  EXPECT_EQ(j["device"], "sim-edgetpu");
  EXPECT_EQ(j["source"]["kind"], "sim");
  const double predicted = j["device_model"]["joules_per_inference"].get<double>();
  EXPECT_NEAR(j["joules_per_inference"].get<double>(), predicted, 0.01 * predicted);
  EXPECT_NEAR(j["baseline_watts"].get<double>(), j["device_model"]["idle_watts"].get<double>(),
              1e-9);
  EXPECT_GT(j["peak_watts"].get<double>(), j["baseline_watts"].get<double>());

  auto human = testing::run_command(
      {tpulab_bin().string(), "power", "measure", "--source", "sim", small_model(), "--device",
       "sim-edgetpu", "--requests", "5", "--baseline", "0.05"},
      60);
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE(human.out.find("energy/inference (mJ)"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("device model (usb3-1x)"), std::string::npos) << human.out;
}

TEST(PowerMeasureCli, CpuMeteredByAPowerSensor3) {
  REQUIRE_BINARY_AND_MODEL();
  emu::EmulatorOptions o;
  o.waveform.kind = emu::Waveform::Kind::Constant;
  o.waveform.amps = 2.0;
  o.waveform.volts = 12.0;
  emu::Emulator e(o);
  e.start();
  auto r = testing::run_command(
      {tpulab_bin().string(), "power", "measure", "--source", "ps3:" + e.device_path(),
       small_model(), "--device", "cpu", "--requests", "5", "--baseline", "0.2", "--json"},
      60);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["source"]["kind"], "ps3");
  EXPECT_FALSE(j.contains("device_model"));
  EXPECT_NEAR(j["baseline_watts"].get<double>(), 24.0, 0.3);
  EXPECT_NEAR(j["average_watts"].get<double>(), 24.0, 0.3);
  EXPECT_GT(j["ms_per_inference"].get<double>(), 0.0);
  EXPECT_NEAR(j["joules_per_inference"].get<double>(), j["joules"].get<double>() / 5, 1e-12);
}

TEST(PowerMeasureCli, ErrorsAndExitCodes) {
  REQUIRE_BINARY_AND_MODEL();
  const std::string bin = tpulab_bin().string();
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {bin, "power", "measure"});
    return testing::run_command(args, 60);
  };
  // A real meter cannot see a simulated device, and a replayed timeline cannot see the CPU.
  auto r = run({"--source", "rapl", small_model(), "--device", "sim-edgetpu"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--source sim"), std::string::npos) << r.err;
  r = run({"--source", "sim", small_model(), "--device", "cpu"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("needs a meter"), std::string::npos) << r.err;
  r = run({"--source", "sim", small_model(), "--device", "gpu"});
  EXPECT_EQ(r.exit_code, 2);
  r = run({"--source", "sim", small_model(), "--device", "sim-edgetpu", "--requests", "0"});
  EXPECT_EQ(r.exit_code, 2);
  r = run({"--source", "sim", small_model(), "--device", "sim-edgetpu", "--platform", "nope"});
  EXPECT_EQ(r.exit_code, 2);
  r = run({"--source", "ps3:/nonexistent/tty", small_model(), "--device", "cpu"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("/nonexistent/tty"), std::string::npos) << r.err;
  // RAPL: measured where the powercap counters are readable, a clear error elsewhere.
  r = run({"--source", "rapl", small_model(), "--device", "cpu", "--requests", "3", "--baseline",
           "0.1", "--json"});
  if (r.exit_code == 0) {
    EXPECT_EQ(nlohmann::json::parse(r.out)["source"]["kind"], "rapl");
  } else {
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("powercap"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace tpulab::power
