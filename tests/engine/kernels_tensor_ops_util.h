// Helpers of the data-movement kernel tests: build small Graphs op by op, run them on the
// reference kernels with a minimal sequential executor (no interpreter: each tensor gets its own
// buffer), and compare the result with the real TFLite runtime (the oracle) byte for byte.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/kernel.h"
#include "model/graph.h"
#include "model/tflite.h"
#include "testing/oracle.h"
#include "testing/testing.h"

namespace tpulab::testing {

class GraphBuilder {
 public:
  GraphBuilder() {
    g_.subgraphs.emplace_back();
    g_.main().name = "main";
  }
  // A model input (its bytes are given to run_reference / the oracle).
  int32_t input(DType dt, std::vector<int32_t> shape, float scale = 0.0f, int64_t zp = 0) {
    const int32_t t = tensor(dt, std::move(shape), scale, zp);
    g_.main().inputs.push_back(t);
    return t;
  }
  template <typename T>
  int32_t constant(DType dt, std::vector<int32_t> shape, const std::vector<T>& values,
                   float scale = 0.0f, int64_t zp = 0) {
    const int32_t t = tensor(dt, std::move(shape), scale, zp);
    std::vector<uint8_t> bytes(values.size() * sizeof(T));
    if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
    g_.main().tensors[static_cast<size_t>(t)].data = Bytes::own(std::move(bytes));
    return t;
  }
  // An intermediate tensor (not a model output).
  int32_t tensor(DType dt, std::vector<int32_t> shape, float scale = 0.0f, int64_t zp = 0) {
    Tensor x;
    x.name = "t" + std::to_string(g_.main().tensors.size());
    x.dtype = dt;
    x.shape = std::move(shape);
    if (scale > 0.0f) {
      x.quant.scale = {scale};
      x.quant.zero_point = {zp};
    }
    g_.main().tensors.push_back(std::move(x));
    return static_cast<int32_t>(g_.main().tensors.size() - 1);
  }
  // A model output with the shape TFLite should give it.
  int32_t output(DType dt, std::vector<int32_t> shape, float scale = 0.0f, int64_t zp = 0) {
    const int32_t t = tensor(dt, std::move(shape), scale, zp);
    g_.main().outputs.push_back(t);
    return t;
  }
  void op(BuiltinOp code, OpOptions options, std::vector<int32_t> inputs,
          std::vector<int32_t> outputs, int32_t version = 1) {
    Op o;
    o.code = static_cast<int32_t>(code);
    o.version = version;
    o.options = std::move(options);
    o.inputs = std::move(inputs);
    o.outputs = std::move(outputs);
    g_.main().ops.push_back(std::move(o));
  }
  Graph& graph() { return g_; }

 private:
  Graph g_;
};

// Runs subgraph 0 on the reference kernels. Variable tensors start as TFLite's
// ResetVariableTensor leaves them: int8 at the zero point, everything else zero. Throws what
// the kernels throw.
std::vector<std::vector<uint8_t>> run_reference(const Graph& g,
                                                const std::vector<std::vector<uint8_t>>& inputs);

// Random bytes for every model input (uniform over the type's byte patterns; float inputs get
// values in [-lo, hi] with lo = hi = 4).
std::vector<std::vector<uint8_t>> random_inputs(const Graph& g, uint32_t seed);

// Writes the graph to a temp file, runs it on the oracle and on run_reference, and expects
// every output byte to match. Returns the number of differing bytes (0 when the oracle failed).
size_t expect_same_as_oracle(const Graph& g, const std::vector<std::vector<uint8_t>>& inputs,
                             const std::string& what, bool wasm = false);

}  // namespace tpulab::testing
