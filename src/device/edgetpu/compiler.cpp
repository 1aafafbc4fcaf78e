#include "device/edgetpu/compiler.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "common/error.h"
#include "model/analysis.h"

namespace tpulab::device {

namespace {

int64_t round_up(int64_t x, int64_t q) { return q <= 1 ? x : (x + q - 1) / q * q; }

const Tensor* tensor_at(const Subgraph& sg, const std::vector<int32_t>& ids, size_t i) {
  if (i >= ids.size() || ids[i] < 0) return nullptr;
  return &sg.tensors[static_cast<size_t>(ids[i])];
}

int64_t dim(const Tensor* t, size_t i) {
  return (t != nullptr && i < t->shape.size()) ? t->shape[i] : 0;
}

bool is_8bit(DType t) { return t == DType::kInt8 || t == DType::kUInt8; }

// Non-constant elements an op reads and writes (what a vector unit or a CPU loop touches).
int64_t activation_elements(const Subgraph& sg, const Op& op) {
  int64_t n = 0;
  for (int32_t t : op.inputs)
    if (t >= 0 && !sg.tensors[static_cast<size_t>(t)].is_constant())
      n += sg.tensors[static_cast<size_t>(t)].num_elements();
  for (int32_t t : op.outputs)
    if (t >= 0) n += sg.tensors[static_cast<size_t>(t)].num_elements();
  return n;
}

struct TpuWork {
  int64_t param_bytes = 0, array_macs = 0, depthwise_macs = 0, vector_elements = 0;
};

bool all_zero(const Tensor* t) {
  if (t == nullptr) return true;
  for (uint8_t b : t->data.span())
    if (b != 0) return false;
  return true;
}

// Outputs as the compiler pads them (ChipSpec: 1 -> 4, 24 -> 32, 96 -> 128, 1001 -> 1024).
int64_t padded_outputs(int64_t n, const ChipSpec& c) {
  if (n <= c.tiny_out_channels) return c.tiny_out_channels;
  return round_up(n,
                  n <= c.out_channel_quantum ? c.small_out_channel_quantum : c.out_channel_quantum);
}

// Bytes each padded output channel carries besides its weights: the bias, and the scale data of
// per-channel quantized filters.
int64_t channel_bytes(const Tensor* filter, const Tensor* bias, const ChipSpec& c) {
  return (all_zero(bias) ? 0 : c.bias_bytes) +
         (filter != nullptr && filter->quant.per_channel() ? c.per_channel_quant_bytes : 0);
}

// Elementwise constants (ADD/MUL/SUB operands, ...): as stored, each padded to a row; scalars and
// int32 shape or index tensors go into the instructions.
int64_t constant_operand_bytes(const Subgraph& sg, const Op& op, const ChipSpec& c) {
  int64_t n = 0;
  for (size_t i = 0; i < op.inputs.size(); ++i) {
    const Tensor* t = tensor_at(sg, op.inputs, i);
    if (t != nullptr && t->is_constant() && t->dtype != DType::kInt32 && t->num_elements() > 1)
      n += round_up(static_cast<int64_t>(t->data.size()), c.layer_alignment_bytes);
  }
  return n;
}

// What one op costs on the TPU: parameter bytes in the compiler's layout (ChipSpec) and the work
// it gives the MAC array or the vector unit.
TpuWork tpu_work(const Subgraph& sg, const Op& op, const ChipSpec& c) {
  TpuWork w;
  const Tensor* filter = tensor_at(sg, op.inputs, 1);
  const Tensor* out = tensor_at(sg, op.outputs, 0);
  auto dense = [&](int64_t positions, int64_t oc, int64_t taps, int64_t ic, const Tensor* bias) {
    w.param_bytes = padded_outputs(oc, c) *
                    (channel_bytes(filter, bias, c) + taps * round_up(ic, c.in_channel_quantum));
    w.array_macs = positions * taps * round_up(ic, c.mac_in_channel_quantum) *
                   round_up(oc, c.mac_out_channel_quantum);
  };
  if (op.is(BuiltinOp::kConv2D) && out && filter) {
    // filter [O, KH, KW, I]
    dense(out->num_elements() / std::max<int64_t>(dim(out, 3), 1), dim(filter, 0),
          dim(filter, 1) * dim(filter, 2), dim(filter, 3), tensor_at(sg, op.inputs, 2));
  } else if (op.is(BuiltinOp::kFullyConnected) && out && filter) {
    // weights [O, I]
    dense(out->num_elements() / std::max<int64_t>(dim(filter, 0), 1), dim(filter, 0), 1,
          dim(filter, 1), tensor_at(sg, op.inputs, 2));
  } else if (op.is(BuiltinOp::kTransposeConv) && out) {
    // inputs: output shape, filter [O, KH, KW, I], input, bias
    const Tensor* x = tensor_at(sg, op.inputs, 2);
    int64_t positions = x ? x->num_elements() / std::max<int64_t>(dim(x, 3), 1) : 0;
    dense(positions, dim(filter, 0), dim(filter, 1) * dim(filter, 2), dim(filter, 3),
          tensor_at(sg, op.inputs, 3));
  } else if (op.is(BuiltinOp::kDepthwiseConv2D) && out && filter) {
    // filter [1, KH, KW, C]
    int64_t taps = dim(filter, 1) * dim(filter, 2);
    w.param_bytes =
        round_up(dim(filter, 3), c.depthwise_channel_quantum) *
        (channel_bytes(filter, tensor_at(sg, op.inputs, 2), c) + taps * c.depthwise_tap_bytes);
    w.depthwise_macs = out->num_elements() / std::max<int64_t>(dim(out, 3), 1) * taps *
                       round_up(dim(filter, 3), c.mac_depthwise_channel_quantum);
  } else if (op.is(BuiltinOp::kUnidirectionalSequenceLstm) || op.is(BuiltinOp::kLstm)) {
    // Gate g: input weights at input 1 + g [units, in], recurrent at 5 + g [units, units], bias at
    // 12 + g (the input gate's are absent with coupled input and forget gates).
    for (size_t g = 0; g < 4; ++g) {
      const Tensor* wi = tensor_at(sg, op.inputs, 1 + g);
      const Tensor* wr = tensor_at(sg, op.inputs, 5 + g);
      if (wi == nullptr || !wi->is_constant()) continue;
      w.param_bytes += round_up(
          padded_outputs(dim(wi, 0), c) * (channel_bytes(wi, tensor_at(sg, op.inputs, 12 + g), c) +
                                           round_up(dim(wi, 1), c.in_channel_quantum) +
                                           round_up(dim(wr, 1), c.in_channel_quantum)),
          c.layer_alignment_bytes);
    }
    w.param_bytes += c.lstm_extra_bytes;
    w.array_macs = op_macs(sg, op);
    w.vector_elements = activation_elements(sg, op);
  } else if (op.is(BuiltinOp::kSoftmax) && out) {
    const int64_t classes = out->shape.empty() ? 0 : out->shape.back();
    w.param_bytes = round_up(classes, c.softmax_class_quantum) * c.softmax_bytes_per_class +
                    (classes >= c.softmax_extra_min_classes ? c.softmax_extra_bytes : 0);
    w.vector_elements = activation_elements(sg, op);
  } else {
    w.param_bytes = constant_operand_bytes(sg, op, c);
    w.array_macs = op_macs(sg, op);  // batch matmul
    int64_t elems = activation_elements(sg, op);
    if (const auto* p = op.options_as<Pool2DOptions>(); p && out)
      elems = out->num_elements() * p->filter_w * p->filter_h;
    w.vector_elements = elems;
  }
  w.param_bytes = round_up(w.param_bytes, c.layer_alignment_bytes);
  return w;
}

bool fused_activation_free(const Op& op) {
  if (const auto* p = op.options_as<Pool2DOptions>()) return p->activation == Activation::kNone;
  if (const auto* p = op.options_as<ConcatenationOptions>())
    return p->activation == Activation::kNone;
  return true;
}

}  // namespace

std::string tpu_unsupported_reason(const Subgraph& sg, const Op& op, const ChipSpec& chip) {
  // An edgetpu-custom-op never gets here: SegmentCompiler refuses compiled models.
  if (op.is_custom()) return "custom op " + op.custom_name;
  // Types first: the TPU computes only on 8-bit integers (int32 biases, int16 LSTM state).
  auto check_type = [&](int32_t t) -> std::string {
    if (t < 0) return {};
    const Tensor& x = sg.tensors[static_cast<size_t>(t)];
    if (is_8bit(x.dtype) && !x.quant.scale.empty()) return {};
    if (x.is_constant() && (x.dtype == DType::kInt32 || x.dtype == DType::kInt16)) return {};
    if (x.dtype == DType::kInt16 &&
        (op.is(BuiltinOp::kUnidirectionalSequenceLstm) || op.is(BuiltinOp::kLstm)))
      return {};
    return fmt::format("not quantized: {} tensor '{}'", dtype_name(x.dtype), x.name);
  };
  for (int32_t t : op.inputs)
    if (auto r = check_type(t); !r.empty()) return r;
  for (int32_t t : op.outputs)
    if (auto r = check_type(t); !r.empty()) return r;

  using B = BuiltinOp;
  static const std::set<int32_t> kMapped = {int32_t(B::kAdd),
                                            int32_t(B::kAveragePool2D),
                                            int32_t(B::kConcatenation),
                                            int32_t(B::kConv2D),
                                            int32_t(B::kDepthwiseConv2D),
                                            int32_t(B::kExpandDims),
                                            int32_t(B::kFullyConnected),
                                            int32_t(B::kL2Normalization),
                                            int32_t(B::kLogistic),
                                            int32_t(B::kLstm),
                                            int32_t(B::kUnidirectionalSequenceLstm),
                                            int32_t(B::kMaximum),
                                            int32_t(B::kMaxPool2D),
                                            int32_t(B::kMean),
                                            int32_t(B::kMinimum),
                                            int32_t(B::kMul),
                                            int32_t(B::kPack),
                                            int32_t(B::kPad),
                                            int32_t(B::kPrelu),
                                            int32_t(B::kQuantize),
                                            int32_t(B::kReduceMax),
                                            int32_t(B::kReduceMin),
                                            int32_t(B::kRelu),
                                            int32_t(B::kRelu6),
                                            int32_t(B::kReluN1To1),
                                            int32_t(B::kReshape),
                                            int32_t(B::kResizeBilinear),
                                            int32_t(B::kResizeNearestNeighbor),
                                            int32_t(B::kRsqrt),
                                            int32_t(B::kSlice),
                                            int32_t(B::kSoftmax),
                                            int32_t(B::kSpaceToDepth),
                                            int32_t(B::kSplit),
                                            int32_t(B::kSqueeze),
                                            int32_t(B::kStridedSlice),
                                            int32_t(B::kSub),
                                            int32_t(B::kSum),
                                            int32_t(B::kSquaredDifference),
                                            int32_t(B::kTanh),
                                            int32_t(B::kTranspose),
                                            int32_t(B::kTransposeConv)};
  if (!kMapped.count(op.code)) return "no Edge TPU mapping for " + op.name();
  if (!fused_activation_free(op)) return op.name() + " with a fused activation";
  if (const auto* c = op.options_as<Conv2DOptions>(); c && c->dilation_w != c->dilation_h)
    return "different x and y dilation";
  if (const auto* c = op.options_as<DepthwiseConv2DOptions>(); c && c->dilation_w != c->dilation_h)
    return "different x and y dilation";
  if (const auto* f = op.options_as<FullyConnectedOptions>(); f && f->weights_format != 0)
    return "shuffled fully-connected weights";
  const Tensor* in = tensor_at(sg, op.inputs, 0);
  const Tensor* out = tensor_at(sg, op.outputs, 0);
  if (op.is(BuiltinOp::kSoftmax) && in && in->num_elements() > chip.max_softmax_elements)
    return fmt::format("SOFTMAX over {} elements (limit {})", in->num_elements(),
                       chip.max_softmax_elements);
  if (op.is(BuiltinOp::kResizeBilinear) && in && out && in->shape.size() == 4 &&
      out->shape.size() == 4) {
    for (size_t d : {size_t{1}, size_t{2}})
      if (out->shape[d] > chip.max_resize_factor * in->shape[d])
        return fmt::format("RESIZE_BILINEAR upscale {}x{} -> {}x{} (precision limit)", in->shape[1],
                           in->shape[2], out->shape[1], out->shape[2]);
  }
  return {};
}

SegmentCompiler::SegmentCompiler(const Graph& graph, const ChipSpec& chip)
    : graph_(&graph), chip_(chip) {
  const Subgraph& sg = graph.main();
  n_ = static_cast<int32_t>(sg.ops.size());
  const auto n = static_cast<size_t>(n_);
  supported_.assign(n, 0);
  for (auto* v : {&tpu_params_, &raw_params_, &array_macs_, &dw_macs_, &vec_elems_, &cpu_macs_,
                  &cpu_elems_, &macs_})
    v->assign(n + 1, 0);
  bool any_quantized = false;
  for (size_t i = 0; i < n; ++i) {
    const Op& op = sg.ops[i];
    // Its cost is not in the file (the layers are gone): costing it as a host op would report a
    // compiled model as a slow, power-hungry CPU model.
    if (op.is_custom() && op.custom_name == kEdgeTpuCustomOp)
      throw UnsupportedError(
          "the model is already compiled for the Edge TPU: the simulated Edge TPU compiles "
          "models itself, so give it the model this one was compiled from",
          fmt::format("op #{} {}", i, kEdgeTpuCustomOp));
    supported_[i] = tpu_unsupported_reason(sg, op, chip).empty() ? 1 : 0;
    TpuWork w = tpu_work(sg, op, chip);
    int64_t macs = op_macs(sg, op);
    tpu_params_[i + 1] = tpu_params_[i] + w.param_bytes;
    raw_params_[i + 1] = raw_params_[i] + op_weight_bytes(sg, op);
    array_macs_[i + 1] = array_macs_[i] + w.array_macs;
    dw_macs_[i + 1] = dw_macs_[i] + w.depthwise_macs;
    vec_elems_[i + 1] = vec_elems_[i] + w.vector_elements;
    cpu_macs_[i + 1] = cpu_macs_[i] + macs;
    cpu_elems_[i + 1] = cpu_elems_[i] + (macs > 0 ? 0 : activation_elements(sg, op));
    macs_[i + 1] = macs_[i] + macs;
    for (int32_t t : op.outputs)
      if (t >= 0 && is_8bit(sg.tensors[static_cast<size_t>(t)].dtype)) any_quantized = true;
  }
  float_model_ = n_ > 0 && !any_quantized;
  next_supported_.assign(n + 1, n_);
  next_unsupported_.assign(n + 1, n_);
  for (int32_t i = n_ - 1; i >= 0; --i) {
    const auto u = static_cast<size_t>(i);
    next_supported_[u] = supported_[u] ? i : next_supported_[u + 1];
    next_unsupported_[u] = supported_[u] ? next_unsupported_[u + 1] : i;
  }

  // Tensor lifetimes: producer, sorted consumers, and whether the graph outputs it.
  const TensorUses uses = tensor_uses(sg);
  crossings_.assign(n + 1, {});
  std::vector<int64_t> delta(n + 2, 0);
  for (size_t t = 0; t < sg.tensors.size(); ++t) {
    const Tensor& x = sg.tensors[t];
    const int32_t producer = uses.producer[t];
    const std::vector<int32_t>& consumers = uses.consumers[t];
    // Activations: graph inputs and op outputs (intermediates are the engine's scratch).
    if (!(uses.graph_input[t] || producer >= 0) || x.is_constant()) continue;
    int32_t last = consumers.empty() ? producer : consumers.back();
    if (uses.graph_output[t]) last = n_;
    int64_t bytes = x.byte_size();
    // The tensor crosses cut c (between op c-1 and op c) when producer < c <= last use.
    size_t ci = 0;
    for (int32_t c = producer + 1; c <= last; ++c) {
      while (ci < consumers.size() && consumers[ci] < c) ++ci;
      int32_t next = ci < consumers.size() ? consumers[ci] : n_;
      crossings_[static_cast<size_t>(c)].push_back({bytes, producer, next});
    }
    // Live from production (or op 0) through the last use, for the SRAM activation reserve.
    int32_t from = uses.first(t), to = std::min(last, n_ - 1);
    if (n_ > 0 && to >= from) {
      delta[static_cast<size_t>(from)] += bytes;
      delta[static_cast<size_t>(to) + 1] -= bytes;
    }
  }
  // Sparse table for range maxima of live bytes.
  std::vector<int64_t> level(n);
  int64_t run = 0;
  for (size_t i = 0; i < n; ++i) level[i] = (run += delta[i]);
  live_max_.push_back(std::move(level));
  for (size_t span = 2; span <= n; span *= 2) {
    const auto& prev = live_max_.back();
    std::vector<int64_t> next(n - span + 1);
    for (size_t i = 0; i + span <= n; ++i) next[i] = std::max(prev[i], prev[i + span / 2]);
    live_max_.push_back(std::move(next));
  }
}

int64_t SegmentCompiler::peak_live(int32_t first, int32_t last) const {
  if (last <= first) return 0;
  auto len = static_cast<size_t>(last - first);
  size_t k = 0;
  while ((size_t{2} << k) <= len) ++k;
  const auto& row = live_max_[k];
  return std::max(row[static_cast<size_t>(first)],
                  row[static_cast<size_t>(last) - (size_t{1} << k)]);
}

int64_t SegmentCompiler::input_bytes(int32_t first, int32_t last) const {
  int64_t b = 0;
  for (const Crossing& c : crossings_[static_cast<size_t>(first)])
    if (c.next_consumer < last) b += c.bytes;
  return b;
}

int64_t SegmentCompiler::output_bytes(int32_t first, int32_t last) const {
  int64_t b = 0;
  for (const Crossing& c : crossings_[static_cast<size_t>(last)])
    if (c.producer >= first) b += c.bytes;
  return b;
}

Placement SegmentCompiler::place(int32_t first, int32_t last, bool details) const {
  if (first < 0 || last > n_ || first >= last)
    throw UsageError(
        fmt::format("empty or out-of-range segment [{}, {}) of a {}-op model", first, last, n_),
        "segment");
  Placement p;
  p.first_op = first;
  p.last_op = last;
  // Host ops before the first mappable op stay on the CPU; from there the TPU takes ops until
  // the first one it cannot map, and (as the real compiler does by default) everything after
  // that runs on the CPU too.
  int32_t t0 = std::min(next_supported_[static_cast<size_t>(first)], last);
  int32_t t1 = std::min(next_unsupported_[static_cast<size_t>(t0)], last);
  if (t0 >= last) t1 = t0 = last;
  p.tpu_first = t0;
  p.tpu_last = t1;
  p.tpu_ops = t1 - t0;
  p.cpu_ops = (last - first) - p.tpu_ops;
  auto range = [](const std::vector<int64_t>& v, int32_t a, int32_t b) {
    return v[static_cast<size_t>(b)] - v[static_cast<size_t>(a)];
  };
  auto host = [&](const std::vector<int64_t>& v) {
    return range(v, first, t0) + range(v, t1, last);
  };
  p.macs = range(macs_, first, last);
  p.cpu_macs = host(cpu_macs_);
  p.cpu_elements = host(cpu_elems_);
  p.cpu_param_bytes = host(raw_params_);
  if (p.tpu_ops > 0) {
    p.parameter_bytes = range(tpu_params_, t0, t1);
    p.array_macs = range(array_macs_, t0, t1);
    p.depthwise_macs = range(dw_macs_, t0, t1);
    p.vector_elements = range(vec_elems_, t0, t1);
    p.instruction_bytes = chip_.instruction_bytes_base + chip_.instruction_bytes_per_op * p.tpu_ops;
    p.activation_reserve_bytes =
        std::min(static_cast<int64_t>(chip_.activation_reserve_factor *
                                      static_cast<double>(peak_live(t0, t1))),
                 chip_.activation_reserve_cap_bytes);
    int64_t budget =
        std::max<int64_t>(0, chip_.sram_bytes - p.activation_reserve_bytes - p.instruction_bytes);
    // Caching is byte-granular (the co-compiled models cache part of a layer).
    p.cached_bytes = std::min(p.parameter_bytes, budget);
    p.streamed_bytes = p.parameter_bytes - p.cached_bytes;
    p.sram_used_bytes = std::min(chip_.sram_bytes,
                                 p.cached_bytes + p.instruction_bytes + p.activation_reserve_bytes);
    p.input_bytes = input_bytes(t0, t1);
    p.output_bytes = output_bytes(t0, t1);
  }
  if (float_model_)
    p.warnings.push_back(
        "the model is not quantized (float): every op runs on the host CPU; the Edge TPU needs "
        "fully 8-bit quantized models");
  else if (p.tpu_ops == 0)
    p.warnings.push_back("no op of this segment maps to the Edge TPU: it runs on the host CPU");
  else if (t1 < last)
    p.warnings.push_back(fmt::format(
        "op {} ({}) cannot run on the Edge TPU, so it and the {} ops after it run on the host CPU",
        t1, graph_->main().ops[static_cast<size_t>(t1)].name(), last - t1 - 1));
  if (details) {
    const Subgraph& sg = graph_->main();
    for (int32_t i = first; i < last; ++i) {
      const auto u = static_cast<size_t>(i);
      OpPlacement o;
      o.op = i;
      o.name = sg.ops[u].name();
      o.on_tpu = i >= t0 && i < t1;
      o.macs = macs_[u + 1] - macs_[u];
      o.param_bytes =
          o.on_tpu ? tpu_params_[u + 1] - tpu_params_[u] : raw_params_[u + 1] - raw_params_[u];
      if (!o.on_tpu) {
        o.cpu_reason = tpu_unsupported_reason(sg, sg.ops[u], chip_);
        if (o.cpu_reason.empty()) o.cpu_reason = "after the first op the TPU cannot run";
      }
      p.ops.push_back(std::move(o));
    }
  }
  return p;
}

Placement compile(const Graph& segment, const ChipSpec& chip) {
  SegmentCompiler c(segment, chip);
  if (c.num_ops() == 0) throw UsageError("the segment has no ops", "compile");
  return c.place(0, c.num_ops(), true);
}

}  // namespace tpulab::device
