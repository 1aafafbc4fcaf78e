// 8-bit elementwise ops (ADD, SUB, MUL) where one input is small and repeats along the output
// (a per-channel vector, a scalar): every output is one of period x 256 values, so eval first
// tabulates f(x, s[j]) for every byte x and every small-operand element j (the reference's own
// element function, hence bit-identical), then looks each output up. movenet's input
// normalization (SUB of a [1,1,1,3] mean, MUL by a scalar) runs this way.
#pragma once

#include <array>
#include <cstdint>

#include "engine/kernel.h"
#include "engine/kernels/kernel_util.h"

namespace tpulab::engine {

struct BroadcastTable {
  int small = -1;      // the small input (0 or 1); -1: not applicable
  int64_t period = 0;  // its element count: output i reads small[i % period], big[i]
  int64_t count = 0;   // output elements
  size_t scratch_bytes() const { return small < 0 ? 0 : static_cast<size_t>(period) * 256; }
};

// When `bc` reads one input at every output position and the other with period <= max_period.
BroadcastTable plan_broadcast_table(const Broadcast4D& bc, DType dtype, int64_t max_period = 64);

// out[i] = f(a, b) through the table; `f(x, y)` computes one element of type T (8-bit).
template <typename T, typename F>
void run_broadcast_table(const BroadcastTable& t, const OpContext& ctx, F&& f) {
  const T* small = ctx.in(static_cast<size_t>(t.small)).as<T>();
  const uint8_t* big = ctx.in(static_cast<size_t>(1 - t.small)).data;
  uint8_t* out = ctx.out(0).data;
  uint8_t* table = ctx.scratch.data();
  for (int64_t j = 0; j < t.period; ++j)
    for (int v = 0; v < 256; ++v) {
      const auto x = static_cast<T>(static_cast<uint8_t>(v));
      const T r = t.small == 1 ? f(x, small[j]) : f(small[j], x);
      table[j * 256 + v] = static_cast<uint8_t>(r);
    }
  for (int64_t i0 = 0; i0 < t.count; i0 += t.period)
    for (int64_t j = 0; j < t.period; ++j) out[i0 + j] = table[j * 256 + big[i0 + j]];
}

}  // namespace tpulab::engine
