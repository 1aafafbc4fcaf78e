// SQUEEZE reference kernel: removes the listed size-1 dims (negative = from the end), or every
// size-1 dim when none are listed. The bytes are copied unchanged.
#include <cstring>

#include "engine/kernels/kernel_util.h"
#include "engine/kernels/reference/tensor_kernels.h"
#include "engine/kernels/tensor_util.h"

namespace tpulab::engine {

namespace {

class SqueezeReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    const TensorRef& in = ctx.in(0);
    TensorRef& out = ctx.out(0);
    check_model(in.dtype == out.dtype, ctx, "input and output types differ");
    const auto o = options_or_default<SqueezeOptions>(ctx);
    std::vector<bool> drop(in.rank(), false);
    if (o.squeeze_dims.empty()) {
      for (size_t i = 0; i < in.rank(); ++i) drop[i] = in.shape[i] == 1;
    } else {
      for (int32_t d : o.squeeze_dims) {
        const int32_t a = normalize_axis(d, in.rank(), ctx);
        check_model(in.shape[static_cast<size_t>(a)] == 1, ctx,
                    "squeezed dimension " + std::to_string(d) + " is not 1");
        drop[static_cast<size_t>(a)] = true;
      }
    }
    out.shape.clear();
    for (size_t i = 0; i < in.rank(); ++i)
      if (!drop[i]) out.shape.push_back(in.shape[i]);
    bytes_ = static_cast<size_t>(in.num_elements()) * element_size(in.dtype, ctx);
  }

  void eval(const OpContext& ctx) const override {
    const TensorRef& in = ctx.in(0);
    TensorRef& out = ctx.out(0);
    if (in.data != out.data && bytes_ > 0) std::memmove(out.data, in.data, bytes_);
  }

 private:
  size_t bytes_ = 0;
};

}  // namespace

std::unique_ptr<Kernel> make_reference_squeeze() { return std::make_unique<SqueezeReference>(); }

}  // namespace tpulab::engine
