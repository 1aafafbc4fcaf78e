// Pieces shared by the activation kernels (LOGISTIC, TANH, RELU, RELU6, HARD_SWISH).
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "engine/kernels/reference/math_kernels.h"

namespace tpulab::engine {

// A 256-entry table mapping every 8-bit input to its output, built as TFLite's
// PopulateLookupTable does: dequantize (float), transform (float), round(x / output scale),
// add the zero point (float), clamp. Indexed by the input's byte.
std::array<uint8_t, 256> make_activation_table(DType dtype, float in_scale, int32_t in_zp,
                                               float out_scale, int32_t out_zp,
                                               const std::function<float(float)>& f);
// out[i] = table[in[i]] over `n` bytes.
void apply_table(const std::array<uint8_t, 256>& table, const uint8_t* in, uint8_t* out, int64_t n);
// Checks one input and one output of the same type, sets the output shape to the input's.
void prepare_unary(OpContext& ctx);

}  // namespace tpulab::engine
