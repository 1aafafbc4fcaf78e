#include "engine/outputs.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "common/error.h"

namespace tpulab::engine {

std::optional<double> real_value(const TensorRef& t, int64_t i) {
  double v = 0;
  switch (t.dtype) {
    case DType::kUInt8:
      v = t.as<const uint8_t>()[i];
      break;
    case DType::kInt8:
      v = t.as<const int8_t>()[i];
      break;
    case DType::kInt16:
      v = t.as<const int16_t>()[i];
      break;
    case DType::kInt32:
      v = t.as<const int32_t>()[i];
      break;
    case DType::kInt64:
      v = static_cast<double>(t.as<const int64_t>()[i]);
      break;
    case DType::kBool:
      v = t.as<const uint8_t>()[i] != 0;
      break;
    case DType::kFloat32:
      return t.as<const float>()[i];
    default:
      return std::nullopt;
  }
  if (t.scale() > 0.0f) v = (v - t.zero_point()) * static_cast<double>(t.scale());
  return v;
}

bool is_class_scores(const TensorRef& t) {
  const auto& s = t.shape;
  const bool vector = (s.size() == 1) || (s.size() == 2 && s[0] == 1);
  return vector && t.num_elements() > 1 && real_value(t, 0).has_value();
}

std::vector<ClassScore> top_k(const TensorRef& t, int64_t k,
                              const std::vector<std::string>& labels) {
  if (!is_class_scores(t))
    throw UsageError(fmt::format("a {} {} tensor is not one score per class", dtype_name(t.dtype),
                                 shape_string(t.shape)),
                     "top_k");
  std::vector<int64_t> order(static_cast<size_t>(t.num_elements()));
  std::iota(order.begin(), order.end(), int64_t{0});
  const auto n = static_cast<size_t>(std::clamp<int64_t>(k, 1, t.num_elements()));
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(),
                    [&](int64_t x, int64_t y) {
                      const double vx = *real_value(t, x), vy = *real_value(t, y);
                      return vx != vy ? vx > vy : x < y;
                    });
  std::vector<ClassScore> out;
  for (size_t r = 0; r < n; ++r) {
    const int64_t c = order[r];
    out.push_back({c, *real_value(t, c),
                   static_cast<size_t>(c) < labels.size() ? labels[static_cast<size_t>(c)] : ""});
  }
  return out;
}

OutputSummary summarize_output(const TensorRef& t, const std::string& name, int64_t k,
                               const std::vector<std::string>& labels, int64_t max_values) {
  OutputSummary s;
  s.name = name;
  s.dtype = t.dtype;
  s.shape = t.shape;
  s.count = t.num_elements();
  if (is_class_scores(t)) {
    s.top = top_k(t, k, labels);
  } else if (s.count <= max_values) {
    s.values_listed = true;
    for (int64_t i = 0; i < s.count; ++i) {
      const std::optional<double> v = real_value(t, i);
      if (!v) break;
      s.values.push_back(*v);
    }
  }
  return s;
}

nlohmann::json to_json(const OutputSummary& s) {
  nlohmann::json j{{"name", s.name}, {"dtype", dtype_name(s.dtype)}, {"shape", s.shape}};
  if (!s.top.empty()) {
    nlohmann::json top = nlohmann::json::array();
    for (const ClassScore& c : s.top)
      top.push_back({{"class", c.index}, {"score", c.score}, {"label", c.label}});
    j["top"] = top;
  } else if (s.values_listed) {
    j["values"] = s.values;
  }
  return j;
}

}  // namespace tpulab::engine
