// The runtime's rules on devices with fixed, known times: throughput and latency of chains,
// back-pressure, dispatch, load generators, shared link, errors; both clocks agree.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <set>

#include "common/error.h"
#include "pipeline/fake_devices.h"
#include "pipeline/fixtures.h"
#include "pipeline/runtime.h"
#include "pipeline/shared_link.h"
#include "pipeline/timed_system.h"

namespace tpulab::pipeline {
namespace {

using testing::timed_system;
using testing::TimedDevice;

RunOptions on(ClockKind clock, Dispatch dispatch = Dispatch::kRoundRobin) {
  RunOptions o;
  o.clock = clock;
  o.dispatch = dispatch;
  return o;
}

TEST(VirtualRuntime, ChainRunsAtItsBottleneckAndOneRequestTakesTheSumOfStages) {
  System sys = timed_system({{2.0, 5.0, 1.0, 3.0}});
  const RunReport r = run(sys, closed(1000), on(ClockKind::kVirtual));
  EXPECT_EQ(r.requests, 1000);
  EXPECT_EQ(r.invocations, 4000);
  EXPECT_NEAR(r.throughput_ips, 200.0, 1e-6);  // 1 / 5 ms
  // Alone in the pipeline a request takes 11 ms; with 8 in flight it waits behind the others.
  const RunReport one = run(sys, closed(50, 1), on(ClockKind::kVirtual));
  EXPECT_DOUBLE_EQ(one.latency_ms.p50, 11.0);
  EXPECT_DOUBLE_EQ(one.latency_ms.max, 11.0);
  EXPECT_NEAR(one.throughput_ips, 1e3 / 11.0, 1e-6);
  // The bottleneck is always busy; the others idle in proportion.
  EXPECT_NEAR(r.devices[1].utilization, 1.0, 0.01);
  EXPECT_NEAR(r.devices[2].utilization, 0.2, 0.01);
}

TEST(VirtualRuntime, SizeOneQueuesHoldAFastStageBehindASlowOne) {
  // Stage 0 is fast and stage 1 slow: with size-1 queues, stage 0 can run at most two requests
  // ahead (one queued, one held), so a request waits ~ (in flight) x 10 ms in total.
  System sys = timed_system({{1.0, 10.0}});
  RunOptions o = on(ClockKind::kVirtual);
  const RunReport bounded = run(sys, closed(200, 20), o);
  o.queue_size = 0;  // unbounded: the same throughput, the same latency (closed loop)
  const RunReport unbounded = run(sys, closed(200, 20), o);
  EXPECT_NEAR(bounded.throughput_ips, 100.0, 1e-6);
  EXPECT_NEAR(unbounded.throughput_ips, 100.0, 1e-6);
  // Stage 0 is blocked most of the time when bounded; never when unbounded.
  EXPECT_NEAR(bounded.devices[0].utilization, 0.1, 0.01);
  EXPECT_NEAR(bounded.latency_ms.p50, 200.0, 11.0);
}

TEST(VirtualRuntime, ReplicasMultiplyThroughputAndDispatchSpreadsRequests) {
  System sys = timed_system({{4.0, 4.0}, {4.0, 4.0}, {4.0, 4.0}});
  const RunReport r = run(sys, closed(3000), on(ClockKind::kVirtual));
  EXPECT_NEAR(r.throughput_ips, 750.0, 1e-6);
  for (const DeviceReport& d : r.devices) EXPECT_EQ(d.invokes, 1000);
}

TEST(VirtualRuntime, LeastLoadedDispatchFavoursTheFasterPipeline) {
  // One fast and one slow replica under an open load the fast one alone cannot carry.
  System sys = timed_system({{1.0}, {8.0}});
  Workload w;
  w.kind = LoadKind::kPoisson;
  w.rate_ips = 900;
  w.requests = 20000;
  const RunReport rr = run(sys, w, on(ClockKind::kVirtual, Dispatch::kRoundRobin));
  const RunReport ll = run(sys, w, on(ClockKind::kVirtual, Dispatch::kLeastLoaded));
  // Round-robin sends half to the slow replica (500/s > its 125/s): its queue grows without bound.
  EXPECT_EQ(rr.devices[1].invokes, 10000);
  EXPECT_GT(ll.devices[0].invokes, 15000);
  EXPECT_LT(ll.latency_ms.p99 * 10, rr.latency_ms.p99);
  EXPECT_NEAR(ll.throughput_ips, 900, 30);
}

TEST(VirtualRuntime, LoadGeneratorsShapeArrivals) {
  System sys = timed_system({{2.0, 2.0}});
  Workload periodic;
  periodic.kind = LoadKind::kPeriodic;
  periodic.rate_ips = 100;  // well under the 500/s capacity: nobody waits
  periodic.requests = 500;
  const RunReport p = run(sys, periodic, on(ClockKind::kVirtual));
  EXPECT_NEAR(p.throughput_ips, 100.0, 1e-6);
  EXPECT_DOUBLE_EQ(p.latency_ms.p99, 4.0);
  EXPECT_NEAR(p.devices[0].utilization, 0.2, 0.001);

  Workload poisson = periodic;
  poisson.kind = LoadKind::kPoisson;
  poisson.requests = 20000;
  const auto t = arrival_times(poisson, 0);
  ASSERT_EQ(t.size(), 20000u);
  const double mean_gap = t.back() / static_cast<double>(t.size() - 1);
  EXPECT_NEAR(mean_gap, 10.0, 0.3);
  double var = 0;
  for (size_t i = 1; i < t.size(); ++i) var += std::pow(t[i] - t[i - 1] - mean_gap, 2);
  EXPECT_NEAR(std::sqrt(var / static_cast<double>(t.size() - 2)), 10.0, 0.5);  // exponential
  EXPECT_NE(arrival_times(poisson, 1), t);  // each model its own stream
  EXPECT_EQ(arrival_times(poisson, 0), t);  // reproducible
  const RunReport r = run(sys, poisson, on(ClockKind::kVirtual));
  EXPECT_NEAR(r.throughput_ips, 100.0, 3.0);
  EXPECT_GT(r.latency_ms.p99, 4.0);  // bursts queue
  EXPECT_DOUBLE_EQ(r.latency_ms.p50, 4.0);
}

TEST(VirtualRuntime, EnergyCountsInvokesAndIdleTime) {
  System sys = timed_system({{2.0, 4.0}});
  for (auto& d : sys.devices) {
    auto& t = dynamic_cast<TimedDevice&>(*d);
    t.idle_w = 0.5;
    t.energy_mj = 3.0;
  }
  const RunReport r = run(sys, closed(100), on(ClockKind::kVirtual));
  // Stage 0 busy 100 x 2 ms of a ~402 ms run; idle the rest at 0.5 W.
  const double duration = r.duration_ms;
  EXPECT_NEAR(duration, 2.0 + 100 * 4.0, 1e-9);
  EXPECT_NEAR(r.devices[0].energy_mj, 300.0 + 0.5 * (duration - 200.0), 1e-9);
  EXPECT_NEAR(r.devices[1].energy_mj, 300.0 + 0.5 * (duration - 400.0), 1e-9);
  EXPECT_NEAR(r.energy_per_inference_mj, r.energy_mj / 100.0, 1e-12);
}

TEST(VirtualRuntime, DevicesSharedByTwoPipelinesServeOneInvokeAtATime) {
  // Two one-stage pipelines on the same device: together they run at the device's rate.
  System sys = timed_system({{5.0}});
  Pipeline second = sys.pipelines[0];
  sys.pipelines.push_back(second);
  const RunReport r = run(sys, closed(1000), on(ClockKind::kVirtual));
  EXPECT_NEAR(r.throughput_ips, 200.0, 1e-6);
  EXPECT_NEAR(r.devices[0].utilization, 1.0, 1e-3);
}

TEST(VirtualRuntime, TimingOnlySoakLosesNothing) {
  System sys = timed_system({{0.3, 0.5, 0.2}, {0.3, 0.5, 0.2}});
  Workload w;
  w.kind = LoadKind::kPoisson;
  w.rate_ips = 3000;
  w.requests = 100000;
  const RunReport r = run(sys, w, on(ClockKind::kVirtual, Dispatch::kLeastLoaded));
  EXPECT_EQ(r.requests, 100000);
  EXPECT_EQ(r.invocations, 300000);
  int64_t invokes = 0;
  for (const DeviceReport& d : r.devices) invokes += d.invokes;
  EXPECT_EQ(invokes, 300000);
}

TEST(VirtualRuntime, OutputsArriveOncePerRequest) {
  System sys = timed_system({{1.0, 3.0}, {2.0, 1.0}});
  sys.timing_only = false;
  std::set<uint64_t> seen;
  int64_t wrong = 0;
  RunOptions o = on(ClockKind::kVirtual, Dispatch::kLeastLoaded);
  o.make_input = [](size_t, uint64_t seq) {
    return TensorMap{{"t0", Bytes{static_cast<uint8_t>(seq), static_cast<uint8_t>(seq >> 8)}}};
  };
  o.on_output = [&](size_t, uint64_t seq, TensorMap&& out) {
    seen.insert(seq);
    const Bytes& b = out.at("t2");
    if (b != Bytes{static_cast<uint8_t>(seq), static_cast<uint8_t>(seq >> 8)}) ++wrong;
  };
  run(sys, closed(3000), o);
  EXPECT_EQ(seen.size(), 3000u);
  EXPECT_EQ(*seen.rbegin(), 2999u);
  EXPECT_EQ(wrong, 0);
}

TEST(SharedLink, TransfersQueueFirstComeFirstServed) {
  SharedLink link(1000);  // 1000 MB/s = 1e6 bytes per ms
  EXPECT_DOUBLE_EQ(link.transfer(0, 1'000'000), 1.0);
  EXPECT_DOUBLE_EQ(link.transfer(0.5, 1'000'000), 2.0);  // waits for the first
  EXPECT_DOUBLE_EQ(link.transfer(5, 500'000), 5.5);      // idle link: starts at once
  EXPECT_DOUBLE_EQ(link.busy_ms(), 2.5);
  InvokeTiming t;
  t.ms = 3;
  t.link_bytes = 1'000'000;
  EXPECT_DOUBLE_EQ(invoke_end_ms(10, t, &link), 13.0);  // the device is slower than the link
  EXPECT_DOUBLE_EQ(invoke_end_ms(10, t, nullptr), 13.0);
  t.ms = 0.1;
  EXPECT_DOUBLE_EQ(invoke_end_ms(10.2, t, &link), 12.0);  // waits for the transfer at 10
  EXPECT_THROW(SharedLink(0), UsageError);
}

TEST(Runtime, AFailingStageStopsTheRunWithItsError) {
  for (ClockKind clock : {ClockKind::kVirtual, ClockKind::kRealtime}) {
    SCOPED_TRACE(clock_kind_name(clock));
    System sys = timed_system({{0.2, 0.2}, {0.2, 0.2}});
    dynamic_cast<TimedDevice&>(*sys.devices[3]).fail_at_call = 7;
    try {
      run(sys, closed(200), on(clock));
      ADD_FAILURE() << "no error";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "timed device failed");
    }
  }
}

TEST(Runtime, BadWorkloadsAreUsageErrors) {
  System sys = timed_system({{1.0}});
  Workload w = closed(0);
  EXPECT_THROW(run(sys, w, on(ClockKind::kVirtual)), UsageError);
  w = closed(10);
  w.kind = LoadKind::kPoisson;  // no rate
  EXPECT_THROW(run(sys, w, on(ClockKind::kVirtual)), UsageError);
  EXPECT_THROW(parse_load_kind("bursty"), UsageError);
  EXPECT_THROW(parse_clock_kind("sundial"), UsageError);
  EXPECT_THROW(parse_dispatch("random"), UsageError);
}

TEST(Runtime, LatencyPercentilesUseNearestRank) {
  std::vector<double> v(100);
  std::iota(v.begin(), v.end(), 1.0);  // 1..100
  const LatencySummary s = summarize_latencies(v);
  EXPECT_DOUBLE_EQ(s.p50, 50);
  EXPECT_DOUBLE_EQ(s.p90, 90);
  EXPECT_DOUBLE_EQ(s.p99, 99);
  EXPECT_DOUBLE_EQ(s.max, 100);
  EXPECT_DOUBLE_EQ(s.mean, 50.5);
}

}  // namespace
}  // namespace tpulab::pipeline
