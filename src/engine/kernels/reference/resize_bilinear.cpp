// RESIZE_BILINEAR reference kernel, reproducing the paths TFLite's built-in kernel
// (kGenericOptimized, TF 2.5-2.8) takes:
//  - float32: an exact 2x upsample without align_corners/half_pixel_centers uses the 2x2 kernel
//    (averages of neighbours); otherwise the generic loop that accumulates the four weighted
//    corners into a zeroed output in the order (y0,x0), (y0,x1), (y1,x0), (y1,x1).
//  - uint8: the float "small channel" loop: uint8(v00*w00 + v01*w01 + v10*w10 + v11*w11 + 0.5)
//    with weights computed in float (the 8x half-pixel fast path is not implemented).
//  - int8, int16: reference ResizeBilinearInteger, in 10-bit fixed point with the products
//    rounded half away from zero at 2^20.
#include <algorithm>
#include <cmath>
#include <cstring>

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
    if (dtype_ == DType::kUInt8 && half_ && depth_ % 8 == 0) {
      const int32_t scale = out_h_ / in_h_;
      check_supported(!(scale == 8 && out_h_ >= 8 && out_w_ >= 8 && in_h_ * scale == out_h_ &&
                        in_w_ * scale == out_w_),
                      ctx, "uint8 8x half-pixel upsampling (TFLite's ResizeBilinear888Uint8 path)");
    }
  }

  void eval(const OpContext& ctx) const override {
    switch (dtype_) {
      case DType::kFloat32:
        if (!align_ && !half_ && out_h_ == 2 * in_h_ && out_w_ == 2 * in_w_)
          run_float_2x2(ctx);
        else
          run_float(ctx);
        break;
      case DType::kUInt8:
        run_uint8(ctx);
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

  void run_float_2x2(const OpContext& ctx) const {
    const float* in = ctx.in(0).as<float>();
    float* out = ctx.out(0).as<float>();
    const int64_t row = static_cast<int64_t>(out_w_) * depth_;
    for (int32_t b = 0; b < batches_; ++b)
      for (int32_t y0 = 0; y0 < in_h_; ++y0)
        for (int32_t x0 = 0; x0 < in_w_; ++x0) {
          const int32_t x1 = std::min(x0 + 1, in_w_ - 1);
          const int32_t y1 = std::min(y0 + 1, in_h_ - 1);
          float* o = out + ((static_cast<int64_t>(b) * out_h_ + 2 * y0) * out_w_ + 2 * x0) * depth_;
          for (int32_t c = 0; c < depth_; ++c) {
            const float v00 = in[offset(b, y0, x0) + c], v01 = in[offset(b, y0, x1) + c];
            const float v10 = in[offset(b, y1, x0) + c], v11 = in[offset(b, y1, x1) + c];
            o[c] = v00;
            o[depth_ + c] = (v00 + v01) / 2;
            const float bottom_left = (v00 + v10) / 2;
            o[row + c] = bottom_left;
            o[row + depth_ + c] = (bottom_left + (v01 + v11) / 2) / 2;
          }
        }
  }

  void run_float(const OpContext& ctx) const {
    const float* in = ctx.in(0).as<float>();
    float* out = ctx.out(0).as<float>();
    const float hs = scale_float(in_h_, out_h_), ws = scale_float(in_w_, out_w_);
    for (int32_t b = 0; b < batches_; ++b)
      for (int32_t y = 0; y < out_h_; ++y) {
        float iy;
        int32_t y0, y1;
        interpolation_float(y, hs, half_, in_h_, &iy, &y0, &y1);
        for (int32_t x = 0; x < out_w_; ++x) {
          float ix;
          int32_t x0, x1;
          interpolation_float(x, ws, half_, in_w_, &ix, &x0, &x1);
          const float dy = iy - static_cast<float>(y0), dx = ix - static_cast<float>(x0);
          const float w[4] = {(1 - dy) * (1 - dx), (1 - dy) * dx, dy * (1 - dx), dy * dx};
          const int64_t src[4] = {offset(b, y0, x0), offset(b, y0, x1), offset(b, y1, x0),
                                  offset(b, y1, x1)};
          float* o = out + ((static_cast<int64_t>(b) * out_h_ + y) * out_w_ + x) * depth_;
          for (int32_t c = 0; c < depth_; ++c) {
            float acc = 0.0f;
            for (int k = 0; k < 4; ++k) acc += in[src[k] + c] * w[k];
            o[c] = acc;
          }
        }
      }
  }

  void run_uint8(const OpContext& ctx) const {
    const uint8_t* in = ctx.in(0).data;
    uint8_t* out = ctx.out(0).data;
    const float hs = scale_float(in_h_, out_h_), ws = scale_float(in_w_, out_w_);
    for (int32_t b = 0; b < batches_; ++b)
      for (int32_t y = 0; y < out_h_; ++y) {
        float iy;
        int32_t y0, y1;
        interpolation_float(y, hs, half_, in_h_, &iy, &y0, &y1);
        for (int32_t x = 0; x < out_w_; ++x) {
          float ix;
          int32_t x0, x1;
          interpolation_float(x, ws, half_, in_w_, &ix, &x0, &x1);
          const float dy = iy - static_cast<float>(y0), dx = ix - static_cast<float>(x0);
          const float w0 = (1 - dy) * (1 - dx), w1 = (1 - dy) * dx, w2 = dy * (1 - dx),
                      w3 = dy * dx;
          const uint8_t* p0 = in + offset(b, y0, x0);
          const uint8_t* p1 = in + offset(b, y0, x1);
          const uint8_t* p2 = in + offset(b, y1, x0);
          const uint8_t* p3 = in + offset(b, y1, x1);
          uint8_t* o = out + ((static_cast<int64_t>(b) * out_h_ + y) * out_w_ + x) * depth_;
          for (int32_t c = 0; c < depth_; ++c) {
            const float v = static_cast<float>(p0[c]) * w0 + static_cast<float>(p1[c]) * w1 +
                            static_cast<float>(p2[c]) * w2 + static_cast<float>(p3[c]) * w3 + 0.5f;
            o[c] = static_cast<uint8_t>(v);
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
