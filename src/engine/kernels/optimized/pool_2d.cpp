// Optimized AVERAGE_POOL_2D and MAX_POOL_2D: NHWC windows walked tap by tap with the channel
// loop innermost (contiguous, vectorized by the compiler under the AVX2 target), output rows
// spread over the pool. Each output element sums (or maxes) its taps in the reference kernel's
// order with the same expressions, so results are bit-identical; non-AVX2 CPUs use the reference.
#include <algorithm>
#include <limits>
#include <type_traits>

#include "engine/kernels/optimized/avx2_requant.h"
#include "engine/kernels/optimized/optimized_kernels.h"
#include "engine/thread_pool.h"

namespace tpulab::engine {

namespace {

// The taps of output (oy, ox) that fall inside the input, as the reference computes them.
struct Window {
  int32_t y0, x0, ky0, ky1, kx0, kx1;
};
inline Window window(const PoolPlan& p, int32_t oy, int32_t ox) {
  Window w;
  w.y0 = oy * p.stride_h - p.pad_h;
  w.x0 = ox * p.stride_w - p.pad_w;
  w.ky0 = std::max(0, -w.y0);
  w.ky1 = std::min(p.filter_h, p.in_h - w.y0);
  w.kx0 = std::max(0, -w.x0);
  w.kx1 = std::min(p.filter_w, p.in_w - w.x0);
  return w;
}

// Output rows [r0, r1) (row = batch * out_h + oy). `acc` holds `channels` accumulators.
template <typename T, typename Acc>
TPULAB_AVX2 void average_rows(const PoolPlan& p, const T* in, T* out, int64_t r0, int64_t r1,
                              Acc* acc) {
  const int32_t nc = p.channels;
  for (int64_t r = r0; r < r1; ++r) {
    const auto b = static_cast<int32_t>(r / p.out_h), oy = static_cast<int32_t>(r % p.out_h);
    for (int32_t ox = 0; ox < p.out_w; ++ox) {
      const Window w = window(p, oy, ox);
      std::fill(acc, acc + nc, Acc{0});
      for (int32_t ky = w.ky0; ky < w.ky1; ++ky)
        for (int32_t kx = w.kx0; kx < w.kx1; ++kx) {
          const T* src = in + ((int64_t{b} * p.in_h + w.y0 + ky) * p.in_w + w.x0 + kx) * nc;
          for (int32_t c = 0; c < nc; ++c) acc[c] += src[c];
        }
      const int32_t count = std::max(0, w.ky1 - w.ky0) * std::max(0, w.kx1 - w.kx0);
      T* dst = out + (r * p.out_w + ox) * nc;
      if constexpr (std::is_same_v<T, float>) {
        const auto n = static_cast<float>(count);
        for (int32_t c = 0; c < nc; ++c) dst[c] = std::min(std::max(acc[c] / n, p.f_min), p.f_max);
      } else {
        for (int32_t c = 0; c < nc; ++c) {
          int32_t avg = 0;  // a window entirely in the padding, as the reference
          if (count > 0)
            avg = acc[c] > 0 ? (acc[c] + count / 2) / count : (acc[c] - count / 2) / count;
          dst[c] = static_cast<T>(std::clamp(avg, p.act_min, p.act_max));
        }
      }
    }
  }
}

template <typename T>
TPULAB_AVX2 void max_rows(const PoolPlan& p, const T* in, T* out, int64_t r0, int64_t r1) {
  const int32_t nc = p.channels;
  for (int64_t r = r0; r < r1; ++r) {
    const auto b = static_cast<int32_t>(r / p.out_h), oy = static_cast<int32_t>(r % p.out_h);
    for (int32_t ox = 0; ox < p.out_w; ++ox) {
      const Window w = window(p, oy, ox);
      T* dst = out + (r * p.out_w + ox) * nc;
      std::fill(dst, dst + nc, std::numeric_limits<T>::lowest());
      for (int32_t ky = w.ky0; ky < w.ky1; ++ky)
        for (int32_t kx = w.kx0; kx < w.kx1; ++kx) {
          const T* src = in + ((int64_t{b} * p.in_h + w.y0 + ky) * p.in_w + w.x0 + kx) * nc;
          for (int32_t c = 0; c < nc; ++c) dst[c] = std::max(dst[c], src[c]);
        }
      if constexpr (std::is_same_v<T, float>) {
        for (int32_t c = 0; c < nc; ++c) dst[c] = std::min(std::max(dst[c], p.f_min), p.f_max);
      } else {
        const auto lo = static_cast<T>(p.act_min), hi = static_cast<T>(p.act_max);
        for (int32_t c = 0; c < nc; ++c) dst[c] = std::clamp(dst[c], lo, hi);
      }
    }
  }
}

class Pool2DOptimized : public Kernel {
 public:
  explicit Pool2DOptimized(bool average) : average_(average) {}
  void prepare(OpContext& ctx) override {
    plan_ = plan_pool_2d(ctx);
    fast_ = avx2::supported();
  }
  size_t scratch_bytes(int threads) const override {
    // One row of int32 (or float) accumulators per thread, each slot 64-byte aligned.
    const size_t slot = (static_cast<size_t>(plan_.channels) * 4 + 63) / 64 * 64;
    return average_ ? slot * static_cast<size_t>(std::max(threads, 1)) : 0;
  }
  void eval(const OpContext& ctx) const override {
    if (!fast_) {
      if (average_)
        average_pool_2d_reference(plan_, ctx);
      else
        max_pool_2d_reference(plan_, ctx);
      return;
    }
    switch (plan_.dtype) {
      case DType::kUInt8:
        run<uint8_t, int32_t>(ctx);
        break;
      case DType::kInt8:
        run<int8_t, int32_t>(ctx);
        break;
      default:
        run<float, float>(ctx);
        break;
    }
  }

 private:
  template <typename T, typename Acc>
  void run(const OpContext& ctx) const {
    const T* in = ctx.in(0).as<T>();
    T* out = ctx.out(0).as<T>();
    const size_t slot = (static_cast<size_t>(plan_.channels) * 4 + 63) / 64 * 64;
    auto work = [&](int64_t r0, int64_t r1) {
      if (average_) {
        const int worker = ctx.pool ? ThreadPool::worker_index() : 0;
        auto* acc = reinterpret_cast<Acc*>(ctx.scratch.data() + slot * static_cast<size_t>(worker));
        average_rows<T, Acc>(plan_, in, out, r0, r1, acc);
      } else {
        max_rows<T>(plan_, in, out, r0, r1);
      }
    };
    const int64_t rows = int64_t{plan_.batches} * plan_.out_h;
    if (ctx.pool)
      ctx.pool->parallel_for(rows, work);
    else
      work(0, rows);
  }

  bool average_;
  PoolPlan plan_;
  bool fast_ = false;
};

}  // namespace

std::unique_ptr<Kernel> make_optimized_average_pool_2d() {
  return std::make_unique<Pool2DOptimized>(/*average=*/true);
}
std::unique_ptr<Kernel> make_optimized_max_pool_2d() {
  return std::make_unique<Pool2DOptimized>(/*average=*/false);
}

}  // namespace tpulab::engine
