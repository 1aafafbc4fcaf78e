// A plan on disk: the segment .tflite files and plan.json, written all-or-nothing.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "device/platform.h"
#include "model/graph.h"
#include "partition/strategy.h"

namespace tpulab::partition {

// plan.json: model, platform, strategy, objective, "starts" (the cut points; `tpulab simulate
// --plan` reads them), the tensors crossing each cut (names and bytes), per segment its file,
// op range, input and output tensor names and its cost from the device model, and the
// pipeline's bottleneck, throughput and latency.
nlohmann::json plan_to_json(const Graph& graph, const Plan& plan, const device::Platform& platform,
                            const std::string& model_stem, Objective objective);

// Reads the cut points of a plan.json: {"starts": [...]} (as written above) or
// {"segments": [[first, end), ...]}. Throws IoError when it cannot be read and UsageError when it
// is malformed or does not match `graph`: ranges out of order or beyond its ops, another op
// count ("num_ops"), or other tensors crossing a cut ("cuts").
std::vector<int32_t> read_plan_starts(const std::string& path, const Graph& graph);
// The same for plan.json's text; `path` only names it in errors.
std::vector<int32_t> parse_plan_starts(const std::string& text, const std::string& path,
                                       const Graph& graph);

// Writes DIR/<stem>_segment_<i>_of_<K>.tflite for every segment and DIR/plan.json. Everything
// goes to a staging folder beside DIR first, which then replaces DIR whole: a failure or a kill
// leaves the old set or the new one, never a mix (stale staging folders are removed on the next
// write). DIR must be new, empty, or hold only an earlier plan's files; anything else is an
// IoError, as is a DIR that cannot be written. Returns the paths.
std::vector<std::filesystem::path> write_plan(const Graph& graph, const Plan& plan,
                                              const device::Platform& platform,
                                              const std::string& model_stem,
                                              const std::filesystem::path& dir,
                                              Objective objective);

// Every strategy for each K (the `--compare` table): plans in all_strategies() order per K, and
// how long each strategy took to decide.
struct Comparison {
  int segments = 0;
  std::vector<Plan> plans;
  std::vector<double> solve_ms;
};
std::vector<Comparison> compare_strategies(const Graph& graph, const device::Platform& platform,
                                           const std::vector<int>& ks, const Options& opts);

}  // namespace tpulab::partition
