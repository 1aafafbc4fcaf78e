#include "engine/kernels/optimized/conv_gemm_vnni.h"

#include <algorithm>
#include <cstring>

#include "engine/kernels/optimized/avx2_requant.h"

#define TPULAB_VNNI __attribute__((target("avx2,avx512f,avx512vl,avx512vnni")))

namespace tpulab::engine::vnni {

namespace {

constexpr int kRows = 8;  // rows per register tile: 16 accumulators

TPULAB_VNNI inline __m256i dot4(__m256i acc, const uint8_t* row, const __m256i& w) {
  int32_t four;
  std::memcpy(&four, row, sizeof(four));
  return _mm256_dpbusd_epi32(acc, _mm256_set1_epi32(four), w);
}

TPULAB_VNNI inline __m256i load8(int32_t c, const int32_t* x) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + c));
}

// Requantizes, clamps and stores 16 channels of one row (n <= 16 of them valid).
template <bool kSigned>
TPULAB_VNNI inline void store16(const GemmU8Params& p, int32_t c0, int32_t row_sum, __m256i a0,
                                __m256i a1, uint8_t* out, int32_t n) {
  const __m256i sum = _mm256_set1_epi32(row_sum);
  __m256i v[2] = {a0, a1};
  for (int h = 0; h < 2; ++h) {
    const int32_t c = c0 + 8 * h;
    __m256i x = _mm256_add_epi32(v[h], load8(c, p.constant));
    x = _mm256_add_epi32(x, _mm256_mullo_epi32(load8(c, p.d), sum));
    x = avx2::multiply_by_quantized_multiplier(x, load8(c, p.mult), load8(c, p.left),
                                               load8(c, p.right));
    x = _mm256_add_epi32(x, _mm256_set1_epi32(p.zp));
    v[h] = _mm256_min_epi32(_mm256_max_epi32(x, _mm256_set1_epi32(p.lo)), _mm256_set1_epi32(p.hi));
  }
  const __m128i bytes = avx2::narrow16<kSigned>(v[0], v[1]);
  if (n == 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), bytes);
  } else {
    alignas(16) uint8_t tmp[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp), bytes);
    std::memcpy(out, tmp, static_cast<size_t>(n));
  }
}

// Up to kRows rows against one 16-channel block. Accumulators are named variables: GCC 12
// shuffles registers around vpdpbusd when they live in an array.
template <bool kSigned>
TPULAB_VNNI void tile(const GemmU8Params& p, const uint8_t* a, int64_t lda, const int32_t* row_sums,
                      int32_t rows, int32_t block, uint8_t* out) {
  const uint8_t* r[kRows];
  for (int i = 0; i < kRows; ++i) r[i] = a + lda * (i < rows ? i : 0);  // spare rows: row 0
  const int8_t* w = p.w + static_cast<int64_t>(block) * p.k4 * 16;
  __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
          c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00,
          c70 = c00, c71 = c00;
  for (int32_t k = 0; k < p.k4; k += 4, w += 64) {
    const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
    const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 32));
    c00 = dot4(c00, r[0] + k, w0), c01 = dot4(c01, r[0] + k, w1);
    c10 = dot4(c10, r[1] + k, w0), c11 = dot4(c11, r[1] + k, w1);
    c20 = dot4(c20, r[2] + k, w0), c21 = dot4(c21, r[2] + k, w1);
    c30 = dot4(c30, r[3] + k, w0), c31 = dot4(c31, r[3] + k, w1);
    c40 = dot4(c40, r[4] + k, w0), c41 = dot4(c41, r[4] + k, w1);
    c50 = dot4(c50, r[5] + k, w0), c51 = dot4(c51, r[5] + k, w1);
    c60 = dot4(c60, r[6] + k, w0), c61 = dot4(c61, r[6] + k, w1);
    c70 = dot4(c70, r[7] + k, w0), c71 = dot4(c71, r[7] + k, w1);
  }
  const int32_t c0 = block * 16, n = std::min(16, p.out_c - c0);
  const __m256i acc[kRows][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31},
                                 {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
  for (int i = 0; i < rows; ++i)
    store16<kSigned>(p, c0, row_sums[i], acc[i][0], acc[i][1],
                     out + static_cast<int64_t>(i) * p.out_c + c0, n);
}

template <bool kSigned>
TPULAB_VNNI void gemm(const GemmU8Params& p, const uint8_t* a, int64_t lda, const int32_t* row_sums,
                      int32_t rows, uint8_t* out) {
  for (int32_t b = 0; b < p.blocks; ++b)
    for (int32_t r = 0; r < rows; r += kRows)
      tile<kSigned>(p, a + lda * r, lda, row_sums + r, std::min(kRows, rows - r), b,
                    out + static_cast<int64_t>(r) * p.out_c);
}

}  // namespace

bool supported() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512vl") &&
                         __builtin_cpu_supports("avx512vnni");
  return ok;
}

void gemm_u8(const GemmU8Params& p, const uint8_t* a, int64_t lda, const int32_t* row_sums,
             int32_t rows, uint8_t* out) {
  if (p.is_signed)
    gemm<true>(p, a, lda, row_sums, rows, out);
  else
    gemm<false>(p, a, lda, row_sums, rows, out);
}

}  // namespace tpulab::engine::vnni
