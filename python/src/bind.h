// Shared pieces of the _tpulab extension: the Model handle every module passes around, JSON to
// Python conversion, and the binder of each library module.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <filesystem>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/graph.h"

namespace tpulab::py {

namespace pyb = pybind11;

// A loaded or built model. The Graph is shared (interpreters, plans and constant arrays keep it
// alive); its constant data stays in the file mapping.
struct Model {
  std::shared_ptr<const Graph> graph;
  std::string path;  // empty for models built in memory
  std::string name;  // what errors call it (the file name, or the zoo name)
};

// nlohmann::json -> dict/list/str/int/float/bool/None.
pyb::object to_python(const nlohmann::json& j);
// The numpy dtype of a tensor element type (UnsupportedError for strings, resources, int4, ...).
pyb::dtype numpy_dtype(DType t, const std::string& where);

// `value` as a C-contiguous array (a view, or a copy) after checking it is a numpy array of
// exactly `dtype` and `shape`; UsageError naming `where` otherwise.
pyb::array checked_array(pyb::handle value, DType dtype, const std::vector<int32_t>& shape,
                         const std::string& where);
// The name reports give a model: its file's stem, or its name when built in memory.
std::string stem_of(const Model& m);

void bind_errors(pyb::module_& m);
void bind_model(pyb::module_& m);
void bind_engine(pyb::module_& m);
void bind_device(pyb::module_& m);
void bind_pipeline(pyb::module_& m);
void bind_power(pyb::module_& m);

}  // namespace tpulab::py
