#include "engine/kernels/optimized/conv_gemm.h"

#include <algorithm>
#include <cstring>

#include "engine/kernels/optimized/avx2_requant.h"
#include "engine/kernels/optimized/avx512.h"
#include "engine/kernels/optimized/conv_gemm_vnni.h"
#include "engine/thread_pool.h"

namespace tpulab::engine {

namespace {

constexpr int32_t kTileRows = 64;  // output pixels per im2col tile
constexpr int32_t kBlock = 16;     // output channels per GEMM block

// acc[r][0..1] += A[r] . W for R rows of A (int16, row stride lda) and one packed channel block.
template <int R>
TPULAB_AVX2 inline void gemm_rows(const int16_t* a, int32_t lda, const int16_t* w, int32_t pairs,
                                  __m256i (&acc)[4][2]) {
  for (int32_t j = 0; j < pairs; ++j) {
    const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + j * 32));
    const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + j * 32 + 16));
    for (int r = 0; r < R; ++r) {
      int32_t pair;
      std::memcpy(&pair, a + r * lda + 2 * j, sizeof(pair));
      const __m256i x = _mm256_set1_epi32(pair);
      acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(x, w0));
      acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(x, w1));
    }
  }
}

struct BlockParams {
  __m256i bias[2], mult[2], left[2], right[2];
  __m256i zp, lo, hi;
};

template <bool kSigned>
TPULAB_AVX2 inline void store_block(const BlockParams& bp, __m256i (&acc)[2], uint8_t* out,
                                    int32_t n) {
  __m256i v[2];
  for (int h = 0; h < 2; ++h) {
    __m256i x = _mm256_add_epi32(acc[h], bp.bias[h]);
    x = avx2::multiply_by_quantized_multiplier(x, bp.mult[h], bp.left[h], bp.right[h]);
    x = _mm256_add_epi32(x, bp.zp);
    v[h] = _mm256_min_epi32(_mm256_max_epi32(x, bp.lo), bp.hi);
  }
  const __m128i bytes = avx2::narrow16<kSigned>(v[0], v[1]);
  if (n == kBlock) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), bytes);
  } else {
    alignas(16) uint8_t tmp[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp), bytes);
    std::memcpy(out, tmp, static_cast<size_t>(n));
  }
}

template <bool kSigned, int R>
TPULAB_AVX2 void gemm_tile(const int16_t* a, int32_t lda, int32_t pairs, const int16_t* w,
                           const BlockParams& bp, uint8_t* out, int32_t out_stride, int32_t n) {
  __m256i acc[4][2];
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
  gemm_rows<R>(a, lda, w, pairs, acc);
  for (int r = 0; r < R; ++r) store_block<kSigned>(bp, acc[r], out + r * out_stride, n);
}

template <bool kSigned>
TPULAB_AVX2 void gemm_avx2(const int16_t* a, int32_t rows, int32_t k_pad, const int16_t* w,
                           int32_t blocks, const int32_t* bias, const int32_t* mult,
                           const int32_t* left, const int32_t* right, int32_t zp, int32_t lo,
                           int32_t hi, uint8_t* out, int32_t out_c) {
  const int32_t pairs = k_pad / 2;
  for (int32_t b = 0; b < blocks; ++b) {
    BlockParams bp;
    for (int h = 0; h < 2; ++h) {
      const int32_t c = b * kBlock + h * 8;
      bp.bias[h] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + c));
      bp.mult[h] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mult + c));
      bp.left[h] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(left + c));
      bp.right[h] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(right + c));
    }
    bp.zp = _mm256_set1_epi32(zp);
    bp.lo = _mm256_set1_epi32(lo);
    bp.hi = _mm256_set1_epi32(hi);
    const int16_t* wb = w + static_cast<int64_t>(b) * pairs * 32;
    const int32_t n = std::min(kBlock, out_c - b * kBlock);
    uint8_t* ob = out + b * kBlock;
    int32_t r = 0;
    for (; r + 4 <= rows; r += 4)
      gemm_tile<kSigned, 4>(a + r * k_pad, k_pad, pairs, wb, bp, ob + int64_t{r} * out_c, out_c, n);
    switch (rows - r) {
      case 3:
        gemm_tile<kSigned, 3>(a + r * k_pad, k_pad, pairs, wb, bp, ob + int64_t{r} * out_c, out_c,
                              n);
        break;
      case 2:
        gemm_tile<kSigned, 2>(a + r * k_pad, k_pad, pairs, wb, bp, ob + int64_t{r} * out_c, out_c,
                              n);
        break;
      case 1:
        gemm_tile<kSigned, 1>(a + r * k_pad, k_pad, pairs, wb, bp, ob + int64_t{r} * out_c, out_c,
                              n);
        break;
      default:
        break;
    }
  }
}

// The VNNI GEMM's im2col copy of one tap: bytes as unsigned (int8 + 128: flip the sign bit).
template <bool kSigned>
TPULAB_AVX2 void copy_unsigned(const uint8_t* src, uint8_t* dst, int64_t n) {
  if constexpr (!kSigned) {
    std::memcpy(dst, src, static_cast<size_t>(n));
  } else {
    const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_xor_si256(v, flip));
    }
    for (; i + 8 <= n; i += 8) {
      uint64_t v;
      std::memcpy(&v, src + i, sizeof(v));
      v ^= 0x8080808080808080u;
      std::memcpy(dst + i, &v, sizeof(v));
    }
    for (; i < n; ++i) dst[i] = static_cast<uint8_t>(src[i] ^ 0x80);
  }
}

// The sum of n bytes as unsigned values.
TPULAB_AVX2 int32_t sum_bytes(const uint8_t* p, int64_t n) {
  __m256i acc = _mm256_setzero_si256();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32)
    acc = _mm256_add_epi64(
        acc, _mm256_sad_epu8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i)),
                             _mm256_setzero_si256()));
  alignas(32) int64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc);
  int64_t sum = lanes[0] + lanes[1] + lanes[2] + lanes[3];
  for (; i < n; ++i) sum += p[i];
  return static_cast<int32_t>(sum);
}

}  // namespace

void ConvGemm::init(const ConvPlan& p, const uint8_t* filter, const int32_t* bias) {
  p_ = p;
  vnni_ = avx512::enabled();
  k_ = p.k_h * p.k_w * p.in_c;
  k_pad_ = (k_ + 1) & ~1;
  k4_ = (k_ + 3) & ~3;
  blocks_ = (p.out_c + kBlock - 1) / kBlock;
  const int32_t pairs = k_pad_ / 2;
  const bool is_signed = p.dtype == DType::kInt8;
  const size_t n = static_cast<size_t>(blocks_) * kBlock;
  w_.clear();
  if (vnni_) {
    init_vnni(filter, bias, n);
  } else {
    w_.assign(static_cast<size_t>(blocks_) * pairs * 32, 0);
    for (int32_t oc = 0; oc < p.out_c; ++oc) {
      const int32_t b = oc / kBlock, c = oc % kBlock;
      for (int32_t k = 0; k < k_; ++k) {
        const uint8_t raw = filter[int64_t{oc} * k_ + k];
        const int32_t v =
            (is_signed ? int32_t{static_cast<int8_t>(raw)} : int32_t{raw}) - p.filter_zp[oc];
        w_[((static_cast<size_t>(b) * pairs + k / 2) * kBlock + c) * 2 + k % 2] =
            static_cast<int16_t>(v);
      }
    }
  }
  bias_.assign(n, 0);
  mult_.assign(n, 0);
  left_.assign(n, 0);
  right_.assign(n, 0);
  for (int32_t oc = 0; oc < p.out_c; ++oc) {
    if (bias) bias_[oc] = bias[oc];
    mult_[oc] = p.multiplier[oc];
    left_[oc] = std::max(p.shift[oc], 0);
    right_[oc] = std::max(-p.shift[oc], 0);
  }
}

void ConvGemm::init_vnni(const uint8_t* filter, const int32_t* bias, size_t padded_c) {
  const ConvPlan& p = p_;
  const bool is_signed = p.dtype == DType::kInt8;
  // Operands re-expressed for vpdpbusd (conv_gemm_vnni.h): v = w - 128 (uint8) or w (int8),
  // d = 128 - zw or -zw, zu = zx or zx + 128; constants evaluated modulo 2^32 like the sums.
  const int32_t zu = p.input_zp + (is_signed ? 128 : 0);
  const int32_t quads = k4_ / 4;
  has_d_ = false;
  w8_.assign(static_cast<size_t>(blocks_) * quads * kBlock * 4, 0);
  constant_.assign(padded_c, 0);
  d_.assign(padded_c, 0);
  for (int32_t oc = 0; oc < p.out_c; ++oc) {
    const int32_t b = oc / kBlock, c = oc % kBlock;
    uint32_t sum_v = 0;
    for (int32_t k = 0; k < k_; ++k) {
      const uint8_t raw = filter[int64_t{oc} * k_ + k];
      const int32_t v = is_signed ? int32_t{static_cast<int8_t>(raw)} : int32_t{raw} - 128;
      w8_[((static_cast<size_t>(b) * quads + k / 4) * kBlock + c) * 4 + k % 4] =
          static_cast<int8_t>(v);
      sum_v += static_cast<uint32_t>(v);
    }
    const int32_t d = (is_signed ? 0 : 128) - p.filter_zp[oc];
    d_[oc] = d;
    has_d_ = has_d_ || d != 0;
    const uint32_t bias_oc = bias ? static_cast<uint32_t>(bias[oc]) : 0u;
    constant_[oc] = static_cast<int32_t>(bias_oc - static_cast<uint32_t>(zu) * sum_v -
                                         static_cast<uint32_t>(zu) * static_cast<uint32_t>(d) *
                                             static_cast<uint32_t>(k4_));
  }
}

size_t ConvGemm::vnni_slot_bytes() const {
  // im2col rows of k4_ bytes, then the rows' byte sums; 64-byte aligned slots.
  const size_t rows = static_cast<size_t>(kTileRows) * static_cast<size_t>(k4_);
  return (rows + 63) / 64 * 64 + kTileRows * sizeof(int32_t);
}

size_t ConvGemm::scratch_bytes(int threads) const {
  const size_t slot =
      vnni_ ? vnni_slot_bytes()
            : static_cast<size_t>(kTileRows) * static_cast<size_t>(k_pad_) * sizeof(int16_t);
  return static_cast<size_t>(std::max(threads, 1)) * ((slot + 63) / 64 * 64);
}

template <bool kSigned>
void ConvGemm::tile_vnni(const uint8_t* input, uint8_t* output, int64_t row0, int32_t rows,
                         uint8_t* buf) const {
  const ConvPlan& p = p_;
  auto* sums =
      reinterpret_cast<int32_t*>(buf + (static_cast<size_t>(kTileRows) * k4_ + 63) / 64 * 64);
  const auto zu = static_cast<uint8_t>(p.input_zp + (kSigned ? 128 : 0));
  const bool pointwise = p.k_h == 1 && p.k_w == 1 && p.stride_h == 1 && p.stride_w == 1 &&
                         p.pad_h == 0 && p.pad_w == 0 && k4_ == k_;
  const uint8_t* a = buf;
  if (pointwise && !kSigned) {
    a = input + row0 * p.in_c;  // the input rows are the im2col rows
  } else if (pointwise) {
    copy_unsigned<kSigned>(input + row0 * p.in_c, buf, int64_t{rows} * p.in_c);
  } else {
    for (int32_t r = 0; r < rows; ++r) {
      const int64_t m = row0 + r;
      const int32_t ox = static_cast<int32_t>(m % p.out_w);
      const int32_t oy = static_cast<int32_t>((m / p.out_w) % p.out_h);
      const int32_t b = static_cast<int32_t>(m / (int64_t{p.out_w} * p.out_h));
      uint8_t* dst = buf + static_cast<int64_t>(r) * k4_;
      // Undilated columns all inside the input: each kernel row is one contiguous run of
      // k_w * in_c bytes (the first convolution's 3x3x3 taps: 3 copies of 9 bytes, not 9 of 3).
      const int32_t ix0 = ox * p.stride_w - p.pad_w;
      const bool whole_rows = p.dil_w == 1 && ix0 >= 0 && ix0 + p.k_w <= p.in_w;
      for (int32_t ky = 0; ky < p.k_h; ++ky) {
        const int32_t iy = oy * p.stride_h - p.pad_h + ky * p.dil_h;
        if (whole_rows && iy >= 0 && iy < p.in_h) {
          const int32_t n = p.k_w * p.in_c;
          copy_unsigned<kSigned>(input + ((int64_t{b} * p.in_h + iy) * p.in_w + ix0) * p.in_c, dst,
                                 n);
          dst += n;
          continue;
        }
        for (int32_t kx = 0; kx < p.k_w; ++kx, dst += p.in_c) {
          const int32_t ix = ox * p.stride_w - p.pad_w + kx * p.dil_w;
          if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w)
            std::memset(dst, zu, static_cast<size_t>(p.in_c));  // contributes u - zu = 0
          else
            copy_unsigned<kSigned>(input + ((int64_t{b} * p.in_h + iy) * p.in_w + ix) * p.in_c, dst,
                                   p.in_c);
        }
      }
      std::memset(dst, zu, static_cast<size_t>(k4_ - k_));
    }
  }
  if (has_d_)
    for (int32_t r = 0; r < rows; ++r) sums[r] = sum_bytes(a + static_cast<int64_t>(r) * k4_, k4_);
  vnni::GemmU8Params g;
  g.k4 = k4_;
  g.blocks = blocks_;
  g.out_c = p.out_c;
  g.w = w8_.data();
  g.constant = constant_.data();
  g.d = d_.data();
  g.mult = mult_.data();
  g.left = left_.data();
  g.right = right_.data();
  g.zp = p.output_zp;
  g.lo = p.act_min;
  g.hi = p.act_max;
  g.has_d = has_d_;
  vnni::gemm_u8(g, a, k4_, sums, rows, output + row0 * p.out_c);
}

template <bool kSigned>
void ConvGemm::tile(const uint8_t* input, uint8_t* output, int64_t row0, int32_t rows,
                    int16_t* a) const {
  const ConvPlan& p = p_;
  // im2col: one row of K int16 values (x - zp; 0 for taps in the padding) per output pixel.
  // A 1x1 stride-1 convolution over an even number of channels reads the tile's pixels as one
  // contiguous block, already in row order.
  const bool pointwise = p.k_h == 1 && p.k_w == 1 && p.stride_h == 1 && p.stride_w == 1 &&
                         p.pad_h == 0 && p.pad_w == 0 && k_pad_ == k_;
  if (pointwise) {
    avx2::widen_minus_zp<kSigned>(input + row0 * p.in_c, a, int64_t{rows} * p.in_c, p.input_zp);
    rows_gemm<kSigned>(a, output, row0, rows);
    return;
  }
  for (int32_t r = 0; r < rows; ++r) {
    const int64_t m = row0 + r;
    const int32_t ox = static_cast<int32_t>(m % p.out_w);
    const int32_t oy = static_cast<int32_t>((m / p.out_w) % p.out_h);
    const int32_t b = static_cast<int32_t>(m / (int64_t{p.out_w} * p.out_h));
    int16_t* dst = a + static_cast<int64_t>(r) * k_pad_;
    for (int32_t ky = 0; ky < p.k_h; ++ky) {
      const int32_t iy = oy * p.stride_h - p.pad_h + ky * p.dil_h;
      for (int32_t kx = 0; kx < p.k_w; ++kx, dst += p.in_c) {
        const int32_t ix = ox * p.stride_w - p.pad_w + kx * p.dil_w;
        if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w) {
          std::fill(dst, dst + p.in_c, int16_t{0});
          continue;
        }
        const uint8_t* src = input + ((int64_t{b} * p.in_h + iy) * p.in_w + ix) * p.in_c;
        avx2::widen_minus_zp<kSigned>(src, dst, p.in_c, p.input_zp);
      }
    }
    if (k_pad_ > k_) *dst = 0;
  }
  rows_gemm<kSigned>(a, output, row0, rows);
}

template <bool kSigned>
void ConvGemm::rows_gemm(const int16_t* a, uint8_t* output, int64_t row0, int32_t rows) const {
  gemm_avx2<kSigned>(a, rows, k_pad_, w_.data(), blocks_, bias_.data(), mult_.data(), left_.data(),
                     right_.data(), p_.output_zp, p_.act_min, p_.act_max, output + row0 * p_.out_c,
                     p_.out_c);
}

void ConvGemm::run(const OpContext& ctx, const uint8_t* input, uint8_t* output) const {
  const int64_t m = int64_t{p_.batches} * p_.out_h * p_.out_w;
  const int64_t tiles = (m + kTileRows - 1) / kTileRows;
  const size_t slot = scratch_bytes(1);
  auto work = [&](int64_t t0, int64_t t1) {
    uint8_t* buf =
        ctx.scratch.data() + slot * static_cast<size_t>(ctx.pool ? ThreadPool::worker_index() : 0);
    auto* a = reinterpret_cast<int16_t*>(buf);
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t row0 = t * kTileRows;
      const auto rows = static_cast<int32_t>(std::min<int64_t>(kTileRows, m - row0));
      if (vnni_ && p_.dtype == DType::kInt8)
        tile_vnni<true>(input, output, row0, rows, buf);
      else if (vnni_)
        tile_vnni<false>(input, output, row0, rows, buf);
      else if (p_.dtype == DType::kInt8)
        tile<true>(input, output, row0, rows, a);
      else
        tile<false>(input, output, row0, rows, a);
    }
  };
  if (ctx.pool)
    ctx.pool->parallel_for(tiles, work);
  else
    work(0, tiles);
}

}  // namespace tpulab::engine
