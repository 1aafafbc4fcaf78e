// SOFTMAX reference kernel over the last dimension. 8-bit: the path TFLite's built-in kernel
// takes off ARM64 (no uint16 table there): a float table exp(-input_scale * beta * d) for every
// difference d = max - x, a float sum in input order, 1 / (sum * output_scale), and
// round-to-nearest of each scaled entry -- uint8 as (int)(p + 0.5f) without the zero point
// (TFLite's non-ARM64 specialization), int8 as round(p) + zero point. Float: the plain formula.
#include <algorithm>
#include <array>
#include <cmath>

#include "engine/kernels/reference/activation_common.h"

namespace tpulab::engine {

namespace {

class SoftmaxReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    prepare_unary(ctx);
    const TensorRef& in = ctx.in(0);
    const TensorRef& out = ctx.out(0);
    check_model(in.rank() >= 1 && in.shape.back() > 0, ctx,
                "SOFTMAX needs a non-empty last dimension");
    beta_ = options_or_default<SoftmaxOptions>(ctx).beta;
    dtype_ = in.dtype;
    depth_ = in.shape.back();
    if (dtype_ == DType::kFloat32) return;
    check_supported(is_8bit(dtype_), ctx, "SOFTMAX on " + dtype_name(dtype_));
    const float scale = -in.scale() * beta_;
    for (int32_t v = 0; v <= 255; ++v) table_[255 - v] = std::exp(scale * static_cast<float>(v));
    out_scale_ = out.scale();
    out_zp_ = out.zero_point();
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
      default:
        run_f(ctx.in(0).as<float>(), ctx.out(0).as<float>(), n);
        break;
    }
  }

 private:
  template <typename T>
  void run_q(const T* x, T* y, int64_t n) const {
    for (int64_t row = 0; row < n; row += depth_, x += depth_, y += depth_) {
      int32_t max = qmin(dtype_);
      for (int32_t j = 0; j < depth_; ++j) max = std::max(max, int32_t{x[j]});
      // table_[255 - max + x] = exp(-scale * beta * (max - x))
      const float* t = table_.data() + 255 - max;
      float sum = 0.0f;
      for (int32_t j = 0; j < depth_; ++j) sum += t[x[j]];
      const float inv = 1.0f / (sum * out_scale_);
      for (int32_t j = 0; j < depth_; ++j) {
        const float p = t[x[j]] * inv;
        int32_t q;
        if constexpr (std::is_same_v<T, uint8_t>)
          q = static_cast<int32_t>(p + 0.5f);
        else
          q = static_cast<int32_t>(std::round(p)) + out_zp_;
        y[j] = static_cast<T>(std::clamp(q, qmin(dtype_), qmax(dtype_)));
      }
    }
  }

  void run_f(const float* x, float* y, int64_t n) const {
    for (int64_t row = 0; row < n; row += depth_, x += depth_, y += depth_) {
      float max = x[0];
      for (int32_t j = 1; j < depth_; ++j) max = std::max(max, x[j]);
      float sum = 0.0f;
      for (int32_t j = 0; j < depth_; ++j) sum += std::exp((x[j] - max) * beta_);
      // LiteRT's reference kernel divides (its optimized one scales by the inverse).
      for (int32_t j = 0; j < depth_; ++j) y[j] = std::exp((x[j] - max) * beta_) / sum;
    }
  }

  DType dtype_ = DType::kFloat32;
  float beta_ = 1.0f, out_scale_ = 0.0f;
  int32_t depth_ = 1, out_zp_ = 0;
  std::array<float, 256> table_{};
};

}  // namespace

std::unique_ptr<Kernel> make_reference_softmax() { return std::make_unique<SoftmaxReference>(); }

}  // namespace tpulab::engine
