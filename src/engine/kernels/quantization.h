// TFLite's integer requantization arithmetic, reproduced exactly: a real multiplier M is stored
// as a Q31 fixed-point value q and a power-of-two shift, and applied with gemmlowp's rounding
// (saturating rounding doubling high multiply, then rounding right shift).
#pragma once

#include <cstdint>
#include <utility>

#include "engine/kernel.h"

namespace tpulab::engine {

struct QuantizedMultiplier {
  int32_t multiplier = 0;  // Q31, in [2^30, 2^31) unless zero
  int shift = 0;           // > 0: left shift; < 0: right shift
};

// M = multiplier * 2^(shift - 31), as TFLite's QuantizeMultiplier computes it.
QuantizedMultiplier quantize_multiplier(double real_multiplier);
// For multipliers < 1 (TFLite's QuantizeMultiplierSmallerThanOneExp).
QuantizedMultiplier quantize_multiplier_smaller_than_one(double real_multiplier);

inline int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  bool overflow = a == b && a == INT32_MIN;
  int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  int32_t high = static_cast<int32_t>((ab + nudge) / (int64_t{1} << 31));
  return overflow ? INT32_MAX : high;
}

inline int32_t rounding_divide_by_pot(int32_t x, int exponent) {
  const int32_t mask = static_cast<int32_t>((int64_t{1} << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + ((x < 0) ? 1 : 0);
  return (x >> exponent) + ((remainder > threshold) ? 1 : 0);
}

// x * M with TFLite's default (double) rounding.
inline int32_t multiply_by_quantized_multiplier(int32_t x, QuantizedMultiplier m) {
  int left = m.shift > 0 ? m.shift : 0;
  int right = m.shift > 0 ? 0 : -m.shift;
  return rounding_divide_by_pot(
      saturating_rounding_doubling_high_mul(static_cast<int32_t>(static_cast<uint32_t>(x) << left),
                                            m.multiplier),
      right);
}

// The clamp range of a fused activation for a quantized output (TFLite's
// CalculateActivationRangeQuantized): [min, max] in the output's integer domain.
std::pair<int32_t, int32_t> quantized_activation_range(Activation a, const TensorRef& output);
// The same for float outputs.
std::pair<float, float> float_activation_range(Activation a);
// The same for int32 outputs (TFLite's CalculateActivationRange<int32_t>: activations other
// than the ReLU family do not clamp).
std::pair<int32_t, int32_t> int32_activation_range(Activation a);

// Two's-complement wrapping int32 arithmetic: TFLite's int32 ADD/SUB/MUL overflow the way the
// hardware (and its wasm build) wraps, and signed overflow is UB in C++.
inline int32_t wrapping_add(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}
inline int32_t wrapping_sub(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
}
inline int32_t wrapping_mul(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) * static_cast<uint32_t>(b));
}

}  // namespace tpulab::engine
