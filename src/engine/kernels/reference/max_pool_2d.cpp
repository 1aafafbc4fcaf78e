// MAX_POOL_2D reference kernel: the maximum over the window's in-bounds positions, then the
// fused activation's clamp.
#include <algorithm>
#include <limits>

#include "engine/kernels/reference/math_kernels.h"

namespace tpulab::engine {

namespace {

template <typename T>
void max_pool(const PoolPlan& p, const OpContext& ctx) {
  const T* in = ctx.in(0).as<T>();
  T* out = ctx.out(0).as<T>();
  for (int32_t b = 0; b < p.batches; ++b)
    for (int32_t oy = 0; oy < p.out_h; ++oy)
      for (int32_t ox = 0; ox < p.out_w; ++ox) {
        const int32_t y0 = oy * p.stride_h - p.pad_h, x0 = ox * p.stride_w - p.pad_w;
        const int32_t ky0 = std::max(0, -y0), ky1 = std::min(p.filter_h, p.in_h - y0);
        const int32_t kx0 = std::max(0, -x0), kx1 = std::min(p.filter_w, p.in_w - x0);
        for (int32_t c = 0; c < p.channels; ++c) {
          T m = std::numeric_limits<T>::lowest();
          for (int32_t ky = ky0; ky < ky1; ++ky)
            for (int32_t kx = kx0; kx < kx1; ++kx)
              m = std::max(
                  m, in[((int64_t{b} * p.in_h + y0 + ky) * p.in_w + x0 + kx) * p.channels + c]);
          T& o = out[((int64_t{b} * p.out_h + oy) * p.out_w + ox) * p.channels + c];
          if constexpr (std::is_same_v<T, float>)
            o = std::min(std::max(m, p.f_min), p.f_max);
          else
            o = static_cast<T>(std::clamp(static_cast<int32_t>(m), p.act_min, p.act_max));
        }
      }
}

class MaxPool2DReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override { plan_ = plan_pool_2d(ctx); }
  void eval(const OpContext& ctx) const override { max_pool_2d_reference(plan_, ctx); }

 private:
  PoolPlan plan_;
};

}  // namespace

void max_pool_2d_reference(const PoolPlan& p, const OpContext& ctx) {
  switch (p.dtype) {
    case DType::kUInt8:
      max_pool<uint8_t>(p, ctx);
      break;
    case DType::kInt8:
      max_pool<int8_t>(p, ctx);
      break;
    default:
      max_pool<float>(p, ctx);
      break;
  }
}

std::unique_ptr<Kernel> make_reference_max_pool_2d() {
  return std::make_unique<MaxPool2DReference>();
}

}  // namespace tpulab::engine
