// Helpers for the data-movement kernels: reading small constant integer tensors (shapes, axes,
// paddings, slice bounds), normalising negative axes, and row-major strides.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/kernel.h"

namespace tpulab::engine {

// Highest rank the data-movement kernels accept (their eval loops keep indices in fixed arrays).
inline constexpr size_t kMaxRank = 8;

// The values of an int32 or int64 tensor, widened to int64. Throws ModelError (naming `what`)
// for other types, and UnsupportedError when the tensor is not constant: the kernels that use
// this need the values in prepare to compute output shapes.
std::vector<int64_t> constant_ints(const TensorRef& t, const OpContext& ctx,
                                   const std::string& what);

// `axis` in [-rank, rank) made non-negative; ModelError when out of range.
int32_t normalize_axis(int64_t axis, size_t rank, const OpContext& ctx);

// Elements in dims [begin, end) of `shape` (1 for an empty range).
int64_t dims_product(const std::vector<int32_t>& shape, size_t begin, size_t end);

// Bytes per element of a type the data-movement kernels copy; UnsupportedError for types without
// a fixed size (string, resource, ...).
size_t element_size(DType t, const OpContext& ctx);

// Whether two tensors carry the same per-tensor quantization (scale and zero point), treating
// "not quantized" as equal to "not quantized".
bool same_quantization(const TensorRef& a, const TensorRef& b);

}  // namespace tpulab::engine
