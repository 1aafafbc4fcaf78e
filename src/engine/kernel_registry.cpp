#include "engine/kernel_registry.h"

#include <fmt/format.h>

#include "common/error.h"

namespace tpulab::engine {

const KernelFactory* KernelRegistry::find(const Op& op) const {
  if (op.is_custom()) {
    auto it = custom_.find(op.custom_name);
    return it == custom_.end() ? nullptr : &it->second;
  }
  auto it = builtin_.find(op.code);
  return it == builtin_.end() ? nullptr : &it->second;
}

const KernelRegistry& reference_kernels() {
  static const KernelRegistry r = [] {
    KernelRegistry k;
    register_reference_math(k);
    register_reference_tensor_ops(k);
    return k;
  }();
  return r;
}

const KernelRegistry& optimized_kernels() {
  static const KernelRegistry r = [] {
    KernelRegistry k;
    register_optimized(k);
    return k;
  }();
  return r;
}

std::unique_ptr<Kernel> make_kernel(const Op& op, KernelSet set) {
  if (set == KernelSet::kOptimized)
    if (const auto* f = optimized_kernels().find(op)) return (*f)();
  if (const auto* f = reference_kernels().find(op)) return (*f)();
  return nullptr;
}

std::string OpContext::where() const {
  return fmt::format("op #{} {}{}", index, op ? op->name() : std::string("?"), model.empty() ? "" : " (" + model + ")");
}

TensorRef& OpContext::in(size_t i) const {
  if (i >= inputs.size() || inputs[i] == nullptr)
    throw ModelError(model, fmt::format("op #{} {} is missing input {}", index, op ? op->name() : "?", i));
  return *inputs[i];
}

TensorRef& OpContext::out(size_t i) const {
  if (i >= outputs.size() || outputs[i] == nullptr)
    throw ModelError(model, fmt::format("op #{} {} is missing output {}", index, op ? op->name() : "?", i));
  return *outputs[i];
}

}  // namespace tpulab::engine
