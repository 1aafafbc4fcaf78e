// LOGISTIC reference kernel. TFLite's built-in kernel (kGenericOptimized) evaluates 8-bit
// inputs through a 256-entry table of the float sigmoid, not the fixed-point path; the output
// scale must be 1/256. Float: LiteRT's reference formula (below).
#include <algorithm>
#include <cmath>

#include "engine/kernels/reference/activation_common.h"

namespace tpulab::engine {

namespace {

// LiteRT's reference float LOGISTIC: 1 / (1 + exp(-x)), with 1 above 16.619047 and exp(x)
// below -9 (where the two agree to float precision).
float reference_logistic(float x) {
  constexpr float kUpper = 16.619047164916992188f;
  constexpr float kLower = -9.0f;
  if (x > kUpper) return 1.0f;
  if (x < kLower) return std::exp(x);
  return 1.0f / (1.0f + std::exp(-x));
}

class LogisticReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    prepare_unary(ctx);
    const TensorRef& in = ctx.in(0);
    const TensorRef& out = ctx.out(0);
    dtype_ = in.dtype;
    if (dtype_ == DType::kFloat32) return;
    check_supported(is_8bit(dtype_), ctx, "LOGISTIC on " + dtype_name(dtype_));
    check_model(out.scale() == 1.0f / 256, ctx, "LOGISTIC output scale must be 1/256");
    table_ =
        make_activation_table(dtype_, in.scale(), in.zero_point(), out.scale(), out.zero_point(),
                              [](float x) { return 1.0f / (1.0f + std::exp(-x)); });
  }
  void eval(const OpContext& ctx) const override {
    const TensorRef& in = ctx.in(0);
    if (dtype_ != DType::kFloat32) {
      apply_table(table_, in.data, ctx.out(0).data, in.num_elements());
      return;
    }
    const float* x = in.as<float>();
    float* y = ctx.out(0).as<float>();
    for (int64_t i = 0, n = in.num_elements(); i < n; ++i) y[i] = reference_logistic(x[i]);
  }

 private:
  DType dtype_ = DType::kFloat32;
  std::array<uint8_t, 256> table_{};
};

}  // namespace

std::unique_ptr<Kernel> make_reference_logistic() { return std::make_unique<LogisticReference>(); }

}  // namespace tpulab::engine
