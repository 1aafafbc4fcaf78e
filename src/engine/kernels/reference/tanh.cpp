// TANH reference kernel. TFLite's built-in kernel (kGenericOptimized) evaluates 8-bit inputs
// through a 256-entry table of the float tanh (std::tanh). Float: std::tanh, as LiteRT's reference
// kernel (its optimized one uses Eigen's rational approximation).
#include <algorithm>
#include <cmath>

#include "engine/kernels/reference/activation_common.h"

namespace tpulab::engine {

namespace {

class TanhReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    prepare_unary(ctx);
    const TensorRef& in = ctx.in(0);
    const TensorRef& out = ctx.out(0);
    dtype_ = in.dtype;
    if (dtype_ == DType::kFloat32) return;
    check_supported(is_8bit(dtype_), ctx, "TANH on " + dtype_name(dtype_));
    table_ = make_activation_table(dtype_, in.scale(), in.zero_point(), out.scale(),
                                   out.zero_point(), [](float x) { return std::tanh(x); });
  }
  void eval(const OpContext& ctx) const override {
    const TensorRef& in = ctx.in(0);
    if (dtype_ != DType::kFloat32) {
      apply_table(table_, in.data, ctx.out(0).data, in.num_elements());
      return;
    }
    const float* x = in.as<float>();
    float* y = ctx.out(0).as<float>();
    for (int64_t i = 0, n = in.num_elements(); i < n; ++i) y[i] = std::tanh(x[i]);
  }

 private:
  DType dtype_ = DType::kFloat32;
  std::array<uint8_t, 256> table_{};
};

}  // namespace

std::unique_ptr<Kernel> make_reference_tanh() { return std::make_unique<TanhReference>(); }

}  // namespace tpulab::engine
