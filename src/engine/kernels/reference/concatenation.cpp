// CONCATENATION reference kernel. Plain byte copies, except uint8 inputs whose scale or zero
// point differ from the output's: those are requantized as TFLite's ConcatenationWithScaling
// does, in float: round(q * (s_in / s_out) + (-z_in * (s_in / s_out))) + z_out, clamped.
// int8 inputs must already share the output's quantization (a TFLite restriction).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/kernels/kernel_util.h"
#include "engine/kernels/reference/tensor_kernels.h"
#include "engine/kernels/tensor_util.h"

namespace tpulab::engine {

namespace {

class ConcatenationReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    const auto o = options_or_default<ConcatenationOptions>(ctx);
    check_model(!ctx.inputs.empty(), ctx, "no inputs");
    check_supported(o.activation == Activation::kNone, ctx, "fused activation on CONCATENATION");
    const TensorRef& first = ctx.in(0);
    TensorRef& out = ctx.out(0);
    const size_t rank = first.rank();
    check_model(rank > 0, ctx, "scalar inputs cannot be concatenated");
    axis_ = normalize_axis(o.axis, rank, ctx);
    elem_ = element_size(first.dtype, ctx);
    std::vector<int32_t> shape = first.shape;
    shape[static_cast<size_t>(axis_)] = 0;
    inputs_.clear();
    for (size_t i = 0; i < ctx.inputs.size(); ++i) {
      const TensorRef& t = ctx.in(i);
      check_model(t.dtype == first.dtype, ctx, "inputs have different types");
      check_model(t.rank() == rank, ctx, "inputs have different ranks");
      for (size_t d = 0; d < rank; ++d)
        if (d != static_cast<size_t>(axis_))
          check_model(t.shape[d] == first.shape[d], ctx,
                      "input shapes " + shape_string(first.shape) + " and " +
                          shape_string(t.shape) + " differ outside the axis");
      shape[static_cast<size_t>(axis_)] += t.shape[static_cast<size_t>(axis_)];
      Input in;
      in.chunk = dims_product(t.shape, static_cast<size_t>(axis_), rank);
      if (first.dtype == DType::kInt8)
        check_model(
            same_quantization(t, out), ctx,
            "int8 input " + std::to_string(i) + " is quantized differently from the output");
      if (first.dtype == DType::kUInt8 && !same_quantization(t, out)) {
        check_quantized(t, ctx, "input " + std::to_string(i));
        check_quantized(out, ctx, "output");
        in.rescale = true;
        const float inverse_output_scale = 1.0f / out.scale();
        in.scale = t.scale() * inverse_output_scale;
        in.bias = static_cast<float>(-t.zero_point()) * in.scale;
      }
      inputs_.push_back(in);
    }
    check_model(out.dtype == first.dtype, ctx, "output type differs from the inputs'");
    out.shape = shape;
    outer_ = dims_product(shape, 0, static_cast<size_t>(axis_));
    out_zp_ = out.zero_point();
  }

  void eval(const OpContext& ctx) const override {
    uint8_t* dst = ctx.out(0).data;
    for (int64_t k = 0; k < outer_; ++k) {
      for (size_t i = 0; i < inputs_.size(); ++i) {
        const Input& in = inputs_[i];
        const size_t bytes = static_cast<size_t>(in.chunk) * elem_;
        const uint8_t* src = ctx.in(i).data + static_cast<size_t>(k) * bytes;
        if (!in.rescale) {
          if (bytes > 0) std::memcpy(dst, src, bytes);
        } else {
          for (int64_t j = 0; j < in.chunk; ++j) {
            const float v = static_cast<float>(src[j]) * in.scale + in.bias;
            const int32_t q = static_cast<int32_t>(std::round(v)) + out_zp_;
            dst[j] = static_cast<uint8_t>(std::clamp(q, 0, 255));
          }
        }
        dst += bytes;
      }
    }
  }

 private:
  struct Input {
    int64_t chunk = 0;  // elements per outer index: dims from the axis on
    bool rescale = false;
    float scale = 1.0f, bias = 0.0f;
  };
  std::vector<Input> inputs_;
  int32_t axis_ = 0;
  int64_t outer_ = 1;
  size_t elem_ = 1;
  int32_t out_zp_ = 0;
};

}  // namespace

std::unique_ptr<Kernel> make_reference_concatenation() {
  return std::make_unique<ConcatenationReference>();
}

}  // namespace tpulab::engine
