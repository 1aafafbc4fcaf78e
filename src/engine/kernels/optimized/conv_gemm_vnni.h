// The 8-bit GEMM of ConvGemm on CPUs with AVX-512 VNNI (avx512::enabled()): vpdpbusd on
// 512-bit vectors, two 16-channel blocks at a time, multiplies unsigned bytes by signed bytes
// four at a time, four times the multiply-adds per instruction of the int16 AVX2 GEMM. The
// operands are re-expressed so that they fit:
//   input  x - zx = u - zu   with u the byte read as unsigned (int8: x + 128), zu likewise;
//   filter w - zw = v + d    with v = w - 128 (uint8 filter) or w (int8), d = (w - zw) - v;
//   sum_k (u - zu)(v + d) = sum_k u v + d * sum_k u - zu * sum_k v - zu * d * K
// Every term is an integer identity evaluated modulo 2^32, so the result equals the reference
// kernel's accumulator bit for bit. Entries padding K to a multiple of 4 hold u = zu, v = 0.
#pragma once

#include <cstdint>

namespace tpulab::engine::vnni {

struct GemmU8Params {
  int32_t k4 = 0;      // K padded to a multiple of 4
  int32_t blocks = 0;  // 16-channel blocks
  int32_t out_c = 0;
  const int8_t* w = nullptr;  // [block][k4 / 4][16 channels][4]
  // Per channel, padded to blocks * 16: bias - zu * sum_k v - zu * d * k4; d; requantization
  // (as ConvGemm: left/right shifts).
  const int32_t *constant = nullptr, *d = nullptr, *mult = nullptr, *left = nullptr,
                *right = nullptr;
  int32_t zp = 0, lo = 0, hi = 0;
  bool has_d = true;  // false: every d is 0 (int8 filters), so row sums are not needed
};

// out[r][c] for `rows` rows of u bytes (row r at a + r * lda, k4 bytes) whose byte sums are
// row_sums[r] (read only when has_d).
void gemm_u8(const GemmU8Params& p, const uint8_t* a, int64_t lda, const int32_t* row_sums,
             int32_t rows, uint8_t* out);

}  // namespace tpulab::engine::vnni
