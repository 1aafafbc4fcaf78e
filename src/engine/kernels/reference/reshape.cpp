// RESHAPE reference kernel. The new shape comes from the shape input when it is an int32 vector,
// else from the options (as TFLite's GetOutputShape decides); one -1 entry is inferred. The
// bytes are copied unchanged.
#include <cstring>

#include "engine/kernels/kernel_util.h"
#include "engine/kernels/reference/tensor_kernels.h"
#include "engine/kernels/tensor_util.h"

namespace tpulab::engine {

namespace {

class ReshapeReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    const TensorRef& in = ctx.in(0);
    TensorRef& out = ctx.out(0);
    check_model(in.dtype == out.dtype, ctx, "input and output types differ");
    std::vector<int64_t> dims;
    const TensorRef* shape = ctx.inputs.size() >= 2 ? ctx.inputs[1] : nullptr;
    if (shape != nullptr && shape->rank() == 1 && shape->dtype == DType::kInt32) {
      dims = constant_ints(*shape, ctx, "shape input");
    } else {
      const auto* o = ctx.op->options_as<ReshapeOptions>();
      check_model(o != nullptr && o->new_shape.has_value(), ctx,
                  "no shape input and no new_shape option");
      dims.assign(o->new_shape->begin(), o->new_shape->end());
      // Legacy models write [0] for a scalar.
      if (dims.size() == 1 && dims[0] == 0) dims.clear();
    }
    int stretch = -1;
    int64_t known = 1;
    for (size_t i = 0; i < dims.size(); ++i) {
      if (dims[i] == -1) {
        check_model(stretch == -1, ctx, "new shape has more than one -1");
        stretch = static_cast<int>(i);
      } else {
        check_model(dims[i] >= 0, ctx, "new shape has a negative dimension");
        known *= dims[i];
      }
    }
    const int64_t n = in.num_elements();
    if (stretch >= 0) {
      check_model(known != 0, ctx, "cannot infer -1 next to a zero dimension");
      dims[static_cast<size_t>(stretch)] = n / known;
      known *= dims[static_cast<size_t>(stretch)];
    }
    check_model(
        known == n, ctx,
        "new shape has " + std::to_string(known) + " elements, input has " + std::to_string(n));
    out.shape.assign(dims.begin(), dims.end());
    bytes_ = static_cast<size_t>(n) * element_size(in.dtype, ctx);
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

std::unique_ptr<Kernel> make_reference_reshape() { return std::make_unique<ReshapeReference>(); }

}  // namespace tpulab::engine
