// Co-compilation: several models compiled together share one parameter-caching token, so their
// cached parameters stay in the Edge TPU's SRAM side by side and switching between them uploads
// nothing. The compiler must then split the parameter cache among them.
//
// The rule modelled (see docs/device_model.md, "Co-compilation"):
//   budget  = SRAM - the largest activation reserve - every model's instructions
//             (the models run one at a time, but all their instructions stay resident);
//   sharing = the layers of all models compete for the budget largest first (whole layers; a
//             layer that does not fit is streamed and smaller ones may still fit), the rest of
//             each model is streamed on every inference.
// Largest-first across models reproduces the per-model shares of the three co-compiled rows of
// edgetpu_compiled_models.csv within 8 % when given their total; the budget from the chip does
// not reproduce that total (the real compiler caches less, see the doc).
#pragma once

#include <cstdint>
#include <vector>

#include "device/edgetpu/compiler.h"

namespace tpulab::device {

struct CoCompileOptions {
  int64_t budget_bytes = -1;  // the shared parameter cache; < 0: from the chip (above)
};

struct CoCompiled {
  std::vector<Placement> models;  // in the given order; cached/streamed/sram_used as shared
  int64_t budget_bytes = 0;
  int64_t cached_bytes = 0;  // all models
};

// Compiles each graph (whole, as compile() does) and shares the cache. Throws UsageError for an
// empty list, a null graph or a graph without ops.
CoCompiled co_compile(const std::vector<const Graph*>& models, const ChipSpec& chip,
                      const CoCompileOptions& options = {});

}  // namespace tpulab::device
