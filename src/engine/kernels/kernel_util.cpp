#include "engine/kernels/kernel_util.h"

#include <algorithm>

#include "common/error.h"

namespace tpulab::engine {

void check_model(bool ok, const OpContext& ctx, const std::string& what) {
  if (!ok) throw ModelError(ctx.model, what, ctx.where());
}

void check_supported(bool ok, const OpContext& ctx, const std::string& what) {
  if (!ok) throw UnsupportedError(what, ctx.where());
}

void check_quantized(const TensorRef& t, const OpContext& ctx, const std::string& name) {
  check_model(t.quant != nullptr && !t.quant->scale.empty(), ctx, name + " has no quantization");
  check_model(t.scale() > 0.0f, ctx, name + " has a non-positive scale");
  const int32_t zp = t.zero_point();
  check_model(zp >= qmin(t.dtype) && zp <= qmax(t.dtype), ctx, name + " zero point out of range");
}

int32_t conv_output_size(Padding padding, int32_t in, int32_t filter, int32_t stride,
                         int32_t dilation) {
  const int32_t effective = (filter - 1) * dilation + 1;
  if (stride <= 0) return 0;
  if (padding == Padding::kSame) return (in + stride - 1) / stride;
  return (in + stride - effective) / stride;
}

int32_t conv_padding(int32_t stride, int32_t dilation, int32_t in, int32_t filter, int32_t out) {
  const int32_t effective = (filter - 1) * dilation + 1;
  const int32_t padding = ((out - 1) * stride + effective - in) / 2;
  return padding > 0 ? padding : 0;
}

std::vector<int32_t> broadcast_shape(const std::vector<int32_t>& a, const std::vector<int32_t>& b,
                                     const OpContext& ctx) {
  check_supported(a.size() <= 4 && b.size() <= 4, ctx, "broadcasting above rank 4");
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int32_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int32_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int32_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    check_model(da == db || da == 1 || db == 1, ctx,
                "shapes " + shape_string(a) + " and " + shape_string(b) + " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Broadcast4D broadcast_4d(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  auto extend = [](const std::vector<int32_t>& s) {
    std::array<int32_t, 4> d{1, 1, 1, 1};
    for (size_t i = 0; i < s.size(); ++i) d[4 - s.size() + i] = s[i];
    return d;
  };
  const auto da = extend(a), db = extend(b);
  Broadcast4D r;
  r.same_shape = a == b;
  int64_t sa = 1, sb = 1;
  for (int i = 3; i >= 0; --i) {
    r.out[i] = std::max(da[i], db[i]);
    r.stride_a[i] = da[i] == 1 ? 0 : sa;
    r.stride_b[i] = db[i] == 1 ? 0 : sb;
    sa *= da[i];
    sb *= db[i];
  }
  return r;
}

}  // namespace tpulab::engine
