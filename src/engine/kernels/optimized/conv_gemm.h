// 8-bit convolution as im2col + GEMM on int16 operands with int32 accumulation (AVX2
// _mm256_madd_epi16: exact, since |(x - zx) * (w - zw)| <= 255 * 255 and pairs fit in int32).
// Zero points are subtracted before the products (input in im2col, filter when packing), so the
// sums equal the reference kernel's term by term. On CPUs with AVX-512 VNNI the GEMM runs on
// bytes instead (conv_gemm_vnni.h: four times the multiply-adds per instruction, zero points folded
// into exact per-row and per-channel corrections). Used by CONV_2D.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/kernels/reference/math_kernels.h"

namespace tpulab::engine {

class ConvGemm {
 public:
  // Packs the filter (OHWI, same dtype as the plan) and bias for `p`. The GEMM runs on
  // AVX-512 VNNI bytes (conv_gemm_vnni.h) when avx512::enabled(), else on AVX2 int16.
  void init(const ConvPlan& p, const uint8_t* filter, const int32_t* bias);
  size_t scratch_bytes(int threads) const;
  // Computes the whole output; parallel over tiles of output pixels when `ctx.pool` is set.
  void run(const OpContext& ctx, const uint8_t* input, uint8_t* output) const;

 private:
  template <bool kSigned>
  void tile(const uint8_t* input, uint8_t* output, int64_t row0, int32_t rows, int16_t* a) const;
  // The GEMM and output stage for `rows` im2col rows in `a`, starting at output pixel `row0`.
  template <bool kSigned>
  void rows_gemm(const int16_t* a, uint8_t* output, int64_t row0, int32_t rows) const;
  void init_vnni(const uint8_t* filter, const int32_t* bias, size_t padded_c);
  size_t vnni_slot_bytes() const;
  // The VNNI path's im2col (unsigned bytes; `buf` is the thread's scratch slot) and GEMM.
  template <bool kSigned>
  void tile_vnni(const uint8_t* input, uint8_t* output, int64_t row0, int32_t rows,
                 uint8_t* buf) const;

  ConvPlan p_;
  int32_t k_ = 0, k_pad_ = 0, blocks_ = 0;  // K = kh*kw*in_c, padded to even; 16-channel blocks
  std::vector<int16_t> w_;                  // [block][k/2][16 channels][2]
  bool vnni_ = false;
  int32_t k4_ = 0;                     // VNNI: K padded to a multiple of 4
  std::vector<int8_t> w8_;             // VNNI: [block][k4/4][16 channels][4] (see conv_gemm_vnni.h)
  std::vector<int32_t> constant_, d_;  // VNNI: per channel
  bool has_d_ = true;                  // VNNI: some d is not 0, so rows' byte sums are needed
  // Padded to blocks_ * 16.
  std::vector<int32_t> bias_, mult_, left_, right_;
};

}  // namespace tpulab::engine
