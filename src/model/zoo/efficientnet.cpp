// EfficientNet-EdgeTPU S/M/L: MnasNet-style blocks with fused (k x k conv) expansions in the
// early stages, ReLU, no squeeze-excitation; scaled by width/depth coefficients
// (S 1.0/1.0 at 224, M 1.0/1.1 at 240, L 1.2/1.4 at 300).
// Structure source: tensorflow/tpu models/official/efficientnet/edgetpu/
// efficientnet_edgetpu_builder.py (block strings r1_k3_s11_e4_i24_o24_c1_noskip,
// r2_k3_s22_e8_i24_o32_c1, r4_k3_s22_e8_i32_o48_c1, r5_k5_s22_e8_i48_o96,
// r4_k5_s11_e8_i96_o144, r2_k5_s22_e8_i144_o192; stem 32, head 1280, 1001 classes).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "model/zoo/builder.h"
#include "model/zoo/families.h"

namespace tpulab::zoo {

namespace {

int32_t round_filters(int32_t filters, double width) {
  constexpr int32_t kDivisor = 8;
  double f = filters * width;
  auto r = std::max(kDivisor, static_cast<int32_t>(f + kDivisor / 2.0) / kDivisor * kDivisor);
  if (r < 0.9 * f) r += kDivisor;
  return r;
}

}  // namespace

Graph build_efficientnet_edgetpu(const ZooOptions& o, char variant) {
  double width = variant == 'l' ? 1.2 : 1.0;
  double depth = variant == 'l' ? 1.4 : variant == 'm' ? 1.1 : 1.0;
  ZooBuilder b(fmt::format("efficientnet_edgetpu_{}_{}", variant, o.input), DType::kUInt8, o.seed);
  struct Stage {
    int repeats, kernel, stride, expand, in, out;
    bool fused, skip;
  };
  const std::array<Stage, 6> stages = {{{1, 3, 1, 4, 24, 24, true, false},
                                        {2, 3, 2, 8, 24, 32, true, true},
                                        {4, 3, 2, 8, 32, 48, true, true},
                                        {5, 5, 2, 8, 48, 96, false, true},
                                        {4, 5, 1, 8, 96, 144, false, true},
                                        {2, 5, 2, 8, 144, 192, false, true}}};
  TensorId x = b.input({1, o.input, o.input, 3});
  x = b.conv(x, round_filters(32, width), 3, 2, kRelu);
  for (const Stage& st : stages) {
    int32_t in_f = round_filters(st.in, width), out_f = round_filters(st.out, width);
    auto repeats = static_cast<int>(std::ceil(depth * st.repeats));
    for (int r = 0; r < repeats; ++r) {
      int32_t stride = r == 0 ? st.stride : 1;
      int32_t filters = r == 0 ? in_f : out_f;
      TensorId in = x;
      if (st.fused) {
        x = b.conv(x, filters * st.expand, st.kernel, stride, kRelu);
      } else {
        x = b.conv(x, filters * st.expand, 1, 1, kRelu);
        x = b.depthwise(x, st.kernel, stride, kRelu);
      }
      x = b.conv(x, out_f, 1, 1, kLinear);
      if (st.skip && stride == 1 && b.channels(in) == out_f) x = b.add(x, in);
    }
  }
  x = b.conv(x, round_filters(1280, width), 1, 1, kRelu);
  x = b.global_avg_pool(x);
  x = b.reshape(x, {1, b.channels(x)});
  x = b.fully_connected(x, 1001, kLinear);
  b.output(b.softmax(x));
  return b.finish();
}

}  // namespace tpulab::zoo
