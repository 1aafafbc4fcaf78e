// The static memory plan of an inference: every activation and scratch buffer gets a fixed offset
// in one arena, and buffers whose lifetimes do not overlap share memory. Planned once at prepare,
// so invoke() never allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tpulab::engine {

// A buffer alive from op `first` to op `last` (inclusive, in execution order).
struct BufferRequest {
  size_t bytes = 0;
  int32_t first = 0;
  int32_t last = 0;
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // per request, multiples of the alignment
  size_t arena_bytes = 0;       // end of the highest buffer
  size_t naive_bytes = 0;       // every buffer on its own (aligned): what no reuse would cost
};

// Greedy by size, like TFLite's arena planner: the largest buffers are placed first, each at the
// lowest offset where it overlaps no placed buffer that is alive at the same time.
MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, size_t alignment = 64);

}  // namespace tpulab::engine
