// The shared machinery of sources that sample on their own reader thread: the latest State
// behind a mutex, markers, sinks, failure hand-over to the caller's thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <stop_token>
#include <thread>

#include "power/source.h"

namespace tpulab::power {

// Sleeps up to `seconds`; returns false as soon as `stop` is requested (no sleep-polling).
bool sleep_unless_stopped(std::stop_token stop, double seconds);

class ThreadedSource : public PowerSource {
 public:
  ~ThreadedSource() override;
  ThreadedSource(const ThreadedSource&) = delete;
  ThreadedSource& operator=(const ThreadedSource&) = delete;

  const SourceInfo& info() const override { return info_; }
  void add_sink(std::shared_ptr<SampleSink> sink) override;
  void start() override;
  void stop() override;
  State read() override;
  void mark(char label) override;
  std::vector<Marker> markers() const override;
  SourceStats stats() const override;
  bool finished() const override;
  bool wait_for_samples(uint64_t count, double timeout_s) override;

 protected:
  // device_marks: markers come back from the device in the stream (PowerSensor3); otherwise a
  // label is attached to the next sample published.
  ThreadedSource(SourceInfo info, bool device_marks);

  // The reader thread's body: sample until `stop` is requested, calling publish() per sample.
  // Throwing fails the source (read() rethrows); returning early ends the stream.
  virtual void run(std::stop_token stop) = 0;
  // Hooks on the caller's thread: before the reader starts, when it is asked to stop (before
  // the join), after it has been joined, and when a marker is requested.
  virtual void before_start() {}
  virtual void on_stop_requested() {}
  virtual void after_stop() {}
  virtual void on_mark(char /*label*/) {}
  // Derived counters (decoder statistics); called under no lock, must be thread-safe.
  virtual void add_stats(SourceStats& /*stats*/) const {}

  // Reader thread only. `device_marked`: the device flagged this sample.
  void publish(double time_s, int device_timestamp, bool device_marked,
               std::span<const ChannelState> channels);
  // Reader thread: a finite source reached its end.
  void set_finished();
  // Derived destructors must call this first: run() must not outlive the derived object.
  void shutdown() noexcept;
  bool running() const;
  // Derived constructors describe the channels once the device has told them (not running).
  void set_info(SourceInfo info);

  SourceInfo info_;

 private:
  const bool device_marks_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  State latest_;
  std::vector<Marker> markers_;
  std::deque<char> pending_labels_;
  uint64_t unexpected_markers_ = 0;
  std::exception_ptr error_;
  bool finished_ = false;
  bool ended_ = false;  // the reader thread returned
  std::vector<std::shared_ptr<SampleSink>> sinks_;
  std::jthread thread_;
};

}  // namespace tpulab::power
