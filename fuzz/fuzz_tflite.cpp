// Fuzzes the model reader: any bytes must give a Graph or a ModelError, nothing else.
#include <cstddef>
#include <cstdint>

#include "common/error.h"
#include "model/analysis.h"
#include "model/edgetpu_package.h"
#include "model/tflite.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    tpulab::Graph g = tpulab::read_tflite_bytes({data, size}, "fuzz");
    // A graph that loads must also analyse and write without crashing.
    (void)tpulab::analyze(g);
    (void)tpulab::edgetpu_ops(g, "fuzz");
    (void)tpulab::write_tflite(g);
  } catch (const tpulab::Error&) {
  }
  return 0;
}
