// Device and partition: platforms (built-in or TOML), simulate(), segment() and its Plan.
#include <fmt/format.h>

#include <filesystem>
#include <variant>

#include "bind.h"
#include "common/error.h"
#include "device/edgetpu/cost.h"
#include "device/edgetpu/simulation_json.h"
#include "device/platform.h"
#include "partition/plan_files.h"
#include "partition/segment.h"
#include "partition/strategy.h"

namespace tpulab::py {

namespace {

// A platform argument: a built-in name or a Platform object.
using PlatformArg = std::variant<std::string, device::Platform>;

device::Platform resolve(const PlatformArg& p) {
  if (const auto* name = std::get_if<std::string>(&p)) return device::load_platform(*name);
  return std::get<device::Platform>(p);
}

device::CalibratedProfile profile_of(const std::optional<std::filesystem::path>& profile_file) {
  return profile_file ? device::load_profile_file(profile_file->string())
                      : device::builtin_profile();
}

struct PyPlan {
  Model model;
  device::Platform platform;
  partition::Plan plan;
  partition::Objective objective = partition::Objective::kThroughput;

  nlohmann::json json() const {
    return partition::plan_to_json(*model.graph, plan, platform, stem_of(model), objective);
  }
};

pyb::dict simulate(const Model& model, const PlatformArg& platform, int segments,
                   const std::optional<std::filesystem::path>& plan_file,
                   const std::optional<std::vector<int32_t>>& starts) {
  const device::Platform pf = resolve(platform);
  const Graph& g = *model.graph;
  const auto n = static_cast<int32_t>(g.main().ops.size());
  if (n == 0) throw UsageError("the model has no ops", model.name);
  if ((plan_file ? 1 : 0) + (starts ? 1 : 0) + (segments != 1 ? 1 : 0) > 1)
    throw UsageError("give one of segments, plan and starts", model.name);
  nlohmann::json j;
  {
    pyb::gil_scoped_release release;
    std::vector<device::OpRange> ranges =
        plan_file ? partition::ranges_of(partition::read_plan_starts(plan_file->string(), g), n)
        : starts  ? partition::ranges_of(*starts, n)
                  : partition::split_by_parameters(g, segments);
    const device::Simulation s = device::simulate(g, ranges, pf);
    j = device::simulation_to_json(s, pf);
    nlohmann::json warnings = nlohmann::json::array();
    for (const auto& p : s.placements)
      for (const auto& w : p.warnings) warnings.push_back(w);
    j["warnings"] = warnings;
  }
  return to_python(j);
}

PyPlan segment(const Model& model, int k, const std::string& strategy, const PlatformArg& platform,
               const std::string& objective, double min_throughput, double diff_threshold_ms) {
  PyPlan p{model, resolve(platform), {}, partition::parse_objective(objective)};
  partition::Options po;
  po.segments = k;
  po.objective = p.objective;
  if (!(min_throughput >= 0))
    throw UsageError(fmt::format("min_throughput must be >= 0, not {}", min_throughput),
                     model.name);
  if (!(diff_threshold_ms >= 0))
    throw UsageError(fmt::format("diff_threshold_ms must be >= 0, not {}", diff_threshold_ms),
                     model.name);
  po.min_throughput_ips = min_throughput;
  po.diff_threshold_ms = diff_threshold_ms;
  const partition::Strategy s = partition::parse_strategy(strategy);
  pyb::gil_scoped_release release;
  partition::check_partitionable(*model.graph, k, p.platform);
  p.plan = partition::partition(*model.graph, s, p.platform, po);
  return p;
}

}  // namespace

std::string stem_of(const Model& m) {
  return m.path.empty() ? m.name : std::filesystem::path(m.path).stem().string();
}

void bind_device(pyb::module_& m) {
  pyb::class_<device::Platform>(m, "Platform",
                                "A host, its Edge TPUs and links (see tpulab.platforms()).")
      .def_readonly("name", &device::Platform::name)
      .def_readonly("description", &device::Platform::description)
      .def_readonly("tpus", &device::Platform::tpus)
      .def_readonly("shared_link_mb_s", &device::Platform::shared_link_mb_s)
      .def_property_readonly("link",
                             [](const device::Platform& p) {
                               pyb::dict d;
                               d["kind"] = p.link.kind, d["nominal_mb_s"] = p.link.nominal_mb_s;
                               d["effective_mb_s"] = p.link.effective_mb_s,
                               d["invoke_overhead_us"] = p.link.invoke_overhead_us;
                               return d;
                             })
      .def_property_readonly("host",
                             [](const device::Platform& p) {
                               pyb::dict d;
                               d["kind"] = p.host.kind, d["gmacs"] = p.host.gmacs,
                               d["ns_per_element"] = p.host.ns_per_element;
                               d["active_power_w"] = p.host.active_power_w;
                               return d;
                             })
      .def("__repr__", [](const device::Platform& p) {
        return fmt::format("Platform('{}', {} TPU(s))", p.name, p.tpus);
      });

  m.def("platforms", &device::platform_names, "Names of the built-in platforms.");
  m.def(
      "load_platform",
      [](const std::string& name, const std::optional<std::filesystem::path>& profile) {
        return device::load_platform(name, profile_of(profile));
      },
      pyb::arg("name"), pyb::arg("profile") = pyb::none(),
      "A built-in platform, with the built-in calibrated profile or the one in TOML file "
      "`profile`.");
  m.def(
      "load_platform_file",
      [](const std::filesystem::path& path, const std::optional<std::filesystem::path>& profile) {
        return device::load_platform_file(path.string(), profile_of(profile));
      },
      pyb::arg("path"), pyb::arg("profile") = pyb::none(), "A platform from a TOML file.");
  m.def(
      "parse_platform",
      [](const std::string& text, const std::string& source) {
        return device::parse_platform(text, source, device::builtin_profile());
      },
      pyb::arg("text"), pyb::arg("source") = "<text>", "A platform from TOML text.");
  m.def("platform_toml", &device::builtin_platform_text, pyb::arg("name"),
        "The TOML text of a built-in platform.");

  m.def("simulate_dict", &simulate, pyb::arg("model"), pyb::arg("platform") = "usb3-1x",
        pyb::arg("segments") = 1, pyb::arg("plan") = pyb::none(), pyb::arg("starts") = pyb::none());

  pyb::class_<PyPlan>(m, "Plan",
                      "Where a model is cut into pipeline segments, and what each costs.")
      .def_property_readonly(
          "strategy", [](const PyPlan& p) { return partition::strategy_name(p.plan.strategy); })
      .def_property_readonly("objective",
                             [](const PyPlan& p) { return partition::objective_name(p.objective); })
      .def_property_readonly(
          "starts", [](const PyPlan& p) { return p.plan.starts; },
          "First op of each segment after the first (K - 1 cut points).")
      .def_property_readonly("platform", [](const PyPlan& p) { return p.platform; })
      .def_property_readonly("model", [](const PyPlan& p) { return p.model; })
      .def_property_readonly(
          "segments",
          [](const PyPlan& p) {
            std::vector<Segment> segs;
            {
              pyb::gil_scoped_release release;
              segs = split_into_segments(*p.model.graph, p.plan.starts);
            }
            std::vector<Model> out;
            const std::string stem = stem_of(p.model);
            for (size_t i = 0; i < segs.size(); ++i)
              out.push_back({std::make_shared<const Graph>(std::move(segs[i].graph)), "",
                             segment_file_name(stem, i, segs.size())});
            return out;
          },
          "The segments as stand-alone Models (inputs and outputs keep the original tensor names).")
      .def_property_readonly(
          "simulation",
          [](const PyPlan& p) {
            return to_python(device::simulation_to_json(p.plan.simulation, p.platform));
          })
      .def(
          "to_dict", [](const PyPlan& p) { return to_python(p.json()); },
          "plan.json's content (what `tpulab segment --json` prints).")
      .def(
          "write",
          [](const PyPlan& p, const std::filesystem::path& dir) {
            std::vector<std::filesystem::path> files;
            {
              pyb::gil_scoped_release release;
              files = partition::write_plan(*p.model.graph, p.plan, p.platform, stem_of(p.model),
                                            dir, p.objective);
            }
            std::vector<std::string> out;
            for (const auto& f : files) out.push_back(f.string());
            return out;
          },
          pyb::arg("dir"),
          "Writes the segment .tflite files and plan.json into `dir` (all or nothing); returns the "
          "paths.")
      .def("__repr__", [](const PyPlan& p) {
        return fmt::format("Plan({} segments by {}, {:.1f} inferences/s)", p.plan.segments(),
                           partition::strategy_name(p.plan.strategy),
                           p.plan.simulation.throughput_ips);
      });

  m.def("segment", &segment, pyb::arg("model"), pyb::arg("k"), pyb::arg("strategy") = "optimal",
        pyb::arg("platform") = "asus-8x-pcie", pyb::arg("objective") = "throughput",
        pyb::arg("min_throughput") = 0.0, pyb::arg("diff_threshold_ms") = 1.0);
}

}  // namespace tpulab::py
