#include "pipeline/pipelined_runner.h"

#include <algorithm>
#include <map>

#include "common/error.h"

namespace tpulab::pipeline {

namespace {

constexpr int kPipelineInput = -1;

}  // namespace

PipelinedRunner::PipelinedRunner(std::vector<StageBinding> stages, RunnerOptions opts)
    : stages_(std::move(stages)), clock_(opts.clock ? opts.clock : &realtime_clock()) {
  if (stages_.empty()) throw UsageError("a pipeline needs at least one stage", "pipeline");
  for (size_t s = 0; s < stages_.size(); ++s)
    if (!stages_[s].device)
      throw UsageError("stage " + std::to_string(s) + " has no device", "pipeline");

  // Where each tensor is made and last read decides how far it travels.
  std::map<std::string, int> produced_by;  // stage, or kPipelineInput
  std::map<std::string, int> last_read;
  for (size_t s = 0; s < stages_.size(); ++s) {
    const auto stage = static_cast<int>(s);
    const StageBinding& b = stages_[s];
    for (const std::string& name : b.device->input_names(b.segment)) {
      if (!produced_by.contains(name)) {
        produced_by[name] = kPipelineInput;
        input_names_.push_back(name);
      }
      last_read[name] = stage;
    }
    for (const std::string& name : b.device->output_names(b.segment))
      produced_by.try_emplace(name, stage);
  }

  if (opts.outputs.empty()) {
    for (const auto& [name, stage] : produced_by) {
      auto read = last_read.find(name);
      if (stage != kPipelineInput && (read == last_read.end() || read->second < stage))
        output_names_.push_back(name);
    }
  } else {
    for (const std::string& name : opts.outputs)
      if (!produced_by.contains(name))
        throw UsageError("output tensor '" + name + "' is neither produced nor pushed", "pipeline");
    output_names_ = opts.outputs;
  }

  const std::set<std::string> kept(output_names_.begin(), output_names_.end());
  drop_after_.resize(stages_.size());
  for (const auto& [name, stage] : produced_by) {
    if (kept.contains(name)) continue;
    auto read = last_read.find(name);
    const int last = std::max(stage, read == last_read.end() ? kPipelineInput : read->second);
    if (last >= 0) drop_after_[static_cast<size_t>(last)].push_back(name);
  }

  queues_.push_back(std::make_unique<Queue>(opts.input_queue_size));
  for (size_t s = 1; s < stages_.size(); ++s)
    queues_.push_back(std::make_unique<Queue>(opts.queue_size));
  queues_.push_back(std::make_unique<Queue>(opts.output_queue_size));

  stats_.resize(stages_.size());
  for (size_t s = 0; s < stages_.size(); ++s) stats_[s].device = stages_[s].device->name();
  workers_.reserve(stages_.size());
  for (size_t s = 0; s < stages_.size(); ++s) workers_.emplace_back([this, s] { work(s); });
}

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
    for (const std::string& name : input_names_) {
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
      try {
        const double start = clock_->now_ms();
        InvokeResult result = b.device->invoke(b.segment, r->tensors);
        // A modeled device keeps its stage busy for the time the real one would take.
        if (result.timing.modeled) clock_->hold_until(start + result.timing.ms);
        timing = result.timing;
        for (auto& [name, bytes] : result.outputs)
          r->tensors.insert_or_assign(name, std::move(bytes));
        for (const std::string& name : drop_after_[stage]) r->tensors.erase(name);
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
      st.busy_ms += timing.ms;
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
