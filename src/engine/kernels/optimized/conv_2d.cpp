// Optimized CONV_2D: the reference plan, evaluated by the im2col + GEMM
// (ConvGemm: AVX2, or AVX-512 VNNI where present) for 8-bit tensors with constant filters;
// float, non-AVX2 CPUs and computed filters use the reference loops.
#include "engine/kernels/optimized/avx2_requant.h"
#include "engine/kernels/optimized/conv_gemm.h"
#include "engine/kernels/optimized/optimized_kernels.h"

namespace tpulab::engine {

namespace {

const int32_t* bias_of(const OpContext& ctx) {
  return ctx.inputs.size() > 2 && ctx.inputs[2] ? ctx.inputs[2]->as<int32_t>() : nullptr;
}

class Conv2DOptimized : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    plan_ = plan_conv_2d(ctx);
    fast_ = is_8bit(plan_.dtype) && avx2::supported() && ctx.in(1).is_constant &&
            (bias_of(ctx) == nullptr || ctx.inputs[2]->is_constant);
    if (fast_) gemm_.init(plan_, ctx.in(1).data, bias_of(ctx));
  }
  size_t scratch_bytes(int threads) const override {
    return fast_ ? gemm_.scratch_bytes(threads) : 0;
  }
  void eval(const OpContext& ctx) const override {
    if (fast_)
      gemm_.run(ctx, ctx.in(0).data, ctx.out(0).data);
    else
      conv_2d_reference(plan_, ctx);
  }

 private:
  ConvPlan plan_;
  bool fast_ = false;
  ConvGemm gemm_;
};

}  // namespace

std::unique_ptr<Kernel> make_optimized_conv_2d() { return std::make_unique<Conv2DOptimized>(); }

}  // namespace tpulab::engine
