// PipelinedRunner mechanics on scripted devices: order, skip tensors, shutdown, errors,
// back-pressure.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "common/error.h"
#include "pipeline/fake_devices.h"
#include "pipeline/pipelined_runner.h"

namespace tpulab::pipeline {
namespace {

using testing::FakeDevice;
using testing::Gate;

TensorMap one(const std::string& name, uint8_t value) { return {{name, Bytes{value}}}; }

RunnerOptions input_queue_of_one() {
  RunnerOptions o;
  o.input_queue_size = 1;
  return o;
}

TEST(PipelinedRunner, ResultsComeInPushOrderAndShutdownEndsPop) {
  FakeDevice a("a", {"x"}, {"h"}), b("b", {"h"}, {"y"});
  PipelinedRunner runner({{&a, 0}, {&b, 0}});
  EXPECT_EQ(runner.input_names(), std::vector<std::string>{"x"});
  EXPECT_EQ(runner.output_names(), std::vector<std::string>{"y"});
  std::thread producer([&] {
    for (int i = 0; i < 200; ++i) runner.push(one("x", static_cast<uint8_t>(i)));
    runner.push({});
  });
  int n = 0;
  while (auto out = runner.pop()) {
    EXPECT_EQ(out->sequence, static_cast<uint64_t>(n));
    // x -> h = [x, 0] -> y = [x, 0, 0]; only y comes out.
    ASSERT_EQ(out->tensors.size(), 1u);
    EXPECT_EQ(out->tensors.at("y"), (Bytes{static_cast<uint8_t>(n), 0, 0}));
    ++n;
  }
  producer.join();
  EXPECT_EQ(n, 200);
  EXPECT_FALSE(runner.pop().has_value());
  EXPECT_THROW(runner.push(one("x", 1)), UsageError);
  auto stats = runner.stats();
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].count, 200);
  EXPECT_EQ(stats[1].count, 200);
  EXPECT_EQ(stats[0].device, "a");
}

TEST(PipelinedRunner, SkipTensorsRideAlongAndAreDroppedAfterTheirLastReader) {
  // x feeds stages 0 and 2 (a skip over stage 1); h is dead after stage 1.
  FakeDevice a("a", {"x"}, {"h"}), b("b", {"h"}, {"g"}), c("c", {"x", "g"}, {"y"});
  PipelinedRunner runner({{&a, 0}, {&b, 0}, {&c, 0}});
  runner.push(one("x", 7));
  runner.push({});
  auto out = runner.pop();
  ASSERT_TRUE(out);
  EXPECT_FALSE(runner.pop());
  // g = [7, 0, 0]; y = x ++ g ++ [0].
  EXPECT_EQ(out->tensors.at("y"), (Bytes{7, 7, 0, 0, 0}));
  EXPECT_EQ(out->tensors.size(), 1u);
  EXPECT_EQ(b.seen.at(0), (std::vector<std::string>{"h", "x"}));
  EXPECT_EQ(c.seen.at(0), (std::vector<std::string>{"g", "x"}));  // h already dropped
}

TEST(PipelinedRunner, MissingInputIsRejectedWithoutStoppingThePipeline) {
  FakeDevice a("a", {"x"}, {"y"});
  PipelinedRunner runner({{&a, 0}});
  EXPECT_THROW(runner.push(one("z", 1)), UsageError);
  runner.push(one("x", 3));
  runner.push({});
  auto out = runner.pop();
  ASSERT_TRUE(out);
  EXPECT_EQ(out->tensors.at("y"), (Bytes{3, 0}));
}

TEST(PipelinedRunner, FailingStageSurfacesAtPopAndNothingDeadlocks) {
  FakeDevice a("a", {"x"}, {"h"}), b("b", {"h"}, {"g"}), c("c", {"g"}, {"y"});
  b.before_invoke = [](int64_t call) {
    if (call == 5) throw std::runtime_error("stage b broke");
  };
  PipelinedRunner runner({{&a, 0}, {&b, 0}, {&c, 0}}, input_queue_of_one());
  // The producer keeps pushing; once b fails its push must throw instead of blocking forever.
  std::atomic<bool> producer_saw_error{false};
  std::thread producer([&] {
    try {
      for (int i = 0; i < 1000; ++i) runner.push(one("x", static_cast<uint8_t>(i)));
      runner.push({});
    } catch (const std::runtime_error& e) {
      producer_saw_error = std::string(e.what()) == "stage b broke";
    }
  });
  int popped = 0;
  try {
    while (auto out = runner.pop()) {
      EXPECT_EQ(out->sequence, static_cast<uint64_t>(popped));
      ++popped;
    }
    ADD_FAILURE() << "pop ended without the stage's error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "stage b broke");
  }
  producer.join();
  EXPECT_TRUE(producer_saw_error);
  EXPECT_EQ(popped, 5);  // everything b finished before failing still comes out
  EXPECT_THROW(runner.pop(), std::runtime_error);  // and the error stays
}

TEST(PipelinedRunner, DestroyingARunningPipelineJoinsItsWorkers) {
  FakeDevice a("a", {"x"}, {"h"}), b("b", {"h"}, {"y"});
  {
    PipelinedRunner runner({{&a, 0}, {&b, 0}});
    for (int i = 0; i < 10; ++i) runner.push(one("x", 1));
    // No shutdown, no pop: the destructor must not hang.
  }
  SUCCEED();
}

TEST(PipelinedRunner, StopEndsAPopBlockedOnAnotherThread) {
  Gate gate;
  FakeDevice a("a", {"x"}, {"h"}), b("b", {"h"}, {"y"});
  a.before_invoke = [&](int64_t) { gate.wait(); };
  PipelinedRunner runner({{&a, 0}, {&b, 0}});
  runner.push(one("x", 0));
  std::atomic<bool> popped{false};
  std::thread consumer([&] {
    // Stage a is stuck, so nothing can come out: only stop() ends this wait.
    EXPECT_THROW(runner.pop(), UsageError);
    popped = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(popped);
  runner.stop();
  consumer.join();
  EXPECT_TRUE(popped);
  EXPECT_THROW(runner.push(one("x", 1)), UsageError);
  gate.open();  // let stage a return so the destructor can join it
}

TEST(PipelinedRunner, FullQueuesBlockTheProducer) {
  // Stage a is stuck: it holds request 0, the size-1 queue before it holds request 1, so the
  // third push must wait until a moves on.
  Gate gate;
  FakeDevice a("a", {"x"}, {"h"}), b("b", {"h"}, {"y"});
  a.before_invoke = [&](int64_t) { gate.wait(); };
  PipelinedRunner runner({{&a, 0}, {&b, 0}}, input_queue_of_one());
  runner.push(one("x", 0));
  runner.push(one("x", 1));
  std::atomic<bool> third_pushed{false};
  std::thread producer([&] {
    runner.push(one("x", 2));
    third_pushed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(third_pushed);
  gate.open();
  producer.join();
  EXPECT_TRUE(third_pushed);
  runner.push({});
  int n = 0;
  while (runner.pop()) ++n;
  EXPECT_EQ(n, 3);
  const auto stats = runner.stats();
  EXPECT_GT(stats[1].wait_input_ms, 50.0);  // b idled while a was stuck
}

}  // namespace
}  // namespace tpulab::pipeline
