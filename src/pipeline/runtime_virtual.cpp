// The virtual clock: a discrete-event simulation of the threaded runtime's rules. Stage workers
// are state machines; events are invoke completions and arrivals, processed in time order (ties
// in the order they were scheduled), so runs are deterministic.
#include <algorithm>
#include <deque>
#include <memory>
#include <queue>

#include "pipeline/runtime_tally.h"
#include "pipeline/shared_link.h"

namespace tpulab::pipeline::detail {

namespace {

struct Item {
  uint64_t sequence = 0;
  size_t model = 0;
  double arrived_ms = 0;
  TensorMap tensors;  // empty when timing-only
};

enum class WorkerState { kIdle, kWaitingForDevice, kBusy, kBlocked };

struct Worker {
  size_t pipeline = 0, stage = 0, device = 0;
  WorkerState state = WorkerState::kIdle;
  Item item;
  double started_ms = 0;
};

struct DeviceState {
  bool busy = false;
  std::deque<size_t> waiting;  // workers, in the order they asked
};

enum class EventKind { kArrival, kInvokeDone };

struct Event {
  double t = 0;
  uint64_t order = 0;
  EventKind kind = EventKind::kArrival;
  size_t index = 0;  // model (arrival) or worker (invoke done)
  bool operator>(const Event& o) const { return t != o.t ? t > o.t : order > o.order; }
};

class VirtualRun {
 public:
  VirtualRun(System& system, const Workload& workload, const RunOptions& opts)
      : sys_(system),
        workload_(workload),
        opts_(opts),
        dispatcher_(system, opts.dispatch),
        tally_(system.models.size(), workload.requests) {
    values_ = !system.timing_only;
    if (system.platform.shared_link_mb_s > 0)
      link_ = std::make_unique<SharedLink>(system.platform.shared_link_mb_s);
    for (size_t p = 0; p < sys_.pipelines.size(); ++p) {
      const Pipeline& pipe = sys_.pipelines[p];
      first_worker_.push_back(workers_.size());
      for (size_t s = 0; s < pipe.stages.size(); ++s) {
        Worker w;
        w.pipeline = p;
        w.stage = s;
        w.device = pipe.devices[s];
        workers_.push_back(std::move(w));
      }
      queues_.emplace_back(pipe.stages.size());
    }
    in_flight_.assign(sys_.pipelines.size(), 0);
    devices_.resize(sys_.devices.size());
    const size_t models = sys_.models.size();
    tally_.devices.resize(sys_.devices.size());
    for (size_t d = 0; d < sys_.devices.size(); ++d)
      tally_.devices[d].name = sys_.devices[d]->name();
    issued_.assign(models, 0);
    if (workload_.kind != LoadKind::kClosed)
      for (size_t m = 0; m < models; ++m) arrivals_.emplace_back(workload_, m);
    total_ = workload_.requests * static_cast<int64_t>(models);
  }

  Tally run() {
    for (size_t m = 0; m < sys_.models.size(); ++m) {
      if (workload_.kind == LoadKind::kClosed) {
        const int n = closed_loop_in_flight(sys_, workload_, m);
        for (int i = 0; i < n && issued_[m] < workload_.requests; ++i) arrive(m, 0.0);
      } else {
        schedule(arrivals_[m].next(), EventKind::kArrival, m);
      }
    }
    while (!events_.empty()) {
      const Event e = events_.top();
      events_.pop();
      if (e.kind == EventKind::kArrival) {
        arrive(e.index, e.t);
        if (issued_[e.index] < workload_.requests)
          schedule(arrivals_[e.index].next(), EventKind::kArrival, e.index);
      } else {
        invoke_done(e.index, e.t);
      }
    }
    if (link_) tally_.link_busy_ms = link_->busy_ms();
    return std::move(tally_);
  }

 private:
  void schedule(double t, EventKind kind, size_t index) {
    events_.push({t, next_order_++, kind, index});
  }

  size_t capacity(size_t stage) const { return stage == 0 ? 0 : opts_.queue_size; }

  void arrive(size_t model, double t) {
    Item item;
    item.sequence = static_cast<uint64_t>(issued_[model]++);
    item.model = model;
    item.arrived_ms = t;
    if (values_) item.tensors = request_input(sys_, opts_, model, item.sequence);
    const size_t p = dispatcher_.pick(model, in_flight_);
    ++in_flight_[p];
    queues_[p][0].push_back(std::move(item));
    try_take(first_worker_[p], t);
  }

  // An idle worker takes the next request from its queue, which may unblock the stage before.
  void try_take(size_t w, double t) {
    Worker& wk = workers_[w];
    std::deque<Item>& in = queues_[wk.pipeline][wk.stage];
    if (wk.state != WorkerState::kIdle || in.empty()) return;
    wk.item = std::move(in.front());
    in.pop_front();
    if (wk.stage > 0 && workers_[w - 1].state == WorkerState::kBlocked) {
      Worker& up = workers_[w - 1];
      in.push_back(std::move(up.item));
      up.state = WorkerState::kIdle;
      try_take(w - 1, t);
    }
    DeviceState& dev = devices_[wk.device];
    if (dev.busy) {
      wk.state = WorkerState::kWaitingForDevice;
      dev.waiting.push_back(w);
    } else {
      start(w, t);
    }
  }

  void start(size_t w, double t) {
    Worker& wk = workers_[w];
    devices_[wk.device].busy = true;
    wk.state = WorkerState::kBusy;
    const Pipeline& pipe = sys_.pipelines[wk.pipeline];
    const StageBinding& b = pipe.stages[wk.stage];
    const InvokeTiming timing = values_ ? run_stage(b, pipe.routing, wk.stage, wk.item.tensors)
                                        : b.device->invoke_timing(b.segment);
    const double end = invoke_end_ms(t, timing, link_.get());
    DeviceReport& d = tally_.devices[wk.device];
    ++d.invokes;
    d.busy_ms += end - t;
    d.switches += timing.switched ? 1 : 0;
    d.switch_ms += timing.switch_ms;
    d.energy_mj += timing.energy_mj;
    ++tally_.invocations;
    schedule(end, EventKind::kInvokeDone, w);
  }

  void invoke_done(size_t w, double t) {
    Worker& wk = workers_[w];
    DeviceState& dev = devices_[wk.device];
    dev.busy = false;
    if (!dev.waiting.empty()) {
      const size_t next = dev.waiting.front();
      dev.waiting.pop_front();
      start(next, t);
    }
    const Pipeline& pipe = sys_.pipelines[wk.pipeline];
    if (wk.stage + 1 == pipe.stages.size()) {
      Item done = std::move(wk.item);
      wk.state = WorkerState::kIdle;
      --in_flight_[wk.pipeline];
      complete(std::move(done), t);
      try_take(w, t);
      return;
    }
    std::deque<Item>& out = queues_[wk.pipeline][wk.stage + 1];
    const size_t cap = capacity(wk.stage + 1);
    if (cap != 0 && out.size() >= cap) {
      wk.state = WorkerState::kBlocked;  // holds its request until the next stage takes one
      return;
    }
    out.push_back(std::move(wk.item));
    wk.state = WorkerState::kIdle;
    try_take(w + 1, t);
    try_take(w, t);
  }

  void complete(Item item, double t) {
    const size_t m = item.model;
    tally_.complete(m, t - item.arrived_ms, t);
    if (values_ && opts_.on_output) opts_.on_output(m, item.sequence, std::move(item.tensors));
    ++done_;
    if (opts_.on_progress && (done_ % std::max<int64_t>(1, total_ / 100) == 0 || done_ == total_))
      opts_.on_progress(done_, total_);
    if (workload_.kind == LoadKind::kClosed && issued_[m] < workload_.requests) arrive(m, t);
  }

  System& sys_;
  const Workload& workload_;
  const RunOptions& opts_;
  Dispatcher dispatcher_;
  bool values_ = true;
  std::unique_ptr<SharedLink> link_;
  std::vector<Worker> workers_;
  std::vector<size_t> first_worker_;                   // per pipeline
  std::vector<std::vector<std::deque<Item>>> queues_;  // per pipeline: queue s feeds stage s
  std::vector<int64_t> in_flight_;                     // per pipeline
  std::vector<DeviceState> devices_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  uint64_t next_order_ = 0;
  std::vector<int64_t> issued_;     // per model
  std::vector<Arrivals> arrivals_;  // per model (open loops)
  int64_t done_ = 0, total_ = 0;
  Tally tally_;
};

}  // namespace

Tally run_virtual(System& system, const Workload& workload, const RunOptions& opts) {
  return VirtualRun(system, workload, opts).run();
}

}  // namespace tpulab::pipeline::detail
