// Accuracy of an image classifier on a labelled dataset (what `tpulab eval` reports): runs every
// image through the engine, in parallel over images, and counts a confusion matrix.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "data/datasets.h"
#include "data/image.h"
#include "engine/kernel.h"
#include "model/graph.h"

namespace tpulab::data {

struct EvalOptions {
  engine::KernelSet kernels = engine::KernelSet::kOptimized;
  int threads = 1;     // images run in parallel, one interpreter per thread
  int32_t limit = -1;  // the first `limit` images; -1 = all
  std::optional<PixelNormalization> normalization;  // see pixels_to_tensor
  // Called on the calling thread after each batch of images (for progress bars).
  std::function<void(int32_t done, int32_t total)> progress;
};

struct EvalResult {
  std::string dataset;
  int32_t images = 0;
  int32_t correct = 0;
  double seconds = 0;  // inference only (not loading or preparing)
  std::vector<std::string> class_names;
  std::vector<std::vector<int32_t>> confusion;  // [true class][predicted class]

  double accuracy() const { return images > 0 ? static_cast<double>(correct) / images : 0.0; }
  double images_per_second() const { return seconds > 0 ? images / seconds : 0.0; }
};

// The model must have one input with height*width elements (grey images) and one output with one
// score per class; the prediction is the index of the highest score (the first on ties).
// Variable tensors are reset before each image, so images are independent.
EvalResult evaluate_classifier(const Graph& graph, const std::string& model_name,
                               const LabeledImages& data, const EvalOptions& opts);

}  // namespace tpulab::data
