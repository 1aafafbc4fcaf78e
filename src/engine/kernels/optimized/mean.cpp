// Optimized MEAN for 8-bit tensors whose reduced axes are one contiguous run of dims followed by
// at least 8 kept elements (NHWC averaged over H and W: the global pooling of MobileNets): the
// sums of each kept position over the run, in int32 with AVX2 (integer sums: any order gives the
// reference's), then the reference's output stage (mean_output). Other shapes, float tensors and
// CPUs without AVX2 use the reference.
#include <algorithm>

#include "engine/kernels/optimized/avx2_requant.h"
#include "engine/kernels/optimized/optimized_kernels.h"

namespace tpulab::engine {

namespace {

// sums[i] += row[i] for n 8-bit values.
template <bool kSigned>
TPULAB_AVX2 void add_bytes(const uint8_t* row, int32_t* sums, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i raw = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(row + i));
    const __m256i v = kSigned ? _mm256_cvtepi8_epi32(raw) : _mm256_cvtepu8_epi32(raw);
    auto* s = reinterpret_cast<__m256i*>(sums + i);
    _mm256_storeu_si256(s, _mm256_add_epi32(_mm256_loadu_si256(s), v));
  }
  for (; i < n; ++i) sums[i] += kSigned ? int32_t{static_cast<int8_t>(row[i])} : int32_t{row[i]};
}

class MeanOptimized : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    plan_ = plan_mean(ctx);
    const MeanPlan& p = plan_;
    int32_t first = -1, last = -1;
    for (int32_t d = 0; d < p.rank; ++d)
      if (p.reduced[d]) {
        if (first < 0) first = d;
        last = d;
      }
    bool contiguous = first >= 0;
    outer_ = run_ = inner_ = 1;
    for (int32_t d = 0; d < p.rank; ++d) {
      if (d < first) outer_ *= p.dims[d];
      if (d >= first && d <= last) {
        run_ *= p.dims[d];
        contiguous = contiguous && p.reduced[d];
      }
      if (d > last) inner_ *= p.dims[d];
    }
    fast_ = contiguous && is_8bit(p.dtype) && inner_ >= 8 && run_ > 0 && avx2::supported();
  }
  // One row of int32 sums.
  size_t scratch_bytes(int /*threads*/) const override {
    return fast_ ? static_cast<size_t>(inner_) * sizeof(int32_t) : 0;
  }
  void eval(const OpContext& ctx) const override {
    if (!fast_) {
      mean_reference(plan_, ctx);
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
    auto* sums = reinterpret_cast<int32_t*>(ctx.scratch.data());
    const uint8_t* in = ctx.in(0).data;
    uint8_t* out = ctx.out(0).data;
    for (int64_t o = 0; o < outer_; ++o) {
      std::fill(sums, sums + inner_, 0);
      for (int64_t r = 0; r < run_; ++r)
        add_bytes<kSigned>(in + (o * run_ + r) * inner_, sums, inner_);
      for (int64_t i = 0; i < inner_; ++i) {
        const int32_t v = mean_output(plan_, sums[i]);
        out[o * inner_ + i] = static_cast<uint8_t>(v);  // int8: the byte of its two's complement
      }
    }
  }

  MeanPlan plan_;
  bool fast_ = false;
  int64_t outer_ = 1, run_ = 1, inner_ = 1;  // kept dims before, reduced run, kept dims after
};

}  // namespace

std::unique_ptr<Kernel> make_optimized_mean() { return std::make_unique<MeanOptimized>(); }

}  // namespace tpulab::engine
