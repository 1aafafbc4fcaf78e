// Fuzzes the plan.json reader against a small model: any text gives the cut points or an Error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error.h"
#include "model/zoo/zoo.h"
#include "partition/plan_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The smallest MobileNet v1 (31 ops): plans can cut it anywhere and name its tensors.
  static const tpulab::Graph graph =
      tpulab::zoo::build_zoo_model("mobilenet_v1", {.input = 32, .width = 0.25});
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)tpulab::partition::parse_plan_starts(text, "fuzz/plan.json", graph);
  } catch (const tpulab::Error&) {
  }
  return 0;
}
