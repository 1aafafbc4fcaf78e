// MEAN reference kernel, following LiteRT's reference MEAN (OpResolverType.BUILTIN_REF, the
// version python/requirements.txt pins):
//  - 8-bit, any axes: acc = sum(x) - zi * n in int32; out = acc * M' + zo, clamped to the
//    type, where M = si / so is quantized as TFLite's QuantizeMultiplier does and then divided by
//    n inside the multiplier: M' = (multiplier << s) / n (truncated) with shift - s,
//    s = min(floor(log2 n), 32, 31 + shift), applied with the default double rounding;
//  - float: sum in row-major order of the reduced indices, divided by n.
#include <algorithm>
#include <bit>
#include <cmath>
#include <type_traits>

#include "engine/kernels/quantization.h"
#include "engine/kernels/reference/math_kernels.h"

namespace tpulab::engine {

MeanPlan plan_mean(OpContext& ctx) {
  const TensorRef& in = ctx.in(0);
  const TensorRef& axis = ctx.in(1);
  TensorRef& out = ctx.out(0);
  const bool keep_dims = options_or_default<ReducerOptions>(ctx).keep_dims;
  check_model(out.dtype == in.dtype, ctx, "output type differs from input type");
  check_model(axis.dtype == DType::kInt32, ctx, "axis must be int32");
  check_supported(axis.is_constant, ctx, "MEAN with a computed axis");
  check_supported(in.rank() <= MeanPlan::kMaxRank, ctx, "MEAN above rank 8");
  const int32_t rank = static_cast<int32_t>(in.rank());
  const int32_t* ax = axis.as<int32_t>();
  const int64_t n_axis = axis.num_elements();
  MeanPlan p;
  for (int64_t i = 0; i < n_axis; ++i) {
    const int32_t a = ax[i] < 0 ? ax[i] + rank : ax[i];
    check_model(a >= 0 && a < rank, ctx, "axis out of range");
    p.reduced[a] = true;
  }
  p.rank = rank;
  out.shape.clear();
  for (int32_t d = 0; d < rank; ++d) {
    p.dims[d] = in.dim(d);
    if (p.reduced[d]) p.count *= in.dim(d);
    if (!p.reduced[d])
      out.shape.push_back(in.dim(d));
    else if (keep_dims)
      out.shape.push_back(1);
  }
  p.dtype = in.dtype;
  if (p.dtype == DType::kFloat32) return p;
  check_supported(is_8bit(p.dtype), ctx, "MEAN on " + dtype_name(p.dtype));
  check_quantized(in, ctx, "input");
  check_quantized(out, ctx, "output");
  p.zi = in.zero_point();
  p.zo = out.zero_point();
  const QuantizedMultiplier m =
      quantize_multiplier(static_cast<double>(in.scale()) / static_cast<double>(out.scale()));
  if (p.count == 0) return p;  // nothing is reduced: eval writes nothing either
  int shift = 63 - std::countl_zero(static_cast<uint64_t>(p.count));
  shift = std::min({shift, 32, 31 + m.shift});
  p.m.multiplier = static_cast<int32_t>((static_cast<int64_t>(m.multiplier) << shift) / p.count);
  p.m.shift = m.shift - shift;
  return p;
}

int32_t mean_output(const MeanPlan& p, int32_t sum) {
  const auto shifted = static_cast<int32_t>(int64_t{sum} - int64_t{p.zi} * p.count);
  const int32_t v = multiply_by_quantized_multiplier(shifted, p.m) + p.zo;
  return std::clamp(v, qmin(p.dtype), qmax(p.dtype));
}

namespace {

// Calls visit(output_index, sum) for every output element, summing its inputs in row-major
// order of the reduced indices (the order TFLite's ReduceSumImpl adds them in).
template <typename T, typename Acc, typename F>
void for_each_sum(const MeanPlan& p, const T* in, F&& visit) {
  std::array<int64_t, MeanPlan::kMaxRank> stride{};
  int64_t s = 1;
  for (int32_t d = p.rank - 1; d >= 0; --d) {
    stride[d] = s;
    s *= p.dims[d];
  }
  std::array<int32_t, MeanPlan::kMaxRank> idx{};  // odometer over all input dims, reduced fastest
  int64_t out_i = 0;
  while (true) {
    int64_t base = 0;
    for (int32_t d = 0; d < p.rank; ++d)
      if (!p.reduced[d]) base += idx[d] * stride[d];
    Acc acc = 0;
    std::array<int32_t, MeanPlan::kMaxRank> r{};
    for (int64_t k = 0; k < p.count; ++k) {
      int64_t off = base;
      for (int32_t d = 0; d < p.rank; ++d)
        if (p.reduced[d]) off += r[d] * stride[d];
      acc += static_cast<Acc>(in[off]);
      for (int32_t d = p.rank - 1; d >= 0; --d) {
        if (!p.reduced[d]) continue;
        if (++r[d] < p.dims[d]) break;
        r[d] = 0;
      }
    }
    visit(out_i++, acc);
    int32_t d = p.rank - 1;
    for (; d >= 0; --d) {
      if (p.reduced[d]) continue;
      if (++idx[d] < p.dims[d]) break;
      idx[d] = 0;
    }
    if (d < 0) break;
  }
}

template <typename T, typename Acc>
void run(const MeanPlan& p, const OpContext& ctx) {
  const T* in = ctx.in(0).as<T>();
  T* out = ctx.out(0).as<T>();
  if (ctx.in(0).num_elements() == 0) return;
  for_each_sum<T, Acc>(p, in, [&](int64_t i, Acc sum) {
    if constexpr (std::is_same_v<T, float>)
      out[i] = sum / static_cast<float>(p.count);
    else
      out[i] = static_cast<T>(mean_output(p, sum));
  });
}

class MeanReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override { plan_ = plan_mean(ctx); }
  void eval(const OpContext& ctx) const override { mean_reference(plan_, ctx); }

 private:
  MeanPlan plan_;
};

}  // namespace

void mean_reference(const MeanPlan& p, const OpContext& ctx) {
  switch (p.dtype) {
    case DType::kUInt8:
      run<uint8_t, int32_t>(p, ctx);
      break;
    case DType::kInt8:
      run<int8_t, int32_t>(p, ctx);
      break;
    default:
      run<float, float>(p, ctx);
      break;
  }
}

std::unique_ptr<Kernel> make_reference_mean() { return std::make_unique<MeanReference>(); }

}  // namespace tpulab::engine
