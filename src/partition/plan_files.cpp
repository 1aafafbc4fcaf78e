#include "partition/plan_files.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <system_error>

#include "common/error.h"
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

}  // namespace

std::vector<fs::path> write_plan(const Graph& graph, const Plan& plan,
                                 const device::Platform& platform, const std::string& model_stem,
                                 const fs::path& dir, Objective objective) {
  const fs::path target = fs::absolute(dir).lexically_normal();
  const fs::path parent =
      target.has_filename() ? target.parent_path() : target.parent_path().parent_path();
  const fs::path name = target.has_filename() ? target.filename() : target.parent_path().filename();
  std::error_code ec;
  if (fs::exists(target, ec) && !fs::is_directory(target, ec))
    throw IoError("the output path exists and is not a folder", target.string());
  fs::create_directories(parent, ec);
  if (ec) throw IoError(fmt::format("cannot create the folder: {}", ec.message()), parent.string());
  Staging staging;
  staging.path = parent / fmt::format(".{}.tmp-{}", name.string(), ::getpid());
  fs::remove_all(staging.path, ec);
  if (!fs::create_directory(staging.path, ec) || ec)
    throw IoError(fmt::format("cannot write the output folder: {}",
                              ec ? ec.message() : std::string("exists")),
                  parent.string());

  std::vector<std::string> files;
  auto segs = split_into_segments(graph, plan.starts);
  for (size_t i = 0; i < segs.size(); ++i) {
    files.push_back(segment_file_name(model_stem, i, segs.size()));
    write_tflite_file(segs[i].graph, (staging.path / files.back()).string());
  }
  files.push_back("plan.json");
  {
    std::ofstream out(staging.path / files.back());
    out << plan_to_json(graph, plan, platform, model_stem, objective).dump(2) << "\n";
    if (!out) throw IoError("cannot write plan.json", staging.path.string());
  }

  std::vector<fs::path> written;
  if (!fs::exists(target, ec)) {
    fs::rename(staging.path, target, ec);
    if (ec)
      throw IoError(fmt::format("cannot create the folder: {}", ec.message()), target.string());
    staging.keep = true;
    for (const auto& f : files) written.push_back(target / f);
    return written;
  }
  // DIR exists: move the finished files in one by one (each rename is atomic).
  for (const auto& f : files) {
    fs::rename(staging.path / f, target / f, ec);
    if (ec)
      throw IoError(fmt::format("cannot write into the folder: {}", ec.message()),
                    (target / f).string());
    written.push_back(target / f);
  }
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
