// ARG_MAX and ARG_MIN reference kernels: index of the largest (smallest) value along an axis; the
// first one on ties, as TFLite compares with a strict greater (less). 8-bit inputs compare their
// raw values (scales are positive). Output int32 or int64.
#include <functional>

#include "engine/kernels/kernel_util.h"
#include "engine/kernels/reference/tensor_kernels.h"
#include "engine/kernels/tensor_util.h"

namespace tpulab::engine {

namespace {

template <bool kMax>
class ArgMinMaxReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    const TensorRef& in = ctx.in(0);
    TensorRef& out = ctx.out(0);
    const auto axis_values = constant_ints(ctx.in(1), ctx, "axis");
    check_model(axis_values.size() == 1, ctx, "axis must be a single value");
    check_model(in.rank() > 0, ctx, "input is a scalar");
    const int32_t axis = normalize_axis(axis_values[0], in.rank(), ctx);
    in_type_ = in.dtype;
    check_supported(in_type_ == DType::kFloat32 || in_type_ == DType::kUInt8 ||
                        in_type_ == DType::kInt8 || in_type_ == DType::kInt32 ||
                        in_type_ == DType::kInt64 || in_type_ == DType::kInt16,
                    ctx, std::string(kMax ? "ARG_MAX" : "ARG_MIN") + " on " + dtype_name(in_type_));
    out_type_ = out.dtype;
    check_model(out_type_ == DType::kInt32 || out_type_ == DType::kInt64, ctx,
                "output must be int32 or int64, not " + dtype_name(out_type_));
    outer_ = dims_product(in.shape, 0, static_cast<size_t>(axis));
    axis_size_ = in.shape[static_cast<size_t>(axis)];
    check_model(axis_size_ > 0, ctx, "empty axis");
    inner_ = dims_product(in.shape, static_cast<size_t>(axis) + 1, in.rank());
    out.shape = in.shape;
    out.shape.erase(out.shape.begin() + axis);
  }

  void eval(const OpContext& ctx) const override {
    switch (in_type_) {
      case DType::kFloat32:
        dispatch<float>(ctx);
        break;
      case DType::kUInt8:
        dispatch<uint8_t>(ctx);
        break;
      case DType::kInt8:
        dispatch<int8_t>(ctx);
        break;
      case DType::kInt16:
        dispatch<int16_t>(ctx);
        break;
      case DType::kInt32:
        dispatch<int32_t>(ctx);
        break;
      default:
        dispatch<int64_t>(ctx);
        break;
    }
  }

 private:
  template <typename T>
  void dispatch(const OpContext& ctx) const {
    if (out_type_ == DType::kInt32)
      run<T, int32_t>(ctx);
    else
      run<T, int64_t>(ctx);
  }

  template <typename T, typename I>
  void run(const OpContext& ctx) const {
    const T* in = ctx.in(0).as<T>();
    I* out = ctx.out(0).as<I>();
    for (int64_t o = 0; o < outer_; ++o)
      for (int64_t k = 0; k < inner_; ++k) {
        const T* p = in + o * axis_size_ * inner_ + k;
        T best = p[0];
        I best_index = 0;
        for (int64_t i = 1; i < axis_size_; ++i) {
          const T v = p[i * inner_];
          if (kMax ? (v > best) : (v < best)) {
            best = v;
            best_index = static_cast<I>(i);
          }
        }
        out[o * inner_ + k] = best_index;
      }
  }

  DType in_type_ = DType::kFloat32, out_type_ = DType::kInt64;
  int64_t outer_ = 1, axis_size_ = 1, inner_ = 1;
};

}  // namespace

std::unique_ptr<Kernel> make_reference_arg_max() {
  return std::make_unique<ArgMinMaxReference<true>>();
}
std::unique_ptr<Kernel> make_reference_arg_min() {
  return std::make_unique<ArgMinMaxReference<false>>();
}

}  // namespace tpulab::engine
