// A device runs pipeline segments: load a segment once, then invoke it any number of times with
// its inputs by (original) tensor name. Implementations: CpuDevice (the engine, measured time)
// and SimEdgeTpu (engine outputs, modeled time and energy).
//
//   SegmentHandle h = dev.load(segment.graph, token, "model_segment_0_of_4");
//   InvokeResult r = dev.invoke(h, {{"input", pixels}});
//
// A device may hold several segments (several models sharing a TPU); the caching token says
// which of them share the device's parameter cache: invoking a segment whose token differs from
// the one resident costs a model switch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/graph.h"

namespace tpulab::pipeline {

using Bytes = std::vector<uint8_t>;
// Tensors by original name: what flows between stages.
using TensorMap = std::map<std::string, Bytes>;

// Index of a loaded segment on its device.
using SegmentHandle = size_t;

// Segments of one partition run share a token (their parameters are co-cached).
using CachingToken = uint64_t;

struct InvokeTiming {
  double ms = 0;          // the invoke's duration, switch included
  double switch_ms = 0;   // part of `ms` spent reloading cached parameters
  bool switched = false;  // the parameter cache held another token
  bool modeled = false;   // `ms` comes from a device model: the caller holds for it
  double energy_mj = 0;   // 0 when the device has no energy model
  // Bytes this invoke moves between host memory and the device (inputs, outputs, streamed
  // parameters, and the cached ones on a switch): what a shared host link must carry.
  int64_t link_bytes = 0;
};

struct InvokeResult {
  TensorMap outputs;
  InvokeTiming timing;
};

class Device {
 public:
  virtual ~Device() = default;
  // Copies what it needs from `segment`. `name` names the segment in errors.
  virtual SegmentHandle load(const Graph& segment, CachingToken token, const std::string& name) = 0;
  // Runs a loaded segment. `inputs` must hold every input of the segment by name with the right
  // byte size (extra entries are ignored); throws UsageError otherwise. Not thread-safe: a
  // device serves one stage thread at a time, as a real TPU does.
  virtual InvokeResult invoke(SegmentHandle segment, const TensorMap& inputs) = 0;
  // The timing of one invoke without computing anything (timing-only studies): the device's
  // state (its resident parameters) changes as invoke() would change it. Only devices whose
  // time is modeled can; the default throws UsageError.
  virtual InvokeTiming invoke_timing(SegmentHandle segment);
  // Power drawn while powered but not invoking (0 when the device has no energy model).
  virtual double idle_power_w() const { return 0; }

  // The loaded segment's input and output tensor names, in its order.
  virtual const std::vector<std::string>& input_names(SegmentHandle segment) const = 0;
  virtual const std::vector<std::string>& output_names(SegmentHandle segment) const = 0;
  virtual std::string name() const = 0;
};

}  // namespace tpulab::pipeline
