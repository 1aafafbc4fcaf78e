// The simulated Edge TPU compiler: which ops of a segment map to the TPU, the parameter bytes
// after the TPU's layout, which of them are cached in SRAM and which are streamed on every
// inference, and what the rest of the cost model needs (padded MACs, host-side work, transfers).
//
// Two entry points:
//   compile(segment, chip)            a whole Graph, with per-op detail (what `simulate` prints);
//   SegmentCompiler(graph, chip)      built once per model; place(first, last) then costs any op
//                                     range [first, last) in O(range's boundary tensors) from
//                                     prefix sums, without building the segment (partitioners
//                                     evaluate O(n^2) candidate ranges).
// Both give the same numbers for the same ops: compile() is place(0, n) with details.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "device/edgetpu/spec.h"
#include "model/graph.h"

namespace tpulab::device {

// Why an op cannot run on the TPU; empty when it can. Checks types (fully 8-bit quantized), the
// op table of the Coral documentation and its per-op limits.
std::string tpu_unsupported_reason(const Subgraph& sg, const Op& op, const ChipSpec& chip);

struct OpPlacement {
  int32_t op = 0;
  std::string name;
  bool on_tpu = false;
  std::string cpu_reason;   // why it runs on the host (empty on the TPU)
  int64_t param_bytes = 0;  // TPU layout for TPU ops, raw constant bytes for host ops
  int64_t macs = 0;
};

struct Placement {
  int32_t first_op = 0, last_op = 0;  // [first_op, last_op) of the source graph
  int32_t tpu_ops = 0, cpu_ops = 0;
  int32_t tpu_first = 0, tpu_last = 0;  // the TPU-mapped sub-range (empty when tpu_ops == 0)

  // On the TPU
  int64_t parameter_bytes = 0;    // after the TPU layout
  int64_t cached_bytes = 0;       // kept in SRAM (loaded once per model switch)
  int64_t streamed_bytes = 0;     // sent over the link on every inference
  int64_t instruction_bytes = 0;  // the bitstream, also sent with every inference
  int64_t activation_reserve_bytes = 0;
  int64_t sram_used_bytes = 0;  // cached + instructions + activation reserve
  int64_t array_macs = 0;       // MACs the 64x64 array executes, padding included
  int64_t depthwise_macs = 0;   // depthwise MACs (the array runs them less efficiently)
  int64_t vector_elements = 0;  // elements touched by non-MAC TPU ops
  int64_t input_bytes = 0;      // host -> TPU per inference
  int64_t output_bytes = 0;     // TPU -> host per inference

  // On the host CPU
  int64_t cpu_macs = 0;
  int64_t cpu_elements = 0;
  int64_t cpu_param_bytes = 0;

  int64_t macs = 0;              // true MACs of all ops (no padding)
  std::vector<OpPlacement> ops;  // per-op detail (compile() only)
  std::vector<std::string> warnings;

  // Bytes over the host link on every inference. The instructions travel with each request, as
  // in libedgetpu's USB transfers (descriptor tags: instructions, input activations, parameters,
  // output activations); only the cached parameters stay on the chip.
  int64_t link_bytes() const {
    return streamed_bytes + instruction_bytes + input_bytes + output_bytes;
  }
};

class SegmentCompiler {
 public:
  // Precomputes per-op costs and prefix sums of the graph's main subgraph (O(n + tensors)).
  SegmentCompiler(const Graph& graph, const ChipSpec& chip);
  // Places ops [first, last). Throws UsageError for an empty or out-of-range segment.
  Placement place(int32_t first, int32_t last, bool details = false) const;
  int32_t num_ops() const { return n_; }

 private:
  struct Crossing {
    int64_t bytes;
    int32_t producer;       // -1 for graph inputs
    int32_t next_consumer;  // first consumer at or after the cut (n = graph output only)
  };
  int64_t input_bytes(int32_t first, int32_t last) const;
  int64_t output_bytes(int32_t first, int32_t last) const;
  int64_t peak_live(int32_t first, int32_t last) const;

  const Graph* graph_;
  ChipSpec chip_;
  int32_t n_ = 0;
  std::vector<uint8_t> supported_;
  std::vector<int32_t> next_supported_, next_unsupported_;
  // Prefix sums over ops (size n + 1).
  std::vector<int64_t> tpu_params_, raw_params_, array_macs_, dw_macs_, vec_elems_, cpu_macs_,
      cpu_elems_, macs_;
  std::vector<std::vector<Crossing>> crossings_;  // per cut 0..n
  std::vector<std::vector<int64_t>> live_max_;    // sparse table of live bytes per op
  bool float_model_ = false;
};

Placement compile(const Graph& segment, const ChipSpec& chip);

}  // namespace tpulab::device
