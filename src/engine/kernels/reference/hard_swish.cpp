// HARD_SWISH reference kernel. 8-bit: TFLite's 16-bit fixed-point formulation (input on a
// "hires" scale 1/128 of the input scale, a saturated "relu-ish" factor in [0, 1], a truncating
// doubling high multiply, a final rounding shift). Float: x * min(6, max(0, x + 3)) / 6.
#include <algorithm>
#include <limits>

#include "engine/kernels/quantization.h"
#include "engine/kernels/reference/activation_common.h"

namespace tpulab::engine {

namespace {

// gemmlowp's 16-bit SaturatingRoundingDoublingHighMul.
int16_t srdhm16(int16_t a, int16_t b) {
  if (a == b && a == std::numeric_limits<int16_t>::min())
    return std::numeric_limits<int16_t>::max();
  const int32_t ab = int32_t{a} * int32_t{b};
  const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return static_cast<int16_t>((ab + nudge) / (1 << 15));
}
// Doubling high multiply rounding toward zero (ARM SQDMULH).
int16_t sdhm16(int16_t a, int16_t b) {
  if (a == b && a == std::numeric_limits<int16_t>::min())
    return std::numeric_limits<int16_t>::max();
  return static_cast<int16_t>((int32_t{a} * int32_t{b}) / (1 << 15));
}
int16_t saturating_left_shift16(int16_t v, int amount) {
  const int64_t r = int64_t{v} * (int64_t{1} << amount);
  return static_cast<int16_t>(std::clamp<int64_t>(r, -32768, 32767));
}
// Q31 multiplier rounded to Q15 (TFLite's DownScaleInt32ToInt16Multiplier).
int16_t to_q15(int32_t m) {
  constexpr int32_t kRound = 1 << 15;
  if (m >= std::numeric_limits<int32_t>::max() - kRound) return std::numeric_limits<int16_t>::max();
  return static_cast<int16_t>((m + kRound) >> 16);
}

class HardSwishReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    prepare_unary(ctx);
    const TensorRef& in = ctx.in(0);
    const TensorRef& out = ctx.out(0);
    dtype_ = in.dtype;
    if (dtype_ == DType::kFloat32) return;
    check_supported(is_8bit(dtype_), ctx, "HARD_SWISH on " + dtype_name(dtype_));
    zi_ = in.zero_point();
    zo_ = out.zero_point();
    // float arithmetic as in TFLite's prepare.
    const float hires_input_scale = (1.0f / 128.0f) * in.scale();
    const float reluish_scale = 3.0f / 32768.0f;
    const float output_multiplier = hires_input_scale / out.scale();
    const auto om = quantize_multiplier(static_cast<double>(output_multiplier));
    out_mult_ = to_q15(om.multiplier);
    out_exp_ = om.shift;
    check_supported(out_exp_ <= 0, ctx, "HARD_SWISH output scale below 1/128 of the input scale");
    const float reluish_multiplier = hires_input_scale / reluish_scale;
    const auto rm = quantize_multiplier(static_cast<double>(reluish_multiplier));
    reluish_mult_ = to_q15(rm.multiplier);
    reluish_exp_ = rm.shift;
  }

  void eval(const OpContext& ctx) const override {
    const int64_t n = ctx.in(0).num_elements();
    switch (dtype_) {
      case DType::kUInt8:
        run_q(ctx.in(0).as<uint8_t>(), ctx.out(0).as<uint8_t>(), n);
        break;
      case DType::kInt8:
        run_q(ctx.in(0).as<int8_t>(), ctx.out(0).as<int8_t>(), n);
        break;
      default: {
        const float* x = ctx.in(0).as<float>();
        float* y = ctx.out(0).as<float>();
        // LiteRT's reference kernel divides by 6 (its optimized one multiplies by 1/6).
        for (int64_t i = 0; i < n; ++i)
          y[i] = x[i] * std::min(6.0f, std::max(0.0f, x[i] + 3)) / 6.0f;
      }
    }
  }

 private:
  template <typename T>
  void run_q(const T* x, T* y, int64_t n) const {
    for (int64_t i = 0; i < n; ++i) {
      const auto v = static_cast<int16_t>(int32_t{x[i]} - zi_);
      const auto hires = static_cast<int16_t>(v * (1 << 7));
      const int16_t preshift_out = srdhm16(hires, out_mult_);
      int16_t reluish = hires;
      if (reluish_exp_ > 0) reluish = saturating_left_shift16(reluish, reluish_exp_ - 1);
      reluish = srdhm16(reluish, reluish_mult_);
      if (reluish_exp_ > 0) reluish = saturating_left_shift16(reluish, 1);
      if (reluish_exp_ < 0)
        reluish = static_cast<int16_t>(rounding_divide_by_pot(reluish, -reluish_exp_));
      reluish = static_cast<int16_t>((int32_t{reluish} + (1 << 15)) >> 1);
      const int16_t preshift = sdhm16(reluish, preshift_out);
      // TFLite adds the zero point in int16 (wrapping, in the extreme case of no final shift).
      const auto r = static_cast<int16_t>(rounding_divide_by_pot(preshift, -out_exp_) + zo_);
      y[i] = static_cast<T>(std::clamp<int32_t>(r, qmin(dtype_), qmax(dtype_)));
    }
  }

  DType dtype_ = DType::kFloat32;
  int32_t zi_ = 0, zo_ = 0;
  int16_t out_mult_ = 0, reluish_mult_ = 0;
  int out_exp_ = 0, reluish_exp_ = 0;
};

}  // namespace

std::unique_ptr<Kernel> make_reference_hard_swish() {
  return std::make_unique<HardSwishReference>();
}

}  // namespace tpulab::engine
