// Optimized DEPTHWISE_CONV_2D. With AVX-512: blocks of 32 channels, vpdpwssd on pairs of taps
// of raw inputs (int16), the input zero point folded into a per-channel constant
// (sum (x - zx) w = sum x w - zx sum w). Then blocks of 16 channels with _mm256_madd_epi16 on
// pairs of taps (int16 operands with the zero point subtracted), then 8 channels per vector with
// int32 products, then a scalar tail: the reference's exact integer sums in any order. Taps in
// the padding read a row of zero-point bytes, which contributes x - zx = 0 on every path. Rows of
// output pixels are spread over the pool. Depth multiplier 1 with constant filters; other cases
// (multiplier > 1 is rare in the models we run) use the reference loops.
#include <algorithm>
#include <array>
#include <cstring>

#include "engine/kernels/optimized/avx2_requant.h"
#include "engine/kernels/optimized/avx512.h"
#include "engine/kernels/optimized/optimized_kernels.h"
#include "engine/kernels/quantization.h"
#include "engine/thread_pool.h"

namespace tpulab::engine {

namespace {

constexpr int32_t kMaxPairedTaps = 64;  // filters up to 8x8 take the 16- and 32-channel paths

// Per tap of one output pixel, the input pixel it reads (its row of channels), or `zp_row`
// (channels of zero-point bytes) for a tap in the padding. An odd tap count gets one more entry,
// a copy of the last, which the paired paths multiply by zero filter taps.
using TapRows = std::array<const uint8_t*, kMaxPairedTaps + 1>;

inline void tap_rows(const ConvPlan& p, const uint8_t* in, const uint8_t* zp_row, int32_t b,
                     int32_t oy, int32_t ox, TapRows& src) {
  int32_t t = 0;
  for (int32_t ky = 0; ky < p.k_h; ++ky) {
    const int32_t iy = oy * p.stride_h - p.pad_h + ky * p.dil_h;
    for (int32_t kx = 0; kx < p.k_w; ++kx, ++t) {
      const int32_t ix = ox * p.stride_w - p.pad_w + kx * p.dil_w;
      const bool inside = iy >= 0 && iy < p.in_h && ix >= 0 && ix < p.in_w;
      src[t] = inside ? in + ((int64_t{b} * p.in_h + iy) * p.in_w + ix) * p.in_c : zp_row;
    }
  }
  src[t] = src[t - 1];
}

// What prepare() packs for the row loops; see DepthwiseConv2DOptimized::prepare.
struct Packed {
  const int32_t* w = nullptr;    // [tap][channel]: filter minus its zero point
  const int16_t* w16 = nullptr;  // 16-channel path, or null
  const int32_t *bias = nullptr, *mult = nullptr, *left = nullptr, *right = nullptr;
  const uint8_t* zp_row = nullptr;
  // The 32-channel AVX-512 path (blocks32 == 0: not used). Per block: pairs of taps, each two
  // vectors of (tap 2q, tap 2q+1) int16 pairs in the order unpacklo/unpackhi leave 512-bit
  // vectors: channels {0-3, 8-11, 16-19, 24-27} and {4-7, 12-15, 20-23, 28-31}. The per-channel
  // constants (bias - zx * sum of the filter's taps) and requantization come in the same order,
  // so the accumulators are requantized where they are and packs_epi32 restores channel order.
  int32_t blocks32 = 0;
  const int16_t* w32 = nullptr;  // [block][pair][2 vectors][32]
  // [block][2 vectors][16]; mask32 and half32: the rounding division's 2^right - 1 and half of it.
  const int32_t *constant32 = nullptr, *mult32 = nullptr, *left32 = nullptr, *right32 = nullptr,
                *mask32 = nullptr, *half32 = nullptr;
};

// Channel of lane j (0..15) of vector v (0: unpacklo, 1: unpackhi) in a block of 32.
constexpr int32_t lane_channel32(int32_t v, int32_t j) { return (j / 4) * 8 + v * 4 + j % 4; }

template <bool kSigned>
TPULAB_AVX512 inline __m512i load_raw32(const uint8_t* src) {
  const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src));
  return kSigned ? _mm512_cvtepi8_epi16(raw) : _mm512_cvtepu8_epi16(raw);
}

// Channels [0, 32 * blocks32) of one output pixel, its taps' rows in `src`.
template <bool kSigned>
TPULAB_AVX512 void depthwise_pixel32(const ConvPlan& p, const TapRows& src, const Packed& pk,
                                     uint8_t* o) {
  const Packed k = pk;  // a local copy: the byte stores below may alias a referenced one
  const int32_t pairs = (p.k_h * p.k_w + 1) / 2;
  const __m512i zout = _mm512_set1_epi32(p.output_zp);
  const __m512i lo = _mm512_set1_epi32(p.act_min), hi = _mm512_set1_epi32(p.act_max);
  const int16_t* w = k.w32;
  for (int32_t c = 0; c < k.blocks32 * 32; c += 32) {
    __m512i acc[2] = {_mm512_loadu_si512(k.constant32 + c),
                      _mm512_loadu_si512(k.constant32 + c + 16)};
    for (int32_t q = 0; q < pairs; ++q, w += 64) {
      const __m512i x0 = load_raw32<kSigned>(src[2 * q] + c);
      const __m512i x1 = load_raw32<kSigned>(src[2 * q + 1] + c);
      acc[0] = _mm512_dpwssd_epi32(acc[0], _mm512_unpacklo_epi16(x0, x1), _mm512_loadu_si512(w));
      acc[1] =
          _mm512_dpwssd_epi32(acc[1], _mm512_unpackhi_epi16(x0, x1), _mm512_loadu_si512(w + 32));
    }
    for (int v = 0; v < 2; ++v) {
      const int32_t e = c + 16 * v;
      const avx512::Requant q{_mm512_loadu_si512(k.mult32 + e), _mm512_loadu_si512(k.left32 + e),
                              _mm512_loadu_si512(k.right32 + e), _mm512_loadu_si512(k.mask32 + e),
                              _mm512_loadu_si512(k.half32 + e)};
      const __m512i x = avx512::multiply_by_quantized_multiplier(acc[v], q);
      acc[v] = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(x, zout), lo), hi);
    }
    // Each 128-bit lane of the words: 4 channels of vector 0, then the 4 after them of vector 1.
    // The values are clamped to the output type, so narrowing by truncation is exact.
    const __m512i words = _mm512_packs_epi32(acc[0], acc[1]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + c), _mm512_cvtepi16_epi8(words));
  }
}

// 16 channels of one tap as int16 minus the input zero point.
template <bool kSigned>
TPULAB_AVX2 inline __m256i load_tap16(const uint8_t* src, __m256i zin) {
  const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
  return _mm256_sub_epi16(kSigned ? _mm256_cvtepi8_epi16(raw) : _mm256_cvtepu8_epi16(raw), zin);
}

// Channels [c_first, c16) in blocks of 16 of one output pixel, its taps' rows in `src`. `k.w16`
// holds, per pair of taps and block, two vectors of (tap 2q, tap 2q+1) int16 pairs in the order
// unpacklo/unpackhi leave them: lanes of channels [0-3 | 8-11] and [4-7 | 12-15].
template <bool kSigned>
TPULAB_AVX2 void depthwise_pixel16(const ConvPlan& p, const TapRows& src, const Packed& k,
                                   int32_t c_first, int32_t c16, uint8_t* o) {
  const int32_t pairs = (p.k_h * p.k_w + 1) / 2, blocks = p.out_c / 16;
  const __m256i zin = _mm256_set1_epi16(static_cast<int16_t>(p.input_zp));
  const __m256i zout = _mm256_set1_epi32(p.output_zp);
  const __m256i lo = _mm256_set1_epi32(p.act_min), hi = _mm256_set1_epi32(p.act_max);
  for (int32_t c = c_first; c < c16; c += 16) {
    __m256i acc_a = _mm256_setzero_si256(), acc_b = _mm256_setzero_si256();
    const int16_t* wb = k.w16 + static_cast<int64_t>(c / 16) * 32;
    for (int32_t q = 0; q < pairs; ++q) {
      const __m256i x0 = load_tap16<kSigned>(src[2 * q] + c, zin);
      const __m256i x1 = load_tap16<kSigned>(src[2 * q + 1] + c, zin);
      const int16_t* wq = wb + static_cast<int64_t>(q) * blocks * 32;
      acc_a = _mm256_add_epi32(
          acc_a, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, x1),
                                   _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wq))));
      acc_b = _mm256_add_epi32(
          acc_b, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, x1),
                                   _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wq + 16))));
    }
    __m256i v[2] = {_mm256_permute2x128_si256(acc_a, acc_b, 0x20),
                    _mm256_permute2x128_si256(acc_a, acc_b, 0x31)};
    for (int h = 0; h < 2; ++h) {
      const int32_t ch = c + 8 * h;
      __m256i x =
          _mm256_add_epi32(v[h], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k.bias + ch)));
      x = avx2::multiply_by_quantized_multiplier(
          x, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k.mult + ch)),
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k.left + ch)),
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k.right + ch)));
      v[h] = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(x, zout), lo), hi);
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o + c), avx2::narrow16<kSigned>(v[0], v[1]));
  }
}

template <bool kSigned>
TPULAB_AVX2 void depthwise_row(const ConvPlan& p, const uint8_t* in, uint8_t* out, int32_t b,
                               int32_t oy, const Packed& k) {
  const int32_t c32 = k.blocks32 * 32;
  const int32_t c16 = k.w16 != nullptr ? p.out_c / 16 * 16 : 0;
  const int32_t c_vec = c16 + (p.out_c - c16) / 8 * 8;
  const __m256i zin = _mm256_set1_epi32(p.input_zp), zout = _mm256_set1_epi32(p.output_zp);
  const __m256i lo = _mm256_set1_epi32(p.act_min), hi = _mm256_set1_epi32(p.act_max);
  const int32_t ky0 = std::max(0, (p.pad_h - oy * p.stride_h + p.dil_h - 1) / p.dil_h);
  const int32_t ky1 = std::min(p.k_h, (p.in_h + p.pad_h - oy * p.stride_h + p.dil_h - 1) / p.dil_h);
  // Interior columns [ox_lo, ox_hi) read every kx inside the input, so tap t of pixel ox reads
  // the row start row[t] (or the zero-point row) plus col[t] + ox * step[t]: no bounds checks.
  const int32_t taps = p.k_h * p.k_w;
  const int32_t ox_lo = std::min(p.out_w, (p.pad_w + p.stride_w - 1) / p.stride_w);
  const int32_t last_ix = p.in_w - 1 + p.pad_w - (p.k_w - 1) * p.dil_w;  // of kx = 0, at most
  const int32_t ox_hi = last_ix < 0 ? ox_lo : std::clamp(last_ix / p.stride_w + 1, ox_lo, p.out_w);
  TapRows src, row;
  std::array<int64_t, kMaxPairedTaps + 1> col{}, step{};
  if (c16 > 0) {
    for (int32_t t = 0; t < taps; ++t) {
      const int32_t ky = t / p.k_w, kx = t % p.k_w;
      const int32_t iy = oy * p.stride_h - p.pad_h + ky * p.dil_h;
      const bool inside = iy >= 0 && iy < p.in_h;
      row[t] = inside ? in + (int64_t{b} * p.in_h + iy) * p.in_w * p.in_c : k.zp_row;
      col[t] = inside ? int64_t{kx * p.dil_w - p.pad_w} * p.in_c : 0;
      step[t] = inside ? int64_t{p.stride_w} * p.in_c : 0;
    }
  }
  for (int32_t ox = 0; ox < p.out_w; ++ox) {
    uint8_t* o = out + ((int64_t{b} * p.out_h + oy) * p.out_w + ox) * p.out_c;
    if (c16 > 0) {
      if (ox >= ox_lo && ox < ox_hi) {
        for (int32_t t = 0; t < taps; ++t) src[t] = row[t] + (col[t] + ox * step[t]);
        src[taps] = src[taps - 1];
      } else {
        tap_rows(p, in, k.zp_row, b, oy, ox, src);
      }
      if (c32 > 0) depthwise_pixel32<kSigned>(p, src, k, o);
      depthwise_pixel16<kSigned>(p, src, k, c32, c16, o);
    }
    for (int32_t c = c16; c < c_vec; c += 8) {
      __m256i acc = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k.bias + c));
      for (int32_t ky = ky0; ky < ky1; ++ky) {
        const int32_t iy = oy * p.stride_h - p.pad_h + ky * p.dil_h;
        for (int32_t kx = 0; kx < p.k_w; ++kx) {
          const int32_t ix = ox * p.stride_w - p.pad_w + kx * p.dil_w;
          if (ix < 0 || ix >= p.in_w) continue;
          const __m128i raw = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(
              in + ((int64_t{b} * p.in_h + iy) * p.in_w + ix) * p.in_c + c));
          const __m256i x = _mm256_sub_epi32(
              kSigned ? _mm256_cvtepi8_epi32(raw) : _mm256_cvtepu8_epi32(raw), zin);
          const __m256i f = _mm256_loadu_si256(
              reinterpret_cast<const __m256i*>(k.w + (int64_t{ky} * p.k_w + kx) * p.out_c + c));
          acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(x, f));
        }
      }
      acc = avx2::multiply_by_quantized_multiplier(
          acc, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k.mult + c)),
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k.left + c)),
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k.right + c)));
      acc = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(acc, zout), lo), hi);
      _mm_storel_epi64(reinterpret_cast<__m128i*>(o + c), avx2::narrow16<kSigned>(acc, acc));
    }
    for (int32_t c = c_vec; c < p.out_c; ++c) {  // channel tail
      int32_t acc = k.bias[c];
      for (int32_t ky = ky0; ky < ky1; ++ky) {
        const int32_t iy = oy * p.stride_h - p.pad_h + ky * p.dil_h;
        for (int32_t kx = 0; kx < p.k_w; ++kx) {
          const int32_t ix = ox * p.stride_w - p.pad_w + kx * p.dil_w;
          if (ix < 0 || ix >= p.in_w) continue;
          const uint8_t raw = in[((int64_t{b} * p.in_h + iy) * p.in_w + ix) * p.in_c + c];
          const int32_t x =
              (kSigned ? int32_t{static_cast<int8_t>(raw)} : int32_t{raw}) - p.input_zp;
          acc += x * k.w[(int64_t{ky} * p.k_w + kx) * p.out_c + c];
        }
      }
      acc = multiply_by_quantized_multiplier(acc, {p.multiplier[c], p.shift[c]}) + p.output_zp;
      const int32_t v = std::clamp(acc, p.act_min, p.act_max);
      o[c] = static_cast<uint8_t>(v);  // int8: the byte of its two's complement
    }
  }
}

class DepthwiseConv2DOptimized : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    plan_ = plan_depthwise_conv_2d(ctx);
    const TensorRef* bias = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
    fast_ = is_8bit(plan_.dtype) && plan_.depth_multiplier == 1 && avx2::supported() &&
            ctx.in(1).is_constant && (bias == nullptr || bias->is_constant);
    if (!fast_) return;
    const int32_t n = plan_.out_c, taps = plan_.k_h * plan_.k_w;
    const bool is_signed = plan_.dtype == DType::kInt8;
    w_.resize(static_cast<size_t>(taps) * n);
    for (int32_t t = 0; t < taps; ++t)
      for (int32_t c = 0; c < n; ++c) {
        const uint8_t raw = ctx.in(1).data[int64_t{t} * n + c];
        w_[int64_t{t} * n + c] =
            (is_signed ? int32_t{static_cast<int8_t>(raw)} : int32_t{raw}) - plan_.filter_zp[c];
      }
    bias_.assign(n, 0);
    if (bias) std::memcpy(bias_.data(), bias->data, sizeof(int32_t) * n);
    mult_ = plan_.multiplier;
    left_.resize(n);
    right_.resize(n);
    for (int32_t c = 0; c < n; ++c) {
      left_[c] = std::max(plan_.shift[c], 0);
      right_[c] = std::max(-plan_.shift[c], 0);
    }
    zp_row_.assign(static_cast<size_t>(plan_.in_c), static_cast<uint8_t>(plan_.input_zp));
    // The paired paths' filters: pairs of taps (an odd count's last paired with a zero), blocks
    // of 16 (32) channels, in unpacklo/unpackhi order (see depthwise_pixel16 and Packed).
    const int32_t pairs = (taps + 1) / 2;
    const bool paired = n >= 16 && taps <= kMaxPairedTaps;
    auto tap_weight = [&](int32_t t, int32_t c) {
      return t < taps ? static_cast<int16_t>(w_[int64_t{t} * n + c]) : int16_t{0};
    };
    const int32_t blocks16 = paired ? n / 16 : 0;
    w16_.assign(static_cast<size_t>(pairs) * blocks16 * 32, 0);
    for (int32_t q = 0; q < pairs; ++q)
      for (int32_t blk = 0; blk < blocks16; ++blk)
        for (int32_t e = 0; e < 32; ++e) {
          const int32_t vec = e / 16, lane = (e % 16) / 8, pos = (e % 8) / 2;
          w16_[(static_cast<size_t>(q) * blocks16 + blk) * 32 + e] =
              tap_weight(2 * q + e % 2, blk * 16 + lane * 8 + vec * 4 + pos);
        }
    const int32_t blocks32 = paired && avx512::enabled() ? n / 32 : 0;
    w32_.assign(static_cast<size_t>(blocks32) * pairs * 64, 0);
    constant32_.assign(static_cast<size_t>(blocks32) * 32, 0);
    mult32_ = left32_ = right32_ = mask32_ = half32_ = constant32_;
    for (int32_t blk = 0; blk < blocks32; ++blk)
      for (int32_t v = 0; v < 2; ++v)
        for (int32_t j = 0; j < 16; ++j) {
          const int32_t c = blk * 32 + lane_channel32(v, j);
          const size_t at = static_cast<size_t>(blk) * 32 + v * 16 + j;
          for (int32_t q = 0; q < pairs; ++q)
            for (int32_t i = 0; i < 2; ++i)
              w32_[((static_cast<size_t>(blk) * pairs + q) * 2 + v) * 32 + 2 * j + i] =
                  tap_weight(2 * q + i, c);
          // bias - zx * sum of the taps, modulo 2^32 like the accumulator.
          uint32_t sum = 0;
          for (int32_t t = 0; t < taps; ++t) sum += static_cast<uint32_t>(w_[int64_t{t} * n + c]);
          constant32_[at] = static_cast<int32_t>(static_cast<uint32_t>(bias_[c]) -
                                                 static_cast<uint32_t>(plan_.input_zp) * sum);
          mult32_[at] = mult_[c];
          left32_[at] = left_[c];
          right32_[at] = right_[c];
          mask32_[at] = static_cast<int32_t>((uint32_t{1} << right_[c]) - 1);
          half32_[at] = mask32_[at] >> 1;
        }
    packed_ = Packed{w_.data(),       blocks16 > 0 ? w16_.data() : nullptr,
                     bias_.data(),    mult_.data(),
                     left_.data(),    right_.data(),
                     zp_row_.data(),  blocks32,
                     w32_.data(),     constant32_.data(),
                     mult32_.data(),  left32_.data(),
                     right32_.data(), mask32_.data(),
                     half32_.data()};
  }

  void eval(const OpContext& ctx) const override {
    if (!fast_) {
      depthwise_conv_2d_reference(plan_, ctx);
      return;
    }
    const uint8_t* in = ctx.in(0).data;
    uint8_t* out = ctx.out(0).data;
    auto work = [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const auto b = static_cast<int32_t>(r / plan_.out_h),
                   oy = static_cast<int32_t>(r % plan_.out_h);
        if (plan_.dtype == DType::kInt8)
          depthwise_row<true>(plan_, in, out, b, oy, packed_);
        else
          depthwise_row<false>(plan_, in, out, b, oy, packed_);
      }
    };
    const int64_t rows = int64_t{plan_.batches} * plan_.out_h;
    if (ctx.pool)
      ctx.pool->parallel_for(rows, work);
    else
      work(0, rows);
  }

 private:
  ConvPlan plan_;
  bool fast_ = false;
  std::vector<int32_t> w_, bias_, mult_, left_, right_;
  std::vector<int16_t> w16_, w32_;
  std::vector<int32_t> constant32_, mult32_, left32_, right32_, mask32_, half32_;
  std::vector<uint8_t> zp_row_;
  Packed packed_;
};

}  // namespace

std::unique_ptr<Kernel> make_optimized_depthwise_conv_2d() {
  return std::make_unique<DepthwiseConv2DOptimized>();
}

}  // namespace tpulab::engine
