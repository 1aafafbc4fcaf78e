// Optimized FULLY_CONNECTED for 8-bit tensors with a constant filter: the reference plan and its
// floating-point output stage (fully_connected_output: LiteRT requantizes this op in double),
// with the accumulators from _mm256_madd_epi16 on int16 operands whose zero points are already
// subtracted, so the sums equal the reference's term by term. Units are spread over the pool.
// Float tensors, computed filters and CPUs without AVX2 use the reference loops.
#include <algorithm>
#include <cstring>

#include "engine/kernels/optimized/avx2_requant.h"
#include "engine/kernels/optimized/optimized_kernels.h"
#include "engine/thread_pool.h"

namespace tpulab::engine {

namespace {

// The int32 sum of n16 (a multiple of 16) products of int16 pairs, modulo 2^32 like the
// reference's accumulator.
TPULAB_AVX2 int32_t dot16(const int16_t* a, const int16_t* b, int32_t n16) {
  __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
  int32_t i = 0;
  for (; i + 32 <= n16; i += 32) {
    acc0 = _mm256_add_epi32(
        acc0, _mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i)),
                                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i))));
    acc1 = _mm256_add_epi32(
        acc1, _mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i + 16)),
                                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i + 16))));
  }
  if (i < n16)
    acc0 = _mm256_add_epi32(
        acc0, _mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i)),
                                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i))));
  const __m256i acc = _mm256_add_epi32(acc0, acc1);
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

class FullyConnectedOptimized : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    plan_ = plan_fully_connected(ctx);
    const TensorRef* bias = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
    fast_ = is_8bit(plan_.dtype) && avx2::supported() && ctx.in(1).is_constant &&
            (bias == nullptr || bias->is_constant);
    if (!fast_) return;
    // Filter rows as int16 minus their zero point, zero-padded to a multiple of 16.
    depth16_ = (plan_.depth + 15) / 16 * 16;
    const bool is_signed = plan_.dtype == DType::kInt8;
    w_.assign(static_cast<size_t>(plan_.units) * depth16_, 0);
    for (int32_t u = 0; u < plan_.units; ++u)
      for (int32_t d = 0; d < plan_.depth; ++d) {
        const uint8_t raw = ctx.in(1).data[int64_t{u} * plan_.depth + d];
        const int32_t v = is_signed ? int32_t{static_cast<int8_t>(raw)} : int32_t{raw};
        w_[static_cast<size_t>(u) * depth16_ + d] = static_cast<int16_t>(v - plan_.filter_zp[u]);
      }
    bias_.assign(plan_.units, 0);
    if (bias) std::memcpy(bias_.data(), bias->data, sizeof(int32_t) * plan_.units);
  }
  // One input row as int16 minus its zero point, shared by every worker.
  size_t scratch_bytes(int /*threads*/) const override {
    return fast_ ? static_cast<size_t>(depth16_) * sizeof(int16_t) : 0;
  }
  void eval(const OpContext& ctx) const override {
    if (!fast_) {
      fully_connected_reference(plan_, ctx);
      return;
    }
    if (plan_.dtype == DType::kInt8)
      run<true>(ctx);
    else
      run<false>(ctx);
  }

 private:
  template <bool kSigned>
  void run(const OpContext& ctx) const {
    auto* x = reinterpret_cast<int16_t*>(ctx.scratch.data());
    std::fill(x + plan_.depth, x + depth16_, int16_t{0});
    for (int32_t b = 0; b < plan_.batches; ++b) {
      avx2::widen_minus_zp<kSigned>(ctx.in(0).data + int64_t{b} * plan_.depth, x, plan_.depth,
                                    plan_.input_zp);
      uint8_t* out = ctx.out(0).data + int64_t{b} * plan_.units;
      auto work = [&](int64_t u0, int64_t u1) {
        for (auto u = static_cast<int32_t>(u0); u < u1; ++u) {
          const int32_t acc = static_cast<int32_t>(
              static_cast<uint32_t>(
                  dot16(x, w_.data() + static_cast<size_t>(u) * depth16_, depth16_)) +
              static_cast<uint32_t>(bias_[u]));
          const int32_t v = fully_connected_output(plan_, acc, u);
          out[u] = static_cast<uint8_t>(v);  // int8: the byte of its two's complement
        }
      };
      if (ctx.pool)
        ctx.pool->parallel_for(plan_.units, work);
      else
        work(0, plan_.units);
    }
  }

  FullyConnectedPlan plan_;
  bool fast_ = false;
  int32_t depth16_ = 0;
  std::vector<int16_t> w_;
  std::vector<int32_t> bias_;
};

}  // namespace

std::unique_ptr<Kernel> make_optimized_fully_connected() {
  return std::make_unique<FullyConnectedOptimized>();
}

}  // namespace tpulab::engine
