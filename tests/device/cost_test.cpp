#include "device/edgetpu/cost.h"

#include <gtest/gtest.h>

#include <random>

#include "common/error.h"
#include "model/tflite.h"
#include "model/zoo/zoo.h"
#include "partition/strategy.h"
#include "testing/testing.h"

namespace tpulab::device {
namespace {

Platform test_platform() {
  Platform p;
  p.name = "test";
  p.calibration = {0.5, 4.0, 10.0, 64.0};
  p.link = {"test", 500, 400, 200};
  p.host = {"test", 10.0, 2.0, 10.0};
  p.energy = {0.5, 0.7, 160};
  return p;
}

TEST(Cost, EachTermFollowsItsFormula) {
  Placement p;
  p.tpu_ops = 3;
  p.array_macs = 2'048'000'000;
  p.depthwise_macs = 1'000'000;
  p.vector_elements = 32'000'000;
  p.streamed_bytes = 4'000'000;
  p.instruction_bytes = 100'000;
  p.input_bytes = 150'000;
  p.output_bytes = 50'000;
  p.cpu_macs = 1'000'000'000;
  p.cpu_elements = 1'000'000;
  Platform pf = test_platform();
  Cost c = cost(p, pf);
  // 4096 MACs x 500 MHz x 0.5 = 1.024e12 MAC/s
  double macs = 2.048e9 + 4.0 * 1e6;
  EXPECT_NEAR(c.latency.compute_ms, (macs / 1.024e12 + 32e6 / (64 * 500e6)) * 1e3 + 3 * 0.010,
              1e-9);
  EXPECT_NEAR(c.latency.weights_ms, 4e6 / 400e6 * 1e3, 1e-12);
  EXPECT_NEAR(c.latency.instructions_ms, 1e5 / 400e6 * 1e3, 1e-12);  // sent with every request
  EXPECT_NEAR(c.latency.io_ms, 2e5 / 400e6 * 1e3, 1e-12);
  EXPECT_NEAR(c.latency.host_ms, 1e9 / 10e9 * 1e3 + 1e6 * 2.0 * 1e-6, 1e-9);
  EXPECT_NEAR(c.latency.overhead_ms, 0.2, 1e-12);
  EXPECT_NEAR(c.energy.compute_mj, 0.7 * macs * 1e-9, 1e-9);
  EXPECT_EQ(p.link_bytes(), 4'300'000);
  EXPECT_NEAR(c.energy.transfer_mj, 160 * 4.3e6 * 1e-9, 1e-9);
  EXPECT_NEAR(c.energy.host_mj, 10.0 * c.latency.host_ms, 1e-9);
  EXPECT_NEAR(c.energy.idle_mj, 0.5 * c.latency_ms(), 1e-9);
  EXPECT_NEAR(model_switch_ms(p, pf), 0.2, 1e-12);  // nothing cached
  p.cached_bytes = 8'000'000;
  EXPECT_NEAR(model_switch_ms(p, pf), 8e6 / 400e6 * 1e3 + 0.2, 1e-12);
}

TEST(Cost, CpuOnlySegmentHasNoTpuTerms) {
  Placement p;
  p.cpu_ops = 2;
  p.cpu_macs = 5'000'000;
  Cost c = cost(p, test_platform());
  EXPECT_EQ(c.latency.compute_ms, 0);
  EXPECT_EQ(c.latency.overhead_ms, 0);
  EXPECT_GT(c.latency.host_ms, 0);
  EXPECT_EQ(model_switch_ms(p, test_platform()), 0);
}

// Properties over real-sized models and every built-in platform.
class CostProperties : public ::testing::TestWithParam<std::string> {};

TEST_P(CostProperties, MoreSramOrBandwidthIsNeverSlowerAndNothingIsNegative) {
  Graph g = zoo::build_zoo_model(GetParam());
  for (const std::string& name : platform_names()) {
    Platform pf = load_platform(name);
    double previous = 1e300;
    for (int64_t mib : {2, 4, 8, 16, 64}) {
      pf.chip.sram_bytes = mib << 20;
      double ms = cost(compile(g, pf.chip), pf).latency_ms();
      EXPECT_LE(ms, previous + 1e-9) << name << " " << mib << " MiB";
      previous = ms;
    }
    pf = load_platform(name);
    Placement p = compile(g, pf.chip);
    previous = 1e300;
    for (double mb_s : {10.0, 50.0, 200.0, 1000.0, 5000.0}) {
      pf.link.effective_mb_s = mb_s;
      double ms = cost(p, pf).latency_ms();
      EXPECT_LE(ms, previous + 1e-9) << name << " " << mb_s << " MB/s";
      previous = ms;
    }
  }
  // Random sub-ranges: every term and the energy are non-negative.
  Platform pf = load_platform("usb3-1x");
  SegmentCompiler sc(g, pf.chip);
  std::mt19937 rng(42);
  std::uniform_int_distribution<int32_t> pick(0, sc.num_ops() - 1);
  for (int i = 0; i < 200; ++i) {
    int32_t a = pick(rng), b = pick(rng);
    if (a > b) std::swap(a, b);
    Cost c = cost(sc.place(a, b + 1), pf);
    for (double v : {c.latency.compute_ms, c.latency.weights_ms, c.latency.instructions_ms,
                     c.latency.io_ms, c.latency.host_ms, c.latency.overhead_ms, c.energy.idle_mj,
                     c.energy.compute_mj, c.energy.transfer_mj, c.energy.host_mj})
      EXPECT_GE(v, 0.0);
    EXPECT_GT(c.latency_ms(), 0.0);
  }
}

INSTANTIATE_TEST_SUITE_P(Zoo, CostProperties,
                         ::testing::Values("inception_v1", "resnet50_v1", "mobilenet_v2",
                                           "ssd_mobilenet_v1"));

TEST(Energy, StaysWithinThePublishedEfficiency) {
  // 2 TOPS/W = 1 pJ per MAC for the whole chip; Horowitz's 45 nm int8 multiply + int32 add
  // (0.2 + 0.1 pJ) is the arithmetic floor the array energy cannot be below.
  for (const std::string& name : platform_names()) {
    Platform pf = load_platform(name);
    EXPECT_GE(pf.energy.mac_pj, 0.3) << name;
    EXPECT_LE(pf.energy.mac_pj + pf.energy.tpu_idle_w / peak_macs_per_second(pf.chip) * 1e12,
              1.0 + 1e-9)
        << name;
  }
  // A compute-bound model never does better than 2 TOPS/W.
  Platform pf = load_platform("pcie-1x");
  Placement p = compile(zoo::build_zoo_model("efficientnet_edgetpu_s"), pf.chip);
  Cost c = cost(p, pf);
  double ops_per_joule = 2.0 * static_cast<double>(p.macs) / (c.energy_mj() * 1e-3);
  EXPECT_LT(ops_per_joule, 2e12);
  EXPECT_GT(ops_per_joule, 1e10);
}

TEST(ModelSwitch, MobileNetV2ReloadMatchesTheObservedCost) {
  TPULAB_REQUIRE_SHARED();
  Graph g = read_tflite(
      (testing::shared_dir() / "models" / "mobilenet_v2_1.0_224_quant.tflite").string());
  Platform pf = load_platform("pcie-1x");
  double ms = model_switch_ms(compile(g, pf.chip), pf);
  // Seed study: 9 to 15 ms to reload a model; first inference 11.3 ms vs 2.4 ms (edgetpu.md).
  EXPECT_GE(ms, 8.0);
  EXPECT_LE(ms, 15.0);
}

TEST(Simulate, PipelinesOnTheEightTpuBoard) {
  Graph g = zoo::build_zoo_model("inception_v4");
  Platform one = load_platform("pcie-1x");
  Platform board = load_platform("asus-8x-pcie");
  EXPECT_EQ(board.tpus, 8);
  Simulation single = simulate(g, partition::split_by_parameters(g, 1), one);
  Simulation eight = simulate(g, partition::split_by_parameters(g, 8), board);
  ASSERT_EQ(eight.costs.size(), 8u);
  // Eight TPUs cache what one must stream: far more throughput.
  EXPECT_GT(eight.throughput_ips, 4 * single.throughput_ips);
  EXPECT_NEAR(single.throughput_ips, 1e3 / single.latency_ms, 1e-9);
  EXPECT_GE(eight.latency_ms, eight.bottleneck_ms);
  // A starved shared host link becomes the bottleneck.
  board.shared_link_mb_s = 5;
  Simulation starved = simulate(g, partition::split_by_parameters(g, 8), board);
  EXPECT_TRUE(starved.shared_link_bound);
  EXPECT_LT(starved.throughput_ips, eight.throughput_ips);
  // What the shared link carries per inference: each stage's streamed parameters, instructions,
  // inputs and outputs.
  int64_t link_bytes = 0;
  for (const Placement& p : starved.placements) {
    EXPECT_GT(p.instruction_bytes, 0);
    link_bytes += p.streamed_bytes + p.instruction_bytes + p.input_bytes + p.output_bytes;
  }
  EXPECT_NEAR(starved.shared_link_ms, static_cast<double>(link_bytes) / 5e6 * 1e3, 1e-9);
  EXPECT_THROW(simulate(g, partition::split_by_parameters(g, 2), one), UsageError);
  EXPECT_THROW(simulate(g, {}, one), UsageError);
}

}  // namespace
}  // namespace tpulab::device
