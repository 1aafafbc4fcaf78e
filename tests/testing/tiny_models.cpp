#include "testing/tiny_models.h"

namespace tpulab::testing {

Graph tiny_conv_model() {
  Graph g;
  g.subgraphs.emplace_back();
  Subgraph& sg = g.main();
  auto add = [&](std::string name, DType dt, std::vector<int32_t> shape, float scale, int64_t zp) {
    Tensor t;
    t.name = std::move(name);
    t.dtype = dt;
    t.shape = std::move(shape);
    t.quant.scale = {scale};
    t.quant.zero_point = {zp};
    sg.tensors.push_back(t);
    return static_cast<int32_t>(sg.tensors.size() - 1);
  };
  int32_t in = add("input", DType::kUInt8, {1, 4, 4, 2}, 0.5f, 128);
  int32_t w = add("weights", DType::kUInt8, {3, 3, 3, 2}, 0.25f, 120);
  int32_t b = add("bias", DType::kInt32, {3}, 0.125f, 0);
  int32_t mid = add("conv", DType::kUInt8, {1, 4, 4, 3}, 1.0f, 0);
  int32_t out = add("output", DType::kUInt8, {1, 4, 4, 3}, 1.0f, 0);
  std::vector<uint8_t> wd(3 * 3 * 3 * 2);
  for (size_t i = 0; i < wd.size(); ++i) wd[i] = static_cast<uint8_t>(100 + i);
  sg.tensors[static_cast<size_t>(w)].data = Bytes::own(wd);
  std::vector<uint8_t> bd(3 * 4, 0);
  bd[0] = 7;
  sg.tensors[static_cast<size_t>(b)].data = Bytes::own(bd);
  Op conv;
  conv.code = static_cast<int32_t>(BuiltinOp::kConv2D);
  conv.inputs = {in, w, b};
  conv.outputs = {mid};
  conv.options = Conv2DOptions{};
  Op relu;
  relu.code = static_cast<int32_t>(BuiltinOp::kRelu);
  relu.inputs = {mid};
  relu.outputs = {out};
  sg.ops = {conv, relu};
  sg.inputs = {in};
  sg.outputs = {out};
  sg.name = "main";
  return g;
}

}  // namespace tpulab::testing
