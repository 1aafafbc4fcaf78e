// GATHER_ND reference kernel: indices [..., K] pick slices params[i0, ..., iK-1, :, ...];
// output shape = indices.shape[:-1] + params.shape[K:]. An index out of range is an error at eval
// (TFLite reports it too).
#include <array>
#include <cstring>

#include "common/error.h"
#include "engine/kernels/kernel_util.h"
#include "engine/kernels/reference/tensor_kernels.h"
#include "engine/kernels/tensor_util.h"

namespace tpulab::engine {

namespace {

class GatherNdReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    const TensorRef& params = ctx.in(0);
    const TensorRef& indices = ctx.in(1);
    TensorRef& out = ctx.out(0);
    check_model(out.dtype == params.dtype, ctx, "output type differs from params'");
    check_model(indices.dtype == DType::kInt32 || indices.dtype == DType::kInt64, ctx,
                "indices must be int32 or int64");
    check_model(indices.rank() >= 1, ctx, "indices must have rank >= 1");
    check_model(params.rank() >= 1, ctx, "params must have rank >= 1");
    index_type_ = indices.dtype;
    nd_ = indices.shape.back();
    check_model(nd_ >= 0 && static_cast<size_t>(nd_) <= params.rank(), ctx,
                "index depth " + std::to_string(nd_) + " exceeds params rank");
    check_supported(static_cast<size_t>(nd_) <= kMaxRank, ctx, "index depth above 8");
    elem_ = element_size(params.dtype, ctx);
    slices_ = dims_product(indices.shape, 0, indices.rank() - 1);
    slice_ = dims_product(params.shape, static_cast<size_t>(nd_), params.rank());
    for (size_t j = static_cast<size_t>(nd_); j-- > 0;) {
      dims_[j] = params.shape[j];
      stride_[j] = dims_product(params.shape, j + 1, params.rank());
    }
    out.shape.assign(indices.shape.begin(), indices.shape.end() - 1);
    out.shape.insert(out.shape.end(), params.shape.begin() + nd_, params.shape.end());
  }

  void eval(const OpContext& ctx) const override {
    const uint8_t* src = ctx.in(0).data;
    uint8_t* dst = ctx.out(0).data;
    const uint8_t* idx = ctx.in(1).data;
    const size_t slice_bytes = static_cast<size_t>(slice_) * elem_;
    for (int64_t i = 0; i < slices_; ++i) {
      int64_t from = 0;
      for (int32_t j = 0; j < nd_; ++j) {
        int64_t v;
        if (index_type_ == DType::kInt32) {
          int32_t x;
          std::memcpy(&x, idx + (i * nd_ + j) * 4, 4);
          v = x;
        } else {
          std::memcpy(&v, idx + (i * nd_ + j) * 8, 8);
        }
        if (v < 0 || v >= dims_[static_cast<size_t>(j)])
          throw ModelError(ctx.model, "GATHER_ND index " + std::to_string(v) + " out of range",
                           ctx.where());
        from += v * stride_[static_cast<size_t>(j)];
      }
      if (slice_bytes > 0)
        std::memcpy(dst + static_cast<size_t>(i) * slice_bytes,
                    src + static_cast<size_t>(from) * elem_, slice_bytes);
    }
  }

 private:
  DType index_type_ = DType::kInt32;
  int32_t nd_ = 0;
  size_t elem_ = 1;
  int64_t slices_ = 0, slice_ = 1;
  std::array<int64_t, kMaxRank> dims_{}, stride_{};
};

}  // namespace

std::unique_ptr<Kernel> make_reference_gather_nd() { return std::make_unique<GatherNdReference>(); }

}  // namespace tpulab::engine
