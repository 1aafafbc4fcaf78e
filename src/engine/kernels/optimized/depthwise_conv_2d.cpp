// Optimized DEPTHWISE_CONV_2D: blocks of 16 channels with _mm256_madd_epi16 on pairs of taps
// (int16 operands with the zero points already subtracted; taps in the padding contribute a zero
// input), then 8 channels per vector with int32 products, then a scalar tail: the reference's
// exact integer sums in any order. Rows of output pixels are spread over the pool. Depth
// multiplier 1 with constant filters; other cases (multiplier > 1 is rare in the models we run)
// use the reference loops.
#include <algorithm>
#include <array>
#include <cstring>

#include "engine/kernels/optimized/avx2_requant.h"
#include "engine/kernels/optimized/optimized_kernels.h"
#include "engine/kernels/quantization.h"
#include "engine/thread_pool.h"

namespace tpulab::engine {

namespace {

constexpr int32_t kMaxPairedTaps = 64;  // filters up to 8x8 take the 16-channel path

// 16 channels of one tap as int16 minus the input zero point; zeros for a tap in the padding.
template <bool kSigned>
TPULAB_AVX2 inline __m256i load_tap16(const uint8_t* src, int32_t c, __m256i zin) {
  if (src == nullptr) return _mm256_setzero_si256();
  const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + c));
  return _mm256_sub_epi16(kSigned ? _mm256_cvtepi8_epi16(raw) : _mm256_cvtepu8_epi16(raw), zin);
}

// Channels [0, c16) in blocks of 16 for output pixel (b, oy, ox). `w16` holds, per pair of taps
// and block, two vectors of (tap 2q, tap 2q+1) int16 pairs in the order unpacklo/unpackhi leave
// them: lanes of channels [0-3 | 8-11] and [4-7 | 12-15].
template <bool kSigned>
TPULAB_AVX2 void depthwise_pixel16(const ConvPlan& p, const uint8_t* in, uint8_t* o, int32_t b,
                                   int32_t oy, int32_t ox, int32_t c16, const int16_t* w16,
                                   const int32_t* bias, const int32_t* mult, const int32_t* left,
                                   const int32_t* right) {
  const int32_t taps = p.k_h * p.k_w, pairs = (taps + 1) / 2, blocks = p.out_c / 16;
  std::array<const uint8_t*, kMaxPairedTaps + 1> src{};  // null: the tap is in the padding
  for (int32_t ky = 0; ky < p.k_h; ++ky) {
    const int32_t iy = oy * p.stride_h - p.pad_h + ky * p.dil_h;
    for (int32_t kx = 0; kx < p.k_w; ++kx) {
      const int32_t ix = ox * p.stride_w - p.pad_w + kx * p.dil_w;
      const bool inside = iy >= 0 && iy < p.in_h && ix >= 0 && ix < p.in_w;
      src[ky * p.k_w + kx] =
          inside ? in + ((int64_t{b} * p.in_h + iy) * p.in_w + ix) * p.in_c : nullptr;
    }
  }
  const __m256i zin = _mm256_set1_epi16(static_cast<int16_t>(p.input_zp));
  const __m256i zout = _mm256_set1_epi32(p.output_zp);
  const __m256i lo = _mm256_set1_epi32(p.act_min), hi = _mm256_set1_epi32(p.act_max);
  for (int32_t c = 0; c < c16; c += 16) {
    __m256i acc_a = _mm256_setzero_si256(), acc_b = _mm256_setzero_si256();
    const int16_t* wb = w16 + static_cast<int64_t>(c / 16) * 32;
    for (int32_t q = 0; q < pairs; ++q) {
      const __m256i x0 = load_tap16<kSigned>(src[2 * q], c, zin);
      const __m256i x1 =
          2 * q + 1 < taps ? load_tap16<kSigned>(src[2 * q + 1], c, zin) : _mm256_setzero_si256();
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
          _mm256_add_epi32(v[h], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + ch)));
      x = avx2::multiply_by_quantized_multiplier(
          x, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mult + ch)),
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(left + ch)),
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(right + ch)));
      v[h] = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(x, zout), lo), hi);
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o + c), avx2::narrow16<kSigned>(v[0], v[1]));
  }
}

template <bool kSigned>
TPULAB_AVX2 void depthwise_row(const ConvPlan& p, const uint8_t* in, uint8_t* out, int32_t b,
                               int32_t oy, const int32_t* w, const int16_t* w16,
                               const int32_t* bias, const int32_t* mult, const int32_t* left,
                               const int32_t* right) {
  const int32_t c16 = w16 != nullptr ? p.out_c / 16 * 16 : 0;
  const int32_t c_vec = c16 + (p.out_c - c16) / 8 * 8;
  const __m256i zin = _mm256_set1_epi32(p.input_zp), zout = _mm256_set1_epi32(p.output_zp);
  const __m256i lo = _mm256_set1_epi32(p.act_min), hi = _mm256_set1_epi32(p.act_max);
  const int32_t ky0 = std::max(0, (p.pad_h - oy * p.stride_h + p.dil_h - 1) / p.dil_h);
  const int32_t ky1 = std::min(p.k_h, (p.in_h + p.pad_h - oy * p.stride_h + p.dil_h - 1) / p.dil_h);
  for (int32_t ox = 0; ox < p.out_w; ++ox) {
    uint8_t* o = out + ((int64_t{b} * p.out_h + oy) * p.out_w + ox) * p.out_c;
    if (c16 > 0) depthwise_pixel16<kSigned>(p, in, o, b, oy, ox, c16, w16, bias, mult, left, right);
    for (int32_t c = c16; c < c_vec; c += 8) {
      __m256i acc = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + c));
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
              reinterpret_cast<const __m256i*>(w + (int64_t{ky} * p.k_w + kx) * p.out_c + c));
          acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(x, f));
        }
      }
      acc = avx2::multiply_by_quantized_multiplier(
          acc, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mult + c)),
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(left + c)),
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(right + c)));
      acc = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(acc, zout), lo), hi);
      _mm_storel_epi64(reinterpret_cast<__m128i*>(o + c), avx2::narrow16<kSigned>(acc, acc));
    }
    for (int32_t c = c_vec; c < p.out_c; ++c) {  // channel tail
      int32_t acc = bias[c];
      for (int32_t ky = ky0; ky < ky1; ++ky) {
        const int32_t iy = oy * p.stride_h - p.pad_h + ky * p.dil_h;
        for (int32_t kx = 0; kx < p.k_w; ++kx) {
          const int32_t ix = ox * p.stride_w - p.pad_w + kx * p.dil_w;
          if (ix < 0 || ix >= p.in_w) continue;
          const uint8_t raw = in[((int64_t{b} * p.in_h + iy) * p.in_w + ix) * p.in_c + c];
          const int32_t x =
              (kSigned ? int32_t{static_cast<int8_t>(raw)} : int32_t{raw}) - p.input_zp;
          acc += x * w[(int64_t{ky} * p.k_w + kx) * p.out_c + c];
        }
      }
      acc = multiply_by_quantized_multiplier(acc, {p.multiplier[c], p.shift[c]}) + p.output_zp;
      const int32_t v = std::clamp(acc, p.act_min, p.act_max);
      o[c] = kSigned ? static_cast<uint8_t>(static_cast<int8_t>(v)) : static_cast<uint8_t>(v);
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
    // The 16-channel path's filter: pairs of taps (the last one paired with a zero), blocks of
    // 16 channels, in unpacklo/unpackhi order (see depthwise_pixel16).
    const int32_t blocks = n / 16, pairs = (taps + 1) / 2;
    w16_.clear();
    if (blocks > 0 && taps <= kMaxPairedTaps) {
      w16_.assign(static_cast<size_t>(pairs) * blocks * 32, 0);
      for (int32_t q = 0; q < pairs; ++q)
        for (int32_t blk = 0; blk < blocks; ++blk)
          for (int32_t e = 0; e < 32; ++e) {
            const int32_t vec = e / 16, lane = (e % 16) / 8, pos = (e % 8) / 2;
            const int32_t t = 2 * q + e % 2;
            const int32_t c = blk * 16 + lane * 8 + vec * 4 + pos;
            if (t < taps)
              w16_[(static_cast<size_t>(q) * blocks + blk) * 32 + e] =
                  static_cast<int16_t>(w_[int64_t{t} * n + c]);
          }
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
        const int16_t* w16 = w16_.empty() ? nullptr : w16_.data();
        if (plan_.dtype == DType::kInt8)
          depthwise_row<true>(plan_, in, out, b, oy, w_.data(), w16, bias_.data(), mult_.data(),
                              left_.data(), right_.data());
        else
          depthwise_row<false>(plan_, in, out, b, oy, w_.data(), w16, bias_.data(), mult_.data(),
                               left_.data(), right_.data());
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
  std::vector<int16_t> w16_;
};

}  // namespace

std::unique_ptr<Kernel> make_optimized_depthwise_conv_2d() {
  return std::make_unique<DepthwiseConv2DOptimized>();
}

}  // namespace tpulab::engine
