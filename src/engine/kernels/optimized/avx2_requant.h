// AVX2 versions of TFLite's requantization (bit-exact with multiply_by_quantized_multiplier)
// and of the final clamp-and-narrow. Only called from functions compiled with
// __attribute__((target("avx2"))) after a runtime check; the build itself has no -march.
#pragma once

// GCC 12's AVX-512 intrinsics start from an undefined vector that its own -W(maybe-)uninitialized
// then reports (GCC bug 105593); the warnings are silenced for the intrinsics headers only. This
// header is the one place that includes them (avx512.h includes it).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#else
#include <immintrin.h>
#endif

#include <cstdint>

#define TPULAB_AVX2 __attribute__((target("avx2")))

namespace tpulab::engine::avx2 {

// Whether this CPU runs the AVX2 paths (checked once).
bool supported();

// Per-lane MultiplyByQuantizedMultiplier(x, mult, shift) with left = max(shift, 0) and
// right = max(-shift, 0) given separately. The doubling high multiply with its nudge and
// truncating division equals floor((x * m + 2^30) / 2^31) for every input except the
// INT32_MIN * INT32_MIN overflow, which cannot occur because multipliers are non-negative.
TPULAB_AVX2 inline __m256i multiply_by_quantized_multiplier(__m256i x, __m256i mult, __m256i left,
                                                            __m256i right) {
  x = _mm256_sllv_epi32(x, left);
  const __m256i round = _mm256_set1_epi64x(int64_t{1} << 30);
  const __m256i even = _mm256_add_epi64(_mm256_mul_epi32(x, mult), round);
  const __m256i odd = _mm256_add_epi64(
      _mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(mult, 32)), round);
  // Bits 31..62 of each 64-bit sum: even lanes via a logical shift right, odd lanes via a
  // shift left by one (landing them in the upper half).
  const __m256i high =
      _mm256_blend_epi32(_mm256_srli_epi64(even, 31), _mm256_slli_epi64(odd, 1), 0xAA);
  // Rounding divide by 2^right, halves away from zero.
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, right), one);
  const __m256i remainder = _mm256_and_si256(high, mask);
  const __m256i negative = _mm256_cmpgt_epi32(_mm256_setzero_si256(), high);  // -1 where < 0
  const __m256i threshold = _mm256_sub_epi32(_mm256_srai_epi32(mask, 1), negative);
  const __m256i shifted = _mm256_srav_epi32(high, right);
  return _mm256_sub_epi32(shifted, _mm256_cmpgt_epi32(remainder, threshold));
}

// Narrows 16 int32 values (already clamped to the type's range) to bytes, in order.
template <bool kSigned>
TPULAB_AVX2 inline __m128i narrow16(__m256i a, __m256i b) {
  const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xD8);
  const __m128i lo = _mm256_castsi256_si128(w), hi = _mm256_extracti128_si256(w, 1);
  return kSigned ? _mm_packs_epi16(lo, hi) : _mm_packus_epi16(lo, hi);
}

// dst[i] = src[i] - zp as int16 for n 8-bit values (an im2col copy, a FULLY_CONNECTED input).
template <bool kSigned>
TPULAB_AVX2 inline void widen_minus_zp(const uint8_t* src, int16_t* dst, int64_t n, int32_t zp) {
  const __m256i z = _mm256_set1_epi16(static_cast<int16_t>(zp));
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    const __m256i v = kSigned ? _mm256_cvtepi8_epi16(raw) : _mm256_cvtepu8_epi16(raw);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_sub_epi16(v, z));
  }
  for (; i < n; ++i) {
    const int32_t v = kSigned ? int32_t{static_cast<int8_t>(src[i])} : int32_t{src[i]};
    dst[i] = static_cast<int16_t>(v - zp);
  }
}

}  // namespace tpulab::engine::avx2
