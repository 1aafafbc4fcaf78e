#include "engine/kernels/optimized/broadcast_table.h"

namespace tpulab::engine {

namespace {

// Whether an input read with `stride` gives output element i its element i % period: the
// output dims it varies along are the innermost ones, contiguous in it.
bool periodic(const std::array<int32_t, 4>& out, const std::array<int64_t, 4>& stride,
              int64_t* period) {
  int64_t contiguous = 1;
  bool broadcast_seen = false;
  for (int i = 3; i >= 0; --i) {
    if (out[i] == 1) continue;
    if (stride[i] == 0) {
      broadcast_seen = true;
      continue;
    }
    if (broadcast_seen || stride[i] != contiguous) return false;
    contiguous *= out[i];
  }
  *period = contiguous;
  return true;
}

}  // namespace

BroadcastTable plan_broadcast_table(const Broadcast4D& bc, DType dtype, int64_t max_period) {
  BroadcastTable t;
  const int64_t count = int64_t{bc.out[0]} * bc.out[1] * bc.out[2] * bc.out[3];
  if (!is_8bit(dtype) || count == 0) return t;
  int64_t pa = 0, pb = 0;
  if (!periodic(bc.out, bc.stride_a, &pa) || !periodic(bc.out, bc.stride_b, &pb)) return t;
  // Worth it only when the table is much smaller than the output.
  if (pa == count && pb <= max_period && pb * 256 * 4 <= count) t.small = 1, t.period = pb;
  if (pb == count && pa <= max_period && pa * 256 * 4 <= count) t.small = 0, t.period = pa;
  t.count = count;
  return t;
}

}  // namespace tpulab::engine
