// Helpers shared by kernels: argument checks with the right error type, TFLite's output-size and
// padding arithmetic for windowed ops, and 4-D broadcasting as TFLite's *4DSlow kernels do it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/kernel.h"

namespace tpulab::engine {

// Throws ModelError(ctx.model, what, ctx.where()) unless `ok`.
void check_model(bool ok, const OpContext& ctx, const std::string& what);
// Throws UnsupportedError(what, ctx.where()) unless `ok`.
void check_supported(bool ok, const OpContext& ctx, const std::string& what);

// The op's typed options, or ModelError when the op carries another option table. Ops whose
// options are all defaults may have none: then a default-constructed T is returned.
template <typename T>
T options_or_default(const OpContext& ctx) {
  if (const T* o = ctx.op->options_as<T>()) return *o;
  check_model(std::holds_alternative<std::monostate>(ctx.op->options), ctx,
              "unexpected option table for " + ctx.op->name());
  return T{};
}

// uint8 or int8 (the 8-bit quantized types the math kernels implement).
inline bool is_8bit(DType t) { return t == DType::kUInt8 || t == DType::kInt8; }
// Lowest and highest value of an 8-bit type.
inline int32_t qmin(DType t) { return t == DType::kUInt8 ? 0 : -128; }
inline int32_t qmax(DType t) { return t == DType::kUInt8 ? 255 : 127; }
// Checks that an 8-bit tensor has per-tensor quantization (a scale and a zero point).
void check_quantized(const TensorRef& t, const OpContext& ctx, const std::string& name);

// TFLite's ComputeOutSize: SAME = ceil(in / stride); VALID = ceil((in - effective_filter + 1) /
// stride).
int32_t conv_output_size(Padding padding, int32_t in, int32_t filter, int32_t stride,
                         int32_t dilation);
// TFLite's ComputePadding: the top/left padding for an output of `out` positions (the extra
// odd pixel of SAME padding goes to the bottom/right).
int32_t conv_padding(int32_t stride, int32_t dilation, int32_t in, int32_t filter, int32_t out);

// Two shapes broadcast against each other, each extended to rank 4 with leading 1s (TFLite's
// NdArrayDesc for 4-D): element (b, y, x, c) of the output reads a[offset_a] and b[offset_b].
struct Broadcast4D {
  std::array<int32_t, 4> out{};                   // output dims
  std::array<int64_t, 4> stride_a{}, stride_b{};  // 0 along broadcast dims
  bool same_shape = false;                        // no broadcasting at all: flat loop
};
// The broadcast output shape (NumPy rules), or throws ModelError when the shapes are
// incompatible and UnsupportedError above rank 4.
std::vector<int32_t> broadcast_shape(const std::vector<int32_t>& a, const std::vector<int32_t>& b,
                                     const OpContext& ctx);
Broadcast4D broadcast_4d(const std::vector<int32_t>& a, const std::vector<int32_t>& b);

}  // namespace tpulab::engine
