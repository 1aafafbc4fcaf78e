#include "kernels_tensor_ops_util.h"

#include <algorithm>

#include "engine/kernel_registry.h"

namespace tpulab::testing {

std::vector<std::vector<uint8_t>> run_reference(const Graph& g,
                                                const std::vector<std::vector<uint8_t>>& inputs) {
  const Subgraph& sg = g.main();
  std::vector<std::vector<uint8_t>> storage(sg.tensors.size());
  std::vector<engine::TensorRef> refs(sg.tensors.size());
  for (size_t i = 0; i < sg.tensors.size(); ++i) {
    const Tensor& t = sg.tensors[i];
    engine::TensorRef& r = refs[i];
    r.dtype = t.dtype;
    r.shape = t.shape;
    r.quant = t.quant.scale.empty() ? nullptr : &t.quant;
    if (t.is_constant()) {
      storage[i].assign(t.data.span().begin(), t.data.span().end());
      r.is_constant = true;
    } else if (t.is_variable) {
      const int fill = t.dtype == DType::kInt8 && !t.quant.zero_point.empty()
                           ? static_cast<int>(t.quant.zero_point[0])
                           : 0;
      storage[i].assign(static_cast<size_t>(t.byte_size()), static_cast<uint8_t>(fill));
    }
    r.data = storage[i].data();
    r.bytes = storage[i].size();
  }
  for (size_t k = 0; k < sg.inputs.size(); ++k) {
    const auto i = static_cast<size_t>(sg.inputs[k]);
    storage[i] = inputs.at(k);
    refs[i].data = storage[i].data();
    refs[i].bytes = storage[i].size();
  }
  for (size_t n = 0; n < sg.ops.size(); ++n) {
    const Op& op = sg.ops[n];
    auto kernel = engine::make_kernel(op, engine::KernelSet::kReference);
    if (!kernel) throw std::runtime_error("no reference kernel for " + op.name());
    engine::OpContext ctx;
    ctx.op = &op;
    ctx.index = static_cast<int32_t>(n);
    ctx.model = "test.tflite";
    for (int32_t t : op.inputs)
      ctx.inputs.push_back(t < 0 ? nullptr : &refs[static_cast<size_t>(t)]);
    for (int32_t t : op.outputs) ctx.outputs.push_back(&refs[static_cast<size_t>(t)]);
    kernel->prepare(ctx);
    for (int32_t t : op.outputs) {
      auto& r = refs[static_cast<size_t>(t)];
      storage[static_cast<size_t>(t)].assign(static_cast<size_t>(r.byte_size()), 0xCD);
      r.data = storage[static_cast<size_t>(t)].data();
      r.bytes = storage[static_cast<size_t>(t)].size();
    }
    std::vector<uint8_t> scratch(kernel->scratch_bytes(1) + 64);
    const auto base = reinterpret_cast<uintptr_t>(scratch.data());
    ctx.scratch =
        std::span<uint8_t>(scratch.data() + (64 - base % 64) % 64, kernel->scratch_bytes(1));
    kernel->eval(ctx);
  }
  std::vector<std::vector<uint8_t>> out;
  for (int32_t t : sg.outputs) out.push_back(storage[static_cast<size_t>(t)]);
  return out;
}

std::vector<std::vector<uint8_t>> random_inputs(const Graph& g, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<uint8_t>> out;
  for (int32_t t : g.main().inputs) {
    const Tensor& x = g.main().tensors[static_cast<size_t>(t)];
    std::vector<uint8_t> bytes(static_cast<size_t>(x.byte_size()));
    if (x.dtype == DType::kFloat32) {
      std::uniform_real_distribution<float> d(-4.0f, 4.0f);
      for (size_t i = 0; i < bytes.size(); i += 4) {
        const float v = d(rng);
        std::memcpy(bytes.data() + i, &v, 4);
      }
    } else {
      std::uniform_int_distribution<int> d(0, 255);
      for (auto& b : bytes) b = static_cast<uint8_t>(d(rng));
    }
    out.push_back(std::move(bytes));
  }
  return out;
}

size_t expect_same_as_oracle(const Graph& g, const std::vector<std::vector<uint8_t>>& inputs,
                             const std::string& what, bool wasm) {
  TempDir dir;
  const auto path = dir / "op.tflite";
  write_tflite_file(g, path.string());
  const OracleResult oracle = wasm ? wasm_oracle_run(path, inputs) : oracle_run(path, inputs);
  EXPECT_TRUE(oracle.ok) << what << ": " << oracle.error;
  if (!oracle.ok) return 0;
  const auto ours = run_reference(g, inputs);
  EXPECT_EQ(ours.size(), oracle.outputs.size()) << what;
  size_t differ = 0;
  for (size_t o = 0; o < std::min(ours.size(), oracle.outputs.size()); ++o) {
    const auto& a = ours[o];
    const auto& b = oracle.outputs[o].bytes;
    EXPECT_EQ(a.size(), b.size()) << what << ": output " << o << " size";
    size_t first = a.size();
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
      if (a[i] != b[i]) {
        if (first == a.size()) first = i;
        ++differ;
      }
    EXPECT_EQ(differ, 0u) << what << ": output " << o << " has " << differ << " of " << a.size()
                          << " bytes different from TFLite, first at byte " << first << " (ours "
                          << (first < a.size() ? int{a[first]} : -1) << ", TFLite "
                          << (first < b.size() ? int{b[first]} : -1) << ")";
  }
  return differ;
}

}  // namespace tpulab::testing
