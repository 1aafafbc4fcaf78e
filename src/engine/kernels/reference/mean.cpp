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

#include "engine/kernels/quantization.h"
#include "engine/kernels/reference/math_kernels.h"

namespace tpulab::engine {

namespace {

constexpr size_t kMaxRank = 8;

class MeanReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    const TensorRef& in = ctx.in(0);
    const TensorRef& axis = ctx.in(1);
    TensorRef& out = ctx.out(0);
    const bool keep_dims = options_or_default<ReducerOptions>(ctx).keep_dims;
    check_model(out.dtype == in.dtype, ctx, "output type differs from input type");
    check_model(axis.dtype == DType::kInt32, ctx, "axis must be int32");
    check_supported(axis.is_constant, ctx, "MEAN with a computed axis");
    check_supported(in.rank() <= kMaxRank, ctx, "MEAN above rank 8");
    const int32_t rank = static_cast<int32_t>(in.rank());
    const int32_t* ax = axis.as<int32_t>();
    const int64_t n_axis = axis.num_elements();
    std::array<bool, kMaxRank> reduced{};
    for (int64_t i = 0; i < n_axis; ++i) {
      const int32_t a = ax[i] < 0 ? ax[i] + rank : ax[i];
      check_model(a >= 0 && a < rank, ctx, "axis out of range");
      reduced[a] = true;
    }
    rank_ = rank;
    out.shape.clear();
    count_ = 1;
    for (int32_t d = 0; d < rank; ++d) {
      dims_[d] = in.dim(d);
      reduced_[d] = reduced[d];
      if (reduced[d]) count_ *= in.dim(d);
      if (!reduced[d])
        out.shape.push_back(in.dim(d));
      else if (keep_dims)
        out.shape.push_back(1);
    }
    dtype_ = in.dtype;
    if (dtype_ == DType::kFloat32) return;
    check_supported(is_8bit(dtype_), ctx, "MEAN on " + dtype_name(dtype_));
    check_quantized(in, ctx, "input");
    check_quantized(out, ctx, "output");
    zi_ = in.zero_point();
    zo_ = out.zero_point();
    const QuantizedMultiplier m =
        quantize_multiplier(static_cast<double>(in.scale()) / static_cast<double>(out.scale()));
    if (count_ == 0) return;  // nothing is reduced: eval writes nothing either
    int shift = 63 - std::countl_zero(static_cast<uint64_t>(count_));
    shift = std::min({shift, 32, 31 + m.shift});
    m_.multiplier = static_cast<int32_t>((static_cast<int64_t>(m.multiplier) << shift) / count_);
    m_.shift = m.shift - shift;
  }

  void eval(const OpContext& ctx) const override {
    switch (dtype_) {
      case DType::kUInt8:
        run<uint8_t, int32_t>(ctx);
        break;
      case DType::kInt8:
        run<int8_t, int32_t>(ctx);
        break;
      default:
        run<float, float>(ctx);
        break;
    }
  }

 private:
  // Calls visit(output_index, sum) for every output element, summing its inputs in row-major
  // order of the reduced indices (the order TFLite's ReduceSumImpl adds them in).
  template <typename T, typename Acc, typename F>
  void for_each_sum(const T* in, F&& visit) const {
    std::array<int64_t, kMaxRank> stride{};
    int64_t s = 1;
    for (int32_t d = rank_ - 1; d >= 0; --d) {
      stride[d] = s;
      s *= dims_[d];
    }
    std::array<int32_t, kMaxRank> idx{};  // odometer over all input dims, reduced ones fastest
    int64_t out_i = 0;
    while (true) {
      int64_t base = 0;
      for (int32_t d = 0; d < rank_; ++d)
        if (!reduced_[d]) base += idx[d] * stride[d];
      Acc acc = 0;
      std::array<int32_t, kMaxRank> r{};
      for (int64_t k = 0; k < count_; ++k) {
        int64_t off = base;
        for (int32_t d = 0; d < rank_; ++d)
          if (reduced_[d]) off += r[d] * stride[d];
        acc += static_cast<Acc>(in[off]);
        for (int32_t d = rank_ - 1; d >= 0; --d) {
          if (!reduced_[d]) continue;
          if (++r[d] < dims_[d]) break;
          r[d] = 0;
        }
      }
      visit(out_i++, acc);
      int32_t d = rank_ - 1;
      for (; d >= 0; --d) {
        if (reduced_[d]) continue;
        if (++idx[d] < dims_[d]) break;
        idx[d] = 0;
      }
      if (d < 0) break;
    }
  }

  template <typename T, typename Acc>
  void run(const OpContext& ctx) const {
    const T* in = ctx.in(0).as<T>();
    T* out = ctx.out(0).as<T>();
    if (ctx.in(0).num_elements() == 0) return;
    const int32_t lo = dtype_ == DType::kFloat32 ? 0 : qmin(dtype_);
    const int32_t hi = dtype_ == DType::kFloat32 ? 0 : qmax(dtype_);
    for_each_sum<T, Acc>(in, [&](int64_t i, Acc sum) {
      if constexpr (std::is_same_v<T, float>) {
        out[i] = sum / static_cast<float>(count_);
      } else {
        const auto shifted = static_cast<int32_t>(int64_t{sum} - int64_t{zi_} * count_);
        const int32_t v = multiply_by_quantized_multiplier(shifted, m_) + zo_;
        out[i] = static_cast<T>(std::clamp(v, lo, hi));
      }
    });
  }

  DType dtype_ = DType::kFloat32;
  int32_t rank_ = 0;
  std::array<int32_t, kMaxRank> dims_{};
  std::array<bool, kMaxRank> reduced_{};
  int64_t count_ = 1;
  int32_t zi_ = 0, zo_ = 0;
  QuantizedMultiplier m_;
};

}  // namespace

std::unique_ptr<Kernel> make_reference_mean() { return std::make_unique<MeanReference>(); }

}  // namespace tpulab::engine
