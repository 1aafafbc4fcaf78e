#include "device/edgetpu/cocompile.h"

#include <algorithm>

#include "common/error.h"

namespace tpulab::device {

namespace {

struct Layer {
  int64_t bytes;
  size_t model;
  int32_t op;
};

}  // namespace

CoCompiled co_compile(const std::vector<const Graph*>& models, const ChipSpec& chip,
                      const CoCompileOptions& options) {
  if (models.empty()) throw UsageError("no models to co-compile", "co_compile");
  CoCompiled out;
  int64_t instructions = 0, reserve = 0;
  std::vector<Layer> layers;
  for (size_t m = 0; m < models.size(); ++m) {
    if (models[m] == nullptr) throw UsageError("a model to co-compile is null", "co_compile");
    Placement p = compile(*models[m], chip);
    instructions += p.instruction_bytes;
    reserve = std::max(reserve, p.activation_reserve_bytes);
    for (const OpPlacement& o : p.ops)
      if (o.on_tpu && o.param_bytes > 0) layers.push_back({o.param_bytes, m, o.op});
    p.cached_bytes = 0;
    p.streamed_bytes = p.parameter_bytes;
    out.models.push_back(std::move(p));
  }
  out.budget_bytes = options.budget_bytes >= 0
                         ? options.budget_bytes
                         : std::max<int64_t>(0, chip.sram_bytes - reserve - instructions);
  // Largest first; ties keep the compile order, then execution order (deterministic).
  std::stable_sort(layers.begin(), layers.end(),
                   [](const Layer& a, const Layer& b) { return a.bytes > b.bytes; });
  int64_t left = out.budget_bytes;
  for (const Layer& l : layers) {
    if (l.bytes > left) continue;
    left -= l.bytes;
    out.models[l.model].cached_bytes += l.bytes;
    out.models[l.model].streamed_bytes -= l.bytes;
  }
  for (Placement& p : out.models) {
    out.cached_bytes += p.cached_bytes;
    // What is resident while this model runs: every model's cache and instructions, its own
    // activations.
    p.sram_used_bytes = std::min(chip.sram_bytes, p.activation_reserve_bytes + instructions);
  }
  for (Placement& p : out.models)
    p.sram_used_bytes = std::min(chip.sram_bytes, p.sram_used_bytes + out.cached_bytes);
  return out;
}

}  // namespace tpulab::device
