#include "engine/memory_plan.h"

#include <algorithm>
#include <numeric>

namespace tpulab::engine {

namespace {
size_t align_up(size_t n, size_t alignment) { return (n + alignment - 1) / alignment * alignment; }
}  // namespace

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, size_t alignment) {
  if (alignment == 0) alignment = 1;
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), size_t{0});
  // Largest first; ties by first use, then by index, so the plan is deterministic.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].bytes != requests[b].bytes) return requests[a].bytes > requests[b].bytes;
    return requests[a].first < requests[b].first;
  });

  struct Placed {
    size_t offset, end;
  };
  std::vector<size_t> placed;  // request indices already given an offset
  std::vector<Placed> overlapping;
  for (size_t r : order) {
    const BufferRequest& req = requests[r];
    const size_t size = align_up(req.bytes, alignment);
    plan.naive_bytes += size;
    if (size == 0) continue;
    overlapping.clear();
    for (size_t p : placed) {
      const BufferRequest& o = requests[p];
      if (o.first <= req.last && req.first <= o.last)
        overlapping.push_back({plan.offsets[p], plan.offsets[p] + align_up(o.bytes, alignment)});
    }
    std::sort(overlapping.begin(), overlapping.end(),
              [](const Placed& a, const Placed& b) { return a.offset < b.offset; });
    // The first gap between live buffers that fits.
    size_t offset = 0;
    for (const Placed& o : overlapping) {
      if (o.offset >= offset + size) break;
      offset = std::max(offset, o.end);
    }
    plan.offsets[r] = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, offset + size);
    placed.push_back(r);
  }
  return plan;
}

}  // namespace tpulab::engine
