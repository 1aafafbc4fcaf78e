// RESIZE_BILINEAR reference kernel, LiteRT's reference kernel (BUILTIN_REF):
//  - float32 and uint8: reference_ops::ResizeBilinear, in float: each corner value times its
//    y weight times its x weight, summed in the order (y0,x0), (y1,x0), (y0,x1), (y1,x1), plus
//    0.5 for uint8, converted by truncation;
//  - int8, int16: reference ResizeBilinearInteger, in 10-bit fixed point with the products
//    rounded half away from zero at 2^20.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "engine/kernels/kernel_util.h"
#include "engine/kernels/reference/tensor_kernels.h"
#include "engine/kernels/tensor_util.h"

namespace tpulab::engine {

namespace {

// TFLite's ComputeInterpolationValues (float).
void interpolation_float(int32_t value, float scale, bool half_pixel, int32_t in_size,
                         float* scaled, int32_t* lo, int32_t* hi) {
  *scaled = half_pixel ? (static_cast<float>(value) + 0.5f) * scale - 0.5f
                       : static_cast<float>(value) * scale;
  *lo = std::max(static_cast<int32_t>(std::floor(*scaled)), 0);
  *hi = std::min(static_cast<int32_t>(std::ceil(*scaled)), in_size - 1);
}

// TFLite's ComputeInterpolationValuesInteger (10 fractional bits; C++ division truncates).
void interpolation_int(int32_t value, int32_t scale_10, bool half_pixel, int32_t in_size,
                       int32_t* scaled, int32_t* lo, int32_t* hi) {
  *scaled = half_pixel ? value * scale_10 + scale_10 / 2 - (1 << 9) : value * scale_10;
  *lo = std::max(*scaled / (1 << 10), 0);
  *hi = std::min((*scaled + (1 << 10) - 1) / (1 << 10), in_size - 1);
}

class ResizeBilinearReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    const auto o = options_or_default<ResizeOptions>(ctx);
    const TensorRef& in = ctx.in(0);
    TensorRef& out = ctx.out(0);
    check_model(in.rank() == 4, ctx, "input must have rank 4");
    check_model(out.dtype == in.dtype, ctx, "input and output types differ");
    const auto size = constant_ints(ctx.in(1), ctx, "size");
    check_model(ctx.in(1).dtype == DType::kInt32 && size.size() == 2, ctx,
                "size must be 2 int32 values");
    check_model(size[0] > 0 && size[1] > 0, ctx, "output size must be positive");
    check_model(!(o.align_corners && o.half_pixel_centers), ctx,
                "align_corners and half_pixel_centers are both set");
    dtype_ = in.dtype;
    check_supported(dtype_ == DType::kFloat32 || dtype_ == DType::kUInt8 ||
                        dtype_ == DType::kInt8 || dtype_ == DType::kInt16,
                    ctx, "RESIZE_BILINEAR on " + dtype_name(dtype_));
    if (dtype_ != DType::kFloat32)
      check_model(same_quantization(in, out), ctx, "input and output are quantized differently");
    align_ = o.align_corners;
    half_ = o.half_pixel_centers;
    batches_ = in.shape[0];
    in_h_ = in.shape[1];
    in_w_ = in.shape[2];
    depth_ = in.shape[3];
    out_h_ = static_cast<int32_t>(size[0]);
    out_w_ = static_cast<int32_t>(size[1]);
    out.shape = {batches_, out_h_, out_w_, depth_};
  }

  void eval(const OpContext& ctx) const override {
    switch (dtype_) {
      case DType::kFloat32:
        run_float<float>(ctx);
        break;
      case DType::kUInt8:
        run_float<uint8_t>(ctx);
        break;
      case DType::kInt8:
        run_integer<int8_t>(ctx);
        break;
      default:
        run_integer<int16_t>(ctx);
        break;
    }
  }

 private:
  int64_t offset(int32_t b, int32_t y, int32_t x) const {
    return ((static_cast<int64_t>(b) * in_h_ + y) * in_w_ + x) * depth_;
  }
  float scale_float(int32_t in, int32_t out) const {
    return (align_ && out > 1) ? static_cast<float>(in - 1) / static_cast<float>(out - 1)
                               : static_cast<float>(in) / static_cast<float>(out);
  }

  template <typename T>
  void run_float(const OpContext& ctx) const {
    const T* in = ctx.in(0).as<T>();
    T* out = ctx.out(0).as<T>();
    const float rounding = std::is_integral_v<T> ? 0.5f : 0.0f;
    const float hs = scale_float(in_h_, out_h_), ws = scale_float(in_w_, out_w_);
    for (int32_t b = 0; b < batches_; ++b)
      for (int32_t y = 0; y < out_h_; ++y) {
        float iy;
        int32_t y0, y1;
        interpolation_float(y, hs, half_, in_h_, &iy, &y0, &y1);
        const float dy = iy - static_cast<float>(y0);
        for (int32_t x = 0; x < out_w_; ++x) {
          float ix;
          int32_t x0, x1;
          interpolation_float(x, ws, half_, in_w_, &ix, &x0, &x1);
          const float dx = ix - static_cast<float>(x0);
          const T* p00 = in + offset(b, y0, x0);
          const T* p10 = in + offset(b, y1, x0);
          const T* p01 = in + offset(b, y0, x1);
          const T* p11 = in + offset(b, y1, x1);
          T* o = out + ((static_cast<int64_t>(b) * out_h_ + y) * out_w_ + x) * depth_;
          for (int32_t c = 0; c < depth_; ++c) {
            // Left to right, as written in LiteRT: (v * wy) * wx, then the four sums in order.
            const float v = static_cast<float>(p00[c]) * (1 - dy) * (1 - dx) +
                            static_cast<float>(p10[c]) * dy * (1 - dx) +
                            static_cast<float>(p01[c]) * (1 - dy) * dx +
                            static_cast<float>(p11[c]) * dy * dx + rounding;
            o[c] = static_cast<T>(v);
          }
        }
      }
  }

  template <typename T>
  void run_integer(const OpContext& ctx) const {
    const T* in = ctx.in(0).as<T>();
    T* out = ctx.out(0).as<T>();
    int32_t hs = ((1 << 10) * in_h_ + out_h_ / 2) / out_h_;
    int32_t ws = ((1 << 10) * in_w_ + out_w_ / 2) / out_w_;
    if (align_ && out_h_ > 1) hs = ((1 << 10) * (in_h_ - 1) + (out_h_ - 1) / 2) / (out_h_ - 1);
    if (align_ && out_w_ > 1) ws = ((1 << 10) * (in_w_ - 1) + (out_w_ - 1) / 2) / (out_w_ - 1);
    for (int32_t b = 0; b < batches_; ++b)
      for (int32_t y = 0; y < out_h_; ++y) {
        int32_t iy, y0, y1;
        interpolation_int(y, hs, half_, in_h_, &iy, &y0, &y1);
        const int64_t wy1 = iy - (1 << 10) * y0, wy0 = (1 << 10) - wy1;
        for (int32_t x = 0; x < out_w_; ++x) {
          int32_t ix, x0, x1;
          interpolation_int(x, ws, half_, in_w_, &ix, &x0, &x1);
          const int64_t wx1 = ix - (1 << 10) * x0, wx0 = (1 << 10) - wx1;
          const T* p00 = in + offset(b, y0, x0);
          const T* p10 = in + offset(b, y1, x0);
          const T* p01 = in + offset(b, y0, x1);
          const T* p11 = in + offset(b, y1, x1);
          T* o = out + ((static_cast<int64_t>(b) * out_h_ + y) * out_w_ + x) * depth_;
          for (int32_t c = 0; c < depth_; ++c) {
            const int64_t sum =
                p00[c] * wy0 * wx0 + p10[c] * wy1 * wx0 + p01[c] * wy0 * wx1 + p11[c] * wy1 * wx1;
            const int64_t round = sum > 0 ? (1 << 19) : -(1 << 19);
            o[c] = static_cast<T>((sum + round) / (1 << 20));
          }
        }
      }
  }

  DType dtype_ = DType::kFloat32;
  bool align_ = false, half_ = false;
  int32_t batches_ = 0, in_h_ = 0, in_w_ = 0, depth_ = 0, out_h_ = 0, out_w_ = 0;
};

}  // namespace

std::unique_ptr<Kernel> make_reference_resize_bilinear() {
  return std::make_unique<ResizeBilinearReference>();
}

}  // namespace tpulab::engine
