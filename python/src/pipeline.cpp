// Pipelines: models run as pipelines of segments on a platform's simulated Edge TPUs under a load
// and a clock (the report of `tpulab pipeline --json`), the topology sweep, and PipelinedRunner
// (libcoral's push/pop runner) over segments on CPU devices.
#include <fmt/format.h>

#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <variant>

#include "bind.h"
#include "common/error.h"
#include "device/platform.h"
#include "partition/plan_files.h"
#include "partition/strategy.h"
#include "pipeline/cpu_device.h"
#include "pipeline/pipelined_runner.h"
#include "pipeline/report_json.h"
#include "pipeline/runtime.h"
#include "pipeline/system.h"
#include "pipeline/topology_sweep.h"
#include "pipeline/workload.h"

namespace tpulab::py {

namespace {

// A model argument: a Model, or a .tflite path or "zoo:NAME" as the CLI takes them.
using ModelArg = std::variant<Model, std::filesystem::path>;

// Named as the CLI names it: the file's stem or the zoo model's name.
pipeline::ModelToRun model_to_run(const ModelArg& arg) {
  if (const auto* model = std::get_if<Model>(&arg)) return {stem_of(*model), *model->graph, {}};
  return pipeline::model_to_run(std::get<std::filesystem::path>(arg).string());
}

size_t count_of(int64_t value, const char* field) {
  if (value < 0)
    throw FieldError(field, fmt::format("{} must not be negative, not {}", field, value));
  return static_cast<size_t>(value);
}

// The load and the run options every pipeline call takes, checked before any model is loaded.
struct LoadArgs {
  pipeline::Workload workload;
  pipeline::RunOptions run;
};

LoadArgs load_args(int64_t requests, const std::string& load, double rate, int in_flight,
                   uint64_t seed, const std::string& dispatch, int64_t queue_size,
                   const std::string& clock) {
  LoadArgs a;
  a.run.clock = pipeline::parse_clock_kind(clock);
  a.run.dispatch = pipeline::parse_dispatch(dispatch);
  a.run.queue_size = count_of(queue_size, "queue_size");
  pipeline::Workload& w = a.workload;
  w.kind = pipeline::load_kind_or_default(load, rate);
  w.requests = requests;
  w.in_flight = in_flight;
  w.rate_ips = rate;
  w.seed = seed;
  pipeline::check_workload(w);
  return a;
}

pyb::object run_pipeline(const std::vector<ModelArg>& models, const device::Platform& platform,
                         int segments, int pipelines,
                         const std::optional<std::filesystem::path>& plan,
                         const std::optional<std::vector<int32_t>>& starts,
                         const std::string& strategy, bool timing_only, int64_t requests,
                         const std::string& load, double rate, int in_flight, uint64_t seed,
                         const std::string& dispatch, int64_t queue_size,
                         const std::string& clock) {
  pipeline::SystemOptions so;
  so.strategy = partition::parse_strategy(strategy);
  so.segments = segments;
  so.pipelines = pipelines;
  so.timing_only = timing_only;
  const LoadArgs a = load_args(requests, load, rate, in_flight, seed, dispatch, queue_size, clock);
  if ((plan || starts) && models.size() > 1)
    throw UsageError("a plan holds the cut points of one model; it cannot go with several models",
                     "pipeline");
  if (plan && starts) throw UsageError("give a plan or starts, not both", "pipeline");
  if ((plan || starts) && segments != 1)
    throw UsageError("give segments or a plan, not both (the plan sets the segments)", "pipeline");
  nlohmann::json j;
  {
    pyb::gil_scoped_release release;
    std::vector<pipeline::ModelToRun> to_run;
    for (const ModelArg& arg : models) {
      pipeline::ModelToRun m = model_to_run(arg);
      if (plan) m.starts = partition::read_plan_starts(plan->string(), m.graph);
      if (starts) m.starts = *starts;
      to_run.push_back(std::move(m));
    }
    pipeline::System sys = pipeline::build_system(std::move(to_run), platform, so);
    j = pipeline::run_report_to_json(pipeline::run(sys, a.workload, a.run));
  }
  return to_python(j);
}

pyb::object run_topologies(const ModelArg& model, const device::Platform& platform,
                           const std::string& strategy, bool timing_only, int64_t requests,
                           const std::string& load, double rate, int in_flight, uint64_t seed,
                           const std::string& dispatch, int64_t queue_size,
                           const std::string& clock) {
  pipeline::SystemOptions so;
  so.strategy = partition::parse_strategy(strategy);
  so.timing_only = timing_only;
  const LoadArgs a = load_args(requests, load, rate, in_flight, seed, dispatch, queue_size, clock);
  nlohmann::json j;
  {
    pyb::gil_scoped_release release;
    const pipeline::ModelToRun m = model_to_run(model);
    j = pipeline::topology_sweep_to_json(
        pipeline::sweep_topologies(m, platform, so, a.workload, a.run));
  }
  return to_python(j);
}

// PipelinedRunner over Models on CPU devices, arrays in and out. The C++ runner is shared with
// the calls in flight, so close() on one thread cannot free it under a push() or pop() blocked
// on another (stop() wakes those first).
class Runner {
 public:
  Runner(const std::vector<Model>& segments, int64_t queue_size, int64_t input_queue_size,
         int64_t output_queue_size, const std::optional<std::vector<std::string>>& outputs) {
    pipeline::RunnerOptions opts;
    opts.queue_size = count_of(queue_size, "queue_size");
    opts.input_queue_size = count_of(input_queue_size, "input_queue_size");
    opts.output_queue_size = count_of(output_queue_size, "output_queue_size");
    if (outputs) opts.outputs = *outputs;
    if (segments.empty()) throw UsageError("a pipeline needs at least one segment", "pipeline");
    pyb::gil_scoped_release release;
    std::vector<pipeline::StageBinding> stages;
    for (size_t s = 0; s < segments.size(); ++s) {
      const Graph& g = *segments[s].graph;
      // What the pipeline's inputs and outputs look like, by name.
      for (const auto* list : {&g.main().inputs, &g.main().outputs})
        for (int32_t t : *list) {
          const Tensor& x = g.main().tensors.at(static_cast<size_t>(t));
          tensors_.emplace(x.name, TensorType{x.dtype, x.shape});
        }
      devices_.push_back(std::make_unique<pipeline::CpuDevice>(fmt::format("cpu{}", s)));
      const pipeline::SegmentHandle h = devices_.back()->load(g, 1, segments[s].name);
      stages.push_back({devices_.back().get(), h, nullptr});
    }
    runner_ = std::make_shared<pipeline::PipelinedRunner>(std::move(stages), opts);
    input_names_ = runner_->input_names();
    output_names_ = runner_->output_names();
  }

  void push(const pyb::object& inputs) {
    std::shared_ptr<pipeline::PipelinedRunner> r = open_runner();
    if (!pyb::isinstance<pyb::list>(inputs) && !pyb::isinstance<pyb::tuple>(inputs))
      throw UsageError(
          fmt::format("push takes a list of arrays (one per input, in input_names order), not a "
                      "{}",
                      pyb::str(pyb::type::handle_of(inputs).attr("__name__")).cast<std::string>()),
          "pipeline push");
    const auto seq = pyb::reinterpret_borrow<pyb::sequence>(inputs);
    pipeline::TensorMap map;
    // An empty list is the end of the stream, as in libcoral.
    if (seq.size() != 0) {
      if (seq.size() != input_names_.size())
        throw UsageError(fmt::format("the pipeline takes {} input(s) but push got {} array(s)",
                                     input_names_.size(), seq.size()),
                         "pipeline push");
      for (size_t i = 0; i < input_names_.size(); ++i) {
        const std::string& name = input_names_[i];
        const TensorType& t = type_of(name);
        const pyb::object item = seq[i];
        const pyb::array c = checked_array(item, t.dtype, t.shape,
                                           fmt::format("input {} '{}' of the pipeline", i, name));
        const auto* p = static_cast<const uint8_t*>(c.data());
        map.emplace(name, pipeline::Bytes(p, p + c.nbytes()));
      }
    }
    pyb::gil_scoped_release release;
    r->push(std::move(map));
  }

  pyb::object pop() {
    std::shared_ptr<pipeline::PipelinedRunner> r = open_runner();
    std::optional<pipeline::PipelineOutput> out;
    {
      pyb::gil_scoped_release release;
      out = r->pop();
    }
    if (!out) return pyb::none();
    pyb::list arrays;
    for (const std::string& name : output_names_) {
      auto it = out->tensors.find(name);
      if (it == out->tensors.end())
        throw Error(fmt::format("the result lacks output '{}'", name), "pipeline pop");
      arrays.append(owning_array(name, std::move(it->second)));
    }
    return arrays;
  }

  void close() {
    std::shared_ptr<pipeline::PipelinedRunner> r = std::move(runner_);
    runner_.reset();
    if (!r) return;
    pyb::gil_scoped_release release;
    r->stop();
    r.reset();  // joins the workers unless a blocked call still holds the runner
  }

  bool closed() const { return runner_ == nullptr; }
  const std::vector<std::string>& input_names() const { return input_names_; }
  const std::vector<std::string>& output_names() const { return output_names_; }
  size_t num_stages() const { return devices_.size(); }

  pyb::object stats() {
    nlohmann::json j = nlohmann::json::array();
    for (const pipeline::StageStats& s : open_runner()->stats())
      j.push_back(pipeline::stage_stats_to_json(s));
    return to_python(j);
  }

 private:
  struct TensorType {
    DType dtype;
    std::vector<int32_t> shape;
  };

  std::shared_ptr<pipeline::PipelinedRunner> open_runner() const {
    if (!runner_) throw UsageError("the runner is closed", "PipelinedRunner");
    return runner_;
  }

  const TensorType& type_of(const std::string& name) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) throw Error("no segment has tensor '" + name + "'", "pipeline");
    return it->second;
  }

  // The result's bytes as an array of the tensor's type, without a copy.
  pyb::array owning_array(const std::string& name, pipeline::Bytes&& bytes) const {
    const TensorType& t = type_of(name);
    const std::string where = fmt::format("output '{}' of the pipeline", name);
    const pyb::dtype dt = numpy_dtype(t.dtype, where);
    size_t elements = 1;
    for (int32_t d : t.shape) elements *= static_cast<size_t>(d);
    if (elements * static_cast<size_t>(dt.itemsize()) != bytes.size())
      throw Error(fmt::format("{} bytes for {} elements of {}", bytes.size(), elements,
                              dtype_name(t.dtype)),
                  where);
    auto* keep = new pipeline::Bytes(std::move(bytes));
    pyb::capsule owner(keep, [](void* p) { delete static_cast<pipeline::Bytes*>(p); });
    std::vector<pyb::ssize_t> shape(t.shape.begin(), t.shape.end());
    return pyb::array(dt, shape, {}, keep->data(), owner);
  }

  std::vector<std::unique_ptr<pipeline::CpuDevice>> devices_;  // outlive runner_ (declared first)
  std::map<std::string, TensorType> tensors_;
  std::shared_ptr<pipeline::PipelinedRunner> runner_;
  std::vector<std::string> input_names_, output_names_;
};

}  // namespace

void bind_pipeline(pyb::module_& m) {
  m.def("pipeline_dict", &run_pipeline, pyb::arg("models"), pyb::arg("platform"),
        pyb::arg("segments") = 1, pyb::arg("pipelines") = 1, pyb::arg("plan") = pyb::none(),
        pyb::arg("starts") = pyb::none(), pyb::arg("strategy") = "optimal",
        pyb::arg("timing_only") = false, pyb::arg("requests") = 1000, pyb::arg("load") = "",
        pyb::arg("rate") = 0.0, pyb::arg("in_flight") = 0, pyb::arg("seed") = 1,
        pyb::arg("dispatch") = "round-robin", pyb::arg("queue_size") = 1,
        pyb::arg("clock") = "virtual",
        "The report of `tpulab pipeline --json` as a dict (see tpulab.pipeline).");
  m.def("topologies_dict", &run_topologies, pyb::arg("model"), pyb::arg("platform"),
        pyb::arg("strategy") = "optimal", pyb::arg("timing_only") = false,
        pyb::arg("requests") = 1000, pyb::arg("load") = "", pyb::arg("rate") = 0.0,
        pyb::arg("in_flight") = 0, pyb::arg("seed") = 1, pyb::arg("dispatch") = "round-robin",
        pyb::arg("queue_size") = 1, pyb::arg("clock") = "virtual",
        "The report of `tpulab pipeline --topologies --json` as a dict (see tpulab.topologies).");

  pyb::class_<Runner>(
      m, "PipelinedRunner",
      "Runs segments as a pipeline, one CPU worker thread per segment with bounded queues between "
      "them (libcoral's PipelinedModelRunner). Results come out in push order.\n\n"
      "    plan = tpulab.segment(model, 3)\n"
      "    with tpulab.PipelinedRunner(plan.segments) as runner:\n"
      "        runner.push([x])          # blocks while the input queue is full\n"
      "        runner.push([])           # end of the stream\n"
      "        while (out := runner.pop()) is not None: ...")
      .def(pyb::init<const std::vector<Model>&, int64_t, int64_t, int64_t,
                     const std::optional<std::vector<std::string>>&>(),
           pyb::arg("segments"), pyb::arg("queue_size") = 1, pyb::arg("input_queue_size") = 0,
           pyb::arg("output_queue_size") = 0, pyb::arg("outputs") = pyb::none(),
           "Starts one worker per segment Model (e.g. tpulab.segment(...).segments; tensors "
           "travel by name). queue_size: between stages (libcoral's 1); input_queue_size and "
           "output_queue_size: before the first and after the last stage (0 = unbounded); "
           "outputs: tensor names pop() returns (default: what no later segment reads). Raises "
           "UnsupportedError for ops without a CPU kernel.")
      .def("push", &Runner::push, pyb::arg("inputs"),
           "push(list of arrays): one request, an array per input in `input_names` order, each "
           "of the input's exact dtype and shape (UsageError otherwise). An empty list ends the "
           "stream. Blocks (without the GIL) while the input queue is full. Raises UsageError "
           "after the end or close(), and a failed stage's error.")
      .def("pop", &Runner::pop,
           "pop() -> list of arrays in `output_names` order, for requests in push order; None "
           "once the end of the stream came through. Blocks without the GIL. Raises a failed "
           "stage's error, and UsageError after close().")
      .def("close", &Runner::close,
           "Stops the workers, dropping work in flight; a push() or pop() blocked on another "
           "thread returns or raises UsageError, later calls raise UsageError.")
      .def_property_readonly("closed", &Runner::closed)
      .def_property_readonly("input_names", &Runner::input_names, "Tensors push() takes, in order.")
      .def_property_readonly("output_names", &Runner::output_names,
                             "Tensors pop() returns, in order.")
      .def_property_readonly("num_stages", &Runner::num_stages)
      .def("stats", &Runner::stats,
           "Per stage: {'device', 'count', 'busy_ms', 'wait_input_ms', 'wait_output_ms', "
           "'switches', 'switch_ms', 'energy_mj'} (a snapshot, safe while running).")
      .def("__enter__", [](pyb::object self) { return self; })
      .def("__exit__", [](Runner& x, const pyb::args&) { x.close(); });
}

}  // namespace tpulab::py
