// DIV reference kernel (float32, int32) with 4-D broadcasting and the fused activation clamp.
// int32 divides truncating toward zero, as C++ (and TFLite) do. A zero int32 divisor is an error
// (TFLite's behaviour is undefined there); INT32_MIN / -1 gives INT32_MIN.
#include <algorithm>
#include <limits>
#include <tuple>

#include "common/error.h"
#include "engine/kernels/kernel_util.h"
#include "engine/kernels/quantization.h"
#include "engine/kernels/reference/tensor_kernels.h"

namespace tpulab::engine {

namespace {

class DivReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    const auto o = options_or_default<MulDivOptions>(ctx);
    const TensorRef& a = ctx.in(0);
    const TensorRef& b = ctx.in(1);
    TensorRef& out = ctx.out(0);
    check_model(a.dtype == b.dtype && out.dtype == a.dtype, ctx, "input and output types differ");
    dtype_ = a.dtype;
    check_supported(dtype_ == DType::kFloat32 || dtype_ == DType::kInt32, ctx,
                    "DIV on " + dtype_name(dtype_));
    out.shape = broadcast_shape(a.shape, b.shape, ctx);
    bc_ = broadcast_4d(a.shape, b.shape);
    if (dtype_ == DType::kFloat32) {
      std::tie(f_min_, f_max_) = float_activation_range(o.activation);
    } else {
      // TFLite's CalculateActivationRange for integer outputs.
      switch (o.activation) {
        case Activation::kNone:
          i_min_ = INT32_MIN, i_max_ = INT32_MAX;
          break;
        case Activation::kRelu:
          i_min_ = 0, i_max_ = INT32_MAX;
          break;
        case Activation::kRelu6:
          i_min_ = 0, i_max_ = 6;
          break;
        case Activation::kReluN1To1:
          i_min_ = -1, i_max_ = 1;
          break;
        default:
          check_supported(false, ctx, "fused activation " + activation_name(o.activation));
      }
    }
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
            if constexpr (std::is_same_v<T, float>) {
              out[i] = std::min(std::max(va / vb, f_min_), f_max_);
            } else {
              if (vb == 0) throw ModelError(ctx.model, "integer division by zero", ctx.where());
              const int32_t q = (va == INT32_MIN && vb == -1) ? INT32_MIN : va / vb;
              out[i] = std::clamp(q, i_min_, i_max_);
            }
          }
  }

  DType dtype_ = DType::kFloat32;
  Broadcast4D bc_;
  float f_min_ = 0.0f, f_max_ = 0.0f;
  int32_t i_min_ = INT32_MIN, i_max_ = INT32_MAX;
};

}  // namespace

std::unique_ptr<Kernel> make_reference_div() { return std::make_unique<DivReference>(); }

}  // namespace tpulab::engine
