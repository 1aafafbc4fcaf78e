// TANH reference kernel. TFLite's built-in kernel (kGenericOptimized) evaluates 8-bit inputs
// through a 256-entry table of the float tanh (std::tanh). Float: Eigen's tanh (below).
#include <algorithm>
#include <cmath>

#include "engine/kernels/reference/activation_common.h"

namespace tpulab::engine {

namespace {

// Eigen's float tanh (generic_fast_tanh_float, non-FMA build): a 13/6-degree rational function
// of the input clamped to [-c, c], and x itself near zero. TFLite's float TANH evaluates it.
float eigen_tanh(float a) {
  constexpr float kClamp = 7.90531110763549805f;
  const float x = std::max(std::min(a, kClamp), -kClamp);
  if (std::fabs(a) < 0.0004f) return x;
  const float x2 = x * x;
  float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
  p = x2 * p + -8.60467152213735e-11f;
  p = x2 * p + 5.12229709037114e-08f;
  p = x2 * p + 1.48572235717979e-05f;
  p = x2 * p + 6.37261928875436e-04f;
  p = x2 * p + 4.89352455891786e-03f;
  p = x * p;
  float q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
  q = x2 * q + 2.26843463243900e-03f;
  q = x2 * q + 4.89352518554385e-03f;
  return p / q;
}

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
    for (int64_t i = 0, n = in.num_elements(); i < n; ++i) y[i] = eigen_tanh(x[i]);
  }

 private:
  DType dtype_ = DType::kFloat32;
  std::array<uint8_t, 256> table_{};
};

}  // namespace

std::unique_ptr<Kernel> make_reference_tanh() { return std::make_unique<TanhReference>(); }

}  // namespace tpulab::engine
