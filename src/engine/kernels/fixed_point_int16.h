// gemmlowp's 16-bit fixed-point arithmetic (FixedPoint<int16_t, IntegerBits>), reproduced bit for
// bit: TFLite's integer LSTM evaluates its gates with gemmlowp::logistic and gemmlowp::tanh on
// int16 Q(IntegerBits).(15 - IntegerBits) values. A value is its raw int16; the template
// parameter tracks the integer bits as gemmlowp's types do. All intermediate arithmetic is done
// in int32 and narrowed explicitly (gemmlowp's int16 add/sub wrap; the few saturating spots are
// marked).
#pragma once

#include <cstdint>
#include <limits>

namespace tpulab::engine::fp16 {

inline int16_t wrap(int32_t x) {
  return static_cast<int16_t>(static_cast<uint16_t>(static_cast<uint32_t>(x)));
}

// gemmlowp::SaturatingRoundingDoublingHighMul for int16.
inline int16_t srdhm(int16_t a, int16_t b) {
  if (a == b && a == std::numeric_limits<int16_t>::min())
    return std::numeric_limits<int16_t>::max();
  const int32_t ab = int32_t{a} * int32_t{b};
  const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return static_cast<int16_t>((ab + nudge) / (1 << 15));
}

// gemmlowp::RoundingDivideByPOT (round half away from zero), any int width up to 32 bits.
inline int32_t rounding_divide_by_pot(int32_t x, int exponent) {
  const int32_t mask = static_cast<int32_t>((int64_t{1} << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// gemmlowp::SaturatingRoundingMultiplyByPOT<exponent> for int16.
inline int16_t saturating_rounding_multiply_by_pot(int16_t x, int exponent) {
  if (exponent == 0) return x;
  if (exponent < 0) return static_cast<int16_t>(rounding_divide_by_pot(x, -exponent));
  const int32_t threshold = (1 << (16 - 1 - exponent)) - 1;
  if (x > threshold) return std::numeric_limits<int16_t>::max();
  if (x < -threshold) return std::numeric_limits<int16_t>::min();
  return wrap(int32_t{x} * (1 << exponent));
}

// A gemmlowp constant given as its int32 (Q0.31-scaled) initializer, narrowed to int16 as
// gemmlowp's RescaleConstantInitializer does.
inline int16_t constant(int32_t raw32) {
  return static_cast<int16_t>(rounding_divide_by_pot(raw32, 16));
}

template <int kIntegerBits>
struct Fixed {
  static constexpr int kFractionalBits = 15 - kIntegerBits;
  int16_t raw = 0;

  static Fixed from_raw(int32_t r) { return Fixed{wrap(r)}; }
  static Fixed one() {
    return from_raw(kIntegerBits == 0 ? std::numeric_limits<int16_t>::max()
                                      : (1 << kFractionalBits));
  }
  template <int kExponent>
  static Fixed constant_pot() {
    return from_raw(1 << (kFractionalBits + kExponent));
  }
};

template <int A>
Fixed<A> operator+(Fixed<A> a, Fixed<A> b) {
  return Fixed<A>::from_raw(int32_t{a.raw} + b.raw);
}
template <int A>
Fixed<A> operator-(Fixed<A> a, Fixed<A> b) {
  return Fixed<A>::from_raw(int32_t{a.raw} - b.raw);
}
template <int A>
Fixed<A> operator-(Fixed<A> a) {
  return Fixed<A>::from_raw(-int32_t{a.raw});
}
template <int A, int B>
Fixed<A + B> operator*(Fixed<A> a, Fixed<B> b) {
  return Fixed<A + B>{srdhm(a.raw, b.raw)};
}

// Changes the integer bits, rounding and saturating (gemmlowp::Rescale).
template <int To, int From>
Fixed<To> rescale(Fixed<From> x) {
  return Fixed<To>{saturating_rounding_multiply_by_pot(x.raw, From - To)};
}
// Multiplies by 2^E by changing only the type (gemmlowp::ExactMulByPot).
template <int E, int A>
Fixed<A + E> exact_mul_by_pot(Fixed<A> x) {
  return Fixed<A + E>{x.raw};
}

// gemmlowp::exp_on_interval_between_negative_one_quarter_and_0_excl.
inline Fixed<0> exp_on_interval_between_negative_one_quarter_and_0_excl(Fixed<0> a) {
  using F = Fixed<0>;
  const F constant_term{constant(1895147668)};     // exp(-1/8)
  const F constant_1_over_3{constant(715827883)};  // 1/3
  const F x = a + F::constant_pot<-3>();
  const F x2 = x * x;
  const F x3 = x2 * x;
  const F x4 = x2 * x2;
  const F x4_over_4{saturating_rounding_multiply_by_pot(x4.raw, -2)};
  const F x4_over_24_plus_x3_over_6_plus_x2_over_2{
      saturating_rounding_multiply_by_pot(((x4_over_4 + x3) * constant_1_over_3 + x2).raw, -1)};
  // 16-bit gemmlowp adds the last term saturating (it can reach 1.0).
  const F tail = constant_term * (x + x4_over_24_plus_x3_over_6_plus_x2_over_2);
  const int32_t sum = int32_t{constant_term.raw} + tail.raw;
  return F{static_cast<int16_t>(sum > 32767 ? 32767 : (sum < -32768 ? -32768 : sum))};
}

// gemmlowp::exp_on_negative_values.
template <int kIntegerBits>
Fixed<0> exp_on_negative_values(Fixed<kIntegerBits> a) {
  using InputF = Fixed<kIntegerBits>;
  using ResultF = Fixed<0>;
  constexpr int kFractionalBits = InputF::kFractionalBits;
  const InputF one_quarter = InputF::template constant_pot<-2>();
  const InputF mask = one_quarter - InputF::from_raw(1);
  const InputF a_mod_quarter_minus_one_quarter = InputF::from_raw(a.raw & mask.raw) - one_quarter;
  ResultF result = exp_on_interval_between_negative_one_quarter_and_0_excl(
      rescale<0>(a_mod_quarter_minus_one_quarter));
  const int16_t remainder = (a_mod_quarter_minus_one_quarter - a).raw;
  auto barrel = [&](int exponent, int32_t multiplier) {
    if (kIntegerBits > exponent) {
      const int shift = kFractionalBits + exponent;
      if ((int32_t{remainder} & (1 << shift)) != 0) result = result * ResultF{constant(multiplier)};
    }
  };
  barrel(-2, 1672461947);
  barrel(-1, 1302514674);
  barrel(0, 790015084);
  barrel(1, 290630308);
  barrel(2, 39332535);
  barrel(3, 720401);
  barrel(4, 242);
  if constexpr (kIntegerBits > 5) {
    constexpr int clamp_bits = 36 - kIntegerBits;
    const InputF clamp{constant(-(1 << clamp_bits))};  // -32
    if (a.raw < clamp.raw) result = ResultF{0};
  }
  if (a.raw == 0) result = ResultF::one();
  return result;
}

// Newton-Raphson steps shared by 1/(1+x) and (1-x)/(1+x) (gemmlowp).
inline Fixed<2> newton_reciprocal_of_half_denominator(Fixed<0> half_denominator) {
  using F2 = Fixed<2>;
  const F2 constant_48_over_17{constant(1515870810)};
  const F2 constant_neg_32_over_17{constant(-1010580540)};
  F2 x = constant_48_over_17 + half_denominator * constant_neg_32_over_17;
  for (int i = 0; i < 3; ++i) {
    const F2 half_denominator_times_x = half_denominator * x;
    const F2 one_minus_half_denominator_times_x = F2::one() - half_denominator_times_x;
    x = x + rescale<2>(x * one_minus_half_denominator_times_x);
  }
  return x;
}

// gemmlowp::RoundingHalfSum for int16.
inline int16_t rounding_half_sum(int16_t a, int16_t b) {
  const int32_t sum = int32_t{a} + int32_t{b};
  const int32_t sign = sum >= 0 ? 1 : -1;
  return static_cast<int16_t>((sum + sign) / 2);
}

inline Fixed<0> one_over_one_plus_x_for_x_in_0_1(Fixed<0> a) {
  const Fixed<0> half_denominator{rounding_half_sum(a.raw, Fixed<0>::one().raw)};
  return rescale<0>(exact_mul_by_pot<-1>(newton_reciprocal_of_half_denominator(half_denominator)));
}

inline Fixed<0> one_minus_x_over_one_plus_x_for_x_in_0_1(Fixed<0> a) {
  const Fixed<0> half_denominator{rounding_half_sum(a.raw, Fixed<0>::one().raw)};
  return rescale<0>(newton_reciprocal_of_half_denominator(half_denominator) - Fixed<2>::one());
}

// gemmlowp::logistic: Q(IntegerBits) in, Q0.15 out.
template <int kIntegerBits>
int16_t logistic(int16_t raw) {
  using InputF = Fixed<kIntegerBits>;
  const InputF a{raw};
  if (raw == 0) return constant(1 << 30);  // one half
  const InputF abs_input = raw > 0 ? a : -a;
  const Fixed<0> result_if_positive =
      one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(-abs_input));
  if (raw > 0) return result_if_positive.raw;
  return (Fixed<0>::one() - result_if_positive).raw;
}

// gemmlowp::tanh: Q(IntegerBits) in, Q0.15 out.
template <int kIntegerBits>
int16_t tanh(int16_t raw) {
  using InputF = Fixed<kIntegerBits>;
  const InputF a{raw};
  if (raw == 0) return 0;
  const InputF n = raw < 0 ? a : -a;
  const Fixed<0> t =
      one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(exact_mul_by_pot<1>(n)));
  return raw < 0 ? (-t).raw : t.raw;
}

}  // namespace tpulab::engine::fp16
