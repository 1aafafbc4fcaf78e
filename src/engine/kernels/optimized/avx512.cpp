#include "engine/kernels/optimized/avx512.h"

#include <atomic>

namespace tpulab::engine::avx512 {

namespace {

std::atomic<bool> allowed_flag{true};

}  // namespace

bool enabled() {
  static const bool cpu =
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512f") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
  return cpu && allowed_flag.load(std::memory_order_relaxed);
}

void allow(bool allowed) { allowed_flag.store(allowed, std::memory_order_relaxed); }

}  // namespace tpulab::engine::avx512
