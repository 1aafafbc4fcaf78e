// Runs one kernel on hand-made tensors (no interpreter): the test harness of the kernels_*
// tests.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

#include "engine/kernel.h"
#include "engine/thread_pool.h"

namespace tpulab::testing {

struct KTensor {
  DType dtype = DType::kFloat32;
  std::vector<int32_t> shape;
  Quantization quant;
  std::vector<uint8_t> bytes;
  bool constant = false;
};

template <typename T>
KTensor make_tensor(DType dtype, std::vector<int32_t> shape, const std::vector<T>& values,
                    float scale = 0.0f, int64_t zero_point = 0, bool constant = false) {
  KTensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  if (scale > 0.0f) {
    t.quant.scale = {scale};
    t.quant.zero_point = {zero_point};
  }
  t.bytes.resize(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
  t.constant = constant;
  return t;
}

// An op of `code` with `options` (inputs and outputs are given to run_kernel).
inline Op make_op(BuiltinOp code, OpOptions options = std::monostate{}) {
  Op op;
  op.code = static_cast<int32_t>(code);
  op.options = std::move(options);
  return op;
}

// An output tensor: type and quantization only; the kernel sets the shape.
inline KTensor make_output(DType dtype, float scale = 0.0f, int64_t zero_point = 0) {
  return make_tensor<uint8_t>(dtype, {}, {}, scale, zero_point);
}

template <typename T>
std::vector<T> values_of(const KTensor& t) {
  std::vector<T> v(t.bytes.size() / sizeof(T));
  if (!v.empty()) std::memcpy(v.data(), t.bytes.data(), t.bytes.size());
  return v;
}

// Prepares and evaluates the op's kernel from `set`; returns the output (shape set by prepare).
// Inputs may contain empty KTensors with dtype kFloat32 and no shape meaning "omitted" when
// `omitted` marks them.
inline KTensor run_kernel(const Op& op, std::vector<KTensor> inputs, KTensor output,
                          engine::KernelSet set, engine::ThreadPool* pool = nullptr,
                          std::vector<bool> omitted = {}) {
  auto kernel = engine::make_kernel(op, set);
  if (!kernel) throw std::runtime_error("no kernel for " + op.name());
  std::vector<engine::TensorRef> refs(inputs.size());
  engine::OpContext ctx;
  ctx.op = &op;
  ctx.model = "test.tflite";
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (i < omitted.size() && omitted[i]) {
      ctx.inputs.push_back(nullptr);
      continue;
    }
    auto& r = refs[i];
    r.dtype = inputs[i].dtype;
    r.shape = inputs[i].shape;
    r.quant = inputs[i].quant.scale.empty() ? nullptr : &inputs[i].quant;
    r.data = inputs[i].bytes.data();
    r.bytes = inputs[i].bytes.size();
    r.is_constant = inputs[i].constant;
    ctx.inputs.push_back(&r);
  }
  engine::TensorRef out;
  out.dtype = output.dtype;
  out.quant = output.quant.scale.empty() ? nullptr : &output.quant;
  ctx.outputs.push_back(&out);
  kernel->prepare(ctx);
  output.shape = out.shape;
  output.bytes.assign(static_cast<size_t>(out.byte_size()), 0xCD);
  out.data = output.bytes.data();
  out.bytes = output.bytes.size();
  const int threads = pool ? pool->size() : 1;
  const size_t scratch_size = kernel->scratch_bytes(threads);
  std::vector<uint8_t> scratch_storage(scratch_size + 64);
  auto base = reinterpret_cast<uintptr_t>(scratch_storage.data());
  uint8_t* aligned = scratch_storage.data() + ((64 - base % 64) % 64);
  ctx.scratch = std::span<uint8_t>(aligned, scratch_size);
  ctx.pool = pool;
  kernel->eval(ctx);
  return output;
}

template <typename T>
std::vector<T> random_values(std::mt19937& rng, size_t n, int lo, int hi) {
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(d(rng));
  return v;
}

}  // namespace tpulab::testing
