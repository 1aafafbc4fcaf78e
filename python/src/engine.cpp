// The CPU engine: Interpreter(model, kernels=, threads=), invoke(*arrays) with dtype and shape
// checks, input/output details, image inputs and dataset evaluation.
#include <fmt/format.h>

#include <cstring>
#include <mutex>
#include <optional>

#include "bind.h"
#include "common/error.h"
#include "data/datasets.h"
#include "data/evaluate.h"
#include "data/image.h"
#include "engine/interpreter.h"
#include "engine/thread_pool.h"

namespace tpulab::py {

namespace {

std::optional<data::PixelNormalization> normalization(std::optional<float> mean,
                                                      std::optional<float> std,
                                                      const std::string& where) {
  if (mean.has_value() != std.has_value()) throw UsageError("mean and std go together", where);
  if (!mean) return std::nullopt;
  if (!(*std > 0.0f)) throw UsageError(fmt::format("std must be positive, not {}", *std), where);
  return data::PixelNormalization{*mean, *std};
}

int check_threads(int threads, const std::string& where) {
  if (threads < 1 || threads > 256)
    throw UsageError(fmt::format("threads must be 1..256, not {}", threads), where);
  return threads;
}

class Interpreter {
 public:
  Interpreter(const Model& model, const std::string& kernels, int threads,
              bool preserve_all_tensors)
      : graph_(model.graph), name_(model.name) {
    engine::InterpreterOptions opts;
    opts.kernels = engine::kernel_set_from_name(kernels);
    pool_ = std::make_unique<engine::ThreadPool>(check_threads(threads, name_));
    opts.pool = pool_.get();
    opts.preserve_all_tensors = preserve_all_tensors;
    pyb::gil_scoped_release release;
    in_ = std::make_unique<engine::Interpreter>(*graph_, name_, opts);
  }

  // A copy of tensor `index` of the main subgraph as the last invoke left it. Intermediate
  // tensors share memory with others unless the interpreter preserves all tensors.
  pyb::array get_tensor(int64_t index) {
    auto lock = acquire();
    engine::Interpreter& in = open();
    const Subgraph& sg = graph_->main();
    if (index < 0 || index >= static_cast<int64_t>(sg.tensors.size()))
      throw UsageError(fmt::format("tensor index {} is not below the model's {} tensors", index,
                                   sg.tensors.size()),
                       name_);
    const auto i = static_cast<int32_t>(index);
    const engine::TensorRef& t = in.tensor(static_cast<size_t>(i));
    if (!in.holds_value_after_invoke(static_cast<size_t>(i)))
      throw UsageError(
          fmt::format("tensor {} ({}) is an intermediate whose memory other tensors reuse; "
                      "create the Interpreter with preserve_all_tensors=True",
                      index, sg.tensors[static_cast<size_t>(i)].name),
          name_);
    if (t.data == nullptr)
      throw UsageError(fmt::format("tensor {} ({}) is not used by the model", index,
                                   sg.tensors[static_cast<size_t>(i)].name),
                       name_);
    std::vector<pyb::ssize_t> shape(t.shape.begin(), t.shape.end());
    pyb::array a(numpy_dtype(t.dtype, name_), shape);
    std::memcpy(a.mutable_data(), t.data,
                std::min<size_t>(static_cast<size_t>(a.nbytes()), t.bytes));
    return a;
  }

  pyb::list invoke(const pyb::args& args) {
    auto lock = acquire();
    engine::Interpreter& in = open();
    if (args.size() != in.num_inputs())
      throw UsageError(fmt::format("the model has {} input(s) but invoke got {} array(s)",
                                   in.num_inputs(), args.size()),
                       name_);
    for (size_t i = 0; i < in.num_inputs(); ++i) set_input(in, i, args[i]);
    {
      pyb::gil_scoped_release release;
      in.invoke();
    }
    pyb::list out;
    for (size_t o = 0; o < in.num_outputs(); ++o) {
      const engine::TensorRef& t = in.output(o);
      std::vector<pyb::ssize_t> shape(t.shape.begin(), t.shape.end());
      pyb::array a(numpy_dtype(t.dtype, where_output(in, o)), shape);
      const auto bytes = in.output_bytes(o);
      if (static_cast<size_t>(a.nbytes()) != bytes.size())
        throw Error(
            fmt::format("output {} has {} bytes for a {} array", o, bytes.size(), a.nbytes()),
            name_);
      std::memcpy(a.mutable_data(), bytes.data(), bytes.size());
      out.append(a);
    }
    return out;
  }

  // An image file as input `index` would take it (decoded, resized, converted), as an array.
  pyb::array load_image(const std::filesystem::path& path, size_t index, std::optional<float> mean,
                        std::optional<float> std) {
    auto lock = acquire();
    engine::Interpreter& in = open();
    check_input_index(in, index);
    const engine::TensorRef& t = in.input(index);
    std::vector<pyb::ssize_t> shape(t.shape.begin(), t.shape.end());
    pyb::array a(numpy_dtype(t.dtype, name_), shape);
    auto norm = normalization(mean, std, name_);
    std::span<uint8_t> dst(static_cast<uint8_t*>(a.mutable_data()),
                           static_cast<size_t>(a.nbytes()));
    pyb::gil_scoped_release release;
    data::load_image_input(path.string(), t, dst, norm);
    return a;
  }

  pyb::list details(bool inputs) {
    auto lock = acquire();
    engine::Interpreter& in = open();
    pyb::list l;
    const size_t n = inputs ? in.num_inputs() : in.num_outputs();
    for (size_t i = 0; i < n; ++i) {
      const engine::TensorRef& t = inputs ? in.input(i) : in.output(i);
      pyb::dict d;
      d["index"] = i;
      d["name"] = inputs ? in.input_name(i) : in.output_name(i);
      d["shape"] = pyb::tuple(pyb::cast(t.shape));
      d["dtype"] = numpy_dtype(t.dtype, name_);
      d["quantization"] = pyb::make_tuple(t.scale(), t.zero_point());
      l.append(d);
    }
    return l;
  }

  void reset_variables() {
    auto lock = acquire();
    open().reset_variables();
  }
  void close() {
    auto lock = acquire();
    in_.reset();
  }
  bool closed() const { return in_ == nullptr; }
  size_t arena_bytes() {
    auto lock = acquire();
    return open().arena_bytes();
  }
  const std::string& name() const { return name_; }

 private:
  // Waits for the interpreter without holding the GIL: a thread inside invoke() needs the GIL to
  // return its outputs.
  std::unique_lock<std::mutex> acquire() {
    std::unique_lock<std::mutex> lock(mu_, std::defer_lock);
    pyb::gil_scoped_release release;
    lock.lock();
    return lock;
  }
  engine::Interpreter& open() {
    if (!in_) throw UsageError("the interpreter is closed", name_);
    return *in_;
  }
  void check_input_index(const engine::Interpreter& in, size_t index) const {
    if (index >= in.num_inputs())
      throw UsageError(
          fmt::format("input {} does not exist: the model has {}", index, in.num_inputs()), name_);
  }
  std::string where_output(const engine::Interpreter& in, size_t o) const {
    return fmt::format("output {} '{}' of {}", o, in.output_name(o), name_);
  }

  void set_input(engine::Interpreter& in, size_t i, pyb::handle value) {
    const engine::TensorRef& t = in.input(i);
    const std::string where = fmt::format("input {} '{}' of {}", i, in.input_name(i), name_);
    const pyb::array c = checked_array(value, t.dtype, t.shape, where);
    const std::span<uint8_t> dst = in.input_bytes(i);
    if (static_cast<size_t>(c.nbytes()) != dst.size())
      throw UsageError(fmt::format("expected {} bytes, got {}", dst.size(), c.nbytes()), where);
    std::memcpy(dst.data(), c.data(), dst.size());
  }

  std::shared_ptr<const Graph> graph_;  // the engine reads the graph's constants in place
  std::string name_;
  std::unique_ptr<engine::ThreadPool> pool_;
  std::unique_ptr<engine::Interpreter> in_;
  std::mutex mu_;  // one invoke at a time (the GIL is released while it runs)
};

pyb::dict evaluate(const Model& model, const std::string& dataset, const std::string& kernels,
                   int threads, int32_t limit, std::optional<float> mean,
                   std::optional<float> std) {
  data::EvalOptions opts;
  opts.kernels = engine::kernel_set_from_name(kernels);
  opts.threads = check_threads(threads, model.name);
  if (limit < -1 || limit == 0)
    throw UsageError(fmt::format("limit must be positive, not {}", limit), model.name);
  opts.limit = limit;
  opts.normalization = normalization(mean, std, model.name);
  data::EvalResult r;
  {
    pyb::gil_scoped_release release;
    const data::LabeledImages images = data::load_dataset(dataset);
    r = data::evaluate_classifier(*model.graph, model.name, images, opts);
  }
  pyb::dict d;
  d["dataset"] = r.dataset;
  d["images"] = r.images;
  d["correct"] = r.correct;
  d["accuracy"] = r.accuracy();
  d["seconds"] = r.seconds;
  d["images_per_second"] = r.images_per_second();
  d["class_names"] = r.class_names;
  d["confusion"] = r.confusion;
  return d;
}

}  // namespace

void bind_engine(pyb::module_& m) {
  pyb::class_<Interpreter>(
      m, "Interpreter",
      "Runs a model on tpulab's CPU engine (bit-exact with TensorFlow Lite's built-in "
      "kernels).")
      .def(pyb::init<const Model&, const std::string&, int, bool>(), pyb::arg("model"),
           pyb::arg("kernels") = "optimized", pyb::arg("threads") = 1,
           pyb::arg("preserve_all_tensors") = false,
           "Prepares `model` once: kernels 'optimized' or 'reference'; `threads` for intra-op "
           "parallelism; `preserve_all_tensors` gives every tensor its own memory so "
           "get_tensor() reads intermediate results (as LiteRT's "
           "experimental_preserve_all_tensors). Raises UnsupportedError for ops without a kernel "
           "(or Edge TPU-only ops).")
      .def("get_tensor", &Interpreter::get_tensor, pyb::arg("index"),
           "A copy of tensor `index` (of Model.tensors) after the last invoke: inputs, outputs, "
           "constants and variables always; intermediates only with preserve_all_tensors=True "
           "(UsageError otherwise).")
      .def("invoke", &Interpreter::invoke,
           "invoke(*inputs) -> list of output arrays. Each input must be a numpy array of the "
           "input's "
           "exact dtype and shape (UsageError otherwise). Releases the GIL while the model runs.")
      .def("load_image", &Interpreter::load_image, pyb::arg("path"), pyb::arg("input") = 0,
           pyb::arg("mean") = pyb::none(), pyb::arg("std") = pyb::none(),
           "An image file (BMP/PNG/JPEG) as input `input` takes it: decoded, resized bilinearly, "
           "converted to its dtype (as `tpulab run --input` does).")
      .def(
          "get_input_details", [](Interpreter& x) { return x.details(true); },
          "[{'index', 'name', 'shape', 'dtype', 'quantization': (scale, zero_point)}, ...]")
      .def("get_output_details", [](Interpreter& x) { return x.details(false); })
      .def("reset_variables", &Interpreter::reset_variables)
      .def_property_readonly("arena_bytes", &Interpreter::arena_bytes)
      .def_property_readonly("closed", &Interpreter::closed)
      .def_property_readonly("model_name", &Interpreter::name)
      .def("close", &Interpreter::close, "Frees the interpreter; later calls raise UsageError.")
      .def("__enter__", [](pyb::object self) { return self; })
      .def("__exit__", [](Interpreter& x, const pyb::args&) { x.close(); });

  m.def("evaluate", &evaluate, pyb::arg("model"), pyb::arg("dataset") = "fashion-mnist:test",
        pyb::arg("kernels") = "optimized", pyb::arg("threads") = 1, pyb::arg("limit") = -1,
        pyb::arg("mean") = pyb::none(), pyb::arg("std") = pyb::none(),
        "Accuracy of an image classifier on a labelled dataset (as `tpulab eval`).");
}

}  // namespace tpulab::py
