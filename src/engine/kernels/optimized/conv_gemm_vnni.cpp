#include "engine/kernels/optimized/conv_gemm_vnni.h"

#include <algorithm>
#include <cstring>

#include "engine/kernels/optimized/avx512.h"

namespace tpulab::engine::vnni {

namespace {

constexpr int kRows = 8;  // rows per register tile: up to 16 accumulators

TPULAB_AVX512 inline __m512i dot4(__m512i acc, const uint8_t* row, const __m512i& w) {
  int32_t four;
  std::memcpy(&four, row, sizeof(four));
  return _mm512_dpbusd_epi32(acc, _mm512_set1_epi32(four), w);
}

TPULAB_AVX512 inline __m512i load16(const int32_t* x, int32_t c) {
  return _mm512_loadu_si512(x + c);
}

// What the output stage of one 16-channel block needs, in registers for all rows of a tile
// (read through `p` after each store, they would be reloaded: the byte stores may alias them).
struct BlockParams {
  __m512i constant, d, zp, lo, hi;
  avx512::Requant q;
  bool has_d;
};

TPULAB_AVX512 inline BlockParams block_params(const GemmU8Params& p, int32_t c0) {
  return {load16(p.constant, c0),
          load16(p.d, c0),
          _mm512_set1_epi32(p.zp),
          _mm512_set1_epi32(p.lo),
          _mm512_set1_epi32(p.hi),
          avx512::requant_params(load16(p.mult, c0), load16(p.left, c0), load16(p.right, c0)),
          p.has_d};
}

// Requantizes, clamps and stores 16 channels of one row (n of them valid).
TPULAB_AVX512 inline void store16(const BlockParams& b, int32_t row_sum, __m512i acc, uint8_t* out,
                                  int32_t n) {
  __m512i x = _mm512_add_epi32(acc, b.constant);
  if (b.has_d) x = _mm512_add_epi32(x, _mm512_mullo_epi32(b.d, _mm512_set1_epi32(row_sum)));
  x = avx512::multiply_by_quantized_multiplier(x, b.q);
  x = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(x, b.zp), b.lo), b.hi);
  // Clamped to the output type, so truncating to bytes is exact for int8 and uint8 alike. Into
  // a register, then stored: vpmovdb straight to memory is slow on AMD CPUs.
  const __m128i bytes = _mm512_cvtepi32_epi8(x);
  if (n == 16)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), bytes);
  else
    _mm_mask_storeu_epi8(out, static_cast<__mmask16>((1u << n) - 1), bytes);
}

// Up to kRows rows against kBlocks (1 or 2) 16-channel blocks from `block` on, one 512-bit
// accumulator per row and block. Accumulators are named variables: GCC 12 shuffles registers
// around vpdpbusd when they live in an array.
template <int kBlocks>
TPULAB_AVX512 void tile(const GemmU8Params& p, const uint8_t* a, int64_t lda,
                        const int32_t* row_sums, int32_t rows, int32_t block, uint8_t* out) {
  const uint8_t* r[kRows];
  for (int i = 0; i < kRows; ++i) r[i] = a + lda * (i < rows ? i : 0);  // spare rows: row 0
  const int8_t* w = p.w + static_cast<int64_t>(block) * p.k4 * 16;
  const int64_t next = int64_t{p.k4} * 16;  // block + 1
  __m512i c00 = _mm512_setzero_si512(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
          c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00,
          c70 = c00, c71 = c00;
  for (int32_t k = 0; k < p.k4; k += 4, w += 64) {
    const __m512i w0 = _mm512_loadu_si512(w);
    c00 = dot4(c00, r[0] + k, w0), c10 = dot4(c10, r[1] + k, w0);
    c20 = dot4(c20, r[2] + k, w0), c30 = dot4(c30, r[3] + k, w0);
    c40 = dot4(c40, r[4] + k, w0), c50 = dot4(c50, r[5] + k, w0);
    c60 = dot4(c60, r[6] + k, w0), c70 = dot4(c70, r[7] + k, w0);
    if constexpr (kBlocks == 2) {
      const __m512i w1 = _mm512_loadu_si512(w + next);
      c01 = dot4(c01, r[0] + k, w1), c11 = dot4(c11, r[1] + k, w1);
      c21 = dot4(c21, r[2] + k, w1), c31 = dot4(c31, r[3] + k, w1);
      c41 = dot4(c41, r[4] + k, w1), c51 = dot4(c51, r[5] + k, w1);
      c61 = dot4(c61, r[6] + k, w1), c71 = dot4(c71, r[7] + k, w1);
    }
  }
  const __m512i acc[kRows][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31},
                                 {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
  for (int j = 0; j < kBlocks; ++j) {
    const int32_t c0 = (block + j) * 16, n = std::min(16, p.out_c - c0);
    const BlockParams b = block_params(p, c0);
    const int64_t out_c = p.out_c;
    for (int i = 0; i < rows; ++i)
      store16(b, b.has_d ? row_sums[i] : 0, acc[i][j], out + i * out_c + c0, n);
  }
}

TPULAB_AVX512 void gemm(const GemmU8Params& p, const uint8_t* a, int64_t lda,
                        const int32_t* row_sums, int32_t rows, uint8_t* out) {
  int32_t b = 0;
  for (; b + 2 <= p.blocks; b += 2)
    for (int32_t r = 0; r < rows; r += kRows)
      tile<2>(p, a + lda * r, lda, row_sums + r, std::min(kRows, rows - r), b,
              out + static_cast<int64_t>(r) * p.out_c);
  if (b < p.blocks)  // an odd block count's last block
    for (int32_t r = 0; r < rows; r += kRows)
      tile<1>(p, a + lda * r, lda, row_sums + r, std::min(kRows, rows - r), b,
              out + static_cast<int64_t>(r) * p.out_c);
}

}  // namespace

void gemm_u8(const GemmU8Params& p, const uint8_t* a, int64_t lda, const int32_t* row_sums,
             int32_t rows, uint8_t* out) {
  gemm(p, a, lda, row_sums, rows, out);
}

}  // namespace tpulab::engine::vnni
