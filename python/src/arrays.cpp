// Numpy arrays handed to the library as tensor inputs: exact dtype and shape, or UsageError.
#include <fmt/format.h>

#include "bind.h"
#include "common/error.h"

namespace tpulab::py {

namespace {

std::string shape_text(pyb::ssize_t ndim, const pyb::ssize_t* dims) {
  std::string s = "[";
  for (pyb::ssize_t i = 0; i < ndim; ++i) s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

}  // namespace

pyb::array checked_array(pyb::handle value, DType dtype, const std::vector<int32_t>& shape,
                         const std::string& where) {
  const std::string want = fmt::format("{} {}", dtype_name(dtype), shape_string(shape));
  if (!pyb::isinstance<pyb::array>(value))
    throw UsageError(
        fmt::format("expected a numpy array ({}), got {}", want,
                    pyb::str(pyb::type::handle_of(value).attr("__name__")).cast<std::string>()),
        where);
  auto a = pyb::reinterpret_borrow<pyb::array>(value);
  const pyb::dtype dt = numpy_dtype(dtype, where);
  bool same_shape = static_cast<size_t>(a.ndim()) == shape.size();
  for (size_t d = 0; same_shape && d < shape.size(); ++d)
    same_shape = a.shape(static_cast<pyb::ssize_t>(d)) == shape[d];
  if (!a.dtype().is(dt) && !a.dtype().equal(dt))
    throw UsageError(
        fmt::format("expected {}, got a {} array of shape {}", want,
                    pyb::str(a.dtype()).cast<std::string>(), shape_text(a.ndim(), a.shape())),
        where);
  if (!same_shape)
    throw UsageError(
        fmt::format("expected {}, got an array of shape {}", want, shape_text(a.ndim(), a.shape())),
        where);
  // A C-contiguous view, or copy, of the caller's array.
  auto c = pyb::array::ensure(a, pyb::array::c_style);
  if (!c) throw pyb::error_already_set();
  return c;
}

}  // namespace tpulab::py
