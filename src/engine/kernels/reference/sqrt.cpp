// SQRT reference kernel (float32): std::sqrt per element, as TFLite's elementwise kernel.
#include <cmath>

#include "engine/kernels/kernel_util.h"
#include "engine/kernels/reference/tensor_kernels.h"

namespace tpulab::engine {

namespace {

class SqrtReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    const TensorRef& in = ctx.in(0);
    TensorRef& out = ctx.out(0);
    check_supported(in.dtype == DType::kFloat32, ctx, "SQRT on " + dtype_name(in.dtype));
    check_model(out.dtype == in.dtype, ctx, "input and output types differ");
    out.shape = in.shape;
  }

  void eval(const OpContext& ctx) const override {
    const float* x = ctx.in(0).as<float>();
    float* y = ctx.out(0).as<float>();
    for (int64_t i = 0, n = ctx.in(0).num_elements(); i < n; ++i) y[i] = std::sqrt(x[i]);
  }
};

}  // namespace

std::unique_ptr<Kernel> make_reference_sqrt() { return std::make_unique<SqrtReference>(); }

}  // namespace tpulab::engine
