#include "pipeline/pipelined_runner.h"

#include "common/error.h"

namespace tpulab::pipeline {

PipelinedRunner::PipelinedRunner(std::vector<StageBinding> stages, RunnerOptions opts)
    : stages_(std::move(stages)),
      clock_(opts.clock ? opts.clock : &realtime_clock()),
      shared_link_(opts.shared_link),
      routing_(route(stages_, opts.outputs)) {
  queues_.push_back(std::make_unique<Queue>(opts.input_queue_size));
  for (size_t s = 1; s < stages_.size(); ++s)
    queues_.push_back(std::make_unique<Queue>(opts.queue_size));
  queues_.push_back(std::make_unique<Queue>(opts.output_queue_size));

  stats_.resize(stages_.size());
  for (size_t s = 0; s < stages_.size(); ++s) stats_[s].device = stages_[s].device->name();
  workers_.reserve(stages_.size());
  for (size_t s = 0; s < stages_.size(); ++s) workers_.emplace_back([this, s] { work(s); });
}

void PipelinedRunner::stop() { stop_all(); }

PipelinedRunner::~PipelinedRunner() {
  stop_all();
  for (std::thread& w : workers_) w.join();
}

void PipelinedRunner::stop_all() {
  stopping_ = true;
  for (auto& q : queues_) q->close();
}

void PipelinedRunner::fail(size_t stage, std::exception_ptr error) {
  {
    std::lock_guard lock(error_mutex_);
    if (!error_) error_ = std::move(error);
  }
  failed_ = true;
  // Upstream can never drain into this stage again: wake and stop it. Downstream keeps going
  // until the failure marker reaches it.
  for (size_t q = 0; q <= stage; ++q) queues_[q]->close();
}

void PipelinedRunner::rethrow_error() {
  std::exception_ptr error;
  {
    std::lock_guard lock(error_mutex_);
    error = error_;
  }
  if (error) std::rethrow_exception(error);
  throw UsageError("the pipeline was stopped", "pipeline");
}

void PipelinedRunner::push(TensorMap inputs) {
  std::lock_guard lock(push_mutex_);
  if (failed_ || stopping_) rethrow_error();
  if (input_closed_) throw UsageError("push after the pipeline was shut down", "pipeline");
  Request r;
  r.pushed_ms = clock_->now_ms();
  if (inputs.empty()) {
    r.end = true;
    input_closed_ = true;
  } else {
    for (const std::string& name : routing_.input_names) {
      auto it = inputs.find(name);
      if (it == inputs.end())
        throw UsageError("missing input tensor '" + name + "'", "pipeline push");
      r.tensors.insert(inputs.extract(it));  // only what the stages read travels
    }
    r.sequence = next_sequence_++;
  }
  if (!queues_.front()->push(std::move(r))) rethrow_error();
}

std::optional<PipelineOutput> PipelinedRunner::pop() {
  if (output_failed_) rethrow_error();
  if (output_done_) return std::nullopt;
  std::optional<Request> r = queues_.back()->pop();
  if (!r || r->failed) {
    output_failed_ = true;  // nothing follows the marker: later pops must not wait
    rethrow_error();
  }
  if (r->end) {
    output_done_ = true;
    return std::nullopt;
  }
  PipelineOutput out;
  out.sequence = r->sequence;
  out.tensors = std::move(r->tensors);
  out.pushed_ms = r->pushed_ms;
  out.done_ms = clock_->now_ms();
  return out;
}

std::vector<StageStats> PipelinedRunner::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

void PipelinedRunner::work(size_t stage) {
  Queue& in = *queues_[stage];
  Queue& out = *queues_[stage + 1];
  const StageBinding& b = stages_[stage];
  for (;;) {
    double t = clock_->now_ms();
    std::optional<Request> r = in.pop();
    const double wait_input = clock_->now_ms() - t;
    if (!r || stopping_) return;
    if (!r->end && !r->failed) {
      InvokeTiming timing;
      double busy_ms = 0;
      try {
        std::unique_lock<std::mutex> device_lock;
        if (b.device_lock) device_lock = std::unique_lock(*b.device_lock);
        const double start = clock_->now_ms();
        timing = run_stage(b, routing_, stage, r->tensors);
        if (timing.modeled) {
          // A modeled device keeps its stage busy for the time the real one would take.
          const double end = invoke_end_ms(start, timing, shared_link_);
          clock_->hold_until(end);
          busy_ms = end - start;
        } else {
          busy_ms = timing.ms;
        }
      } catch (...) {
        fail(stage, std::current_exception());
        Request marker;
        marker.failed = true;
        out.push(std::move(marker));
        return;
      }
      std::lock_guard lock(stats_mutex_);
      StageStats& st = stats_[stage];
      ++st.count;
      st.busy_ms += busy_ms;
      st.wait_input_ms += wait_input;
      st.switches += timing.switched ? 1 : 0;
      st.switch_ms += timing.switch_ms;
      st.energy_mj += timing.energy_mj;
    }
    const bool end = r->end || r->failed;
    t = clock_->now_ms();
    if (!out.push(std::move(*r))) return;
    if (end) return;
    std::lock_guard lock(stats_mutex_);
    stats_[stage].wait_output_ms += clock_->now_ms() - t;
  }
}

}  // namespace tpulab::pipeline
