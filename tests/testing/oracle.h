// The TFLite oracle for tests: runs a model on native LiteRT (the TensorFlow Lite runtime as
// deployed, ai-edge-litert from the venv) through tools/oracle/litert_oracle.py, so tpulab's
// results can be compared with it. Its reference kernels (BUILTIN_REF) are the peer.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace tpulab::testing {

struct OracleTensor {
  std::string name;
  std::vector<int> shape;
  std::string dtype;  // TFLite's name: "uint8", "int8", "int16", "int32", "float32", ...
  // The tensor's raw bytes: for oracle_run, the given input and the computed output; empty
  // for oracle_info.
  std::vector<uint8_t> bytes;
};

struct OracleResult {
  bool ok = false;
  std::string error;  // when !ok: the oracle's stderr (its "error: ..." line and TFLite's log)
  std::vector<OracleTensor> inputs, outputs;
  double ms_per_inference = 0;
};

// True when the venv's Python imports ai_edge_litert.
bool oracle_available();

// Runs the model on the given raw input bytes (one vector per model input) in a temp dir.
// LiteRT's reference kernels by default; xnnpack = true uses the XNNPACK delegate instead.
OracleResult oracle_run(const std::filesystem::path& model,
                        const std::vector<std::vector<uint8_t>>& inputs, bool xnnpack = false);

// The older TFLite (2.x of tfjs-tflite 0.0.1-alpha.10, compiled to WebAssembly, built-in kernels
// with XNNPACK patched out) through tools/oracle/oracle.mjs. Kept only where LiteRT and tpulab
// differ: the integer LSTM, which tpulab computes as that TFLite does (see docs/python.md).
bool wasm_oracle_available();
OracleResult wasm_oracle_run(const std::filesystem::path& model,
                             const std::vector<std::vector<uint8_t>>& inputs);

// The model's inputs and outputs (names, shapes, dtypes) without running it. Fails when TFLite
// cannot load or prepare the model.
OracleResult oracle_info(const std::filesystem::path& model);

}  // namespace tpulab::testing

// Fails the current test (not a skip: a missing oracle must not pass unnoticed).
#define TPULAB_REQUIRE_ORACLE()                                 \
  do {                                                          \
    if (!::tpulab::testing::oracle_available())                 \
      FAIL() << "LiteRT oracle not installed: run ./run setup"; \
  } while (0)

#define TPULAB_REQUIRE_WASM_ORACLE()                                                 \
  do {                                                                               \
    if (!::tpulab::testing::wasm_oracle_available())                                 \
      FAIL() << "WebAssembly TFLite oracle not installed: run ./run setup (npm ci)"; \
  } while (0)
