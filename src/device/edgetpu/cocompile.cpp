#include "device/edgetpu/cocompile.h"

#include <algorithm>

#include "common/error.h"

namespace tpulab::device {

namespace {

struct Layer {
  int64_t bytes;
  size_t model;
  bool depthwise;
};

}  // namespace

// Evidence for the rule (cocompile.h), from the three real co-compiled files: matching each
// layer's bytes of the single-model file against the two executables of the co-compiled one
// shows every depthwise layer cached; of the rest, every layer >= 133,120 B cached in all three
// models, all of 66,560-75,264 B streamed, and below that only 37,632 and 6,656 B layers (0.75)
// filling the leftover: the signature of one largest-first pass over all models. With the
// compiler's layer sizes (our layout's) it reproduces every layer but one 64-byte softmax tie at
// the budget of kCoCompileWithheldBytes.
CoCompiled co_compile(const std::vector<const Graph*>& models, const ChipSpec& chip,
                      const CoCompileOptions& options) {
  if (models.empty()) throw UsageError("no models to co-compile", "co_compile");
  CoCompiled out;
  std::vector<Layer> layers;
  for (size_t m = 0; m < models.size(); ++m) {
    if (models[m] == nullptr) throw UsageError("a model to co-compile is null", "co_compile");
    Placement p = compile(*models[m], chip);
    const Subgraph& sg = models[m]->subgraphs.front();  // compile() checked it has ops
    for (const OpPlacement& o : p.ops)
      if (o.on_tpu && o.param_bytes > 0)
        layers.push_back(
            {o.param_bytes, m, sg.ops[static_cast<size_t>(o.op)].is(BuiltinOp::kDepthwiseConv2D)});
    p.cached_bytes = 0;
    p.streamed_bytes = p.parameter_bytes;
    out.models.push_back(std::move(p));
  }
  out.budget_bytes = options.budget_bytes >= 0
                         ? options.budget_bytes
                         : std::max<int64_t>(0, chip.sram_bytes - kCoCompileWithheldBytes);
  // Depthwise layers first, then largest first; ties keep the compile order, then execution
  // order (deterministic).
  std::stable_sort(layers.begin(), layers.end(), [](const Layer& a, const Layer& b) {
    if (a.depthwise != b.depthwise) return a.depthwise;
    return !a.depthwise && a.bytes > b.bytes;
  });
  int64_t left = out.budget_bytes;
  for (const Layer& l : layers) {
    if (l.bytes > left) continue;
    left -= l.bytes;
    out.models[l.model].cached_bytes += l.bytes;
    out.models[l.model].streamed_bytes -= l.bytes;
  }
  for (const Placement& p : out.models) out.cached_bytes += p.cached_bytes;
  // What is resident while a model runs: every model's cache, its own instructions and
  // activations (as compile() counts them).
  for (Placement& p : out.models)
    p.sram_used_bytes = std::min(
        chip.sram_bytes, out.cached_bytes + p.instruction_bytes + p.activation_reserve_bytes);
  return out;
}

}  // namespace tpulab::device
