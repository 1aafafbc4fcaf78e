// STRIDED_SLICE reference kernel with TensorFlow's full semantics: begin/end/ellipsis/new-axis/
// shrink-axis masks, negative indices and strides, and the `offset` option (end = begin + end).
// The sparse spec is expanded to one (begin, stride, count) per input dim as TF's
// ValidateStridedSliceOp does; eval is a plain strided copy.
#include <algorithm>
#include <array>
#include <cstring>

#include "engine/kernels/kernel_util.h"
#include "engine/kernels/reference/tensor_kernels.h"
#include "engine/kernels/tensor_util.h"

namespace tpulab::engine {

namespace {

class StridedSliceReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    const auto o = options_or_default<StridedSliceOptions>(ctx);
    const TensorRef& in = ctx.in(0);
    TensorRef& out = ctx.out(0);
    check_model(in.dtype == out.dtype, ctx, "input and output types differ");
    elem_ = element_size(in.dtype, ctx);
    rank_ = in.rank();
    check_supported(rank_ <= kMaxRank, ctx, "rank above 8");
    auto begin = constant_ints(ctx.in(1), ctx, "begin");
    auto end = constant_ints(ctx.in(2), ctx, "end");
    auto strides = constant_ints(ctx.in(3), ctx, "strides");
    const size_t n = begin.size();
    check_model(end.size() == n && strides.size() == n, ctx,
                "begin, end and strides differ in length");
    check_model(n <= 32, ctx, "more than 32 slice dimensions");
    if (o.offset)
      for (size_t i = 0; i < n; ++i) end[i] += begin[i];

    auto bit = [](int32_t mask, size_t i) {
      return ((static_cast<uint32_t>(mask) >> i) & 1u) != 0;
    };
    int32_t ellipsis = o.ellipsis_mask;
    size_t sparse_dims = n;
    if (ellipsis == 0) {  // an implicit ellipsis at the end covers the remaining dims
      ellipsis = static_cast<int32_t>(1u << n);
      ++sparse_dims;
    }
    // New axes after the ellipsis do not consume input dims.
    size_t new_axes_after_ellipsis = 0;
    bool seen_ellipsis = false;
    for (size_t i = 0; i < sparse_dims; ++i) {
      if (bit(ellipsis, i)) {
        check_model(!seen_ellipsis, ctx, "more than one ellipsis");
        seen_ellipsis = true;
      } else if (seen_ellipsis && i < n && bit(o.new_axis_mask, i)) {
        ++new_axes_after_ellipsis;
      }
    }

    struct Dense {
      int64_t begin = 0, end = 0, stride = 1;
      bool begin_mask = false, end_mask = false, shrink = false;
    };
    std::vector<Dense> dense(rank_);
    constexpr int kNewAxis = -1, kShrink = -2;
    std::vector<int> gather;  // per output dim: dense index, kNewAxis or kShrink
    size_t full = 0;
    for (size_t i = 0; i < sparse_dims; ++i) {
      if (bit(ellipsis, i)) {
        const size_t next =
            std::min(rank_ - (sparse_dims - i) + 1 + new_axes_after_ellipsis, rank_);
        for (; full < next; ++full) {
          dense[full] = Dense{0, 0, 1, true, true, false};
          gather.push_back(static_cast<int>(full));
        }
      } else if (bit(o.new_axis_mask, i)) {
        gather.push_back(kNewAxis);
      } else {
        check_model(full < rank_, ctx, "slice spec has more dimensions than the input");
        Dense& d = dense[full];
        d.begin = begin[i];
        d.end = end[i];
        d.stride = strides[i];
        d.begin_mask = bit(o.begin_mask, i);
        d.end_mask = bit(o.end_mask, i);
        d.shrink = bit(o.shrink_axis_mask, i);
        gather.push_back(d.shrink ? kShrink : static_cast<int>(full));
        ++full;
      }
    }
    check_model(full == rank_, ctx, "slice spec does not cover the input's dimensions");

    std::vector<int64_t> size(rank_);
    for (size_t k = 0; k < rank_; ++k) {
      Dense& d = dense[k];
      const int64_t dim = in.shape[k];
      check_model(d.stride != 0, ctx, "stride 0");
      if (d.shrink) {
        int64_t x = d.begin < 0 ? d.begin + dim : d.begin;
        check_model(x >= 0 && x < dim, ctx, "shrunk index out of range");
        begin_[k] = x;
        stride_[k] = 1;
        count_[k] = 1;
        continue;
      }
      const bool fwd = d.stride > 0;
      const int64_t lo = fwd ? 0 : -1, hi = fwd ? dim : dim - 1;
      // Masked: begin starts at 0 (forward) or dim-1 (backward); end stops past the last element.
      auto canonical = [&](int64_t x) { return std::clamp(x < 0 ? x + dim : x, lo, hi); };
      const int64_t b = d.begin_mask ? (fwd ? 0 : dim - 1) : canonical(d.begin);
      const int64_t e = d.end_mask ? (fwd ? dim : -1) : canonical(d.end);
      const int64_t len = e - b;
      int64_t c = 0;
      if (len != 0 && (len < 0) == (d.stride < 0))
        c = len / d.stride + (len % d.stride != 0 ? 1 : 0);
      begin_[k] = b;
      stride_[k] = d.stride;
      count_[k] = c;
      size[k] = c;
    }
    out.shape.clear();
    for (int g : gather) {
      if (g == kShrink) continue;
      out.shape.push_back(g == kNewAxis ? 1 : static_cast<int32_t>(size[static_cast<size_t>(g)]));
    }
    int64_t s = 1;
    for (size_t k = rank_; k-- > 0;) {
      in_stride_[k] = s;
      s *= in.shape[k];
    }
    total_ = 1;
    for (size_t k = 0; k < rank_; ++k) total_ *= count_[k];
  }

  void eval(const OpContext& ctx) const override {
    const uint8_t* src = ctx.in(0).data;
    uint8_t* dst = ctx.out(0).data;
    if (total_ == 0) return;
    if (rank_ == 0) {
      std::memcpy(dst, src, elem_);
      return;
    }
    std::array<int64_t, kMaxRank> idx{};
    for (int64_t i = 0; i < total_; ++i) {
      int64_t off = 0;
      for (size_t k = 0; k < rank_; ++k) off += (begin_[k] + idx[k] * stride_[k]) * in_stride_[k];
      std::memcpy(dst + i * static_cast<int64_t>(elem_), src + off * static_cast<int64_t>(elem_),
                  elem_);
      for (size_t k = rank_; k-- > 0;) {
        if (++idx[k] < count_[k]) break;
        idx[k] = 0;
      }
    }
  }

 private:
  size_t elem_ = 1, rank_ = 0;
  std::array<int64_t, kMaxRank> begin_{}, stride_{}, count_{}, in_stride_{};
  int64_t total_ = 0;
};

}  // namespace

std::unique_ptr<Kernel> make_reference_strided_slice() {
  return std::make_unique<StridedSliceReference>();
}

}  // namespace tpulab::engine
