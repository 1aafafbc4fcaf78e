#include "engine/interpreter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <new>

#include "common/error.h"
#include "engine/kernel_registry.h"
#include "engine/memory_plan.h"
#include "engine/thread_pool.h"
#include "model/tflite.h"

namespace tpulab::engine {

namespace {

constexpr size_t kAlignment = 64;
// Constants narrower than this alignment are copied, so kernels may read them as int32/float
// vectors without misaligned access.
constexpr size_t kConstantAlignment = 16;

size_t align_up(size_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

// Ops that call other subgraphs; the engine runs subgraph 0 only.
bool calls_subgraphs(const Op& op) {
  const std::string n = op.name();
  return n == "IF" || n == "WHILE" || n == "CALL" || n == "CALL_ONCE";
}

}  // namespace

void Interpreter::AlignedFree::operator()(uint8_t* p) const {
  ::operator delete[](p, std::align_val_t{kAlignment});
}

KernelSet kernel_set_from_name(const std::string& name) {
  if (name == "reference") return KernelSet::kReference;
  if (name == "optimized") return KernelSet::kOptimized;
  throw UsageError(fmt::format("unknown kernel set \"{}\" (reference or optimized)", name), "");
}

std::string kernel_set_name(KernelSet set) {
  return set == KernelSet::kReference ? "reference" : "optimized";
}

std::string model_display_name(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

Interpreter::Interpreter(const Graph& graph, std::string model_name, InterpreterOptions opts)
    : graph_(&graph), model_(std::move(model_name)) {
  check_graph(graph, model_);
  prepare(opts);
}

Interpreter::~Interpreter() = default;
Interpreter::Interpreter(Interpreter&&) noexcept = default;
Interpreter& Interpreter::operator=(Interpreter&&) noexcept = default;

void Interpreter::prepare(const InterpreterOptions& opts) {
  const Subgraph& sg = graph_->main();
  tensors_.resize(sg.tensors.size());
  for (size_t i = 0; i < sg.tensors.size(); ++i) {
    const Tensor& t = sg.tensors[i];
    TensorRef& r = tensors_[i];
    r.dtype = t.dtype;
    r.shape = t.shape;
    r.quant = t.quant.scale.empty() ? nullptr : &t.quant;
    if (t.is_constant()) {
      r.is_constant = true;
      r.bytes = t.data.size();
      const uint8_t* p = t.data.data();
      if (reinterpret_cast<uintptr_t>(p) % kConstantAlignment != 0) {
        Buffer copy(new (std::align_val_t{kAlignment}) uint8_t[align_up(r.bytes)]);
        std::memcpy(copy.get(), p, r.bytes);
        p = copy.get();
        aligned_constants_.push_back(std::move(copy));
      }
      // Kernels never write constants (the interpreter rejects ops that would, below).
      r.data = const_cast<uint8_t*>(p);
    }
  }
  inputs_ = sg.inputs;
  outputs_ = sg.outputs;

  const int threads = opts.pool ? opts.pool->size() : 1;
  kernels_.reserve(sg.ops.size());
  contexts_.resize(sg.ops.size());
  for (size_t i = 0; i < sg.ops.size(); ++i) {
    const Op& op = sg.ops[i];
    OpContext& ctx = contexts_[i];
    ctx.op = &op;
    ctx.index = static_cast<int32_t>(i);
    ctx.model = model_;
    ctx.pool = opts.pool;
    for (int32_t t : op.inputs)
      ctx.inputs.push_back(t == kNoTensor ? nullptr : &tensors_[static_cast<size_t>(t)]);
    for (int32_t t : op.outputs) {
      if (tensors_[static_cast<size_t>(t)].is_constant)
        throw ModelError(model_, fmt::format("{} writes constant tensor {}", ctx.where(), t));
      ctx.outputs.push_back(&tensors_[static_cast<size_t>(t)]);
    }
    for (int32_t t : op.intermediates)
      ctx.intermediates.push_back(&tensors_[static_cast<size_t>(t)]);

    if (op.is_custom() && op.custom_name == kEdgeTpuCustomOp)
      throw UnsupportedError(
          fmt::format("{} is compiled for the Edge TPU and runs only there: run the CPU model "
                      "it was compiled from",
                      ctx.where()),
          "");
    std::unique_ptr<Kernel> kernel;
    if (opts.extra_kernels != nullptr)
      if (const KernelFactory* f = opts.extra_kernels->find(op)) kernel = (*f)();
    if (!kernel) kernel = make_kernel(op, opts.kernels);
    if (!kernel) {
      if (calls_subgraphs(op))
        throw UnsupportedError(
            fmt::format(
                "{} is not supported: it calls other subgraphs and the engine runs subgraph 0 only",
                ctx.where()),
            "");
      throw UnsupportedError(fmt::format("{} is not supported", ctx.where()), "");
    }
    kernels_.push_back(std::move(kernel));
  }

  // Prepare in execution order: each op sees its inputs' final shapes and sets its outputs'.
  for (size_t i = 0; i < kernels_.size(); ++i) {
    OpContext& ctx = contexts_[i];
    try {
      kernels_[i]->prepare(ctx);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw ModelError(model_, fmt::format("{}: {}", ctx.where(), e.what()));
    }
    for (const TensorRef* out : ctx.outputs) {
      for (int32_t d : out->shape)
        if (d < 0)
          throw ModelError(model_, fmt::format("{} left output shape {} unknown", ctx.where(),
                                               shape_string(out->shape)));
    }
  }
  plan_and_allocate(threads, opts.preserve_all_tensors);
}

void Interpreter::plan_and_allocate(int threads, bool preserve_all_tensors) {
  const Subgraph& sg = graph_->main();
  const auto num_ops = static_cast<int32_t>(sg.ops.size());
  const size_t n = tensors_.size();

  // Lifetimes: from the producer (or the start) to the last consumer. Inputs and outputs live
  // through the whole invoke so callers can write inputs once and read outputs afterwards.
  const TensorUses uses = tensor_uses(sg);
  std::vector<int32_t> first(n, -1), last(n, -1);
  holds_value_.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    holds_value_[i] = tensors_[i].is_constant || sg.tensors[i].is_variable;
    if (!uses.used(i)) continue;
    first[i] = uses.first(i);
    const bool whole_invoke = uses.graph_input[i] || uses.graph_output[i] || preserve_all_tensors;
    last[i] = whole_invoke ? num_ops : uses.last(i);
    holds_value_[i] |= whole_invoke;
  }

  std::vector<BufferRequest> requests;
  std::vector<TensorRef*> owners;  // nullptr: op scratch
  std::vector<size_t> scratch_op;
  for (size_t i = 0; i < n; ++i) {
    TensorRef& r = tensors_[i];
    if (r.is_constant || first[i] < 0) continue;
    if (dtype_size(r.dtype) == 0)
      throw UnsupportedError(fmt::format("tensor {} ({}) has type {}, which the engine cannot hold",
                                         i, sg.tensors[i].name, dtype_name(r.dtype)),
                             model_);
    if (sg.tensors[i].is_variable) {
      variable_tensors_.push_back(i);
      continue;
    }
    requests.push_back({static_cast<size_t>(r.byte_size()), first[i], last[i]});
    owners.push_back(&r);
    scratch_op.push_back(0);
  }
  for (size_t i = 0; i < kernels_.size(); ++i) {
    const size_t bytes = kernels_[i]->scratch_bytes(threads);
    if (bytes == 0) continue;
    requests.push_back({bytes, static_cast<int32_t>(i), static_cast<int32_t>(i)});
    owners.push_back(nullptr);
    scratch_op.push_back(i);
  }

  const MemoryPlan plan = plan_memory(requests, kAlignment);
  arena_bytes_ = plan.arena_bytes;
  naive_bytes_ = plan.naive_bytes;
  // Zeroed, so a tensor nobody writes (an unfed state, say) reads as zeros, not garbage.
  arena_.reset(new (std::align_val_t{kAlignment})
                   uint8_t[std::max<size_t>(arena_bytes_, kAlignment)]());
  for (size_t k = 0; k < requests.size(); ++k) {
    uint8_t* p = arena_.get() + plan.offsets[k];
    if (owners[k] != nullptr) {
      owners[k]->data = p;
      owners[k]->bytes = requests[k].bytes;
    } else {
      contexts_[scratch_op[k]].scratch = std::span<uint8_t>(p, requests[k].bytes);
    }
  }

  variables_bytes_ = 0;
  for (size_t i : variable_tensors_)
    variables_bytes_ += align_up(static_cast<size_t>(tensors_[i].byte_size()));
  variables_.reset(new (std::align_val_t{kAlignment})
                       uint8_t[std::max<size_t>(variables_bytes_, kAlignment)]());
  size_t offset = 0;
  for (size_t i : variable_tensors_) {
    tensors_[i].data = variables_.get() + offset;
    tensors_[i].bytes = static_cast<size_t>(tensors_[i].byte_size());
    offset += align_up(tensors_[i].bytes);
  }
  reset_variables();
}

void Interpreter::invoke() {
  for (size_t i = 0; i < kernels_.size(); ++i) kernels_[i]->eval(contexts_[i]);
}

void Interpreter::reset_variables() {
  // As TFLite's ResetVariableTensor: int8 state starts at its zero point (the quantized 0.0),
  // everything else at all-zero bytes.
  for (size_t i : variable_tensors_) {
    const TensorRef& t = tensors_[i];
    int value = t.dtype == DType::kInt8 ? t.zero_point() : 0;
    std::memset(t.data, value, t.bytes);
  }
}

TensorRef& Interpreter::input(size_t i) { return tensors_.at(static_cast<size_t>(inputs_.at(i))); }

const TensorRef& Interpreter::output(size_t i) const {
  return tensors_.at(static_cast<size_t>(outputs_.at(i)));
}

std::span<uint8_t> Interpreter::input_bytes(size_t i) {
  TensorRef& t = input(i);
  if (t.is_constant)
    throw UsageError(
        fmt::format("input {} ({}) is a constant and cannot be written", i, input_name(i)), model_);
  return {t.data, static_cast<size_t>(t.byte_size())};
}

std::span<const uint8_t> Interpreter::output_bytes(size_t i) const {
  const TensorRef& t = output(i);
  return {t.data, static_cast<size_t>(t.byte_size())};
}

const std::string& Interpreter::input_name(size_t i) const {
  return graph_->main().tensors.at(static_cast<size_t>(inputs_.at(i))).name;
}

const std::string& Interpreter::output_name(size_t i) const {
  return graph_->main().tensors.at(static_cast<size_t>(outputs_.at(i))).name;
}

}  // namespace tpulab::engine
