#include "partition/plan_files.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <system_error>

#include "common/error.h"
#include "common/file_io.h"
#include "common/json_text.h"
#include "model/tflite.h"
#include "partition/segment.h"

namespace tpulab::partition {

namespace fs = std::filesystem;

namespace {

// Removes the staging folder unless the write completed.
struct Staging {
  fs::path path;
  bool keep = false;
  ~Staging() {
    std::error_code ec;
    if (!keep) fs::remove_all(path, ec);
  }
};

// A folder write_plan() may replace whole: empty, or holding only a plan's own files.
bool holds_only_a_plan(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    const bool plan_file = name == "plan.json" || (name.find("_segment_") != std::string::npos &&
                                                   name.size() > 7 && name.ends_with(".tflite"));
    if (!plan_file || !e.is_regular_file(ec)) return false;
  }
  return !ec;
}

}  // namespace

std::vector<fs::path> write_plan(const Graph& graph, const Plan& plan,
                                 const device::Platform& platform, const std::string& model_stem,
                                 const fs::path& dir, Objective objective) {
  const fs::path target = fs::absolute(dir).lexically_normal();
  const fs::path folder = target.has_filename() ? target : target.parent_path();
  std::error_code ec;
  if (fs::exists(folder, ec)) {
    if (!fs::is_directory(folder, ec))
      throw IoError("the output path exists and is not a folder", folder.string());
    // Mixing a new 4-of-4 set with an old 8-of-8 one would leave a folder no plan describes;
    // a folder with anything else in it is the user's, not ours to replace.
    if (!holds_only_a_plan(folder))
      throw IoError(
          "the output folder holds files that are not a plan's; give a new or empty folder",
          folder.string());
  }
  Staging staging;
  staging.path = make_staging_folder(folder.string());

  std::vector<std::string> files;
  auto segs = split_into_segments(graph, plan.starts);
  for (size_t i = 0; i < segs.size(); ++i) {
    files.push_back(segment_file_name(model_stem, i, segs.size()));
    write_tflite_file(segs[i].graph, (staging.path / files.back()).string());
  }
  files.push_back("plan.json");
  write_text_atomic((staging.path / files.back()).string(),
                    json_text(plan_to_json(graph, plan, platform, model_stem, objective)) + "\n");

  replace_folder(staging.path.string(), folder.string());
  staging.keep = true;
  std::vector<fs::path> written;
  for (const auto& f : files) written.push_back(folder / f);
  return written;
}

std::vector<Comparison> compare_strategies(const Graph& graph, const device::Platform& platform,
                                           const std::vector<int>& ks, const Options& opts) {
  std::vector<Comparison> out;
  for (int k : ks) {
    Comparison c;
    c.segments = k;
    Options o = opts;
    o.segments = k;
    for (Strategy s : all_strategies()) {
      auto t0 = std::chrono::steady_clock::now();
      c.plans.push_back(partition(graph, s, platform, o));
      c.solve_ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace tpulab::partition
