// PAD and PADV2 reference kernel. Paddings [rank, 2] (before, after) per dim. The pad value is
// PADV2's scalar constant input, else 0 (float, integers) or the output's zero point (8-bit
// quantized), as in TFLite.
#include <array>
#include <cstring>

#include "engine/kernels/kernel_util.h"
#include "engine/kernels/reference/tensor_kernels.h"
#include "engine/kernels/tensor_util.h"

namespace tpulab::engine {

namespace {

class PadReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    const TensorRef& in = ctx.in(0);
    TensorRef& out = ctx.out(0);
    check_model(in.dtype == out.dtype, ctx, "input and output types differ");
    elem_ = element_size(in.dtype, ctx);
    const size_t rank = in.rank();
    check_supported(rank <= kMaxRank, ctx, "rank above 8");
    const auto pads = constant_ints(ctx.in(1), ctx, "paddings");
    check_model(ctx.in(1).shape == std::vector<int32_t>{static_cast<int32_t>(rank), 2}, ctx,
                "paddings must have shape [" + std::to_string(rank) + ",2]");
    before_.assign(rank, 0);
    out.shape = in.shape;
    for (size_t d = 0; d < rank; ++d) {
      check_model(pads[2 * d] >= 0 && pads[2 * d + 1] >= 0, ctx, "negative padding");
      before_[d] = pads[2 * d];
      out.shape[d] = static_cast<int32_t>(in.shape[d] + pads[2 * d] + pads[2 * d + 1]);
    }
    pad_value_.assign(elem_, 0);
    const TensorRef* value = ctx.inputs.size() >= 3 ? ctx.inputs[2] : nullptr;
    if (value != nullptr) {
      check_model(value->dtype == in.dtype, ctx, "constant value type differs from the input's");
      check_model(value->num_elements() == 1, ctx, "constant value must be a scalar");
      check_supported(value->is_constant, ctx, "a non-constant pad value");
      if (in.dtype == DType::kUInt8 || in.dtype == DType::kInt8)
        check_model(same_quantization(*value, out), ctx,
                    "constant value is quantized differently from the output");
      std::memcpy(pad_value_.data(), value->data, elem_);
    } else if (in.dtype == DType::kUInt8 || in.dtype == DType::kInt8) {
      const auto zp = static_cast<uint8_t>(out.zero_point());
      pad_value_[0] = zp;
    }
    if (in.dtype == DType::kUInt8 || in.dtype == DType::kInt8)
      check_model(same_quantization(in, out), ctx, "input and output are quantized differently");
  }

  void eval(const OpContext& ctx) const override {
    const TensorRef& in = ctx.in(0);
    TensorRef& out = ctx.out(0);
    const int64_t n_out = out.num_elements();
    for (int64_t i = 0; i < n_out; ++i) std::memcpy(out.data + i * elem_, pad_value_.data(), elem_);
    const size_t rank = in.rank();
    if (rank == 0) {
      std::memcpy(out.data, in.data, elem_);
      return;
    }
    // Copy each innermost row of the input to its place in the output.
    const int64_t row = in.shape[rank - 1];
    const int64_t rows = row == 0 ? 0 : in.num_elements() / row;
    std::array<int32_t, kMaxRank> idx{};  // input index of the row's first element
    for (int64_t r = 0; r < rows; ++r) {
      int64_t off = 0;
      for (size_t d = 0; d < rank; ++d) off = off * out.shape[d] + idx[d] + before_[d];
      std::memcpy(out.data + off * static_cast<int64_t>(elem_),
                  in.data + r * row * static_cast<int64_t>(elem_),
                  static_cast<size_t>(row) * elem_);
      for (size_t d = rank - 1; d-- > 0;) {
        if (++idx[d] < in.shape[d]) break;
        idx[d] = 0;
      }
    }
  }

 private:
  size_t elem_ = 1;
  std::vector<int64_t> before_;
  std::vector<uint8_t> pad_value_;
};

}  // namespace

std::unique_ptr<Kernel> make_reference_pad() { return std::make_unique<PadReference>(); }

}  // namespace tpulab::engine
