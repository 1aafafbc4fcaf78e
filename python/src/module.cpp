#include "bind.h"

PYBIND11_MODULE(_tpulab, m) {
  m.doc() = "tpulab's C++ library: models, CPU engine, Edge TPU device model, partitioner, pipelines, power";
  tpulab::py::bind_errors(m);
  tpulab::py::bind_model(m);
  tpulab::py::bind_engine(m);
  tpulab::py::bind_device(m);
  tpulab::py::bind_pipeline(m);
  tpulab::py::bind_power(m);
}
