// Models: tpulab.load, Model (tensors, ops, constants as read-only zero-copy arrays, summary,
// DOT, save), zoo.build and the Edge TPU package facts of compiled files.
#include <fmt/format.h>

#include <type_traits>
#include <variant>

#include "bind.h"
#include "common/error.h"
#include "model/analysis.h"
#include "model/dot.h"
#include "model/edgetpu_package.h"
#include "model/summary.h"
#include "model/tflite.h"
#include "model/zoo/zoo.h"

namespace tpulab::py {

namespace {

using nlohmann::json;

// A tensor or op of a model's main subgraph, keeping the model alive.
struct TensorView {
  std::shared_ptr<const Graph> graph;
  int32_t index = 0;
  const Tensor& t() const { return graph->main().tensors.at(static_cast<size_t>(index)); }
};
struct OpView {
  std::shared_ptr<const Graph> graph;
  int32_t index = 0;
  const Op& op() const { return graph->main().ops.at(static_cast<size_t>(index)); }
};

pyb::object quantization(const Quantization& q) {
  if (q.scale.empty()) return pyb::none();
  pyb::dict d;
  d["scale"] = q.scale;
  d["zero_point"] = q.zero_point;
  d["axis"] = q.axis;
  return d;
}

// Constant bytes as a read-only array over the same memory; the capsule holds a reference to the
// storage (the file mapping or the owned vector), so the array outlives the Model safely.
pyb::object constant_array(const Tensor& t, const std::string& where) {
  if (!t.is_constant()) return pyb::none();
  pyb::dtype dt = numpy_dtype(t.dtype, where);
  auto* keep = new Bytes(t.data);
  pyb::capsule owner(keep, [](void* p) { delete static_cast<Bytes*>(p); });
  std::vector<pyb::ssize_t> shape(t.shape.begin(), t.shape.end());
  const auto n = static_cast<size_t>(t.num_elements());
  if (n * static_cast<size_t>(dt.itemsize()) != t.data.size())
    throw ModelError(where, fmt::format("constant holds {} bytes for {} elements of {}",
                                        t.data.size(), n, dtype_name(t.dtype)));
  pyb::array a(dt, shape, {}, keep->data(), owner);
  // numpy marks arrays over foreign memory writeable; these bytes are the model's.
  pyb::detail::array_proxy(a.ptr())->flags &= ~pyb::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

std::string tensor_where(const TensorView& v) {
  return fmt::format("tensor {} '{}'", v.index, v.t().name);
}

// Typed op options as a dict of their fields; option tables tpulab keeps opaque give
// {"table": N}.
pyb::dict options_dict(const OpOptions& options) {
  pyb::dict d;
  auto act = [](Activation a) { return activation_name(a); };
  auto pad = [](Padding p) { return padding_name(p); };
  std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, Conv2DOptions>) {
          d["padding"] = pad(o.padding), d["stride_h"] = o.stride_h, d["stride_w"] = o.stride_w;
          d["dilation_h"] = o.dilation_h, d["dilation_w"] = o.dilation_w;
          d["activation"] = act(o.activation);
        } else if constexpr (std::is_same_v<T, DepthwiseConv2DOptions>) {
          d["padding"] = pad(o.padding), d["stride_h"] = o.stride_h, d["stride_w"] = o.stride_w;
          d["dilation_h"] = o.dilation_h, d["dilation_w"] = o.dilation_w;
          d["depth_multiplier"] = o.depth_multiplier, d["activation"] = act(o.activation);
        } else if constexpr (std::is_same_v<T, TransposeConvOptions>) {
          d["padding"] = pad(o.padding), d["stride_h"] = o.stride_h, d["stride_w"] = o.stride_w;
          d["activation"] = act(o.activation);
        } else if constexpr (std::is_same_v<T, Pool2DOptions>) {
          d["padding"] = pad(o.padding), d["stride_h"] = o.stride_h, d["stride_w"] = o.stride_w;
          d["filter_h"] = o.filter_h, d["filter_w"] = o.filter_w;
          d["activation"] = act(o.activation);
        } else if constexpr (std::is_same_v<T, FullyConnectedOptions>) {
          d["activation"] = act(o.activation), d["weights_format"] = o.weights_format;
          d["keep_num_dims"] = o.keep_num_dims;
          d["asymmetric_quantize_inputs"] = o.asymmetric_quantize_inputs;
        } else if constexpr (std::is_same_v<T, SoftmaxOptions>) {
          d["beta"] = o.beta;
        } else if constexpr (std::is_same_v<T, ConcatenationOptions>) {
          d["axis"] = o.axis, d["activation"] = act(o.activation);
        } else if constexpr (std::is_same_v<T, AddSubOptions>) {
          d["activation"] = act(o.activation), d["pot_scale_int16"] = o.pot_scale_int16;
        } else if constexpr (std::is_same_v<T, MulDivOptions>) {
          d["activation"] = act(o.activation);
        } else if constexpr (std::is_same_v<T, ReshapeOptions>) {
          if (o.new_shape) d["new_shape"] = *o.new_shape;
        } else if constexpr (std::is_same_v<T, SqueezeOptions>) {
          d["squeeze_dims"] = o.squeeze_dims;
        } else if constexpr (std::is_same_v<T, StridedSliceOptions>) {
          d["begin_mask"] = o.begin_mask, d["end_mask"] = o.end_mask;
          d["ellipsis_mask"] = o.ellipsis_mask, d["new_axis_mask"] = o.new_axis_mask;
          d["shrink_axis_mask"] = o.shrink_axis_mask, d["offset"] = o.offset;
        } else if constexpr (std::is_same_v<T, SplitOptions>) {
          d["num_splits"] = o.num_splits;
        } else if constexpr (std::is_same_v<T, ResizeOptions>) {
          d["align_corners"] = o.align_corners, d["half_pixel_centers"] = o.half_pixel_centers;
        } else if constexpr (std::is_same_v<T, ArgMinMaxOptions>) {
          d["output_type"] = dtype_name(o.output_type);
        } else if constexpr (std::is_same_v<T, ReducerOptions>) {
          d["keep_dims"] = o.keep_dims;
        } else if constexpr (std::is_same_v<T, PackOptions>) {
          d["values_count"] = o.values_count, d["axis"] = o.axis;
        } else if constexpr (std::is_same_v<T, UnpackOptions>) {
          d["num"] = o.num, d["axis"] = o.axis;
        } else if constexpr (std::is_same_v<T, GatherOptions>) {
          d["axis"] = o.axis, d["batch_dims"] = o.batch_dims;
        } else if constexpr (std::is_same_v<T, CastOptions>) {
          d["in_type"] = dtype_name(o.in_type), d["out_type"] = dtype_name(o.out_type);
        } else if constexpr (std::is_same_v<T, LeakyReluOptions>) {
          d["alpha"] = o.alpha;
        } else if constexpr (std::is_same_v<T, BlockSizeOptions>) {
          d["block_size"] = o.block_size;
        } else if constexpr (std::is_same_v<T, LstmOptions>) {
          d["activation"] = act(o.activation), d["cell_clip"] = o.cell_clip;
          d["proj_clip"] = o.proj_clip, d["kernel_type"] = o.kernel_type;
        } else if constexpr (std::is_same_v<T, SequenceLstmOptions>) {
          d["activation"] = act(o.activation), d["cell_clip"] = o.cell_clip;
          d["proj_clip"] = o.proj_clip, d["time_major"] = o.time_major;
        } else if constexpr (std::is_same_v<T, BatchMatMulOptions>) {
          d["adj_x"] = o.adj_x, d["adj_y"] = o.adj_y;
        } else if constexpr (std::is_same_v<T, MirrorPadOptions>) {
          d["mode"] = o.mode == 0 ? "reflect" : "symmetric";
        } else if constexpr (std::is_same_v<T, ShapeOptions>) {
          d["out_type"] = dtype_name(o.out_type);
        } else if constexpr (std::is_same_v<T, OtherOptions>) {
          d["table"] = o.table;
        }
      },
      options);
  return d;
}

// ---- summary(): the data of `tpulab inspect --format json`, from the library ---------------
json summary_json(const Model& m) { return to_json(summarize_model(*m.graph, m.path)); }

std::string shape_tuple(const std::vector<int32_t>& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + (s.size() == 1 ? ",)" : ")");
}

std::vector<TensorView> views(const std::shared_ptr<const Graph>& g,
                              const std::vector<int32_t>& ids) {
  std::vector<TensorView> out;
  for (int32_t t : ids) out.push_back({g, t});
  return out;
}

Model load(const std::filesystem::path& file) {
  const std::string path = file.string();
  Graph g;
  {
    pyb::gil_scoped_release release;
    g = read_tflite(path);
  }
  return {std::make_shared<const Graph>(std::move(g)), path, file.filename().string()};
}

}  // namespace

pyb::object to_python(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return pyb::none();
    case json::value_t::boolean:
      return pyb::bool_(j.get<bool>());
    case json::value_t::number_integer:
      return pyb::int_(j.get<int64_t>());
    case json::value_t::number_unsigned:
      return pyb::int_(j.get<uint64_t>());
    case json::value_t::number_float:
      return pyb::float_(j.get<double>());
    case json::value_t::string:
      return pyb::str(j.get_ref<const std::string&>());
    case json::value_t::array: {
      pyb::list l;
      for (const auto& x : j) l.append(to_python(x));
      return l;
    }
    case json::value_t::object: {
      pyb::dict d;
      for (const auto& [k, v] : j.items()) d[pyb::str(k)] = to_python(v);
      return d;
    }
    default:
      return pyb::none();
  }
}

pyb::dtype numpy_dtype(DType t, const std::string& where) {
  switch (t) {
    case DType::kFloat32:
      return pyb::dtype::of<float>();
    case DType::kFloat64:
      return pyb::dtype::of<double>();
    case DType::kFloat16:
      return pyb::dtype("float16");
    case DType::kInt8:
      return pyb::dtype::of<int8_t>();
    case DType::kUInt8:
      return pyb::dtype::of<uint8_t>();
    case DType::kInt16:
      return pyb::dtype::of<int16_t>();
    case DType::kUInt16:
      return pyb::dtype::of<uint16_t>();
    case DType::kInt32:
      return pyb::dtype::of<int32_t>();
    case DType::kUInt32:
      return pyb::dtype::of<uint32_t>();
    case DType::kInt64:
      return pyb::dtype::of<int64_t>();
    case DType::kUInt64:
      return pyb::dtype::of<uint64_t>();
    case DType::kBool:
      return pyb::dtype::of<bool>();
    case DType::kComplex64:
      return pyb::dtype("complex64");
    case DType::kComplex128:
      return pyb::dtype("complex128");
    default:
      throw UnsupportedError(fmt::format("{} tensors have no numpy dtype", dtype_name(t)), where);
  }
}

void bind_model(pyb::module_& m) {
  pyb::class_<TensorView>(m, "Tensor", "A tensor of a model's main subgraph.")
      .def_property_readonly("index", [](const TensorView& v) { return v.index; })
      .def_property_readonly("name", [](const TensorView& v) { return v.t().name; })
      .def_property_readonly("shape",
                             [](const TensorView& v) { return pyb::tuple(pyb::cast(v.t().shape)); })
      .def_property_readonly(
          "dtype", [](const TensorView& v) { return numpy_dtype(v.t().dtype, tensor_where(v)); },
          "numpy dtype (UnsupportedError for types numpy lacks, e.g. string)")
      .def_property_readonly("dtype_name",
                             [](const TensorView& v) { return dtype_name(v.t().dtype); })
      .def_property_readonly(
          "quantization", [](const TensorView& v) { return quantization(v.t().quant); },
          "{'scale': [...], 'zero_point': [...], 'axis': n}, or None")
      .def_property_readonly("is_constant", [](const TensorView& v) { return v.t().is_constant(); })
      .def_property_readonly("is_variable", [](const TensorView& v) { return v.t().is_variable; })
      .def_property_readonly(
          "data", [](const TensorView& v) { return constant_array(v.t(), tensor_where(v)); },
          "Constant data as a read-only numpy array over the model's memory (no copy); None for "
          "activations. The array keeps the memory alive on its own.")
      .def("__repr__", [](const TensorView& v) {
        return fmt::format("Tensor({}, '{}', {}, {}{})", v.index, v.t().name,
                           shape_tuple(v.t().shape), dtype_name(v.t().dtype),
                           v.t().is_constant() ? ", constant" : "");
      });

  pyb::class_<OpView>(m, "Op", "An operator of a model's main subgraph, in execution order.")
      .def_property_readonly("index", [](const OpView& v) { return v.index; })
      .def_property_readonly(
          "type", [](const OpView& v) { return v.op().name(); },
          "'CONV_2D', or the custom op's name")
      .def_property_readonly("code", [](const OpView& v) { return v.op().code; })
      .def_property_readonly("version", [](const OpView& v) { return v.op().version; })
      .def_property_readonly("options",
                             [](const OpView& v) { return options_dict(v.op().options); })
      .def_property_readonly(
          "inputs",
          [](const OpView& v) {
            pyb::list l;
            for (int32_t t : v.op().inputs)
              l.append(t < 0 ? pyb::none() : pyb::cast(TensorView{v.graph, t}));
            return l;
          },
          "Input tensors (None for an omitted optional input)")
      .def_property_readonly("outputs",
                             [](const OpView& v) { return views(v.graph, v.op().outputs); })
      .def("__repr__",
           [](const OpView& v) { return fmt::format("Op({}, {})", v.index, v.op().name()); });

  pyb::class_<Model>(m, "Model", "A TFLite model (tpulab's Graph IR): read with tpulab.load.")
      .def_property_readonly("path", [](const Model& x) { return x.path; })
      .def_property_readonly("name", [](const Model& x) { return x.name; })
      .def_property_readonly("inputs",
                             [](const Model& x) { return views(x.graph, x.graph->main().inputs); })
      .def_property_readonly("outputs",
                             [](const Model& x) { return views(x.graph, x.graph->main().outputs); })
      .def_property_readonly("tensors",
                             [](const Model& x) {
                               std::vector<TensorView> out;
                               for (size_t i = 0; i < x.graph->main().tensors.size(); ++i)
                                 out.push_back({x.graph, static_cast<int32_t>(i)});
                               return out;
                             })
      .def_property_readonly("ops",
                             [](const Model& x) {
                               std::vector<OpView> out;
                               for (size_t i = 0; i < x.graph->main().ops.size(); ++i)
                                 out.push_back({x.graph, static_cast<int32_t>(i)});
                               return out;
                             })
      .def(
          "constants",
          [](const Model& x) {
            pyb::dict d;
            const auto& ts = x.graph->main().tensors;
            for (size_t i = 0; i < ts.size(); ++i)
              if (ts[i].is_constant())
                d[pyb::int_(i)] =
                    constant_array(ts[i], fmt::format("tensor {} '{}'", i, ts[i].name));
            return d;
          },
          "Every constant tensor as {tensor index: read-only numpy array} (zero-copy).")
      .def(
          "summary", [](const Model& x) { return to_python(summary_json(x)); },
          "What `tpulab inspect --format json` prints, as a dict: I/O, op counts, parameter "
          "bytes, MACs, peak activation memory, per-op figures, Edge TPU packages.")
      .def(
          "to_dot", [](const Model& x) { return to_dot(*x.graph); },
          "The op graph as Graphviz DOT text.")
      .def(
          "save",
          [](const Model& x, const std::filesystem::path& path) {
            pyb::gil_scoped_release release;
            write_tflite_file(*x.graph, path.string());
          },
          pyb::arg("path"), "Writes the model as a .tflite file (atomically).")
      .def_property_readonly(
          "edgetpu",
          [](const Model& x) {
            const auto ops = edgetpu_ops(*x.graph, x.name);
            return ops.empty() ? pyb::none() : to_python(edgetpu_json(ops));
          },
          "The Edge TPU compiler's package facts of a compiled model (cached and streamed "
          "parameter bytes, executables, caching tokens), or None.")
      .def("__repr__", [](const Model& x) {
        return fmt::format("Model('{}', {} ops, {} tensors)", x.name, x.graph->main().ops.size(),
                           x.graph->main().tensors.size());
      });

  m.def("load", &load, pyb::arg("path"),
        "Reads a .tflite file (memory-mapped; constants stay in the mapping). Raises IoError when "
        "it cannot be read and ModelError when it is malformed.");
  m.def(
      "model_from_bytes",
      [](pyb::bytes data, const std::string& name) {
        const std::string s = data;
        Graph g = read_tflite_bytes({reinterpret_cast<const uint8_t*>(s.data()), s.size()}, name);
        return Model{std::make_shared<const Graph>(std::move(g)), "", name};
      },
      pyb::arg("data"), pyb::arg("name") = "<bytes>", "Reads a model from .tflite bytes (copied).");
  m.def(
      "model_to_bytes",
      [](const Model& x) {
        std::vector<uint8_t> b;
        {
          pyb::gil_scoped_release release;
          b = write_tflite(*x.graph);
        }
        return pyb::bytes(reinterpret_cast<const char*>(b.data()), b.size());
      },
      pyb::arg("model"), "Serializes a model to .tflite bytes.");

  m.def("zoo_names", [] {
    std::vector<std::string> names;
    for (const auto& z : zoo::zoo_models()) names.push_back(z.name);
    return names;
  });
  m.def(
      "zoo_build",
      [](const std::string& name, int32_t input, double width, uint64_t seed) {
        Graph g;
        {
          pyb::gil_scoped_release release;
          g = zoo::build_zoo_model(name, {input, width, seed});
        }
        return Model{std::make_shared<const Graph>(std::move(g)), "", name};
      },
      pyb::arg("name"), pyb::arg("input") = 0, pyb::arg("width") = 0.0, pyb::arg("seed") = 1);
}

}  // namespace tpulab::py
