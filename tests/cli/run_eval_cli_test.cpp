// `tpulab run` and `tpulab eval` as a user runs them: answers, raw tensor I/O, JSON, and the
// one-line error with exit code 1 for each kind of bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/tflite.h"
#include "testing/fashion_cnn.h"
#include "testing/testing.h"

namespace tpulab {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace fs = std::filesystem;
using testing::run_tpulab;
using testing::shared_model;

std::string shared(const std::string& rel) { return (testing::shared_dir() / rel).string(); }

TEST(RunCli, ClassifiesAnImageWithLabels) {
  TPULAB_REQUIRE_SHARED();
  auto r = run_tpulab({"run", shared("models/mobilenet_v2_1.0_224_quant.tflite"), "--input",
                       shared("images/cat.bmp"), "--labels", shared("images/imagenet_labels.txt"),
                       "--top", "3", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["outputs"][0]["top"].size(), 3u);
  EXPECT_EQ(j["outputs"][0]["top"][0]["class"], 286);
  EXPECT_EQ(j["outputs"][0]["top"][0]["label"], "Egyptian cat");

  auto text = run_tpulab({"run", shared("models/mobilenet_v2_1.0_224_quant.tflite"), "--input",
                          shared("images/grace_hopper.bmp"), "--labels",
                          shared("images/imagenet_labels.txt"), "--kernels", "reference",
                          "--threads", "1"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("military uniform"));
  EXPECT_THAT(text.out, HasSubstr("reference kernels"));
}

TEST(RunCli, RawInputsAndOutputsRoundTripAndAgreeAcrossKernelSets) {
  TPULAB_REQUIRE_SHARED();
  testing::TempDir dir;
  const std::string model = shared("models/split_concat.tflite");  // 3 inputs, 5 outputs
  std::vector<std::string> ins, outs_ref, outs_opt;
  for (int i = 0; i < 3; ++i) {
    const int channels = i == 0 ? 3 : i;  // [1,8,8,3], [1,8,8,1], [1,8,8,2]
    std::vector<uint8_t> bytes(static_cast<size_t>(64 * channels));
    for (size_t k = 0; k < bytes.size(); ++k)
      bytes[k] = static_cast<uint8_t>(k * 7 + static_cast<size_t>(i));
    ins.push_back((dir / ("in" + std::to_string(i) + ".bin")).string());
    testing::write_bytes(ins.back(), bytes);
  }
  for (int o = 0; o < 5; ++o) {
    outs_ref.push_back((dir / ("ref" + std::to_string(o) + ".bin")).string());
    outs_opt.push_back((dir / ("opt" + std::to_string(o) + ".bin")).string());
  }
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
    return s;
  };
  auto a = run_tpulab({"run", model, "--input-raw", join(ins), "--output-raw", join(outs_ref),
                       "--kernels", "reference"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  auto b = run_tpulab({"run", model, "--input-raw", join(ins), "--output-raw", join(outs_opt)});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  for (int o = 0; o < 5; ++o) {
    const auto ref = testing::read_bytes(outs_ref[static_cast<size_t>(o)]);
    EXPECT_EQ(ref.size(), o < 4 ? 64u : 128u) << o;
    EXPECT_EQ(ref, testing::read_bytes(outs_opt[static_cast<size_t>(o)])) << o;
  }
  // outputs/rnn2 is [1,8,8,2]: a pass-through of input 2's bytes (split then concatenated back).
  EXPECT_EQ(testing::read_bytes(outs_ref[4]).size(), testing::read_bytes(ins[2]).size());
}

TEST(RunCli, WrongRawInputSizeNamesDtypeAndShape) {
  TPULAB_REQUIRE_SHARED();
  testing::TempDir dir;
  // float32 data for a uint8 input: four times too many bytes.
  testing::write_bytes(dir / "f.bin", std::vector<uint8_t>(128 * 128 * 3 * 4));
  auto r = run_tpulab({"run", shared("models/mobilenet_v1_0.25_128_quant.tflite"), "--input-raw",
                       (dir / "f.bin").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(
      r.err,
      StartsWith(
          "error: input 0 (input) is uint8 [1,128,128,3] = 49152 bytes, but the file has 196608"));
  auto count = run_tpulab(
      {"run", shared("models/split_concat.tflite"), "--input-raw", (dir / "f.bin").string()});
  EXPECT_EQ(count.exit_code, 1);
  EXPECT_THAT(count.err, HasSubstr("the model has 3 inputs but --input-raw gives 1 files"));
}

TEST(RunCli, BadImagesAreOneLineErrors) {
  TPULAB_REQUIRE_SHARED();
  testing::TempDir dir;
  testing::write_bytes(dir / "corrupt.bmp", {'B', 'M', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  const std::string model = shared("models/mobilenet_v1_0.25_128_quant.tflite");
  auto corrupt = run_tpulab({"run", model, "--input", (dir / "corrupt.bmp").string()});
  EXPECT_EQ(corrupt.exit_code, 1);
  EXPECT_THAT(corrupt.err, StartsWith("error: truncated BMP image"));
  EXPECT_THAT(corrupt.err, HasSubstr("corrupt.bmp"));
  testing::write_bytes(dir / "noise.png", {'X', 'Y', 1, 2, 3, 4, 5, 6, 7, 8});
  auto noise = run_tpulab({"run", model, "--input", (dir / "noise.png").string()});
  EXPECT_EQ(noise.exit_code, 1);
  EXPECT_THAT(noise.err, StartsWith("error: not a readable BMP, PNG or JPEG image"));
  auto missing = run_tpulab({"run", model, "--input", (dir / "missing.png").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, StartsWith("error: cannot open the image"));
  // Both or neither of --input / --input-raw: a usage error (exit 2).
  EXPECT_EQ(run_tpulab({"run", model}).exit_code, 2);
}

TEST(RunCli, UnsupportedAndEdgeTpuOps) {
  TPULAB_REQUIRE_SHARED();
  testing::TempDir dir;
  testing::write_bytes(dir / "x.bin", {1, 2, 3});
  auto fake = run_tpulab({"run", shared("models/invalid/model_invoking_error.tflite"),
                          "--input-raw", (dir / "x.bin").string()});
  EXPECT_EQ(fake.exit_code, 1);
  EXPECT_EQ(fake.err,
            "error: op #0 fake-op-double (model_invoking_error.tflite) is not supported\n");
  auto tpu = run_tpulab({"run", shared("models/mobilenet_v2_1.0_224_quant_edgetpu.tflite"),
                         "--input", shared("images/cat.bmp")});
  EXPECT_EQ(tpu.exit_code, 1);
  EXPECT_THAT(
      tpu.err,
      StartsWith("error: op #0 edgetpu-custom-op (mobilenet_v2_1.0_224_quant_edgetpu.tflite)"));
  EXPECT_THAT(tpu.err, HasSubstr("the CPU model it was compiled from"));
}

TEST(RunCli, TensorsThatDoNotFitTheOpAreCaughtAtPrepare) {
  testing::TempDir dir;
  Graph g = testing::fashion_cnn();
  // conv2's weights expect 8 input channels; give the layer's input 4 (pool1 output shape kept
  // consistent for the file, the conv's filter no longer matches).
  Subgraph& sg = g.main();
  for (Tensor& t : sg.tensors)
    if (t.name == "conv1" || t.name == "pool1") t.shape.back() = 4;
  for (Tensor& t : sg.tensors)
    if (t.name == "conv1/weights") {
      t.shape[0] = 4;
      t.data = Bytes::copy(t.data.span().subspan(0, 4 * 9));
      t.quant.scale.resize(4);
      t.quant.zero_point.resize(4);
    } else if (t.name == "conv1/bias") {
      t.shape[0] = 4;
      t.data = Bytes::copy(t.data.span().subspan(0, 16));
      t.quant.scale.resize(4);
      t.quant.zero_point.resize(4);
    }
  const std::string model = (dir / "misfit.tflite").string();
  write_tflite_file(g, model);
  testing::write_bytes(dir / "in.bin", std::vector<uint8_t>(784));
  auto r = run_tpulab({"run", model, "--input-raw", (dir / "in.bin").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, StartsWith("error: "));
  EXPECT_THAT(r.err, HasSubstr("CONV_2D"));
  EXPECT_THAT(r.err, HasSubstr("misfit.tflite"));
}

TEST(EvalCli, FashionMnistWithTheTestCnn) {
  std::error_code ec;
  if (!fs::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", ec))
    GTEST_SKIP() << "!!! Debian's dataset-fashion-mnist is not installed: test SKIPPED !!!";
  testing::TempDir dir;
  const std::string model = (dir / "cnn.tflite").string();
  write_tflite_file(testing::fashion_cnn(), model);
  auto r =
      run_tpulab({"eval", model, "--dataset", "fashion-mnist:test", "--limit", "500", "--threads",
                  "2", "--json", "--confusion-csv", (dir / "confusion.csv").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["images"], 500);
  EXPECT_EQ(j["dataset"], "fashion-mnist:test");
  int total = 0, diagonal = 0;
  for (size_t t = 0; t < 10; ++t)
    for (size_t p = 0; p < 10; ++p) {
      total += j["confusion"][t][p].get<int>();
      if (t == p) diagonal += j["confusion"][t][p].get<int>();
    }
  EXPECT_EQ(total, 500);
  EXPECT_EQ(diagonal, j["correct"].get<int>());
  const auto csv = testing::read_bytes(dir / "confusion.csv");
  EXPECT_THAT(std::string(csv.begin(), csv.end()), StartsWith("true_class,T-shirt/top,Trouser"));

  auto text = run_tpulab({"eval", model, "--dataset", "fashion-mnist", "--limit", "100"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("100 images, accuracy"));
  EXPECT_THAT(text.out, HasSubstr("Ankle boot"));
}

TEST(EvalCli, MissingDatasetAndWrongModel) {
  testing::TempDir dir;
  const std::string model = (dir / "cnn.tflite").string();
  write_tflite_file(testing::fashion_cnn(), model);
  auto missing =
      run_tpulab({"eval", model, "--dataset", "fashion-mnist", "--data-dir", dir.path().string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("t10k-images-idx3-ubyte.gz not found"));
  auto unknown = run_tpulab({"eval", model, "--dataset", "cifar10"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("unknown dataset"));
  if (testing::shared_dir().empty()) return;
  std::error_code ec;
  if (!fs::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", ec)) return;
  auto wrong = run_tpulab(
      {"eval", shared("models/mobilenet_v1_0.25_128_quant.tflite"), "--dataset", "fashion-mnist"});
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_THAT(wrong.err, HasSubstr("does not hold one 28x28 image"));
}

}  // namespace
}  // namespace tpulab
