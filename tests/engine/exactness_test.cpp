// Bit-exactness against TensorFlow Lite's built-in kernels (the oracle, XNNPACK disabled): every
// shared CPU model on seeded random inputs and, where the input is an image, on the shared
// images, with both kernel sets. Plus the fashion CNN the eval benchmark uses.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <random>

#include "common/error.h"
#include "data/image.h"
#include "engine/interpreter.h"
#include "engine/thread_pool.h"
#include "model/tflite.h"
#include "testing/fashion_cnn.h"
#include "testing/oracle.h"
#include "testing/sanitizers.h"
#include "testing/testing.h"

namespace tpulab::engine {
namespace {

namespace fs = std::filesystem;

// Every shared CPU model must run: compiled (*_edgetpu) models and invalid/ are the only ones left
// out.
std::vector<fs::path> cpu_models() {
  std::vector<fs::path> out;
  for (const fs::path& p : testing::shared_models(false))
    if (p.stem().string().find("_edgetpu") == std::string::npos) out.push_back(p);
  return out;
}

std::vector<std::vector<uint8_t>> random_inputs(Interpreter& in, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<uint8_t>> inputs;
  for (size_t i = 0; i < in.num_inputs(); ++i) {
    const TensorRef& t = in.input(i);
    std::vector<uint8_t> bytes(static_cast<size_t>(t.byte_size()));
    if (t.dtype == DType::kFloat32) {
      std::uniform_real_distribution<float> d(-1.0f, 1.0f);
      for (size_t k = 0; k < bytes.size(); k += 4) {
        const float v = d(rng);
        std::memcpy(bytes.data() + k, &v, 4);
      }
    } else {
      for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    }
    inputs.push_back(std::move(bytes));
  }
  return inputs;
}

// The images an image-input model is checked on (one under sanitizers, to keep CI time modest).
std::vector<std::string> images_for(const TensorRef& input) {
  try {
    const data::ImageShape s = data::image_shape_of(input, "");
    std::vector<std::string> all =
        s.channels == 1 ? std::vector<std::string>{"mnist_nine.bmp"}
                        : std::vector<std::string>{"grace_hopper.bmp", "cat.bmp", "squat.bmp"};
#ifdef TPULAB_SANITIZED
    all.resize(1);
#endif
    return all;
  } catch (const UsageError&) {
    return {};
  }
}

// The oracle cannot read int64 outputs (the TFLite web API has no int64 tensors). Each one made
// by ARG_MAX is checked through its input instead: that tensor becomes an extra output, compared
// byte for byte, and our int64 indices must be the first maximum along the axis in the oracle's
// copy of it.
struct ArgMaxCheck {
  size_t output = 0;  // the int64 output
  size_t scores = 0;  // the extra output holding ARG_MAX's input
  int32_t axis = 0;
};

Graph with_argmax_inputs_as_outputs(const Graph& g, std::vector<ArgMaxCheck>& checks) {
  Graph out = g;
  Subgraph& sg = out.main();
  const TensorUses uses = tensor_uses(sg);
  const size_t n = sg.outputs.size();
  for (size_t o = 0; o < n; ++o) {
    const auto t = static_cast<size_t>(sg.outputs[o]);
    if (sg.tensors[t].dtype != DType::kInt64) continue;
    const int32_t p = uses.producer[t];
    if (p < 0 || !sg.ops[static_cast<size_t>(p)].is(BuiltinOp::kArgMax)) {
      ADD_FAILURE() << "int64 output " << o
                    << " is not made by ARG_MAX: the oracle cannot check it";
      continue;
    }
    const Op& op = sg.ops[static_cast<size_t>(p)];
    const Tensor& axis = sg.tensors[static_cast<size_t>(op.inputs.at(1))];
    int64_t a =
        axis.dtype == DType::kInt64 ? axis.data.as<int64_t>()[0] : axis.data.as<int32_t>()[0];
    const auto rank =
        static_cast<int64_t>(sg.tensors[static_cast<size_t>(op.inputs[0])].shape.size());
    if (a < 0) a += rank;
    checks.push_back({o, sg.outputs.size(), static_cast<int32_t>(a)});
    sg.outputs.push_back(op.inputs[0]);
  }
  return out;
}

// Index of the first maximum along `axis` of a [outer, axis, inner] view of `scores`.
template <typename T>
std::vector<int64_t> first_max(const std::vector<uint8_t>& bytes, const std::vector<int32_t>& shape,
                               int32_t axis) {
  std::vector<T> v(bytes.size() / sizeof(T));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(T));
  int64_t outer = 1, inner = 1;
  for (int32_t d = 0; d < axis; ++d) outer *= shape[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
  const int64_t len = shape[static_cast<size_t>(axis)];
  std::vector<int64_t> idx;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t best = 0;
      for (int64_t k = 1; k < len; ++k)
        if (v[static_cast<size_t>((o * len + k) * inner + i)] >
            v[static_cast<size_t>((o * len + best) * inner + i)])
          best = k;
      idx.push_back(best);
    }
  return idx;
}

void expect_same_as_oracle(const fs::path& model, const Graph& original,
                           const std::vector<std::vector<uint8_t>>& inputs,
                           const std::string& what) {
  std::vector<ArgMaxCheck> checks;
  const Graph g = with_argmax_inputs_as_outputs(original, checks);
  testing::TempDir dir;
  fs::path oracle_model = model;
  if (!checks.empty()) {
    oracle_model = dir / model.filename();
    write_tflite_file(g, oracle_model.string());
  }
  const testing::OracleResult oracle = testing::oracle_run(oracle_model, inputs);
  ASSERT_TRUE(oracle.ok) << model.filename() << " " << what << ": " << oracle.error;
  for (KernelSet set : {KernelSet::kReference, KernelSet::kOptimized}) {
    ThreadPool pool(2);
    Interpreter in(g, model.filename().string(), {set, &pool});
    ASSERT_EQ(in.num_inputs(), inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      ASSERT_EQ(in.input_bytes(i).size(), inputs[i].size());
      std::copy(inputs[i].begin(), inputs[i].end(), in.input_bytes(i).begin());
    }
    in.invoke();
    ASSERT_EQ(in.num_outputs(), oracle.outputs.size());
    const std::string context =
        model.filename().string() + " " + what + ", " + kernel_set_name(set) + " kernels";
    for (size_t o = 0; o < in.num_outputs(); ++o) {
      if (std::any_of(checks.begin(), checks.end(),
                      [&](const ArgMaxCheck& c) { return c.output == o; }))
        continue;
      const auto ours = in.output_bytes(o);
      const std::vector<uint8_t>& theirs = oracle.outputs[o].bytes;
      ASSERT_EQ(ours.size(), theirs.size()) << context << ", output " << o;
      size_t differing = 0, first = 0;
      for (size_t k = 0; k < ours.size(); ++k)
        if (ours[k] != theirs[k] && differing++ == 0) first = k;
      EXPECT_EQ(differing, 0u) << context << ", output " << o << " (" << in.output_name(o)
                               << "): " << differing << " of " << ours.size()
                               << " bytes differ, first at byte " << first;
    }
    for (const ArgMaxCheck& c : checks) {
      const TensorRef& scores = in.output(c.scores);
      const std::vector<uint8_t>& theirs = oracle.outputs[c.scores].bytes;
      std::vector<int64_t> expected;
      switch (scores.dtype) {
        case DType::kUInt8:
          expected = first_max<uint8_t>(theirs, scores.shape, c.axis);
          break;
        case DType::kInt8:
          expected = first_max<int8_t>(theirs, scores.shape, c.axis);
          break;
        case DType::kFloat32:
          expected = first_max<float>(theirs, scores.shape, c.axis);
          break;
        default:
          FAIL() << "ARG_MAX over " << dtype_name(scores.dtype);
      }
      const auto ours = in.output_bytes(c.output);
      ASSERT_EQ(ours.size(), expected.size() * 8) << context;
      EXPECT_EQ(std::memcmp(ours.data(), expected.data(), ours.size()), 0)
          << context << ", ARG_MAX output " << c.output
          << " differs from the oracle's scores' first maxima";
    }
  }
}

class SharedModel : public ::testing::TestWithParam<std::string> {};

TEST_P(SharedModel, MatchesTfliteOnRandomInputsAndImages) {
  TPULAB_REQUIRE_SHARED();
  TPULAB_REQUIRE_ORACLE();
  const fs::path model = testing::shared_dir() / "models" / GetParam();
  const Graph g = read_tflite(model.string());
  Interpreter probe(g, model.filename().string(), {KernelSet::kReference});
  expect_same_as_oracle(model, g, random_inputs(probe, 1234), "random input (seed 1234)");
  if (probe.num_inputs() != 1) return;
  for (const std::string& image : images_for(probe.input(0))) {
    std::vector<uint8_t> bytes(probe.input_bytes(0).size());
    data::load_image_input((testing::shared_dir() / "images" / image).string(), probe.input(0),
                           bytes);
    expect_same_as_oracle(model, g, {bytes}, image);
  }
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const fs::path& p : cpu_models())
    names.push_back(fs::relative(p, testing::shared_dir() / "models").string());
  // Listed even without ../shared, so the skip is visible.
  if (names.empty()) names.push_back("mobilenet_v2_1.0_224_quant.tflite");
  return names;
}

INSTANTIATE_TEST_SUITE_P(Engine, SharedModel, ::testing::ValuesIn(model_names()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string n = fs::path(param.param).stem().string();
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

TEST(Exactness, FashionCnnMatchesTflite) {
  TPULAB_REQUIRE_ORACLE();
  testing::TempDir dir;
  const Graph g = testing::fashion_cnn(5);
  const fs::path file = dir / "fashion_cnn.tflite";
  write_tflite_file(g, file.string());
  Interpreter probe(g, "fashion_cnn.tflite", {KernelSet::kReference});
  for (uint32_t seed : {1u, 2u})
    expect_same_as_oracle(file, g, random_inputs(probe, seed), "random input");
}

}  // namespace
}  // namespace tpulab::engine
