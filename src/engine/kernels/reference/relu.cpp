// RELU and RELU6 reference kernels (one clamp kernel with two ranges). 8-bit: TFLite's ReluX,
// which also rescales: out = clamp(zo + MultiplyByQuantizedMultiplier(x - zi, si / so)) with the
// clamp bounds quantized on the output scale.
#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/kernels/quantization.h"
#include "engine/kernels/reference/activation_common.h"

namespace tpulab::engine {

namespace {

class ClampReference : public Kernel {
 public:
  ClampReference(float lo, float hi) : lo_(lo), hi_(hi) {}

  void prepare(OpContext& ctx) override {
    prepare_unary(ctx);
    const TensorRef& in = ctx.in(0);
    const TensorRef& out = ctx.out(0);
    dtype_ = in.dtype;
    if (dtype_ == DType::kFloat32) return;
    check_supported(is_8bit(dtype_), ctx, ctx.op->name() + " on " + dtype_name(dtype_));
    // float quotient, as TFLite's expression has float operands.
    const float real = in.scale() / out.scale();
    m_ = quantize_multiplier(static_cast<double>(real));
    zi_ = in.zero_point();
    zo_ = out.zero_point();
    act_min_ = std::max(qmin(dtype_), zo_ + static_cast<int32_t>(std::round(lo_ / out.scale())));
    act_max_ =
        hi_ == std::numeric_limits<float>::infinity()
            ? qmax(dtype_)
            : std::min(qmax(dtype_), zo_ + static_cast<int32_t>(std::round(hi_ / out.scale())));
  }

  void eval(const OpContext& ctx) const override {
    const int64_t n = ctx.in(0).num_elements();
    switch (dtype_) {
      case DType::kUInt8:
        run_q(ctx.in(0).as<uint8_t>(), ctx.out(0).as<uint8_t>(), n);
        break;
      case DType::kInt8:
        run_q(ctx.in(0).as<int8_t>(), ctx.out(0).as<int8_t>(), n);
        break;
      default: {
        const float* x = ctx.in(0).as<float>();
        float* y = ctx.out(0).as<float>();
        for (int64_t i = 0; i < n; ++i) y[i] = std::min(std::max(lo_, x[i]), hi_);
      }
    }
  }

 private:
  template <typename T>
  void run_q(const T* x, T* y, int64_t n) const {
    for (int64_t i = 0; i < n; ++i) {
      const int32_t v = zo_ + multiply_by_quantized_multiplier(int32_t{x[i]} - zi_, m_);
      y[i] = static_cast<T>(std::clamp(v, act_min_, act_max_));
    }
  }

  float lo_, hi_;
  DType dtype_ = DType::kFloat32;
  QuantizedMultiplier m_;
  int32_t zi_ = 0, zo_ = 0, act_min_ = 0, act_max_ = 0;
};

}  // namespace

std::unique_ptr<Kernel> make_reference_relu() {
  return std::make_unique<ClampReference>(0.0f, std::numeric_limits<float>::infinity());
}
std::unique_ptr<Kernel> make_reference_relu6() {
  return std::make_unique<ClampReference>(0.0f, 6.0f);
}

}  // namespace tpulab::engine
