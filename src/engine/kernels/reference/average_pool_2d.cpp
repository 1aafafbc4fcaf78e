// AVERAGE_POOL_2D reference kernel: the mean over the window's in-bounds positions only
// (padding is not counted); 8-bit results round half away from zero as TFLite's integer
// division with a +-count/2 nudge does.
#include <algorithm>

#include "engine/kernels/reference/math_kernels.h"

namespace tpulab::engine {

namespace {

template <typename T, typename Acc>
void average_pool(const PoolPlan& p, const OpContext& ctx) {
  const T* in = ctx.in(0).as<T>();
  T* out = ctx.out(0).as<T>();
  for (int32_t b = 0; b < p.batches; ++b)
    for (int32_t oy = 0; oy < p.out_h; ++oy)
      for (int32_t ox = 0; ox < p.out_w; ++ox) {
        const int32_t y0 = oy * p.stride_h - p.pad_h, x0 = ox * p.stride_w - p.pad_w;
        const int32_t ky0 = std::max(0, -y0), ky1 = std::min(p.filter_h, p.in_h - y0);
        const int32_t kx0 = std::max(0, -x0), kx1 = std::min(p.filter_w, p.in_w - x0);
        for (int32_t c = 0; c < p.channels; ++c) {
          Acc acc = 0;
          int32_t count = 0;
          for (int32_t ky = ky0; ky < ky1; ++ky)
            for (int32_t kx = kx0; kx < kx1; ++kx) {
              acc += in[((int64_t{b} * p.in_h + y0 + ky) * p.in_w + x0 + kx) * p.channels + c];
              ++count;
            }
          T& o = out[((int64_t{b} * p.out_h + oy) * p.out_w + ox) * p.channels + c];
          if constexpr (std::is_same_v<T, float>) {
            o = std::min(std::max(acc / static_cast<float>(count), p.f_min), p.f_max);
          } else {
            int32_t avg = 0;  // a window entirely in the padding (TFLite divides by zero there)
            if (count > 0) avg = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
            o = static_cast<T>(std::clamp(avg, p.act_min, p.act_max));
          }
        }
      }
}

class AveragePool2DReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override { plan_ = plan_pool_2d(ctx); }
  void eval(const OpContext& ctx) const override { average_pool_2d_reference(plan_, ctx); }

 private:
  PoolPlan plan_;
};

}  // namespace

void average_pool_2d_reference(const PoolPlan& p, const OpContext& ctx) {
  switch (p.dtype) {
    case DType::kUInt8:
      average_pool<uint8_t, int32_t>(p, ctx);
      break;
    case DType::kInt8:
      average_pool<int8_t, int32_t>(p, ctx);
      break;
    default:
      average_pool<float, float>(p, ctx);
      break;
  }
}

std::unique_ptr<Kernel> make_reference_average_pool_2d() {
  return std::make_unique<AveragePool2DReference>();
}

}  // namespace tpulab::engine
