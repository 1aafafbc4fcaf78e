#include "engine/kernels/optimized/avx2_requant.h"

namespace tpulab::engine::avx2 {

bool supported() {
  static const bool ok = __builtin_cpu_supports("avx2");
  return ok;
}

}  // namespace tpulab::engine::avx2
