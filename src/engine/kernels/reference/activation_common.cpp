#include "engine/kernels/reference/activation_common.h"

#include <algorithm>
#include <cmath>

namespace tpulab::engine {

std::array<uint8_t, 256> make_activation_table(DType dtype, float in_scale, int32_t in_zp,
                                               float out_scale, int32_t out_zp,
                                               const std::function<float(float)>& f) {
  std::array<uint8_t, 256> table{};
  const float inverse_scale = 1 / out_scale;
  const int32_t lo = qmin(dtype), hi = qmax(dtype);
  for (int32_t v = lo; v <= hi; ++v) {
    const float dequantized = in_scale * static_cast<float>(v - in_zp);
    const float rescaled = std::round(f(dequantized) * inverse_scale);
    const auto q = static_cast<int32_t>(rescaled + static_cast<float>(out_zp));
    table[static_cast<uint8_t>(v)] = static_cast<uint8_t>(std::clamp(q, lo, hi));
  }
  return table;
}

void apply_table(const std::array<uint8_t, 256>& table, const uint8_t* in, uint8_t* out,
                 int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = table[in[i]];
}

void prepare_unary(OpContext& ctx) {
  const TensorRef& in = ctx.in(0);
  TensorRef& out = ctx.out(0);
  check_model(in.dtype == out.dtype, ctx, "output type differs from input type");
  out.shape = in.shape;
  if (is_8bit(in.dtype)) {
    check_quantized(in, ctx, "input");
    check_quantized(out, ctx, "output");
  }
}

}  // namespace tpulab::engine
