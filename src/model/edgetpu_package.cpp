#include "model/edgetpu_package.h"

#include <fmt/format.h>
#include <flatbuffers/flexbuffers.h>

#include <algorithm>
#include <cstdint>

#include "common/error.h"
#include "schema/edgetpu_package_generated.h"

namespace tpulab {

std::string executable_type_name(ExecutableType t) {
  switch (t) {
    case ExecutableType::kStandalone: return "stand-alone";
    case ExecutableType::kParameterCaching: return "parameter-caching";
    case ExecutableType::kExecutionOnly: return "execution-only";
  }
  return fmt::format("type-{}", static_cast<int>(t));
}

int64_t EdgeTpuPackage::cached_parameter_bytes() const {
  int64_t n = 0;
  for (const auto& e : executables)
    if (e.type == ExecutableType::kParameterCaching) n += e.parameter_bytes;
  return n;
}

int64_t EdgeTpuPackage::streamed_parameter_bytes() const {
  int64_t n = 0;
  for (const auto& e : executables)
    if (e.type != ExecutableType::kParameterCaching) n += e.parameter_bytes;
  return n;
}

int64_t EdgeTpuPackage::instruction_bytes() const {
  int64_t n = 0;
  for (const auto& e : executables) n += e.instruction_bytes;
  return n;
}

uint64_t EdgeTpuPackage::caching_token() const {
  for (const auto& e : executables)
    if (e.type == ExecutableType::kParameterCaching) return e.caching_token;
  return 0;
}

const EdgeTpuExecutable* EdgeTpuPackage::runner() const {
  for (const auto& e : executables)
    if (e.type == ExecutableType::kExecutionOnly) return &e;
  for (const auto& e : executables)
    if (e.type == ExecutableType::kStandalone) return &e;
  return nullptr;
}

namespace {

[[noreturn]] void throw_model_error(const std::string& file, const std::string& what, const std::string& where) {
  throw ModelError(file, what, where);
}

// FlatBuffers reads 4- and 8-byte fields in place, but a buffer nested in a FlexBuffer blob or a
// byte vector need not be 8-byte aligned: such buffers are read from an aligned copy.
class AlignedBytes {
 public:
  explicit AlignedBytes(std::span<const uint8_t> bytes) {
    if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(uint64_t) == 0) {
      view_ = bytes;
      return;
    }
    // Packages live inside model files, which are under 2 GB.
    if (bytes.size() >= (size_t{1} << 31)) throw ModelError("", "Edge TPU package is over 2 GB");
    storage_.resize((bytes.size() + sizeof(uint64_t) - 1) / sizeof(uint64_t));
    std::copy(bytes.begin(), bytes.end(), reinterpret_cast<uint8_t*>(storage_.data()));
    view_ = {reinterpret_cast<const uint8_t*>(storage_.data()), bytes.size()};
  }
  std::span<const uint8_t> bytes() const { return view_; }

 private:
  std::vector<uint64_t> storage_;
  std::span<const uint8_t> view_;
};

template <typename Root>
bool verify(std::span<const uint8_t> bytes) {
  flatbuffers::Verifier v(bytes.data(), bytes.size());
  return v.VerifyBuffer<Root>(nullptr);
}

std::vector<EdgeTpuLayer> layers(const flatbuffers::Vector<flatbuffers::Offset<etpu::Layer>>* v) {
  std::vector<EdgeTpuLayer> out;
  if (v == nullptr) return out;
  for (const auto* l : *v) out.push_back({l->name() ? l->name()->str() : std::string(), l->size_bytes()});
  return out;
}

}  // namespace

EdgeTpuPackage parse_edgetpu_package(std::span<const uint8_t> options, const std::string& file,
                                     const std::string& where) {
  auto fail = [&](const std::string& what) { throw_model_error(file, what, where); };
  if (options.empty()) fail("edgetpu-custom-op has no custom options");
  std::vector<uint8_t> reuse;
  if (!flexbuffers::VerifyBuffer(options.data(), options.size(), &reuse))
    fail("edgetpu-custom-op options are not a valid FlexBuffer");
  auto root = flexbuffers::GetRoot(options.data(), options.size());
  if (!root.IsMap()) fail("edgetpu-custom-op options are not a FlexBuffer map");
  auto entry = root.AsMap()["4"];
  if (!entry.IsBlob() && !entry.IsString()) fail("edgetpu-custom-op options have no package (key \"4\")");
  std::span<const uint8_t> raw;
  if (entry.IsBlob()) {
    auto blob = entry.AsBlob();
    raw = {blob.data(), blob.size()};
  } else {
    auto s = entry.AsString();
    raw = {reinterpret_cast<const uint8_t*>(s.c_str()), s.size()};
  }
  const AlignedBytes pkg_copy(raw);
  const std::span<const uint8_t> pkg = pkg_copy.bytes();
  if (pkg.size() < 8 || !flatbuffers::BufferHasIdentifier(pkg.data(), etpu::PackageIdentifier()))
    fail("Edge TPU package lacks its \"DWN1\" identifier");
  if (!verify<etpu::Package>(pkg)) fail("Edge TPU package is corrupt (verifier rejected it)");
  const auto* package = flatbuffers::GetRoot<etpu::Package>(pkg.data());
  const auto* multi_bytes = package->serialized_multi_executable();
  if (multi_bytes == nullptr) fail("Edge TPU package has no executables");
  const AlignedBytes multi_copy({multi_bytes->data(), multi_bytes->size()});
  const std::span<const uint8_t> multi = multi_copy.bytes();
  if (!verify<etpu::MultiExecutable>(multi)) fail("Edge TPU executable list is corrupt");
  const auto* list = flatbuffers::GetRoot<etpu::MultiExecutable>(multi.data())->serialized_executables();
  EdgeTpuPackage out;
  if (list == nullptr) return out;
  for (uint32_t i = 0; i < list->size(); ++i) {
    const auto* s = list->Get(i);
    const AlignedBytes exe_copy({reinterpret_cast<const uint8_t*>(s->data()), s->size()});
    const std::span<const uint8_t> exe_bytes = exe_copy.bytes();
    if (!verify<etpu::Executable>(exe_bytes)) fail(fmt::format("Edge TPU executable {} is corrupt", i));
    const auto* exe = flatbuffers::GetRoot<etpu::Executable>(exe_bytes.data());
    EdgeTpuExecutable e;
    e.type = static_cast<ExecutableType>(exe->type());
    e.parameter_bytes = exe->parameters() ? exe->parameters()->size() : 0;
    if (exe->instruction_bitstreams())
      for (const auto* b : *exe->instruction_bitstreams())
        e.instruction_bytes += b->bitstream() ? b->bitstream()->size() : 0;
    e.scratch_bytes = exe->scratch_size_bytes();
    e.narrow_memory_bytes_per_tile = exe->used_narrow_memory_bytes_per_tile();
    e.caching_token = exe->parameter_caching_token();
    e.inputs = layers(exe->input_layers());
    e.outputs = layers(exe->output_layers());
    out.executables.push_back(std::move(e));
  }
  return out;
}

std::vector<EdgeTpuOp> edgetpu_ops(const Graph& graph, const std::string& file) {
  std::vector<EdgeTpuOp> out;
  const Subgraph& sg = graph.main();
  for (size_t i = 0; i < sg.ops.size(); ++i) {
    const Op& op = sg.ops[i];
    if (!op.is_custom() || op.custom_name != kEdgeTpuCustomOp) continue;
    out.push_back({static_cast<int32_t>(i),
                   parse_edgetpu_package(op.custom_options.span(), file, fmt::format("op {}", i))});
  }
  return out;
}

}  // namespace tpulab
