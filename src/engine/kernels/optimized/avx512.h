// AVX-512 paths of the optimized kernels: 512-bit requantization (bit-exact with
// multiply_by_quantized_multiplier, like avx2::multiply_by_quantized_multiplier) and the switch
// that enables them. Every CPU with AVX-512 VNNI (Cascade Lake, Ice Lake, Sapphire Rapids, Zen 4
// and 5) also has F, BW, DQ and VL, so the paths ask for all five together.
#pragma once

#include <cstdint>

#include "engine/kernels/optimized/avx2_requant.h"  // the intrinsics

#define TPULAB_AVX512 __attribute__((target("avx2,avx512f,avx512bw,avx512dq,avx512vl,avx512vnni")))

namespace tpulab::engine::avx512 {

// Whether kernels prepared now may take the AVX-512 paths: the CPU has them and they are allowed.
bool enabled();

// Allows or forbids the AVX-512 paths for kernels prepared from now on (default allowed). Tests
// forbid them to check the AVX2 paths on CPUs that have AVX-512 too.
void allow(bool allowed);

// Per-lane requantization parameters of MultiplyByQuantizedMultiplier(x, mult, shift):
// left = max(shift, 0), right = max(-shift, 0), and the rounding division's mask
// (2^right - 1) and half of it. Loaded once where many rows share the channels.
struct Requant {
  __m512i mult, left, right, mask, half;
};

TPULAB_AVX512 inline Requant requant_params(__m512i mult, __m512i left, __m512i right) {
  const __m512i one = _mm512_set1_epi32(1);
  const __m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, right), one);
  return {mult, left, right, mask, _mm512_srai_epi32(mask, 1)};
}

// Per-lane MultiplyByQuantizedMultiplier; the same steps as the AVX2 version (avx2_requant.h).
TPULAB_AVX512 inline __m512i multiply_by_quantized_multiplier(__m512i x, const Requant& q) {
  x = _mm512_sllv_epi32(x, q.left);
  const __m512i round = _mm512_set1_epi64(int64_t{1} << 30);
  const __m512i even = _mm512_add_epi64(_mm512_mul_epi32(x, q.mult), round);
  const __m512i odd = _mm512_add_epi64(
      _mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(q.mult, 32)), round);
  const __m512i high =
      _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 31), _mm512_slli_epi64(odd, 1));
  // Rounding divide by 2^right, halves away from zero: +1 where the remainder exceeds half the
  // divisor (half plus one for negative values).
  const __m512i one = _mm512_set1_epi32(1);
  const __m512i remainder = _mm512_and_si512(high, q.mask);
  const __m512i threshold = _mm512_mask_add_epi32(
      q.half, _mm512_cmplt_epi32_mask(high, _mm512_setzero_si512()), q.half, one);
  const __m512i shifted = _mm512_srav_epi32(high, q.right);
  return _mm512_mask_add_epi32(shifted, _mm512_cmpgt_epi32_mask(remainder, threshold), shifted,
                               one);
}

}  // namespace tpulab::engine::avx512
