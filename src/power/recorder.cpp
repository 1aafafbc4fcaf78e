#include "power/recorder.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "common/error.h"

extern char** environ;

namespace tpulab::power {

namespace {

using Clock = std::chrono::steady_clock;

class Child {
 public:
  explicit Child(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int err = posix_spawnp(&pid_, args[0], nullptr, nullptr, args.data(), environ);
    if (err != 0)
      throw UsageError("cannot run the command: " + std::string(std::strerror(err)), argv[0]);
  }
  ~Child() {
    if (pid_ > 0) {
      // The recording failed while the command ran: do not leave it running unmeasured.
      ::kill(pid_, SIGTERM);
      wait_blocking(std::chrono::seconds(5));
      if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        wait_blocking(std::chrono::seconds(5));
      }
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Returns true once the child has exited (status() then valid).
  bool poll() {
    if (pid_ <= 0) return true;
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      pid_ = -1;
      return true;
    }
    return false;
  }
  void signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
  }
  void wait_blocking(std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (!poll() && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  int status() const { return status_; }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
};

// Passes the first `limit` samples (every sample without one) to the trace file and the trace in
// memory, and keeps what the result says of them. Fed on the source's reader thread; read once
// the source has stopped (taken() at any time).
class RecordingSink final : public SampleSink {
 public:
  RecordingSink(std::shared_ptr<TraceWriter> writer, std::unique_ptr<TraceCollector> collector,
                uint64_t limit)
      : writer_(std::move(writer)), collector_(std::move(collector)), limit_(limit) {}

  void on_sample(const Sample& s) override {
    const uint64_t count = taken_.load(std::memory_order_relaxed);
    if (limit_ > 0 && count >= limit_) return;
    if (writer_) writer_->on_sample(s);
    if (collector_) collector_->on_sample(s);
    const double power = s.power_w();
    if (count == 0) {
      peak_w_ = power;
      first_.time_s = s.time_s;
      first_.samples = 1;
      first_.channels.assign(s.channels.begin(), s.channels.end());
    }
    peak_w_ = std::max(peak_w_, power);
    if (limit_ > 0) {
      last_.time_s = s.time_s;
      last_.samples = s.index + 1;
      last_.channels.assign(s.channels.begin(), s.channels.end());
    }
    taken_.store(count + 1, std::memory_order_release);
  }
  void on_end(const std::string& error) override {
    if (writer_) writer_->on_end(error);
  }

  uint64_t taken() const { return taken_.load(std::memory_order_acquire); }
  TraceWriter* writer() const { return writer_.get(); }
  TraceCollector* collector() const { return collector_.get(); }
  const State& first() const { return first_; }
  const State& last() const { return last_; }  // with a limit only
  double peak_w() const { return peak_w_; }

 private:
  std::shared_ptr<TraceWriter> writer_;
  std::unique_ptr<TraceCollector> collector_;
  uint64_t limit_;
  std::atomic<uint64_t> taken_{0};
  State first_, last_;
  double peak_w_ = 0;
};

// Records into `sink` (a sink of `source`); record() handles the failures.
RecordResult record_into(PowerSource& source, const RecordOptions& options, RecordingSink& sink) {
  RecordResult result;
  source.start();
  if (!source.wait_for_samples(1, options.source_timeout_s)) {
    source.read();  // rethrows the source's own error if it has one
    throw IoError("no samples within " + std::to_string(options.source_timeout_s) + " s",
                  source.info().where);
  }
  result.first = source.read();

  std::optional<Child> child;
  const size_t earlier_markers = source.markers().size();
  if (!options.command.empty()) {
    source.mark('B');
    // The command starts once its 'B' is on a sample; a quick command would otherwise ask for
    // 'E' before the device marked 'B', and a PowerSensor merges the two into one marked frame.
    wait_for_marker(source, 'B', earlier_markers, options.source_timeout_s);
    child.emplace(options.command);
  }
  const auto start = Clock::now();
  auto next_progress = start;
  bool interrupted = false;
  while (true) {
    const State now = source.read();  // throws once the source has failed
    if (options.progress && Clock::now() >= next_progress) {
      options.progress(now, source.stats());
      next_progress = deadline_after(options.progress_interval_s);
    }
    if (options.interrupt && options.interrupt->load()) {
      interrupted = true;
      result.ended_by = "interrupt";
      break;
    }
    if (child && child->poll()) {
      result.ended_by = "command";
      break;
    }
    if (options.max_samples > 0 && sink.taken() >= options.max_samples) {
      result.ended_by = "samples";
      break;
    }
    if (options.duration_s > 0 &&
        std::chrono::duration<double>(Clock::now() - start).count() >= options.duration_s) {
      result.ended_by = "duration";
      break;
    }
    if (source.finished()) {
      result.ended_by = "end of source";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (child) {
    if (interrupted) {
      // A terminal's Ctrl-C reaches the whole process group, but `kill -INT` only us.
      child->signal(SIGINT);
      child->wait_blocking(std::chrono::seconds(5));
      child->signal(SIGKILL);
      child->wait_blocking(std::chrono::seconds(5));
    }
    result.command_status = child->status();
    child.reset();
    source.mark('E');
    wait_for_marker(source, 'E', earlier_markers, options.source_timeout_s);
  }
  source.stop();
  source.read();  // a failure while stopping is still a failure
  if (sink.writer()) sink.writer()->close();
  const bool limited = options.max_samples > 0 && sink.taken() >= options.max_samples;
  result.last = limited ? sink.last() : source.read();
  // The trace's first sample, not the first read: a fast source may be a few samples on.
  if (sink.taken() > 0) result.first = sink.first();
  result.stats = source.stats();
  result.markers = source.markers();
  // Markers on samples past the limit are not in the trace.
  if (limited)
    std::erase_if(result.markers, [&](const Marker& m) { return m.sample >= result.last.samples; });
  result.intervals = intervals_between(result.markers);
  result.peak_power_w = sink.peak_w();
  result.samples_written = sink.taken();
  if (sink.collector()) result.trace = sink.collector()->take();
  return result;
}

}  // namespace

RecordResult record(PowerSource& source, const RecordOptions& options) {
  if (options.out.empty() && !options.keep_samples)
    throw UsageError("no trace file given", "record");
  check_option(options.duration_s, 0, kMaxDurationS, false, "duration_s", "record");
  check_option(options.progress_interval_s, 0, kMaxTimeoutS, true, "progress_interval_s", "record");
  check_option(options.source_timeout_s, 0, kMaxTimeoutS, true, "source_timeout_s", "record");
  std::shared_ptr<TraceWriter> writer;
  if (!options.out.empty())
    writer = std::make_shared<TraceWriter>(options.out, source.info(),
                                           options.format.value_or(trace_format_for(options.out)));
  auto sink = std::make_shared<RecordingSink>(
      writer, options.keep_samples ? std::make_unique<TraceCollector>(source.info()) : nullptr,
      options.max_samples);
  source.add_sink(sink);
  try {
    return record_into(source, options, *sink);
  } catch (const Error& e) {
    // The reader is joined and the samples so far become the trace; unless the trace itself
    // is what failed (its errors name it), in which case nothing is left of it.
    source.stop();
    if (!writer || e.where() == options.out) throw;
    try {
      writer->close();
    } catch (const Error& close_error) {
      throw IoError(e.problem() + " (" + e.where() +
                        "); the trace could not be written either: " + close_error.problem(),
                    options.out);
    }
    throw;
  } catch (...) {
    source.stop();
    throw;  // the writer's destructor keeps what was recorded
  }
}

nlohmann::json to_json(const RecordResult& r, const SourceInfo& source) {
  const double secs = seconds(r.first, r.last);
  const double total_j = joules(r.first, r.last);
  nlohmann::json j;
  j["source"] = {{"kind", source.kind}, {"where", source.where}, {"detail", source.detail}};
  j["ended_by"] = r.ended_by;
  j["samples"] = r.samples_written;
  j["seconds"] = secs;
  j["joules"] = total_j;
  j["average_watts"] = secs > 0 ? total_j / secs : 0.0;
  j["peak_watts"] = r.peak_power_w;
  nlohmann::json channels = nlohmann::json::array();
  for (size_t c = 0; c < source.channels.size(); ++c)
    channels.push_back({{"name", source.channels[c].name},
                        {"joules", joules(r.first, r.last, static_cast<int>(c))},
                        {"average_watts", watts(r.first, r.last, static_cast<int>(c))}});
  j["channels"] = channels;
  j["between_markers"] = to_json(r.intervals);
  j["skipped_bytes"] = r.stats.skipped_bytes;
  j["discarded_frames"] = r.stats.discarded_frames;
  if (r.command_status >= 0) j["command_status"] = r.command_status;
  return j;
}

}  // namespace tpulab::power
