// Graph -> .tflite. Produces the layout TFLite's own converter produces: buffer 0 is the empty
// sentinel, buffer data is 16-byte aligned, operator codes are de-duplicated.
#include <fmt/format.h>

#include <map>
#include <tuple>

#include "common/error.h"
#include "common/file_io.h"
#include "model/tflite.h"
#include "schema/tflite_generated.h"

namespace tpulab {

namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

tfl::ActivationFunctionType act(Activation a) {
  return static_cast<tfl::ActivationFunctionType>(a);
}
tfl::Padding pad(Padding p) { return static_cast<tfl::Padding>(p); }
tfl::TensorType dt(DType t) { return static_cast<tfl::TensorType>(t); }

template <typename Union, typename Enum>
Offset<void> copy_table(FlatBufferBuilder& fbb, const Bytes& standalone, Enum type) {
  Union u;
  u.type = type;
  u.value =
      Union::UnPack(flatbuffers::GetRoot<flatbuffers::Table>(standalone.data()), type, nullptr);
  return u.Pack(fbb);
}

struct OptionsOut {
  tfl::BuiltinOptions type = tfl::BuiltinOptions::NONE;
  Offset<void> table;
  tfl::BuiltinOptions2 type2 = tfl::BuiltinOptions2::NONE;
  Offset<void> table2;
};

constexpr size_t kMaxFileBytes = size_t{1} << 31;

class Writer {
 public:
  explicit Writer(const Graph& g) : g_(g) {
    size_t data = 0;
    for (const auto& sg : g.subgraphs)
      for (const auto& t : sg.tensors) data += t.data.size() + 16;
    for (const auto& md : g.metadata) data += md.data.size() + 16;
    // FlatBuffers offsets are 32-bit: past 2 GiB they wrap and the file is silently corrupt, so
    // refuse before building anything.
    if (data >= kMaxFileBytes)
      throw ModelError("",
                       fmt::format("the model holds {} bytes of constant data, more than the 2 GiB "
                                   "a TFLite file can hold",
                                   data));
    fbb_ = std::make_unique<FlatBufferBuilder>(std::max<size_t>(data + (1 << 16), 1 << 20));
  }

  std::vector<uint8_t> write() {
    buffers_.push_back(tfl::CreateBuffer(*fbb_));  // the empty sentinel
    std::vector<Offset<tfl::SubGraph>> subgraphs;
    for (size_t s = 0; s < g_.subgraphs.size(); ++s)
      subgraphs.push_back(write_subgraph(g_.subgraphs[s], s));
    std::vector<Offset<tfl::Metadata>> metadata;
    for (const auto& md : g_.metadata)
      metadata.push_back(tfl::CreateMetadataDirect(*fbb_, md.name.c_str(), add_buffer(md.data)));
    std::vector<Offset<tfl::SignatureDef>> sigs;
    for (const auto& sig : g_.signatures) {
      auto maps = [&](const std::vector<SignatureTensor>& v) {
        std::vector<Offset<tfl::TensorMap>> r;
        for (const auto& st : v)
          r.push_back(tfl::CreateTensorMapDirect(*fbb_, st.name.c_str(), st.tensor));
        return r;
      };
      auto in = maps(sig.inputs), out = maps(sig.outputs);
      sigs.push_back(
          tfl::CreateSignatureDefDirect(*fbb_, &in, &out, sig.key.c_str(), sig.subgraph));
    }
    std::vector<Offset<tfl::OperatorCode>> codes;
    for (const auto& c : opcodes_) {
      auto dep = static_cast<int8_t>(std::min<int32_t>(c.code, 127));
      codes.push_back(
          tfl::CreateOperatorCodeDirect(*fbb_, dep, c.custom.empty() ? nullptr : c.custom.c_str(),
                                        c.version, static_cast<tfl::BuiltinOperator>(c.code)));
    }
    auto model = tfl::CreateModelDirect(*fbb_, g_.version, &codes, &subgraphs,
                                        g_.description.empty() ? nullptr : g_.description.c_str(),
                                        &buffers_, nullptr, metadata.empty() ? nullptr : &metadata,
                                        sigs.empty() ? nullptr : &sigs);
    tfl::FinishModelBuffer(*fbb_, model);
    if (fbb_->GetSize() >= kMaxFileBytes)
      throw ModelError("", "model is over 2 GB, which tpulab cannot write");
    return {fbb_->GetBufferPointer(), fbb_->GetBufferPointer() + fbb_->GetSize()};
  }

 private:
  uint32_t add_buffer(const Bytes& data) {
    if (data.empty()) return 0;
    // Tensors that shared one buffer in the source keep sharing it.
    for (const auto& [bytes, index] : written_)
      if (bytes.same_storage(data)) return index;
    fbb_->ForceVectorAlignment(data.size(), 1, 16);
    auto vec = fbb_->CreateVector(data.data(), data.size());
    buffers_.push_back(tfl::CreateBuffer(*fbb_, vec));
    auto index = static_cast<uint32_t>(buffers_.size() - 1);
    written_.emplace_back(data, index);
    return index;
  }

  uint32_t opcode_index(const Op& op) {
    auto key = std::make_tuple(op.code, op.custom_name, op.version);
    auto it = opcode_index_.find(key);
    if (it != opcode_index_.end()) return it->second;
    opcodes_.push_back({op.code, op.custom_name, op.version});
    auto index = static_cast<uint32_t>(opcodes_.size() - 1);
    opcode_index_.emplace(key, index);
    return index;
  }

  Offset<tfl::Tensor> write_tensor(const Tensor& t) {
    auto& fbb = *fbb_;
    uint32_t buffer = add_buffer(t.data);
    Offset<tfl::QuantizationParameters> q;
    if (!t.quant.empty()) {
      Offset<void> details;
      auto details_type = tfl::QuantizationDetails::NONE;
      if (!t.quant.custom.empty()) {
        fbb.ForceVectorAlignment(t.quant.custom.size(), 1, 16);
        auto custom = fbb.CreateVector(t.quant.custom.data(), t.quant.custom.size());
        details = tfl::CreateCustomQuantization(fbb, custom).Union();
        details_type = tfl::QuantizationDetails::CustomQuantization;
      }
      auto vec_or_null = [&](const auto& v) {
        return v.empty() ? decltype(fbb.CreateVector(v)){} : fbb.CreateVector(v);
      };
      q = tfl::CreateQuantizationParameters(
          fbb, vec_or_null(t.quant.min), vec_or_null(t.quant.max), vec_or_null(t.quant.scale),
          vec_or_null(t.quant.zero_point), details_type, details, t.quant.axis);
    }
    Offset<tfl::SparsityParameters> sparsity;
    if (!t.sparsity.empty()) {
      std::unique_ptr<tfl::SparsityParametersT> native(
          flatbuffers::GetRoot<tfl::SparsityParameters>(t.sparsity.data())->UnPack());
      sparsity = tfl::SparsityParameters::Pack(fbb, native.get());
    }
    auto shape = fbb.CreateVector(t.shape);
    Offset<flatbuffers::Vector<int32_t>> signature;
    if (!t.shape_signature.empty()) signature = fbb.CreateVector(t.shape_signature);
    auto name = fbb.CreateString(t.name);
    return tfl::CreateTensor(fbb, shape, dt(t.dtype), buffer, name, q, t.is_variable, sparsity,
                             signature, t.has_rank);
  }

  OptionsOut write_options(const Op& op, const std::string& where) {
    auto& fbb = *fbb_;
    using T = tfl::BuiltinOptions;
    OptionsOut out;
    auto set = [&](T type, auto offset) {
      out.type = type;
      out.table = offset.Union();
    };
    auto is = [&](BuiltinOp b) { return op.is(b); };
    std::visit(
        [&](const auto& o) {
          using O = std::decay_t<decltype(o)>;
          if constexpr (std::is_same_v<O, std::monostate>) {
          } else if constexpr (std::is_same_v<O, Conv2DOptions>) {
            set(T::Conv2DOptions,
                tfl::CreateConv2DOptions(fbb, pad(o.padding), o.stride_w, o.stride_h,
                                         act(o.activation), o.dilation_w, o.dilation_h,
                                         dt(o.quantized_bias_type)));
          } else if constexpr (std::is_same_v<O, DepthwiseConv2DOptions>) {
            set(T::DepthwiseConv2DOptions,
                tfl::CreateDepthwiseConv2DOptions(fbb, pad(o.padding), o.stride_w, o.stride_h,
                                                  o.depth_multiplier, act(o.activation),
                                                  o.dilation_w, o.dilation_h));
          } else if constexpr (std::is_same_v<O, TransposeConvOptions>) {
            set(T::TransposeConvOptions,
                tfl::CreateTransposeConvOptions(fbb, pad(o.padding), o.stride_w, o.stride_h,
                                                act(o.activation), dt(o.quantized_bias_type)));
          } else if constexpr (std::is_same_v<O, Pool2DOptions>) {
            set(T::Pool2DOptions,
                tfl::CreatePool2DOptions(fbb, pad(o.padding), o.stride_w, o.stride_h, o.filter_w,
                                         o.filter_h, act(o.activation)));
          } else if constexpr (std::is_same_v<O, FullyConnectedOptions>) {
            set(T::FullyConnectedOptions,
                tfl::CreateFullyConnectedOptions(
                    fbb, act(o.activation),
                    static_cast<tfl::FullyConnectedOptionsWeightsFormat>(o.weights_format),
                    o.keep_num_dims, o.asymmetric_quantize_inputs, dt(o.quantized_bias_type)));
          } else if constexpr (std::is_same_v<O, SoftmaxOptions>) {
            set(T::SoftmaxOptions, tfl::CreateSoftmaxOptions(fbb, o.beta));
          } else if constexpr (std::is_same_v<O, ConcatenationOptions>) {
            set(T::ConcatenationOptions,
                tfl::CreateConcatenationOptions(fbb, o.axis, act(o.activation)));
          } else if constexpr (std::is_same_v<O, AddSubOptions>) {
            if (is(BuiltinOp::kSub))
              set(T::SubOptions, tfl::CreateSubOptions(fbb, act(o.activation), o.pot_scale_int16));
            else
              set(T::AddOptions, tfl::CreateAddOptions(fbb, act(o.activation), o.pot_scale_int16));
          } else if constexpr (std::is_same_v<O, MulDivOptions>) {
            if (is(BuiltinOp::kDiv))
              set(T::DivOptions, tfl::CreateDivOptions(fbb, act(o.activation)));
            else
              set(T::MulOptions, tfl::CreateMulOptions(fbb, act(o.activation)));
          } else if constexpr (std::is_same_v<O, ReshapeOptions>) {
            Offset<flatbuffers::Vector<int32_t>> v;
            if (o.new_shape) v = fbb.CreateVector(*o.new_shape);
            set(T::ReshapeOptions, tfl::CreateReshapeOptions(fbb, v));
          } else if constexpr (std::is_same_v<O, SqueezeOptions>) {
            set(T::SqueezeOptions,
                tfl::CreateSqueezeOptions(fbb, fbb.CreateVector(o.squeeze_dims)));
          } else if constexpr (std::is_same_v<O, StridedSliceOptions>) {
            set(T::StridedSliceOptions,
                tfl::CreateStridedSliceOptions(fbb, o.begin_mask, o.end_mask, o.ellipsis_mask,
                                               o.new_axis_mask, o.shrink_axis_mask, o.offset));
          } else if constexpr (std::is_same_v<O, SplitOptions>) {
            if (is(BuiltinOp::kSplitV))
              set(T::SplitVOptions, tfl::CreateSplitVOptions(fbb, o.num_splits));
            else
              set(T::SplitOptions, tfl::CreateSplitOptions(fbb, o.num_splits));
          } else if constexpr (std::is_same_v<O, ResizeOptions>) {
            if (is(BuiltinOp::kResizeNearestNeighbor))
              set(T::ResizeNearestNeighborOptions, tfl::CreateResizeNearestNeighborOptions(
                                                       fbb, o.align_corners, o.half_pixel_centers));
            else
              set(T::ResizeBilinearOptions,
                  tfl::CreateResizeBilinearOptions(fbb, o.align_corners, o.half_pixel_centers));
          } else if constexpr (std::is_same_v<O, ArgMinMaxOptions>) {
            if (is(BuiltinOp::kArgMin))
              set(T::ArgMinOptions, tfl::CreateArgMinOptions(fbb, dt(o.output_type)));
            else
              set(T::ArgMaxOptions, tfl::CreateArgMaxOptions(fbb, dt(o.output_type)));
          } else if constexpr (std::is_same_v<O, ReducerOptions>) {
            set(T::ReducerOptions, tfl::CreateReducerOptions(fbb, o.keep_dims));
          } else if constexpr (std::is_same_v<O, PackOptions>) {
            set(T::PackOptions, tfl::CreatePackOptions(fbb, o.values_count, o.axis));
          } else if constexpr (std::is_same_v<O, UnpackOptions>) {
            set(T::UnpackOptions, tfl::CreateUnpackOptions(fbb, o.num, o.axis));
          } else if constexpr (std::is_same_v<O, GatherOptions>) {
            set(T::GatherOptions, tfl::CreateGatherOptions(fbb, o.axis, o.batch_dims));
          } else if constexpr (std::is_same_v<O, CastOptions>) {
            set(T::CastOptions, tfl::CreateCastOptions(fbb, dt(o.in_type), dt(o.out_type)));
          } else if constexpr (std::is_same_v<O, LeakyReluOptions>) {
            set(T::LeakyReluOptions, tfl::CreateLeakyReluOptions(fbb, o.alpha));
          } else if constexpr (std::is_same_v<O, BlockSizeOptions>) {
            if (is(BuiltinOp::kDepthToSpace))
              set(T::DepthToSpaceOptions, tfl::CreateDepthToSpaceOptions(fbb, o.block_size));
            else
              set(T::SpaceToDepthOptions, tfl::CreateSpaceToDepthOptions(fbb, o.block_size));
          } else if constexpr (std::is_same_v<O, LstmOptions>) {
            set(T::LSTMOptions,
                tfl::CreateLSTMOptions(fbb, act(o.activation), o.cell_clip, o.proj_clip,
                                       static_cast<tfl::LSTMKernelType>(o.kernel_type),
                                       o.asymmetric_quantize_inputs));
          } else if constexpr (std::is_same_v<O, SequenceLstmOptions>) {
            set(T::UnidirectionalSequenceLSTMOptions,
                tfl::CreateUnidirectionalSequenceLSTMOptions(
                    fbb, act(o.activation), o.cell_clip, o.proj_clip, o.time_major,
                    o.asymmetric_quantize_inputs, o.diagonal_recurrent_tensors));
          } else if constexpr (std::is_same_v<O, BatchMatMulOptions>) {
            set(T::BatchMatMulOptions,
                tfl::CreateBatchMatMulOptions(fbb, o.adj_x, o.adj_y, o.asymmetric_quantize_inputs));
          } else if constexpr (std::is_same_v<O, MirrorPadOptions>) {
            set(T::MirrorPadOptions,
                tfl::CreateMirrorPadOptions(fbb, static_cast<tfl::MirrorPadMode>(o.mode)));
          } else if constexpr (std::is_same_v<O, ShapeOptions>) {
            set(T::ShapeOptions, tfl::CreateShapeOptions(fbb, dt(o.out_type)));
          } else if constexpr (std::is_same_v<O, OtherOptions>) {
            if (o.flatbuffer.empty())
              throw ModelError(
                  "",
                  fmt::format("option table #{} is unknown to tpulab and cannot be written",
                              o.table),
                  where);
            if (o.second_union) {
              out.type2 = static_cast<tfl::BuiltinOptions2>(o.table);
              out.table2 = copy_table<tfl::BuiltinOptions2Union>(fbb, o.flatbuffer, out.type2);
            } else {
              out.type = static_cast<T>(o.table);
              out.table = copy_table<tfl::BuiltinOptionsUnion>(fbb, o.flatbuffer, out.type);
            }
          }
        },
        op.options);
    return out;
  }

  Offset<tfl::Operator> write_op(const Op& op, const std::string& where) {
    auto& fbb = *fbb_;
    uint32_t opcode = opcode_index(op);
    OptionsOut opts = write_options(op, where);
    Offset<flatbuffers::Vector<uint8_t>> custom;
    if (!op.custom_options.empty())
      custom = fbb.CreateVector(op.custom_options.data(), op.custom_options.size());
    Offset<flatbuffers::Vector<uint8_t>> mutating;
    if (!op.mutating_variable_inputs.empty()) {
      std::vector<uint8_t> m(op.mutating_variable_inputs.begin(),
                             op.mutating_variable_inputs.end());
      mutating = fbb.CreateVector(m);
    }
    Offset<flatbuffers::Vector<int32_t>> intermediates;
    if (!op.intermediates.empty()) intermediates = fbb.CreateVector(op.intermediates);
    auto inputs = fbb.CreateVector(op.inputs);
    auto outputs = fbb.CreateVector(op.outputs);
    return tfl::CreateOperator(fbb, opcode, inputs, outputs, opts.type, opts.table, custom,
                               tfl::CustomOptionsFormat::FLEXBUFFERS, mutating, intermediates, 0, 0,
                               opts.type2, opts.table2);
  }

  Offset<tfl::SubGraph> write_subgraph(const Subgraph& sg, size_t s) {
    std::vector<Offset<tfl::Tensor>> tensors;
    tensors.reserve(sg.tensors.size());
    for (const auto& t : sg.tensors) tensors.push_back(write_tensor(t));
    std::vector<Offset<tfl::Operator>> ops;
    ops.reserve(sg.ops.size());
    for (size_t i = 0; i < sg.ops.size(); ++i)
      ops.push_back(write_op(sg.ops[i], fmt::format("subgraph {}, op {}", s, i)));
    return tfl::CreateSubGraphDirect(*fbb_, &tensors, &sg.inputs, &sg.outputs, &ops,
                                     sg.name.empty() ? nullptr : sg.name.c_str());
  }

  struct OpCodeEntry {
    int32_t code;
    std::string custom;
    int32_t version;
  };

  const Graph& g_;
  std::unique_ptr<FlatBufferBuilder> fbb_;
  std::vector<Offset<tfl::Buffer>> buffers_;
  std::vector<std::pair<Bytes, uint32_t>> written_;
  std::vector<OpCodeEntry> opcodes_;
  std::map<std::tuple<int32_t, std::string, int32_t>, uint32_t> opcode_index_;
};

}  // namespace

std::vector<uint8_t> write_tflite(const Graph& graph) { return Writer(graph).write(); }

void write_tflite_file(const Graph& graph, const std::string& path) {
  auto bytes = write_tflite(graph);
  write_file_atomic(path, bytes);
}

}  // namespace tpulab
