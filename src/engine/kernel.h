// The contract between the interpreter and op kernels (TFLite Micro style: prepare once, then
// eval many times). One op per file under kernels/reference/ (plain loops, the definition of
// "correct") and kernels/optimized/ (fast, bit-exact against the reference).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model/graph.h"

namespace tpulab::engine {

class ThreadPool;

// A tensor as kernels see it.
struct TensorRef {
  DType dtype = DType::kFloat32;
  std::vector<int32_t> shape;
  const Quantization* quant = nullptr;  // the Graph's; null when not quantized
  uint8_t* data = nullptr;              // arena memory, or the constant's bytes (never written)
  size_t bytes = 0;                     // capacity of `data`
  bool is_constant = false;

  int64_t num_elements() const {
    int64_t n = 1;
    for (int32_t d : shape) n *= d;
    return n;
  }
  int64_t byte_size() const { return num_elements() * static_cast<int64_t>(dtype_size(dtype)); }
  template <typename T>
  T* as() const {
    return reinterpret_cast<T*>(data);
  }
  // Per-tensor quantization (first entry; per-channel kernels read quant->scale directly).
  float scale() const { return quant != nullptr && !quant->scale.empty() ? quant->scale[0] : 0.0f; }
  int32_t zero_point() const {
    return quant != nullptr && !quant->zero_point.empty() ? static_cast<int32_t>(quant->zero_point[0]) : 0;
  }
  int32_t dim(size_t i) const { return shape.at(i); }
  size_t rank() const { return shape.size(); }
};

struct OpContext {
  const Op* op = nullptr;
  int32_t index = 0;          // position in execution order
  std::string model;          // model file name, for messages
  std::vector<TensorRef*> inputs;   // nullptr for an omitted optional input
  std::vector<TensorRef*> outputs;
  std::vector<TensorRef*> intermediates;  // the op's intermediate tensors (quantized LSTM scales)
  ThreadPool* pool = nullptr;       // eval: may be null (run on the calling thread)
  std::span<uint8_t> scratch;       // eval: scratch_bytes() bytes, 64-byte aligned

  // "op #3 CONV_2D (model.tflite)": the place named in errors.
  std::string where() const;
  TensorRef& in(size_t i) const;    // throws ModelError when missing
  TensorRef& out(size_t i) const;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Runs once before any eval: checks that the tensors fit the op (ModelError naming ctx.where()
  // when they don't, UnsupportedError for valid but unimplemented cases), sets output shapes,
  // and precomputes what eval needs (requantization multipliers, lookup tables, ...).
  virtual void prepare(OpContext& ctx) = 0;
  // Bytes of scratch memory eval needs with `threads` workers (known after prepare).
  virtual size_t scratch_bytes(int /*threads*/) const { return 0; }
  // Computes the outputs. Must not allocate; may run on ctx.pool.
  virtual void eval(const OpContext& ctx) const = 0;
};

enum class KernelSet { kReference, kOptimized };

// The kernel for an op, or nullptr when no kernel implements it. The optimized set falls back to
// the reference kernel for ops without an optimized one.
std::unique_ptr<Kernel> make_kernel(const Op& op, KernelSet set);

}  // namespace tpulab::engine
