#include <fmt/format.h>

#include "common/error.h"
#include "common/file_io.h"
#include "partition/plan_files.h"
#include "partition/segment.h"

namespace tpulab::partition {

using nlohmann::json;

namespace {

// An op index exactly as written: 4.7, true and 4294967300 are not op indices (json's get<>
// would read them as 4, 1 and 4).
int32_t op_index(const json& v, const std::string& path) {
  if (!v.is_number_integer())
    throw FormatError(fmt::format("plan: op index {} is not a whole number", v.dump()), path);
  const bool negative = v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() < 0;
  if (negative || (v.is_number_unsigned() ? v.get<uint64_t>() > uint64_t{INT32_MAX}
                                          : v.get<int64_t>() > INT32_MAX))
    throw FormatError(fmt::format("plan: op index {} is out of range", v.dump()), path);
  return static_cast<int32_t>(v.get<int64_t>());
}

}  // namespace

std::vector<int32_t> read_plan_starts(const std::string& path, const Graph& graph) {
  return parse_plan_starts(read_text_file(path, file_limits::kConfig, "plan"), path, graph);
}

std::vector<int32_t> parse_plan_starts(const std::string& text, const std::string& path,
                                       const Graph& graph) {
  const Subgraph& sg = graph.main();
  const auto n_ops = static_cast<int32_t>(sg.ops.size());
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw FormatError(fmt::format("malformed plan JSON: {}", e.what()), path);
  }
  if (!j.is_object()) throw FormatError("plan: not a JSON object", path);
  std::vector<device::OpRange> ranges;
  try {
    if (j.contains("starts")) {
      int32_t first = 0;
      if (!j.at("starts").is_array()) throw FormatError("plan: \"starts\" is not a list", path);
      for (const auto& s : j.at("starts")) {
        const int32_t c = op_index(s, path);
        ranges.push_back({first, c});
        first = c;
      }
      ranges.push_back({first, n_ops});
    } else {
      if (!j.at("segments").is_array()) throw FormatError("plan: \"segments\" is not a list", path);
      for (const auto& s : j.at("segments")) {
        if (!s.is_array() || s.size() != 2)
          throw FormatError("plan: each segment is [first, end)", path);
        ranges.push_back({op_index(s.at(0), path), op_index(s.at(1), path)});
      }
    }
  } catch (const json::exception& e) {
    throw FormatError(fmt::format("plan needs \"starts\" or \"segments\": {}", e.what()), path);
  }
  if (j.contains("num_ops") && j["num_ops"].is_number_integer() &&
      j["num_ops"].get<int64_t>() != n_ops)
    throw UsageError(fmt::format("the plan is for a model with {} ops; this model has {}",
                                 j["num_ops"].get<int64_t>(), n_ops),
                     path);
  if (ranges.empty() || ranges.front().first != 0 || ranges.back().last != n_ops)
    throw UsageError(fmt::format("the segments do not cover the model's {} ops", n_ops), path);
  for (size_t i = 0; i < ranges.size(); ++i)
    if (ranges[i].first >= ranges[i].last || ranges[i].first < 0 || ranges[i].last > n_ops ||
        (i > 0 && ranges[i].first != ranges[i - 1].last))
      throw UsageError(fmt::format("segment {} [{}, {}) is empty, out of order or out of range "
                                   "(the model has {} ops)",
                                   i, ranges[i].first, ranges[i].last, n_ops),
                       path);
  std::vector<int32_t> starts = starts_of(ranges);
  // A plan made for another model with the same op count still names other tensors.
  if (j.contains("cuts") && j["cuts"].is_array()) {
    const auto crossing = tensors_crossing_cuts(graph, starts);
    const json& cuts = j["cuts"];
    for (size_t c = 0; c < crossing.size() && c < cuts.size(); ++c) {
      if (!cuts[c].contains("tensors") || !cuts[c]["tensors"].is_array()) continue;
      std::vector<std::string> planned, actual;
      for (const auto& t : cuts[c]["tensors"])
        if (t.contains("name") && t["name"].is_string()) planned.push_back(t["name"]);
      for (int32_t t : crossing[c]) actual.push_back(sg.tensors[static_cast<size_t>(t)].name);
      if (planned != actual)
        throw UsageError(fmt::format("cut {} of the plan passes tensors [{}] but this model "
                                     "passes [{}] there: the plan is for another model",
                                     c, fmt::join(planned, ", "), fmt::join(actual, ", ")),
                         path);
    }
  }
  return starts;
}

}  // namespace tpulab::partition
