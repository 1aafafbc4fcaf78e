#include "engine/kernels/tensor_util.h"

#include <cstring>

#include "engine/kernels/kernel_util.h"

namespace tpulab::engine {

std::vector<int64_t> constant_ints(const TensorRef& t, const OpContext& ctx,
                                   const std::string& what) {
  check_model(t.dtype == DType::kInt32 || t.dtype == DType::kInt64, ctx,
              what + " must be int32 or int64, not " + dtype_name(t.dtype));
  check_supported(t.is_constant, ctx, what + " must be a constant tensor");
  const int64_t n = t.num_elements();
  check_model(t.data != nullptr && static_cast<int64_t>(t.bytes) >= t.byte_size(), ctx,
              what + " has no data");
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    if (t.dtype == DType::kInt32) {
      int32_t x;
      std::memcpy(&x, t.data + i * 4, 4);
      v[static_cast<size_t>(i)] = x;
    } else {
      int64_t x;
      std::memcpy(&x, t.data + i * 8, 8);
      v[static_cast<size_t>(i)] = x;
    }
  }
  return v;
}

int32_t normalize_axis(int64_t axis, size_t rank, const OpContext& ctx) {
  const auto r = static_cast<int64_t>(rank);
  check_model(axis >= -r && axis < r, ctx,
              "axis " + std::to_string(axis) + " out of range for rank " + std::to_string(rank));
  return static_cast<int32_t>(axis < 0 ? axis + r : axis);
}

int64_t dims_product(const std::vector<int32_t>& shape, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t i = begin; i < end && i < shape.size(); ++i) n *= shape[i];
  return n;
}

size_t element_size(DType t, const OpContext& ctx) {
  const size_t s = dtype_size(t);
  check_supported(s != 0, ctx, "tensors of type " + dtype_name(t));
  return s;
}

bool same_quantization(const TensorRef& a, const TensorRef& b) {
  const bool qa = a.quant != nullptr && !a.quant->scale.empty();
  const bool qb = b.quant != nullptr && !b.quant->scale.empty();
  if (qa != qb) return false;
  return !qa || (a.scale() == b.scale() && a.zero_point() == b.zero_point());
}

}  // namespace tpulab::engine
