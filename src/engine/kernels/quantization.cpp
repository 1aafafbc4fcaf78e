#include "engine/kernels/quantization.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"

namespace tpulab::engine {

QuantizedMultiplier quantize_multiplier(double real_multiplier) {
  QuantizedMultiplier out;
  if (real_multiplier == 0.0) return out;
  int shift = 0;
  const double q = std::frexp(real_multiplier, &shift);
  auto q_fixed = static_cast<int64_t>(std::round(q * static_cast<double>(int64_t{1} << 31)));
  if (q_fixed == (int64_t{1} << 31)) {
    q_fixed /= 2;
    ++shift;
  }
  // Multipliers too small to represent flush to zero, as TFLite does.
  if (shift < -31) {
    shift = 0;
    q_fixed = 0;
  }
  if (shift > 30) {
    shift = 30;
    q_fixed = (int64_t{1} << 31) - 1;
  }
  out.multiplier = static_cast<int32_t>(q_fixed);
  out.shift = shift;
  return out;
}

QuantizedMultiplier quantize_multiplier_smaller_than_one(double real_multiplier) {
  if (!(real_multiplier < 1.0 && real_multiplier > 0.0))
    throw UnsupportedError("requantization multiplier must be in (0, 1)",
                           std::to_string(real_multiplier));
  return quantize_multiplier(real_multiplier);
}

std::pair<int32_t, int32_t> quantized_activation_range(Activation a, const TensorRef& output) {
  int32_t qmin = 0, qmax = 0;
  switch (output.dtype) {
    case DType::kUInt8:
      qmin = 0;
      qmax = 255;
      break;
    case DType::kInt8:
      qmin = -128;
      qmax = 127;
      break;
    case DType::kInt16:
      qmin = -32768;
      qmax = 32767;
      break;
    default:
      throw UnsupportedError("quantized activation range needs uint8, int8 or int16",
                             dtype_name(output.dtype));
  }
  const float scale = output.scale();
  const int32_t zp = output.zero_point();
  auto quantize = [&](float f) { return zp + static_cast<int32_t>(std::round(f / scale)); };
  switch (a) {
    case Activation::kNone:
      return {qmin, qmax};
    case Activation::kRelu:
      return {std::max(qmin, quantize(0.0f)), qmax};
    case Activation::kRelu6:
      return {std::max(qmin, quantize(0.0f)), std::min(qmax, quantize(6.0f))};
    case Activation::kReluN1To1:
      return {std::max(qmin, quantize(-1.0f)), std::min(qmax, quantize(1.0f))};
    default:
      throw UnsupportedError("fused activation " + activation_name(a) + " on a quantized output",
                             "");
  }
}

std::pair<float, float> float_activation_range(Activation a) {
  // TFLite clamps to the finite float range (not +-inf), which maps +-inf inputs to +-FLT_MAX.
  constexpr float lowest = std::numeric_limits<float>::lowest();
  constexpr float highest = std::numeric_limits<float>::max();
  switch (a) {
    case Activation::kNone:
      return {lowest, highest};
    case Activation::kRelu:
      return {0.0f, highest};
    case Activation::kRelu6:
      return {0.0f, 6.0f};
    case Activation::kReluN1To1:
      return {-1.0f, 1.0f};
    default:
      throw UnsupportedError("fused activation " + activation_name(a) + " on a float output", "");
  }
}

std::pair<int32_t, int32_t> int32_activation_range(Activation a) {
  switch (a) {
    case Activation::kRelu:
      return {0, std::numeric_limits<int32_t>::max()};
    case Activation::kRelu6:
      return {0, 6};
    case Activation::kReluN1To1:
      return {-1, 1};
    default:
      return {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
  }
}

}  // namespace tpulab::engine
