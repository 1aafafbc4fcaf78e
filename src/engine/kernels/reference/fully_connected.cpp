// FULLY_CONNECTED reference kernel (TFLite's reference_ops::FullyConnected semantics): the input
// is read as [batches, depth] with depth = filter dim 1; output [batches, units], or the input
// shape with its last dim replaced by units when keep_num_dims.
#include <algorithm>
#include <cmath>
#include <tuple>

#include "engine/kernels/quantization.h"
#include "engine/kernels/reference/math_kernels.h"

namespace tpulab::engine {

FullyConnectedPlan plan_fully_connected(OpContext& ctx) {
  const auto o = options_or_default<FullyConnectedOptions>(ctx);
  const TensorRef& input = ctx.in(0);
  const TensorRef& filter = ctx.in(1);
  const TensorRef* bias = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
  TensorRef& output = ctx.out(0);
  check_supported(o.weights_format == 0, ctx, "shuffled fully-connected weights");
  check_model(filter.rank() == 2, ctx, "filter must be 2-D");
  FullyConnectedPlan p;
  p.units = filter.dim(0);
  p.depth = filter.dim(1);
  check_model(p.depth > 0 && input.num_elements() % p.depth == 0, ctx,
              "input size is not a multiple of the filter depth");
  p.batches = static_cast<int32_t>(input.num_elements() / p.depth);
  if (o.keep_num_dims) {
    check_model(input.rank() >= 1 && input.shape.back() == p.depth, ctx,
                "keep_num_dims needs the input's last dim to equal the filter depth");
    output.shape = input.shape;
    output.shape.back() = p.units;
  } else {
    output.shape = {p.batches, p.units};
  }
  if (bias) check_model(bias->num_elements() == p.units, ctx, "bias size differs from units");
  p.dtype = input.dtype;
  check_model(output.dtype == input.dtype, ctx, "output type differs from input type");
  if (input.dtype == DType::kFloat32) {
    check_supported(filter.dtype == DType::kFloat32, ctx, "hybrid fully-connected");
    if (bias)
      check_model(bias->dtype == DType::kFloat32, ctx, "float fully-connected needs a float bias");
    std::tie(p.f_min, p.f_max) = float_activation_range(o.activation);
    return p;
  }
  check_supported(is_8bit(input.dtype), ctx, "fully-connected on " + dtype_name(input.dtype));
  check_model(filter.dtype == input.dtype, ctx, "filter type differs from input type");
  if (bias)
    check_model(bias->dtype == DType::kInt32, ctx, "quantized fully-connected needs an int32 bias");
  check_quantized(input, ctx, "input");
  check_quantized(output, ctx, "output");
  check_model(filter.quant != nullptr && !filter.quant->scale.empty(), ctx,
              "filter has no quantization");
  const Quantization& fq = *filter.quant;
  const size_t n = fq.scale.size();
  check_model(n == 1 || (n == static_cast<size_t>(p.units) && fq.axis == 0), ctx,
              "filter scales must be per tensor or per unit");
  check_model(fq.zero_point.empty() || fq.zero_point.size() == n, ctx,
              "filter zero points do not match scales");
  p.input_zp = input.zero_point();
  p.output_zp = output.zero_point();
  p.filter_zp.resize(p.units);
  p.requant_scale.resize(p.units);
  for (int32_t u = 0; u < p.units; ++u) {
    const size_t i = n == 1 ? 0 : static_cast<size_t>(u);
    p.filter_zp[u] = fq.zero_point.empty() ? 0 : static_cast<int32_t>(fq.zero_point[i]);
    check_model(p.filter_zp[u] >= qmin(input.dtype) && p.filter_zp[u] <= qmax(input.dtype), ctx,
                "filter zero point out of range");
    p.requant_scale[u] = static_cast<double>(input.scale()) * static_cast<double>(fq.scale[i]) /
                         static_cast<double>(output.scale());
  }
  std::tie(p.act_min, p.act_max) = quantized_activation_range(o.activation, output);
  return p;
}

int32_t fully_connected_output(const FullyConnectedPlan& p, int32_t acc, int32_t u) {
  // Clamped in double first: the int32 conversion of an out-of-range value is undefined.
  const double scaled = std::round(static_cast<double>(acc) * p.requant_scale[u]);
  const auto v = static_cast<int32_t>(std::clamp(scaled, -2147483648.0, 2147483647.0));
  return std::clamp(wrapping_add(v, p.output_zp), p.act_min, p.act_max);
}

namespace {

template <typename T>
void fc_quantized(const FullyConnectedPlan& p, const OpContext& ctx) {
  const T* in = ctx.in(0).as<T>();
  const T* w = ctx.in(1).as<T>();
  const int32_t* bias =
      ctx.inputs.size() > 2 && ctx.inputs[2] ? ctx.inputs[2]->as<int32_t>() : nullptr;
  T* out = ctx.out(0).as<T>();
  for (int32_t b = 0; b < p.batches; ++b)
    for (int32_t u = 0; u < p.units; ++u) {
      int32_t acc = 0;
      for (int32_t d = 0; d < p.depth; ++d)
        acc += (int32_t{in[int64_t{b} * p.depth + d]} - p.input_zp) *
               (int32_t{w[int64_t{u} * p.depth + d]} - p.filter_zp[u]);
      if (bias) acc += bias[u];
      out[int64_t{b} * p.units + u] = static_cast<T>(fully_connected_output(p, acc, u));
    }
}

void fc_float(const FullyConnectedPlan& p, const OpContext& ctx) {
  const float* in = ctx.in(0).as<float>();
  const float* w = ctx.in(1).as<float>();
  const float* bias = ctx.inputs.size() > 2 && ctx.inputs[2] ? ctx.inputs[2]->as<float>() : nullptr;
  float* out = ctx.out(0).as<float>();
  for (int32_t b = 0; b < p.batches; ++b)
    for (int32_t u = 0; u < p.units; ++u) {
      float acc = 0.0f;
      for (int32_t d = 0; d < p.depth; ++d)
        acc += in[int64_t{b} * p.depth + d] * w[int64_t{u} * p.depth + d];
      if (bias) acc += bias[u];
      out[int64_t{b} * p.units + u] = std::min(std::max(acc, p.f_min), p.f_max);
    }
}

class FullyConnectedReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override { plan_ = plan_fully_connected(ctx); }
  void eval(const OpContext& ctx) const override { fully_connected_reference(plan_, ctx); }

 private:
  FullyConnectedPlan plan_;
};

}  // namespace

void fully_connected_reference(const FullyConnectedPlan& p, const OpContext& ctx) {
  switch (p.dtype) {
    case DType::kUInt8:
      fc_quantized<uint8_t>(p, ctx);
      break;
    case DType::kInt8:
      fc_quantized<int8_t>(p, ctx);
      break;
    default:
      fc_float(p, ctx);
      break;
  }
}

std::unique_ptr<Kernel> make_reference_fully_connected() {
  return std::make_unique<FullyConnectedReference>();
}

}  // namespace tpulab::engine
