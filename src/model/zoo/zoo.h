// The model zoo: fully quantized TFLite graphs with the published layer structure of the big
// networks tpulab studies, seeded random weights and plausible quantization. Their weights are
// meaningless; their structure (op sequence, shapes, parameter bytes, MACs) is what the device
// model, partitioner and pipelines need.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/graph.h"

namespace tpulab::zoo {

struct ZooOptions {
  int32_t input = 0;   // square input resolution; 0 = the model's default
  double width = 0.0;  // width multiplier (MobileNets only); 0 = the model's default
  uint64_t seed = 1;   // weight seed
};

struct ZooModel {
  std::string name;
  std::string summary;  // one line: what it is and where its structure comes from
  int32_t default_input = 224;
  int32_t min_input = 32;  // smallest resolution the layer structure survives
  bool has_width = false;  // takes --width
  double default_width = 1.0;
  int64_t published_params = 0;  // 0: no published count (checked against a real file instead)
  std::string params_source;     // where published_params comes from
  std::function<Graph(const ZooOptions&)> build;  // gets resolved options (input and width set)
};

// Every model, in a stable order.
const std::vector<ZooModel>& zoo_models();
// Throws UsageError naming the known models when `name` is unknown.
const ZooModel& zoo_model(const std::string& name);
// Builds `name` with `options` (defaults filled in, values validated; UsageError when invalid).
Graph build_zoo_model(const std::string& name, const ZooOptions& options = {});

}  // namespace tpulab::zoo
