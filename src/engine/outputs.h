// Reading a model's outputs as a user wants them: real values (dequantized), and a
// classifier's best classes. What `tpulab run` prints and the Python package returns.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/kernel.h"

namespace tpulab::engine {

// Element i as a real number: (q - zero_point) * scale for a quantized tensor, the value itself
// otherwise; nullopt for element types without a numeric value (strings, complex).
std::optional<double> real_value(const TensorRef& t, int64_t i);

// A classifier's output: one score per class, shape [N] or [1,N] with N > 1, numeric.
bool is_class_scores(const TensorRef& t);

struct ClassScore {
  int64_t index = 0;
  double score = 0;  // real (dequantized) value
  std::string label;
};
// The k best classes (k clamped to 1..N), highest score first; the lower index first on ties,
// as ARG_MAX picks. `labels[i]` names class i where present. Throws UsageError when `t` is
// not class scores.
std::vector<ClassScore> top_k(const TensorRef& t, int64_t k,
                              const std::vector<std::string>& labels = {});

// One output as reported: the best classes of a classifier, else every real value (up to
// `max_values`; `values` is empty beyond that, `count` says how many there are).
struct OutputSummary {
  std::string name;
  DType dtype = DType::kFloat32;
  std::vector<int32_t> shape;
  std::vector<ClassScore> top;  // classifiers
  std::vector<double> values;   // other outputs (up to the first non-numeric element)
  bool values_listed = false;   // false for classifiers and outputs over max_values
  int64_t count = 0;            // elements
};
OutputSummary summarize_output(const TensorRef& t, const std::string& name, int64_t k,
                               const std::vector<std::string>& labels = {},
                               int64_t max_values = int64_t{1} << 20);
// {"name", "dtype", "shape", and "top": [{"class", "score", "label"}] or "values": [...]}.
nlohmann::json to_json(const OutputSummary& s);

}  // namespace tpulab::engine
