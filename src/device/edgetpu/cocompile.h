// Co-compilation: several models compiled together share one parameter-caching token, so their
// cached parameters stay in the Edge TPU's SRAM side by side and switching between them uploads
// nothing. The compiler must then split the parameter cache among them.
//
// The rule modelled (see docs/device_model.md, "Co-compilation"), read off the real co-compiled
// files in shared/models/cocompiled (which layers sit in each model's parameter-caching
// executable and which in its execution-only one):
//   1. every depthwise layer of every model is cached (all 44 of the three real files are, also
//      ones larger than streamed 1x1 layers);
//   2. the other layers of all models compete for the rest largest first, whole layers (a layer
//      that does not fit is streamed and smaller ones may still fit); the order of the models
//      does not matter (ties aside);
//   budget = SRAM - kCoCompileWithheldBytes. Activations of the models stay in the tiles' local
//      memory and instructions are streamed with every inference, so neither is taken from it.
// Those files come from a co-compile of FOUR models: mobilenet_v1 1.0/224 first, then 0.25/128,
// 0.5/160, 0.75/192 ("_with_3quant"); the rule reproduces their three rows only when the first
// model is included.
#pragma once

#include <cstdint>
#include <vector>

#include "device/edgetpu/compiler.h"

namespace tpulab::device {

// SRAM the compiler did not give to co-compiled parameters: fitted, not documented. With the
// compiler's layer sizes (our layout reproduces them byte for byte) the real co-compile pins it to
// 135.0-145.4 KiB: all three rows' cached and streamed bytes within 5 % (exactly, but for a 64-byte
// softmax tie, from 137.6 to 138.9 KiB); 140 KiB is the middle. 8 MiB - 140 KiB = 7.86 MiB, within
// the 6.3-7.9 MiB of usable parameter cache in compiler logs (edgetpu.md).
inline constexpr int64_t kCoCompileWithheldBytes = 140 << 10;

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
