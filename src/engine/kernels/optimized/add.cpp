// Optimized ADD and SUB: same-shape 8-bit inputs, 8 elements per AVX2 vector through the same
// 20-bit rescaling pipeline as the reference; a small broadcast input through a table
// (broadcast_table.h); other broadcasting, float, int32 and non-AVX2 CPUs use the reference
// loop.
#include <algorithm>

#include "engine/kernels/optimized/avx2_requant.h"
#include "engine/kernels/optimized/broadcast_table.h"
#include "engine/kernels/optimized/optimized_kernels.h"
#include "engine/kernels/quantization.h"

namespace tpulab::engine {

namespace {

template <bool kSigned>
TPULAB_AVX2 inline __m256i widen(const uint8_t* s) {
  const __m128i raw = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(s));
  return kSigned ? _mm256_cvtepi8_epi32(raw) : _mm256_cvtepu8_epi32(raw);
}

template <bool kSigned>
TPULAB_AVX2 void add_avx2(const AddSubPlan& p, const uint8_t* a, const uint8_t* b, uint8_t* out,
                          int64_t n) {
  const __m256i off1 = _mm256_set1_epi32(p.input1_offset),
                off2 = _mm256_set1_epi32(p.input2_offset);
  const __m256i m1 = _mm256_set1_epi32(p.input1_multiplier),
                m2 = _mm256_set1_epi32(p.input2_multiplier);
  const __m256i mo = _mm256_set1_epi32(p.output_multiplier);
  const __m256i r1 = _mm256_set1_epi32(-p.input1_shift), r2 = _mm256_set1_epi32(-p.input2_shift);
  const __m256i ro = _mm256_set1_epi32(-p.output_shift), zero = _mm256_setzero_si256();
  const __m256i zo = _mm256_set1_epi32(p.output_offset);
  const __m256i lo = _mm256_set1_epi32(p.act_min), hi = _mm256_set1_epi32(p.act_max);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i x = _mm256_slli_epi32(_mm256_add_epi32(widen<kSigned>(a + i), off1), 20);
    const __m256i y = _mm256_slli_epi32(_mm256_add_epi32(widen<kSigned>(b + i), off2), 20);
    const __m256i sx = avx2::multiply_by_quantized_multiplier(x, m1, zero, r1);
    const __m256i sy = avx2::multiply_by_quantized_multiplier(y, m2, zero, r2);
    const __m256i raw = p.subtract ? _mm256_sub_epi32(sx, sy) : _mm256_add_epi32(sx, sy);
    __m256i r = avx2::multiply_by_quantized_multiplier(raw, mo, zero, ro);
    r = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(r, zo), lo), hi);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + i), avx2::narrow16<kSigned>(r, r));
  }
  for (; i < n; ++i) {
    auto load = [](uint8_t v) { return kSigned ? int32_t{static_cast<int8_t>(v)} : int32_t{v}; };
    const int32_t x = (load(a[i]) + p.input1_offset) * (1 << 20);
    const int32_t y = (load(b[i]) + p.input2_offset) * (1 << 20);
    const int32_t x1 = multiply_by_quantized_multiplier(x, {p.input1_multiplier, p.input1_shift});
    const int32_t y1 = multiply_by_quantized_multiplier(y, {p.input2_multiplier, p.input2_shift});
    const int32_t s = p.subtract ? x1 - y1 : x1 + y1;
    const int32_t r =
        std::clamp(multiply_by_quantized_multiplier(s, {p.output_multiplier, p.output_shift}) +
                       p.output_offset,
                   p.act_min, p.act_max);
    out[i] = static_cast<uint8_t>(r);  // int8: the byte of its two's complement
  }
}

class AddSubOptimized : public Kernel {
 public:
  explicit AddSubOptimized(bool subtract) : subtract_(subtract) {}
  void prepare(OpContext& ctx) override {
    plan_ = plan_add_sub(ctx, subtract_);
    fast_ =
        is_8bit(plan_.dtype) && plan_.bc.same_shape && plan_.left_shift == 20 && avx2::supported();
    table_ = plan_broadcast_table(plan_.bc, plan_.dtype);
  }
  size_t scratch_bytes(int /*threads*/) const override { return table_.scratch_bytes(); }
  void eval(const OpContext& ctx) const override {
    if (table_.small >= 0) {
      if (plan_.dtype == DType::kInt8)
        run_broadcast_table<int8_t>(table_, ctx, [this](int8_t x, int8_t y) {
          return add_sub_element<int8_t>(plan_, x, y);
        });
      else
        run_broadcast_table<uint8_t>(table_, ctx, [this](uint8_t x, uint8_t y) {
          return add_sub_element<uint8_t>(plan_, x, y);
        });
      return;
    }
    if (!fast_) {
      add_sub_reference(plan_, ctx);
      return;
    }
    const int64_t n = ctx.out(0).num_elements();
    if (plan_.dtype == DType::kInt8)
      add_avx2<true>(plan_, ctx.in(0).data, ctx.in(1).data, ctx.out(0).data, n);
    else
      add_avx2<false>(plan_, ctx.in(0).data, ctx.in(1).data, ctx.out(0).data, n);
  }

 private:
  bool subtract_;
  AddSubPlan plan_;
  bool fast_ = false;
  BroadcastTable table_;
};

}  // namespace

std::unique_ptr<Kernel> make_optimized_add() {
  return std::make_unique<AddSubOptimized>(/*subtract=*/false);
}
std::unique_ptr<Kernel> make_optimized_sub() {
  return std::make_unique<AddSubOptimized>(/*subtract=*/true);
}

}  // namespace tpulab::engine
