// Runs subgraph 0 of a Graph on the CPU kernels. Prepared once (kernels chosen and prepared in
// execution order, shapes propagated, one static memory arena planned), then invoke() runs the
// kernels any number of times without allocating.
//
//   Interpreter in(graph, "model.tflite");
//   copy(pixels, in.input_bytes(0));
//   in.invoke();
//   use(in.output_bytes(0));
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/kernel.h"
#include "model/graph.h"

namespace tpulab::engine {

class KernelRegistry;
class ThreadPool;

struct InterpreterOptions {
  KernelSet kernels = KernelSet::kOptimized;
  ThreadPool* pool = nullptr;  // intra-op parallelism; null = the calling thread only
  // Looked up before the built-in kernels (tests and extensions); may be null.
  const KernelRegistry* extra_kernels = nullptr;
  // Every tensor keeps its own buffer, so tensor(i) holds each intermediate result after invoke
  // (LiteRT's experimental_preserve_all_tensors): for finding the first op two runtimes disagree
  // on. Costs naive_arena_bytes() of memory.
  bool preserve_all_tensors = false;
};

class Interpreter {
 public:
  // `graph` must outlive the interpreter. `model_name` (usually the file name) names the model in
  // errors. Throws UnsupportedError for an op without a kernel (or one that runs only on the
  // Edge TPU) and ModelError when tensors do not fit their ops.
  Interpreter(const Graph& graph, std::string model_name, InterpreterOptions opts = {});
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;
  Interpreter(Interpreter&&) noexcept;
  Interpreter& operator=(Interpreter&&) noexcept;

  size_t num_inputs() const { return inputs_.size(); }
  size_t num_outputs() const { return outputs_.size(); }
  // The model's i-th input/output tensor (prepared shapes; data valid between invokes).
  TensorRef& input(size_t i);
  const TensorRef& output(size_t i) const;
  // Their bytes: write inputs before invoke(), read outputs after it.
  std::span<uint8_t> input_bytes(size_t i);
  std::span<const uint8_t> output_bytes(size_t i) const;
  // Names as the graph gives them.
  const std::string& input_name(size_t i) const;
  const std::string& output_name(size_t i) const;
  // Any tensor of the subgraph by its index (for debugging and segment checks).
  const TensorRef& tensor(size_t index) const { return tensors_.at(index); }
  // Whether tensor(index) still holds its own value after invoke: constants, variables, graph
  // inputs and outputs, and every tensor under preserve_all_tensors; other intermediates share
  // memory that later ops overwrite.
  bool holds_value_after_invoke(size_t index) const { return holds_value_.at(index) != 0; }

  // Runs every op once. Inputs keep their bytes (invoke again without rewriting them).
  void invoke();
  // Variable tensors (recurrent state) keep their values across invokes, as in TFLite; this
  // sets them back to zero.
  void reset_variables();

  const std::string& model_name() const { return model_; }
  // Activation + scratch arena, and what it would take without buffer reuse.
  size_t arena_bytes() const { return arena_bytes_; }
  size_t naive_arena_bytes() const { return naive_bytes_; }

 private:
  void prepare(const InterpreterOptions& opts);
  void plan_and_allocate(int threads, bool preserve_all_tensors);

  struct AlignedFree {
    void operator()(uint8_t* p) const;
  };
  using Buffer = std::unique_ptr<uint8_t[], AlignedFree>;

  const Graph* graph_;
  std::string model_;
  std::vector<TensorRef> tensors_;
  std::vector<std::unique_ptr<Kernel>> kernels_;
  std::vector<OpContext> contexts_;
  std::vector<int32_t> inputs_, outputs_;
  Buffer arena_;
  Buffer variables_;  // persistent state, outside the arena
  size_t variables_bytes_ = 0;
  std::vector<size_t> variable_tensors_;
  std::vector<Buffer> aligned_constants_;  // copies of constants whose bytes were misaligned
  size_t arena_bytes_ = 0;
  size_t naive_bytes_ = 0;
  std::vector<uint8_t> holds_value_;  // per tensor: see holds_value_after_invoke
};

// "reference" / "optimized" (UsageError for anything else), and back.
KernelSet kernel_set_from_name(const std::string& name);
std::string kernel_set_name(KernelSet set);

// "mobilenet.tflite" from "/path/to/mobilenet.tflite": the name errors use.
std::string model_display_name(const std::string& path);

}  // namespace tpulab::engine
