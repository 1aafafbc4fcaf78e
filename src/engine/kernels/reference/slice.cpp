// SLICE reference kernel: output[i] = input[begin + i] for i < size per dim (size -1 = to the end).
#include <array>
#include <cstring>

#include "engine/kernels/kernel_util.h"
#include "engine/kernels/reference/tensor_kernels.h"
#include "engine/kernels/tensor_util.h"

namespace tpulab::engine {

namespace {

class SliceReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    const TensorRef& in = ctx.in(0);
    TensorRef& out = ctx.out(0);
    check_model(in.dtype == out.dtype, ctx, "input and output types differ");
    elem_ = element_size(in.dtype, ctx);
    rank_ = in.rank();
    check_supported(rank_ <= kMaxRank, ctx, "rank above 8");
    const auto begin = constant_ints(ctx.in(1), ctx, "begin");
    const auto size = constant_ints(ctx.in(2), ctx, "size");
    check_model(begin.size() == rank_ && size.size() == rank_, ctx,
                "begin and size must have one entry per input dimension");
    out.shape.assign(rank_, 0);
    total_ = 1;
    for (size_t k = 0; k < rank_; ++k) {
      const int64_t dim = in.shape[k];
      const int64_t s = size[k] == -1 ? dim - begin[k] : size[k];
      check_model(begin[k] >= 0 && s >= 0 && begin[k] + s <= dim, ctx,
                  "slice [" + std::to_string(begin[k]) + ", +" + std::to_string(size[k]) +
                      ") out of range for dimension " + std::to_string(k) + " of size " +
                      std::to_string(dim));
      begin_[k] = begin[k];
      count_[k] = s;
      out.shape[k] = static_cast<int32_t>(s);
      total_ *= s;
    }
    int64_t st = 1;
    for (size_t k = rank_; k-- > 0;) {
      in_stride_[k] = st;
      st *= in.shape[k];
    }
  }

  void eval(const OpContext& ctx) const override {
    const uint8_t* src = ctx.in(0).data;
    uint8_t* dst = ctx.out(0).data;
    if (total_ == 0) return;
    if (rank_ == 0) {
      std::memcpy(dst, src, elem_);
      return;
    }
    // Copies whole innermost rows.
    const int64_t row = count_[rank_ - 1];
    const size_t row_bytes = static_cast<size_t>(row) * elem_;
    std::array<int64_t, kMaxRank> idx{};
    for (int64_t r = 0, rows = total_ / row; r < rows; ++r) {
      int64_t off = begin_[rank_ - 1];
      for (size_t k = 0; k + 1 < rank_; ++k) off += (begin_[k] + idx[k]) * in_stride_[k];
      std::memcpy(dst + r * static_cast<int64_t>(row_bytes),
                  src + off * static_cast<int64_t>(elem_), row_bytes);
      for (size_t k = rank_ - 1; k-- > 0;) {
        if (++idx[k] < count_[k]) break;
        idx[k] = 0;
      }
    }
  }

 private:
  size_t elem_ = 1, rank_ = 0;
  std::array<int64_t, kMaxRank> begin_{}, count_{}, in_stride_{};
  int64_t total_ = 0;
};

}  // namespace

std::unique_ptr<Kernel> make_reference_slice() { return std::make_unique<SliceReference>(); }

}  // namespace tpulab::engine
