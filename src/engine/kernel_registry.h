// Which kernel implements which op. Each group of kernels registers itself in its own file
// (kernels/reference/register_*.cpp, kernels/optimized/register_*.cpp); make_kernel() looks
// the op up, preferring an optimized kernel when asked for one.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "engine/kernel.h"

namespace tpulab::engine {

using KernelFactory = std::function<std::unique_ptr<Kernel>()>;

class KernelRegistry {
 public:
  void add(BuiltinOp op, KernelFactory f) { builtin_[static_cast<int32_t>(op)] = std::move(f); }
  void add_custom(const std::string& name, KernelFactory f) { custom_[name] = std::move(f); }
  const KernelFactory* find(const Op& op) const;

 private:
  std::map<int32_t, KernelFactory> builtin_;
  std::map<std::string, KernelFactory> custom_;
};

// The registries, filled on first use by the register_* functions below.
const KernelRegistry& reference_kernels();
const KernelRegistry& optimized_kernels();

// Reference kernel groups (kernels/reference/).
void register_reference_math(KernelRegistry& r);        // conv, fc, pooling, elementwise, activations, quantize
void register_reference_tensor_ops(KernelRegistry& r);  // reshape, slicing, gather, concat, resize, lstm, ...
// Optimized kernel groups (kernels/optimized/).
void register_optimized(KernelRegistry& r);

}  // namespace tpulab::engine
