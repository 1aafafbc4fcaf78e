// FLOOR_DIV reference kernel (int32, float32) with 4-D broadcasting: floor(a / b) computed in
// double, as TFLite's FloorDiv does for every type. A zero divisor is an error, as in TFLite.
#include <cmath>

#include "common/error.h"
#include "engine/kernels/kernel_util.h"
#include "engine/kernels/reference/tensor_kernels.h"

namespace tpulab::engine {

namespace {

class FloorDivReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    const TensorRef& a = ctx.in(0);
    const TensorRef& b = ctx.in(1);
    TensorRef& out = ctx.out(0);
    check_model(a.dtype == b.dtype && out.dtype == a.dtype, ctx, "input and output types differ");
    dtype_ = a.dtype;
    check_supported(dtype_ == DType::kFloat32 || dtype_ == DType::kInt32, ctx,
                    "FLOOR_DIV on " + dtype_name(dtype_));
    out.shape = broadcast_shape(a.shape, b.shape, ctx);
    bc_ = broadcast_4d(a.shape, b.shape);
  }

  void eval(const OpContext& ctx) const override {
    if (dtype_ == DType::kFloat32)
      run<float>(ctx);
    else
      run<int32_t>(ctx);
  }

 private:
  template <typename T>
  void run(const OpContext& ctx) const {
    const T* a = ctx.in(0).as<T>();
    const T* b = ctx.in(1).as<T>();
    T* out = ctx.out(0).as<T>();
    const auto& d = bc_.out;
    int64_t i = 0;
    for (int32_t n = 0; n < d[0]; ++n)
      for (int32_t y = 0; y < d[1]; ++y)
        for (int32_t x = 0; x < d[2]; ++x)
          for (int32_t c = 0; c < d[3]; ++c, ++i) {
            const T va = a[n * bc_.stride_a[0] + y * bc_.stride_a[1] + x * bc_.stride_a[2] +
                           c * bc_.stride_a[3]];
            const T vb = b[n * bc_.stride_b[0] + y * bc_.stride_b[1] + x * bc_.stride_b[2] +
                           c * bc_.stride_b[3]];
            if (vb == 0) throw ModelError(ctx.model, "division by zero", ctx.where());
            const double q = std::floor(static_cast<double>(va) / static_cast<double>(vb));
            if constexpr (std::is_same_v<T, float>) {
              out[i] = static_cast<float>(q);
            } else {
              // Only INT32_MIN / -1 leaves the int32 range.
              out[i] = q >= 2147483648.0 ? INT32_MIN : static_cast<int32_t>(q);
            }
          }
  }

  DType dtype_ = DType::kFloat32;
  Broadcast4D bc_;
};

}  // namespace

std::unique_ptr<Kernel> make_reference_floor_div() { return std::make_unique<FloorDivReference>(); }

}  // namespace tpulab::engine
