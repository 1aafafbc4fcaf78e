// Optimized QUANTIZE. From float to 8-bit (the input of int8 models with float interfaces): the
// reference's quantize_float on four doubles per AVX2 vector, with the same double quotient,
// rounding half away from zero (truncate, then step away from zero where the dropped fraction is
// at least one half: exact, unlike adding 0.5), clamping (NaN to the minimum: max_pd returns its
// second operand for NaN) and narrowing of clamped integers; CPUs without AVX2 use the
// reference. Between 8-bit types (uint8 -> int8 inputs): a 256-entry table, filled by the
// reference kernel itself from every possible input byte.
#include <array>

#include "engine/kernels/optimized/avx2_requant.h"
#include "engine/kernels/optimized/optimized_kernels.h"
#include "engine/thread_pool.h"

namespace tpulab::engine {

namespace {

// Four floats quantized, as int32.
TPULAB_AVX2 inline __m128i quantize4(const float* x, __m256d scale, __m256d zp, __m256d lo,
                                     __m256d hi) {
  const __m256d q = _mm256_div_pd(_mm256_cvtps_pd(_mm_loadu_ps(x)), scale);
  const __m256d t = _mm256_round_pd(q, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256d sign_bit = _mm256_set1_pd(-0.0);
  const __m256d frac = _mm256_andnot_pd(sign_bit, _mm256_sub_pd(q, t));  // |q - t|, exact
  const __m256d away = _mm256_and_pd(_mm256_cmp_pd(frac, _mm256_set1_pd(0.5), _CMP_GE_OQ),
                                     _mm256_or_pd(_mm256_and_pd(q, sign_bit), _mm256_set1_pd(1.0)));
  const __m256d r = _mm256_add_pd(_mm256_add_pd(t, away), zp);
  return _mm256_cvtpd_epi32(_mm256_min_pd(_mm256_max_pd(r, lo), hi));
}

template <bool kSigned>
TPULAB_AVX2 void quantize_floats(const float* x, uint8_t* y, int64_t n, double scale, int32_t zp,
                                 DType type) {
  const __m256d s = _mm256_set1_pd(scale), z = _mm256_set1_pd(zp);
  const __m256d lo = _mm256_set1_pd(qmin(type)), hi = _mm256_set1_pd(qmax(type));
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i words =
        _mm_packs_epi32(quantize4(x + i, s, z, lo, hi), quantize4(x + i + 4, s, z, lo, hi));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(y + i),
                     kSigned ? _mm_packs_epi16(words, words) : _mm_packus_epi16(words, words));
  }
  for (; i < n; ++i) {
    const int32_t v = quantize_float(x[i], scale, zp, type);
    y[i] = static_cast<uint8_t>(v);  // int8: the byte of its two's complement
  }
}

class QuantizeOptimized : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    reference_->prepare(ctx);  // checks and output shape
    const TensorRef& out = ctx.out(0);
    fast_ = ctx.in(0).dtype == DType::kFloat32 && avx2::supported();
    type_ = out.dtype;
    scale_ = out.scale();
    zp_ = out.zero_point();
    table_ = ctx.in(0).dtype != DType::kFloat32;
    if (table_) {
      std::array<uint8_t, 256> bytes;
      for (int i = 0; i < 256; ++i) bytes[i] = static_cast<uint8_t>(i);
      TensorRef in = ctx.in(0), out_ref = out;
      in.shape = out_ref.shape = {256};
      in.data = bytes.data();
      out_ref.data = lut_.data();
      in.bytes = out_ref.bytes = 256;
      OpContext all = ctx;
      all.inputs = {&in};
      all.outputs = {&out_ref};
      all.pool = nullptr;
      reference_->eval(all);
    }
  }
  void eval(const OpContext& ctx) const override {
    if (table_) {
      const uint8_t* x = ctx.in(0).data;
      uint8_t* y = ctx.out(0).data;
      for (int64_t i = 0, n = n_of(ctx); i < n; ++i) y[i] = lut_[x[i]];
      return;
    }
    if (!fast_) {
      reference_->eval(ctx);
      return;
    }
    const float* x = ctx.in(0).as<float>();
    uint8_t* y = ctx.out(0).data;
    auto work = [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        const int64_t first = c * kChunk, end = std::min(n_of(ctx), first + kChunk);
        if (type_ == DType::kInt8)
          quantize_floats<true>(x + first, y + first, end - first, scale_, zp_, type_);
        else
          quantize_floats<false>(x + first, y + first, end - first, scale_, zp_, type_);
      }
    };
    const int64_t chunks = (n_of(ctx) + kChunk - 1) / kChunk;
    if (ctx.pool)
      ctx.pool->parallel_for(chunks, work);
    else
      work(0, chunks);
  }

 private:
  static constexpr int64_t kChunk = 16384;  // elements per unit of parallel work
  static int64_t n_of(const OpContext& ctx) { return ctx.in(0).num_elements(); }

  std::unique_ptr<Kernel> reference_ = make_reference_quantize();
  bool fast_ = false, table_ = false;
  std::array<uint8_t, 256> lut_{};
  DType type_ = DType::kUInt8;
  double scale_ = 1.0;
  int32_t zp_ = 0;
};

}  // namespace

std::unique_ptr<Kernel> make_optimized_quantize() { return std::make_unique<QuantizeOptimized>(); }

}  // namespace tpulab::engine
