#include "power/threaded_source.h"

#include <chrono>

#include "common/error.h"

namespace tpulab::power {

bool sleep_unless_stopped(std::stop_token stop, double seconds) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  cv.wait_for(lock, stop, std::chrono::duration<double>(seconds), [] { return false; });
  return !stop.stop_requested();
}

ThreadedSource::ThreadedSource(SourceInfo info, bool device_marks)
    : info_(std::move(info)), device_marks_(device_marks) {
  latest_.channels.resize(info_.channels.size());
}

ThreadedSource::~ThreadedSource() { shutdown(); }

void ThreadedSource::shutdown() noexcept {
  try {
    stop();
  } catch (...) {
    // A destructor cannot report; the reader is joined either way.
  }
}

void ThreadedSource::add_sink(std::shared_ptr<SampleSink> sink) {
  if (thread_.joinable()) throw UsageError("add sinks before starting the source", info_.where);
  sinks_.push_back(std::move(sink));
}

bool ThreadedSource::running() const { return thread_.joinable(); }

void ThreadedSource::set_info(SourceInfo info) {
  if (thread_.joinable()) throw UsageError("cannot reconfigure a running source", info_.where);
  info_ = std::move(info);
  std::lock_guard lock(mu_);
  latest_.channels.resize(info_.channels.size());
}

void ThreadedSource::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    if (error_) std::rethrow_exception(error_);
    ended_ = false;
  }
  before_start();
  thread_ = std::jthread([this](std::stop_token stop_token) {
    std::exception_ptr error;
    try {
      run(stop_token);
    } catch (...) {
      error = std::current_exception();
    }
    std::string message;
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        message = e.what();
      } catch (...) {
        message = "unknown error";
      }
    }
    // Sinks flush before waiters wake, so a caller that sees the failure finds the trace
    // complete on disk.
    for (auto& sink : sinks_) {
      try {
        sink->on_end(message);
      } catch (...) {
        if (!error) error = std::current_exception();
      }
    }
    {
      std::lock_guard lock(mu_);
      if (error && !error_) error_ = error;
      ended_ = true;
    }
    cv_.notify_all();
  });
}

void ThreadedSource::stop() {
  if (!thread_.joinable()) return;
  try {
    on_stop_requested();
  } catch (...) {
    // The device may be gone already; the reader notices that by itself.
  }
  thread_.request_stop();
  thread_.join();
  after_stop();
}

State ThreadedSource::read() {
  std::lock_guard lock(mu_);
  if (error_) std::rethrow_exception(error_);
  return latest_;
}

void ThreadedSource::mark(char label) {
  if (!valid_marker_label(label))
    throw UsageError(std::string("invalid marker label '") + label +
                         "' (one printable character; not a space, ',', '\"' or 'S')",
                     info_.where);
  {
    std::lock_guard lock(mu_);
    if (error_) std::rethrow_exception(error_);
    // Queued before the device is asked, so the marked frame always finds its label.
    pending_labels_.push_back(label);
  }
  on_mark(label);
}

std::vector<Marker> ThreadedSource::markers() const {
  std::lock_guard lock(mu_);
  return markers_;
}

SourceStats ThreadedSource::stats() const {
  SourceStats s;
  {
    std::lock_guard lock(mu_);
    s.samples = latest_.samples;
    s.unexpected_markers = unexpected_markers_;
  }
  add_stats(s);
  return s;
}

bool ThreadedSource::finished() const {
  std::lock_guard lock(mu_);
  return finished_;
}

bool ThreadedSource::wait_for_samples(uint64_t count, double timeout_s) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::duration<double>(timeout_s),
               [&] { return latest_.samples >= count || error_ || ended_ || finished_; });
  return latest_.samples >= count;
}

void ThreadedSource::set_finished() {
  {
    std::lock_guard lock(mu_);
    finished_ = true;
  }
  cv_.notify_all();
}

void ThreadedSource::publish(double time_s, int device_timestamp, bool device_marked,
                             std::span<const ChannelState> channels) {
  Sample sample;
  {
    std::lock_guard lock(mu_);
    sample.index = latest_.samples;
    latest_.time_s = time_s;
    ++latest_.samples;
    latest_.channels.assign(channels.begin(), channels.end());
    char label = 0;
    if (device_marks_) {
      if (device_marked) {
        if (pending_labels_.empty()) {
          // A marker nobody asked for (another program, or a corrupt byte): keep it visible.
          label = '?';
          ++unexpected_markers_;
        } else {
          label = pending_labels_.front();
          pending_labels_.pop_front();
        }
      }
    } else if (!pending_labels_.empty()) {
      label = pending_labels_.front();
      pending_labels_.pop_front();
    }
    if (label != 0) markers_.push_back({label, sample.index, time_s, latest_.energy_j()});
    sample.marker = label;
  }
  cv_.notify_all();
  sample.time_s = time_s;
  sample.device_timestamp = device_timestamp;
  sample.channels = channels;
  for (auto& sink : sinks_) sink->on_sample(sample);
}

}  // namespace tpulab::power
