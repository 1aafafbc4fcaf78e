// .tflite -> Graph. Every byte is verified before it is read; any inconsistency becomes a
// ModelError naming the file and the place.
#include <fmt/format.h>

#include <cstring>
#include <limits>

#include "common/error.h"
#include "common/file_io.h"
#include "model/tflite.h"
#include "schema/tflite_generated.h"

namespace tpulab {

namespace {

using flatbuffers::Vector;

// What the schema asks of buffers (force_align: 16) and what Bytes::copy's allocation gives.
constexpr uintptr_t kDataAlignment = 16;

// The verifier checks only the alignment of a vector's 4-byte length, so the elements of a
// vector of 8-byte scalars may sit at any 4-byte boundary: each one is copied out, never loaded
// in place.
template <typename T, typename U>
std::vector<T> to_vector(const Vector<U>* v) {
  std::vector<T> out;
  if (v == nullptr) return out;
  out.reserve(v->size());
  const uint8_t* p = reinterpret_cast<const uint8_t*>(v) + sizeof(flatbuffers::uoffset_t);
  for (flatbuffers::uoffset_t i = 0; i < v->size(); ++i, p += sizeof(U)) {
    U x;
    std::memcpy(&x, p, sizeof(U));
    out.push_back(static_cast<T>(flatbuffers::EndianScalar(x)));
  }
  return out;
}

Activation act(tfl::ActivationFunctionType a) { return static_cast<Activation>(a); }
Padding pad(tfl::Padding p) { return static_cast<Padding>(p); }
DType dt(tfl::TensorType t) { return static_cast<DType>(t); }

// Keeps a union member's table as a stand-alone flatbuffer (through the generated object API),
// so the writer can reproduce tables tpulab has no typed struct for.
template <typename Union, typename Enum>
Bytes keep_table(const void* table, Enum type) {
  Union u;
  u.type = type;
  u.value = Union::UnPack(table, type, nullptr);
  if (u.value == nullptr) return {};
  flatbuffers::FlatBufferBuilder fbb(256);
  fbb.Finish(u.Pack(fbb));
  return Bytes::copy({fbb.GetBufferPointer(), fbb.GetSize()});
}

OpOptions convert_options(const tfl::Operator& op, int32_t code) {
  using T = tfl::BuiltinOptions;
  using B = BuiltinOp;
  const T type = op.builtin_options_type();
  const void* table = op.builtin_options();
  auto is = [code](B b) { return code == static_cast<int32_t>(b); };
  if (table == nullptr || type == T::NONE) {
    if (op.builtin_options_2() != nullptr &&
        op.builtin_options_2_type() != tfl::BuiltinOptions2::NONE) {
      OtherOptions o;
      o.second_union = true;
      o.table = static_cast<uint8_t>(op.builtin_options_2_type());
      o.flatbuffer = keep_table<tfl::BuiltinOptions2Union>(op.builtin_options_2(),
                                                           op.builtin_options_2_type());
      return o;
    }
    return std::monostate{};
  }
  switch (type) {
    case T::Conv2DOptions: {
      auto* o = op.builtin_options_as_Conv2DOptions();
      return Conv2DOptions{pad(o->padding()),
                           o->stride_w(),
                           o->stride_h(),
                           act(o->fused_activation_function()),
                           o->dilation_w_factor(),
                           o->dilation_h_factor(),
                           dt(o->quantized_bias_type())};
    }
    case T::DepthwiseConv2DOptions: {
      auto* o = op.builtin_options_as_DepthwiseConv2DOptions();
      return DepthwiseConv2DOptions{pad(o->padding()),
                                    o->stride_w(),
                                    o->stride_h(),
                                    o->depth_multiplier(),
                                    act(o->fused_activation_function()),
                                    o->dilation_w_factor(),
                                    o->dilation_h_factor()};
    }
    case T::TransposeConvOptions: {
      auto* o = op.builtin_options_as_TransposeConvOptions();
      return TransposeConvOptions{pad(o->padding()), o->stride_w(), o->stride_h(),
                                  act(o->fused_activation_function()),
                                  dt(o->quantized_bias_type())};
    }
    case T::Pool2DOptions: {
      auto* o = op.builtin_options_as_Pool2DOptions();
      return Pool2DOptions{pad(o->padding()),  o->stride_w(),
                           o->stride_h(),      o->filter_width(),
                           o->filter_height(), act(o->fused_activation_function())};
    }
    case T::FullyConnectedOptions: {
      auto* o = op.builtin_options_as_FullyConnectedOptions();
      return FullyConnectedOptions{act(o->fused_activation_function()),
                                   static_cast<uint8_t>(o->weights_format()), o->keep_num_dims(),
                                   o->asymmetric_quantize_inputs(), dt(o->quantized_bias_type())};
    }
    case T::SoftmaxOptions:
      return SoftmaxOptions{op.builtin_options_as_SoftmaxOptions()->beta()};
    case T::ConcatenationOptions: {
      auto* o = op.builtin_options_as_ConcatenationOptions();
      return ConcatenationOptions{o->axis(), act(o->fused_activation_function())};
    }
    case T::AddOptions: {
      auto* o = op.builtin_options_as_AddOptions();
      if (is(B::kAdd))
        return AddSubOptions{act(o->fused_activation_function()), o->pot_scale_int16()};
      break;
    }
    case T::SubOptions: {
      auto* o = op.builtin_options_as_SubOptions();
      if (is(B::kSub))
        return AddSubOptions{act(o->fused_activation_function()), o->pot_scale_int16()};
      break;
    }
    case T::MulOptions:
      if (is(B::kMul))
        return MulDivOptions{act(op.builtin_options_as_MulOptions()->fused_activation_function())};
      break;
    case T::DivOptions:
      if (is(B::kDiv))
        return MulDivOptions{act(op.builtin_options_as_DivOptions()->fused_activation_function())};
      break;
    case T::ReshapeOptions: {
      auto* o = op.builtin_options_as_ReshapeOptions();
      ReshapeOptions r;
      if (o->new_shape() != nullptr) r.new_shape = to_vector<int32_t>(o->new_shape());
      return r;
    }
    case T::SqueezeOptions:
      return SqueezeOptions{
          to_vector<int32_t>(op.builtin_options_as_SqueezeOptions()->squeeze_dims())};
    case T::StridedSliceOptions: {
      auto* o = op.builtin_options_as_StridedSliceOptions();
      return StridedSliceOptions{o->begin_mask(),    o->end_mask(),         o->ellipsis_mask(),
                                 o->new_axis_mask(), o->shrink_axis_mask(), o->offset()};
    }
    case T::SplitOptions:
      if (is(B::kSplit)) return SplitOptions{op.builtin_options_as_SplitOptions()->num_splits()};
      break;
    case T::SplitVOptions:
      if (is(B::kSplitV)) return SplitOptions{op.builtin_options_as_SplitVOptions()->num_splits()};
      break;
    case T::ResizeBilinearOptions: {
      auto* o = op.builtin_options_as_ResizeBilinearOptions();
      if (is(B::kResizeBilinear)) return ResizeOptions{o->align_corners(), o->half_pixel_centers()};
      break;
    }
    case T::ResizeNearestNeighborOptions: {
      auto* o = op.builtin_options_as_ResizeNearestNeighborOptions();
      if (is(B::kResizeNearestNeighbor))
        return ResizeOptions{o->align_corners(), o->half_pixel_centers()};
      break;
    }
    case T::ArgMaxOptions:
      if (is(B::kArgMax))
        return ArgMinMaxOptions{dt(op.builtin_options_as_ArgMaxOptions()->output_type())};
      break;
    case T::ArgMinOptions:
      if (is(B::kArgMin))
        return ArgMinMaxOptions{dt(op.builtin_options_as_ArgMinOptions()->output_type())};
      break;
    case T::ReducerOptions:
      return ReducerOptions{op.builtin_options_as_ReducerOptions()->keep_dims()};
    case T::PackOptions: {
      auto* o = op.builtin_options_as_PackOptions();
      return PackOptions{o->values_count(), o->axis()};
    }
    case T::UnpackOptions: {
      auto* o = op.builtin_options_as_UnpackOptions();
      return UnpackOptions{o->num(), o->axis()};
    }
    case T::GatherOptions: {
      auto* o = op.builtin_options_as_GatherOptions();
      return GatherOptions{o->axis(), o->batch_dims()};
    }
    case T::CastOptions: {
      auto* o = op.builtin_options_as_CastOptions();
      return CastOptions{dt(o->in_data_type()), dt(o->out_data_type())};
    }
    case T::LeakyReluOptions:
      return LeakyReluOptions{op.builtin_options_as_LeakyReluOptions()->alpha()};
    case T::SpaceToDepthOptions:
      if (is(B::kSpaceToDepth))
        return BlockSizeOptions{op.builtin_options_as_SpaceToDepthOptions()->block_size()};
      break;
    case T::DepthToSpaceOptions:
      if (is(B::kDepthToSpace))
        return BlockSizeOptions{op.builtin_options_as_DepthToSpaceOptions()->block_size()};
      break;
    case T::LSTMOptions: {
      auto* o = op.builtin_options_as_LSTMOptions();
      return LstmOptions{act(o->fused_activation_function()), o->cell_clip(), o->proj_clip(),
                         static_cast<uint8_t>(o->kernel_type()), o->asymmetric_quantize_inputs()};
    }
    case T::UnidirectionalSequenceLSTMOptions: {
      auto* o = op.builtin_options_as_UnidirectionalSequenceLSTMOptions();
      return SequenceLstmOptions{act(o->fused_activation_function()),
                                 o->cell_clip(),
                                 o->proj_clip(),
                                 o->time_major(),
                                 o->asymmetric_quantize_inputs(),
                                 o->diagonal_recurrent_tensors()};
    }
    case T::BatchMatMulOptions: {
      auto* o = op.builtin_options_as_BatchMatMulOptions();
      return BatchMatMulOptions{o->adj_x(), o->adj_y(), o->asymmetric_quantize_inputs()};
    }
    case T::MirrorPadOptions:
      return MirrorPadOptions{
          static_cast<uint8_t>(op.builtin_options_as_MirrorPadOptions()->mode())};
    case T::ShapeOptions:
      return ShapeOptions{dt(op.builtin_options_as_ShapeOptions()->out_type())};
    default:
      break;
  }
  // Not modelled (or an unusual pairing of op and table): keep the table itself.
  OtherOptions o;
  o.table = static_cast<uint8_t>(type);
  o.flatbuffer = keep_table<tfl::BuiltinOptionsUnion>(table, type);
  return o;
}

class Reader {
 public:
  Reader(std::span<const uint8_t> file, std::string name, std::shared_ptr<const void> keepalive)
      : file_(file), name_(std::move(name)), keepalive_(std::move(keepalive)) {}

  Graph read() {
    check_envelope();
    const tfl::Model* m = tfl::GetModel(file_.data());
    Graph g;
    g.version = m->version();
    if (m->description()) g.description = m->description()->str();
    read_buffers(*m);
    read_opcodes(*m);
    if (m->subgraphs() == nullptr || m->subgraphs()->size() == 0) fail("model has no subgraphs");
    for (uint32_t s = 0; s < m->subgraphs()->size(); ++s)
      g.subgraphs.push_back(read_subgraph(*m->subgraphs()->Get(s), s));
    if (m->metadata()) {
      for (uint32_t i = 0; i < m->metadata()->size(); ++i) {
        const auto* md = m->metadata()->Get(i);
        Metadata out;
        if (md->name()) out.name = md->name()->str();
        out.data = buffer(md->buffer(), fmt::format("metadata {}", i));
        g.metadata.push_back(std::move(out));
      }
    }
    if (m->signature_defs()) {
      for (uint32_t i = 0; i < m->signature_defs()->size(); ++i)
        g.signatures.push_back(read_signature(*m->signature_defs()->Get(i), g, i));
    }
    check_graph(g, name_);
    return g;
  }

 private:
  [[noreturn]] void fail(const std::string& what, const std::string& where = {}) const {
    throw ModelError(name_, what, where);
  }

  void check_envelope() {
    if (file_.empty()) fail("file is empty");
    if (file_.size() < 8)
      fail(fmt::format("file is too short to be a TFLite model ({} bytes)", file_.size()));
    if (file_.size() >= std::numeric_limits<flatbuffers::uoffset_t>::max() / 2)
      fail("files over 2 GB are not supported");
    if (!flatbuffers::BufferHasIdentifier(file_.data(), tfl::ModelIdentifier())) {
      std::string id;
      for (size_t i = 4; i < 8; ++i) {
        char c = static_cast<char>(file_[i]);
        id += (c >= 32 && c < 127) ? std::string(1, c) : fmt::format("\\x{:02x}", file_[i]);
      }
      fail(fmt::format("not a TFLite model: file identifier is \"{}\", expected \"TFL3\"", id));
    }
    flatbuffers::Verifier::Options opts;
    opts.max_depth = 64;
    opts.max_tables = 10'000'000;
    flatbuffers::Verifier v(file_.data(), file_.size(), opts);
    if (!tfl::VerifyModelBuffer(v))
      fail("corrupt or truncated flatbuffer (the FlatBuffers verifier rejected it)");
  }

  void read_buffers(const tfl::Model& m) {
    if (m.buffers() == nullptr) return;
    buffers_.reserve(m.buffers()->size());
    for (uint32_t i = 0; i < m.buffers()->size(); ++i) {
      const tfl::Buffer* b = m.buffers()->Get(i);
      std::span<const uint8_t> data;
      if (b->offset() > 1) {
        // Data stored after the flatbuffer (files over 2 GB use this).
        if (b->offset() > file_.size() || b->size() > file_.size() - b->offset())
          fail(fmt::format("buffer {} ({} bytes at offset {}) overruns the file ({} bytes)", i,
                           b->size(), b->offset(), file_.size()));
        data = file_.subspan(b->offset(), b->size());
      } else if (b->data() != nullptr) {
        data = {b->data()->data(), b->data()->size()};
      }
      buffers_.push_back(data);
    }
  }

  Bytes buffer(uint32_t index, const std::string& user) const {
    if (index == 0)
      return {};  // the sentinel: "no data", valid even when the model lists no buffers
    if (index >= buffers_.size())
      fail(fmt::format("{} uses buffer {} but the model has {}", user, index, buffers_.size()));
    auto s = buffers_[index];
    if (s.empty()) return {};
    // Kernels read constant data as int32/float/int64 in place; the verifier does not check a
    // buffer's 16-byte force_align, so data stored elsewhere is copied (copies are aligned).
    const bool aligned = reinterpret_cast<uintptr_t>(s.data()) % kDataAlignment == 0;
    return keepalive_ && aligned ? Bytes::view(s, keepalive_) : Bytes::copy(s);
  }

  void read_opcodes(const tfl::Model& m) {
    if (m.operator_codes() == nullptr) return;
    for (uint32_t i = 0; i < m.operator_codes()->size(); ++i) {
      const tfl::OperatorCode* c = m.operator_codes()->Get(i);
      // Old files only set the one-byte code; newer ones set both (the larger wins).
      int32_t code = std::max(static_cast<int32_t>(c->deprecated_builtin_code()),
                              static_cast<int32_t>(c->builtin_code()));
      opcodes_.push_back(
          {code, c->custom_code() ? c->custom_code()->str() : std::string(), c->version()});
    }
  }

  Tensor read_tensor(const tfl::Tensor& t, uint32_t s, uint32_t i) {
    Tensor out;
    auto where = [&] { return fmt::format("subgraph {}, tensor {}", s, i); };
    if (t.name()) out.name = t.name()->str();
    if (!dtype_known(static_cast<int>(t.type())))
      fail(fmt::format("unknown tensor type {}", static_cast<int>(t.type())), where());
    out.dtype = dt(t.type());
    out.shape = to_vector<int32_t>(t.shape());
    out.shape_signature = to_vector<int32_t>(t.shape_signature());
    out.is_variable = t.is_variable();
    out.has_rank = t.has_rank();
    out.data = buffer(t.buffer(), fmt::format("tensor {} \"{}\"", i, out.name));
    if (const auto* q = t.quantization()) {
      out.quant.scale = to_vector<float>(q->scale());
      out.quant.zero_point = to_vector<int64_t>(q->zero_point());
      out.quant.min = to_vector<float>(q->min());
      out.quant.max = to_vector<float>(q->max());
      out.quant.axis = q->quantized_dimension();
      if (const auto* cq = q->details_as_CustomQuantization(); cq && cq->custom())
        out.quant.custom = Bytes::copy({cq->custom()->data(), cq->custom()->size()});
    }
    if (t.sparsity() != nullptr) {
      flatbuffers::FlatBufferBuilder fbb(256);
      std::unique_ptr<tfl::SparsityParametersT> native(t.sparsity()->UnPack());
      fbb.Finish(tfl::SparsityParameters::Pack(fbb, native.get()));
      out.sparsity = Bytes::copy({fbb.GetBufferPointer(), fbb.GetSize()});
    }
    if (t.variant_tensors() != nullptr && t.variant_tensors()->size() > 0)
      fail("variant tensors are not supported", where());
    return out;
  }

  Op read_op(const tfl::Operator& o, uint32_t s, uint32_t i) {
    auto where = [&] { return fmt::format("subgraph {}, op {}", s, i); };
    if (o.opcode_index() >= opcodes_.size())
      fail(fmt::format("op uses operator code {} but the model has {}", o.opcode_index(),
                       opcodes_.size()),
           where());
    const OpCodeEntry& c = opcodes_[o.opcode_index()];
    Op op;
    op.code = c.code;
    op.custom_name = c.custom;
    op.version = c.version;
    op.inputs = to_vector<int32_t>(o.inputs());
    op.outputs = to_vector<int32_t>(o.outputs());
    op.intermediates = to_vector<int32_t>(o.intermediates());
    if (o.mutating_variable_inputs())
      for (auto b : *o.mutating_variable_inputs()) op.mutating_variable_inputs.push_back(b != 0);
    if (o.large_custom_options_offset() > 1) {
      uint64_t off = o.large_custom_options_offset(), size = o.large_custom_options_size();
      if (off > file_.size() || size > file_.size() - off)
        fail(fmt::format("custom options ({} bytes at offset {}) overrun the file", size, off),
             where());
      op.custom_options = Bytes::copy(file_.subspan(off, size));
    } else if (o.custom_options() != nullptr) {
      std::span<const uint8_t> s2{o.custom_options()->data(), o.custom_options()->size()};
      op.custom_options = keepalive_ ? Bytes::view(s2, keepalive_) : Bytes::copy(s2);
    }
    if (o.custom_options_format() != tfl::CustomOptionsFormat::FLEXBUFFERS)
      fail("unknown custom options format", where());
    op.options = convert_options(o, op.code);
    return op;
  }

  Subgraph read_subgraph(const tfl::SubGraph& sg, uint32_t s) {
    Subgraph out;
    if (sg.name()) out.name = sg.name()->str();
    if (sg.tensors())
      for (uint32_t i = 0; i < sg.tensors()->size(); ++i)
        out.tensors.push_back(read_tensor(*sg.tensors()->Get(i), s, i));
    if (sg.operators())
      for (uint32_t i = 0; i < sg.operators()->size(); ++i)
        out.ops.push_back(read_op(*sg.operators()->Get(i), s, i));
    out.inputs = to_vector<int32_t>(sg.inputs());
    out.outputs = to_vector<int32_t>(sg.outputs());
    return out;
  }

  Signature read_signature(const tfl::SignatureDef& sd, const Graph& g, uint32_t i) {
    Signature out;
    if (sd.signature_key()) out.key = sd.signature_key()->str();
    out.subgraph = sd.subgraph_index();
    if (out.subgraph >= g.subgraphs.size())
      fail(fmt::format("signature {} names subgraph {} but the model has {}", i, out.subgraph,
                       g.subgraphs.size()));
    auto maps = [&](const Vector<flatbuffers::Offset<tfl::TensorMap>>* v) {
      std::vector<SignatureTensor> r;
      if (v == nullptr) return r;
      for (const auto* tm : *v) {
        SignatureTensor st{tm->name() ? tm->name()->str() : std::string(), tm->tensor_index()};
        if (st.tensor >= g.subgraphs[out.subgraph].tensors.size())
          fail(fmt::format("signature \"{}\" names tensor {} which does not exist", out.key,
                           st.tensor));
        r.push_back(std::move(st));
      }
      return r;
    };
    out.inputs = maps(sd.inputs());
    out.outputs = maps(sd.outputs());
    return out;
  }

  struct OpCodeEntry {
    int32_t code;
    std::string custom;
    int32_t version;
  };

  std::span<const uint8_t> file_;
  std::string name_;
  std::shared_ptr<const void> keepalive_;
  std::vector<std::span<const uint8_t>> buffers_;
  std::vector<OpCodeEntry> opcodes_;
};

}  // namespace

Graph read_tflite_bytes(std::span<const uint8_t> bytes, const std::string& name,
                        std::shared_ptr<const void> keepalive) {
  // The verifier checks the alignment of 8-byte fields relative to the buffer's start, which
  // guarantees nothing when the start itself is misaligned: read from an aligned copy then.
  if (reinterpret_cast<uintptr_t>(bytes.data()) % kDataAlignment != 0) {
    auto copy = std::make_shared<const Bytes>(Bytes::copy(bytes));
    return Reader(copy->span(), name, copy).read();
  }
  return Reader(bytes, name, std::move(keepalive)).read();
}

Graph read_tflite(const std::string& path) {
  auto file =
      std::make_shared<const std::vector<uint8_t>>(read_file(path, file_limits::kModel, "model"));
  return read_tflite_bytes(*file, path, file);
}

}  // namespace tpulab
