// Scripted devices for runner tests: named inputs/outputs without a model behind them.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "pipeline/device.h"

namespace tpulab::pipeline::testing {

// One segment reading `inputs` and writing `outputs`; each output is the concatenation of the
// inputs' bytes plus the output's index, so tests can trace data through the pipeline.
// `before_invoke` (optional) runs first on each invoke: tests make it throw or block.
class FakeDevice final : public Device {
 public:
  FakeDevice(std::string name, std::vector<std::string> inputs, std::vector<std::string> outputs)
      : name_(std::move(name)), inputs_(std::move(inputs)), outputs_(std::move(outputs)) {}

  std::function<void(int64_t call)> before_invoke;
  // Names of every tensor handed to each invoke (what rides along through this stage).
  std::vector<std::vector<std::string>> seen;

  SegmentHandle load(const Graph&, CachingToken, const std::string&) override { return 0; }
  InvokeResult invoke(SegmentHandle, const TensorMap& in) override {
    if (before_invoke) before_invoke(calls_);
    ++calls_;
    std::vector<std::string> names;
    for (const auto& kv : in) names.push_back(kv.first);
    seen.push_back(names);
    Bytes joined;
    for (const std::string& name : inputs_) {
      const Bytes& b = in.at(name);
      joined.insert(joined.end(), b.begin(), b.end());
    }
    InvokeResult r;
    for (size_t i = 0; i < outputs_.size(); ++i) {
      Bytes b = joined;
      b.push_back(static_cast<uint8_t>(i));
      r.outputs[outputs_[i]] = std::move(b);
    }
    return r;
  }
  const std::vector<std::string>& input_names(SegmentHandle) const override { return inputs_; }
  const std::vector<std::string>& output_names(SegmentHandle) const override { return outputs_; }
  std::string name() const override { return name_; }

 private:
  std::string name_;
  std::vector<std::string> inputs_, outputs_;
  int64_t calls_ = 0;
};

// A modeled device whose one segment takes a fixed time: `ms` per invoke, `idle_w` when idle,
// `energy_mj` per invoke. Outputs are `inputs`' first tensor copied (timing tests need no data).
class TimedDevice final : public Device {
 public:
  TimedDevice(std::string name, double ms, std::vector<std::string> inputs = {"x"},
              std::vector<std::string> outputs = {"y"})
      : name_(std::move(name)), ms_(ms), inputs_(std::move(inputs)), outputs_(std::move(outputs)) {}

  double idle_w = 0;
  double energy_mj = 0;
  int64_t fail_at_call = -1;  // throws std::runtime_error("timed device failed") on that call

  SegmentHandle load(const Graph&, CachingToken, const std::string&) override { return 0; }
  InvokeResult invoke(SegmentHandle s, const TensorMap& in) override {
    InvokeResult r;
    r.timing = invoke_timing(s);
    for (const std::string& o : outputs_) r.outputs[o] = in.at(inputs_.front());
    return r;
  }
  InvokeTiming invoke_timing(SegmentHandle) override {
    if (calls_++ == fail_at_call) throw std::runtime_error("timed device failed");
    InvokeTiming t;
    t.ms = ms_;
    t.modeled = true;
    t.energy_mj = energy_mj;
    return t;
  }
  double idle_power_w() const override { return idle_w; }
  const std::vector<std::string>& input_names(SegmentHandle) const override { return inputs_; }
  const std::vector<std::string>& output_names(SegmentHandle) const override { return outputs_; }
  std::string name() const override { return name_; }

 private:
  std::string name_;
  double ms_;
  std::vector<std::string> inputs_, outputs_;
  int64_t calls_ = 0;
};

// Blocks its callers until opened.
class Gate {
 public:
  void wait() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return open_; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

}  // namespace tpulab::pipeline::testing
