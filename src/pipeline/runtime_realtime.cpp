// The realtime clock: one PipelinedRunner per pipeline on wall time, a generator thread per model
// pushing requests, and a collector thread per pipeline popping results.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "pipeline/pipelined_runner.h"
#include "pipeline/runtime_tally.h"
#include "pipeline/shared_link.h"

namespace tpulab::pipeline::detail {

namespace {

class RealtimeRun {
 public:
  RealtimeRun(System& system, const Workload& workload, const RunOptions& opts)
      : sys_(system),
        workload_(workload),
        opts_(opts),
        dispatcher_(system, opts.dispatch),
        tally_(system.models.size(), workload.requests) {
    if (system.platform.shared_link_mb_s > 0)
      link_ = std::make_unique<SharedLink>(system.platform.shared_link_mb_s);
    const size_t models = sys_.models.size();
    model_in_flight_.assign(models, 0);
    in_flight_.assign(sys_.pipelines.size(), 0);
    sequences_.resize(sys_.pipelines.size());
    total_ = workload_.requests * static_cast<int64_t>(models);
    for (const Pipeline& pipe : sys_.pipelines) {
      RunnerOptions ro;
      ro.queue_size = opts_.queue_size;
      ro.clock = &clock_;
      ro.shared_link = link_.get();
      ro.outputs = pipe.routing.output_names;
      runners_.push_back(std::make_unique<PipelinedRunner>(pipe.stages, ro));
    }
  }

  Tally run() {
    std::vector<std::thread> collectors, generators;
    for (size_t p = 0; p < runners_.size(); ++p) collectors.emplace_back([this, p] { collect(p); });
    for (size_t m = 0; m < sys_.models.size(); ++m)
      generators.emplace_back([this, m] { generate(m); });
    for (std::thread& g : generators) g.join();
    // Every request is pushed (or the run failed): shut each pipeline down behind them.
    for (auto& r : runners_) {
      try {
        r->push({});
      } catch (...) {
        record_error(std::current_exception());
      }
    }
    for (std::thread& c : collectors) c.join();
    if (error_) std::rethrow_exception(error_);

    tally_.devices.resize(sys_.devices.size());
    for (size_t d = 0; d < sys_.devices.size(); ++d)
      tally_.devices[d].name = sys_.devices[d]->name();
    for (size_t p = 0; p < runners_.size(); ++p) {
      const auto stats = runners_[p]->stats();
      for (size_t s = 0; s < stats.size(); ++s) {
        DeviceReport& d = tally_.devices[sys_.pipelines[p].devices[s]];
        d.invokes += stats[s].count;
        d.busy_ms += stats[s].busy_ms;
        d.switches += stats[s].switches;
        d.switch_ms += stats[s].switch_ms;
        d.energy_mj += stats[s].energy_mj;
        tally_.invocations += stats[s].count;
      }
    }
    if (link_) tally_.link_busy_ms = link_->busy_ms();
    return std::move(tally_);
  }

 private:
  void record_error(std::exception_ptr e) {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = e;
    failed_ = true;
    cv_.notify_all();
  }

  void generate(size_t m) {
    try {
      const bool closed = workload_.kind == LoadKind::kClosed;
      std::optional<Arrivals> arrivals;
      if (!closed) arrivals.emplace(workload_, m);
      const int limit = closed ? closed_loop_in_flight(sys_, workload_, m) : 0;
      for (int64_t i = 0; i < workload_.requests; ++i) {
        if (closed) {
          std::unique_lock lock(mutex_);
          cv_.wait(lock, [&] { return failed_ || model_in_flight_[m] < limit; });
        } else {
          clock_.hold_until(arrivals->next());
        }
        TensorMap inputs = request_input(sys_, opts_, m, static_cast<uint64_t>(i));
        size_t p = 0;
        {
          std::lock_guard lock(mutex_);
          if (failed_) return;
          p = dispatcher_.pick(m, in_flight_);
          ++in_flight_[p];
          ++model_in_flight_[m];
        }
        {
          // The runner returns results in push order; this remembers whose they are.
          std::lock_guard lock(sequence_mutex_);
          sequences_[p].push_back(static_cast<uint64_t>(i));
        }
        runners_[p]->push(std::move(inputs));
      }
    } catch (...) {
      record_error(std::current_exception());
    }
  }

  void collect(size_t p) {
    const size_t m = sys_.pipelines[p].model;
    try {
      while (auto out = runners_[p]->pop()) {
        uint64_t sequence = 0;
        {
          std::lock_guard lock(sequence_mutex_);
          sequence = sequences_[p].front();
          sequences_[p].pop_front();
        }
        std::lock_guard lock(mutex_);
        tally_.complete(m, out->latency_ms(), out->done_ms);
        --in_flight_[p];
        --model_in_flight_[m];
        ++done_;
        if (opts_.on_output && !sys_.timing_only)
          opts_.on_output(m, sequence, std::move(out->tensors));
        if (opts_.on_progress &&
            (done_ % std::max<int64_t>(1, total_ / 100) == 0 || done_ == total_))
          opts_.on_progress(done_, total_);
        cv_.notify_all();
      }
    } catch (...) {
      record_error(std::current_exception());
    }
  }

  System& sys_;
  const Workload& workload_;
  const RunOptions& opts_;
  Dispatcher dispatcher_;
  RealtimeClock clock_;  // epoch: the start of the run
  std::unique_ptr<SharedLink> link_;
  std::vector<std::unique_ptr<PipelinedRunner>> runners_;

  std::mutex mutex_;  // everything below, and the tally
  std::condition_variable cv_;
  std::vector<int64_t> in_flight_;        // per pipeline
  std::vector<int64_t> model_in_flight_;  // per model
  int64_t done_ = 0, total_ = 0;
  bool failed_ = false;
  std::exception_ptr error_;
  Tally tally_;

  std::mutex sequence_mutex_;
  std::vector<std::deque<uint64_t>> sequences_;  // per pipeline: model sequence of each push
};

}  // namespace

Tally run_realtime(System& system, const Workload& workload, const RunOptions& opts) {
  return RealtimeRun(system, workload, opts).run();
}

}  // namespace tpulab::pipeline::detail
