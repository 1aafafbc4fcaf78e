// Known answers on real images: ImageNet classes from mobilenet_v2 and movenet's keypoints
// against the published reference CSV (shared/models/*_reference.csv), with both kernel sets.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <span>
#include <sstream>

#include "data/image.h"
#include "engine/interpreter.h"
#include "engine/thread_pool.h"
#include "model/tflite.h"
#include "testing/oracle.h"
#include "testing/testing.h"

namespace tpulab::engine {
namespace {

namespace fs = std::filesystem;

std::string label(int index) {
  std::ifstream f(testing::shared_dir() / "images/imagenet_labels.txt");
  std::string line;
  for (int i = 0; i <= index && std::getline(f, line); ++i) {
  }
  return line;
}

int top1(const fs::path& model, const std::string& image, KernelSet set) {
  const Graph g = read_tflite(model.string());
  ThreadPool pool(2);
  Interpreter in(g, model.filename().string(), {set, &pool});
  data::load_image_input((testing::shared_dir() / "images" / image).string(), in.input(0),
                         in.input_bytes(0));
  in.invoke();
  const auto out = in.output_bytes(0);
  return static_cast<int>(std::max_element(out.begin(), out.end()) - out.begin());
}

TEST(KnownAnswers, MobilenetV2Classes) {
  TPULAB_REQUIRE_SHARED();
  const fs::path model = testing::shared_dir() / "models/mobilenet_v2_1.0_224_quant.tflite";
  for (KernelSet set : {KernelSet::kReference, KernelSet::kOptimized}) {
    SCOPED_TRACE(kernel_set_name(set));
    const int hopper = top1(model, "grace_hopper.bmp", set);
    EXPECT_EQ(hopper, 653);
    EXPECT_EQ(label(hopper), "military uniform");
    const int cat = top1(model, "cat.bmp", set);
    EXPECT_EQ(cat, 286);
    EXPECT_EQ(label(cat), "Egyptian cat");
  }
}

// Keypoints (y, x, score) per the reference CSV's columns.
struct Keypoint {
  double y, x, score;
};

std::vector<Keypoint> reference_keypoints() {
  std::ifstream f(testing::shared_dir() / "models/movenet_single_pose_lightning_ptq_reference.csv");
  std::string line;
  std::getline(f, line);  // pose_id,pose_score,keypoint_id,keypoint_score,keypoint_x,keypoint_y
  std::vector<Keypoint> out;
  while (std::getline(f, line)) {
    std::stringstream s(line);
    std::vector<double> v;
    for (std::string cell; std::getline(s, cell, ',');) v.push_back(std::stod(cell));
    if (v.size() == 6) out.push_back({v[5], v[4], v[3]});
  }
  return out;
}

// movenet's output [1,1,17,3]: y, x, score per keypoint.
std::vector<Keypoint> keypoints(std::span<const uint8_t> bytes) {
  std::vector<Keypoint> out;
  for (size_t k = 0; k + 12 <= bytes.size(); k += 12) {
    float v[3];
    std::memcpy(v, bytes.data() + k, 12);
    out.push_back({v[0], v[1], v[2]});
  }
  return out;
}

// Largest |a - b| over the keypoints' positions, or over their scores.
double max_difference(const std::vector<Keypoint>& a, const std::vector<Keypoint>& b, bool scores) {
  double d = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i)
    d = scores ? std::max(d, std::abs(a[i].score - b[i].score))
               : std::max({d, std::abs(a[i].y - b[i].y), std::abs(a[i].x - b[i].x)});
  return d;
}

TEST(KnownAnswers, MovenetMatchesReferenceCsvWithinTheOraclesOwnTolerance) {
  TPULAB_REQUIRE_SHARED();
  TPULAB_REQUIRE_ORACLE();
  const fs::path model = testing::shared_dir() / "models/movenet_single_pose_lightning_ptq.tflite";
  const Graph g = read_tflite(model.string());
  const std::vector<Keypoint> reference = reference_keypoints();
  ASSERT_EQ(reference.size(), 17u);

  Interpreter probe(g, "movenet", {KernelSet::kReference});
  std::vector<uint8_t> input(probe.input_bytes(0).size());
  data::load_image_input((testing::shared_dir() / "images/squat.bmp").string(), probe.input(0),
                         input);
  const testing::OracleResult oracle = testing::oracle_run(model, {input});
  ASSERT_TRUE(oracle.ok) << oracle.error;
  ASSERT_EQ(oracle.outputs.size(), 1u);
  // The reference CSV was made by another pipeline (its own resize and runtime): how far TFLite
  // itself is from it on our input is the tolerance, for positions and for scores (scores are
  // coarsely quantized, so they move in big steps). Positions must still be close, or the image
  // was prepared wrongly (192 px * 0.05 = 10 px).
  const std::vector<Keypoint> theirs = keypoints(oracle.outputs[0].bytes);
  const double position_tolerance = max_difference(theirs, reference, false);
  const double score_tolerance = max_difference(theirs, reference, true);
  RecordProperty("oracle_vs_reference_position", std::to_string(position_tolerance));
  RecordProperty("oracle_vs_reference_score", std::to_string(score_tolerance));
  EXPECT_LT(position_tolerance, 0.05)
      << "TFLite's keypoints are far from the reference: is the image prepared right?";

  for (KernelSet set : {KernelSet::kReference, KernelSet::kOptimized}) {
    ThreadPool pool(2);
    Interpreter in(g, "movenet", {set, &pool});
    std::copy(input.begin(), input.end(), in.input_bytes(0).begin());
    in.invoke();
    const std::vector<Keypoint> ours = keypoints(in.output_bytes(0));
    ASSERT_EQ(ours.size(), 17u);
    EXPECT_LE(max_difference(ours, reference, false), position_tolerance + 1e-9)
        << kernel_set_name(set);
    EXPECT_LE(max_difference(ours, reference, true), score_tolerance + 1e-9)
        << kernel_set_name(set);
  }
}

}  // namespace
}  // namespace tpulab::engine
