#include "device/edgetpu/calibration.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>

#include "common/csv.h"
#include "common/error.h"
#include "common/file_io.h"
#include "model/zoo/zoo.h"

namespace tpulab::device {

namespace {

// Rows of a CSV with '#' comment lines, as maps from column name to cell.
std::vector<std::map<std::string, std::string>> read_csv(const std::string& path) {
  const csv::Table table = csv::read(path, file_limits::kTable, "calibration data",
                                     {.separator = ',', .skip_comments = true, .skip_blank = true});
  std::vector<std::map<std::string, std::string>> rows;
  if (table.rows.empty()) return rows;
  const std::vector<std::string>& header = table.rows[0].fields;
  for (size_t r = 1; r < table.rows.size(); ++r) {
    const auto& cells = table.rows[r].fields;
    if (cells.size() != header.size())
      throw ModelError(path, fmt::format("{} cells, header has {}", cells.size(), header.size()),
                       fmt::format("line {}", table.rows[r].line));
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < cells.size(); ++i) row[header[i]] = cells[i];
    row["#line"] = std::to_string(table.rows[r].line);
    rows.push_back(std::move(row));
  }
  return rows;
}

double number(const std::map<std::string, std::string>& row, const std::string& col,
              const std::string& path) {
  auto it = row.find(col);
  if (it == row.end()) throw ModelError(path, "missing column " + col);
  const std::optional<double> v = csv::parse_number(it->second);
  // Latencies, sizes and rates of real hardware: an inf or a 1e300 is a typo, and would swamp
  // the fit.
  if (!v || !(*v > 0) || !(*v < 1e9))
    throw ModelError(path,
                     fmt::format("'{}' is not a positive number below 1e9 ({})", it->second, col),
                     "line " + row.at("#line"));
  return *v;
}

// The detection post-processing custom op the published SSD benchmark model ends with. The zoo
// model leaves it out; the host runs it, and its cost is the elements it reads.
void append_detection_postprocess(Graph& g) {
  Subgraph& sg = g.main();
  if (sg.outputs.size() != 2) return;
  const int32_t boxes = sg.outputs[0], scores = sg.outputs[1];
  const int32_t anchors_n = sg.tensors[static_cast<size_t>(boxes)].shape.at(1);
  auto add = [&](const std::string& name, DType t, std::vector<int32_t> shape) {
    Tensor x;
    x.name = name;
    x.dtype = t;
    x.shape = std::move(shape);
    sg.tensors.push_back(std::move(x));
    return static_cast<int32_t>(sg.tensors.size() - 1);
  };
  int32_t anchors = add("anchors", DType::kFloat32, {anchors_n, 4});
  sg.tensors.back().data =
      Bytes::own(std::vector<uint8_t>(static_cast<size_t>(anchors_n) * 4 * sizeof(float)));
  std::vector<int32_t> outs = {add("detection_boxes", DType::kFloat32, {1, 10, 4}),
                               add("detection_classes", DType::kFloat32, {1, 10}),
                               add("detection_scores", DType::kFloat32, {1, 10}),
                               add("num_detections", DType::kFloat32, {1})};
  Op op;
  op.code = static_cast<int32_t>(BuiltinOp::kCustom);
  op.custom_name = "TFLite_Detection_PostProcess";
  op.inputs = {boxes, scores, anchors};
  op.outputs = outs;
  sg.ops.push_back(std::move(op));
  sg.outputs = outs;
}

// Nelder-Mead minimisation of f over x (unconstrained; callers clamp inside f).
template <typename F>
std::vector<double> nelder_mead(F&& f, std::vector<double> x0, double step, int max_evals,
                                int* evals) {
  const size_t n = x0.size();
  std::vector<std::vector<double>> simplex(n + 1, x0);
  for (size_t i = 0; i < n; ++i) simplex[i + 1][i] += step;
  std::vector<double> fx(n + 1);
  for (size_t i = 0; i <= n; ++i) fx[i] = f(simplex[i]);
  *evals += static_cast<int>(n + 1);
  std::vector<size_t> order(n + 1);
  while (*evals < max_evals) {
    for (size_t i = 0; i <= n; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return fx[a] < fx[b]; });
    const size_t best = order[0], worst = order[n], second = order[n - 1];
    if (fx[worst] - fx[best] < 1e-12) break;
    std::vector<double> centroid(n, 0.0);
    for (size_t i = 0; i <= n; ++i)
      if (i != worst)
        for (size_t d = 0; d < n; ++d) centroid[d] += simplex[i][d] / static_cast<double>(n);
    auto towards = [&](double t) {
      std::vector<double> p(n);
      for (size_t d = 0; d < n; ++d) p[d] = centroid[d] + t * (simplex[worst][d] - centroid[d]);
      return p;
    };
    auto reflected = towards(-1.0);
    double fr = f(reflected);
    ++*evals;
    if (fr < fx[best]) {
      auto expanded = towards(-2.0);
      double fe = f(expanded);
      ++*evals;
      if (fe < fr) {
        simplex[worst] = expanded;
        fx[worst] = fe;
      } else {
        simplex[worst] = reflected;
        fx[worst] = fr;
      }
    } else if (fr < fx[second]) {
      simplex[worst] = reflected;
      fx[worst] = fr;
    } else {
      auto contracted = towards(0.5);
      double fc = f(contracted);
      ++*evals;
      if (fc < fx[worst]) {
        simplex[worst] = contracted;
        fx[worst] = fc;
      } else {
        for (size_t i = 0; i <= n; ++i) {
          if (i == best) continue;
          for (size_t d = 0; d < n; ++d)
            simplex[i][d] = simplex[best][d] + 0.5 * (simplex[i][d] - simplex[best][d]);
          fx[i] = f(simplex[i]);
          ++*evals;
        }
      }
    }
  }
  size_t best = static_cast<size_t>(std::min_element(fx.begin(), fx.end()) - fx.begin());
  return simplex[best];
}

// One free parameter: where it lives in the profile and its allowed range (physical bounds, not
// tuning: e.g. an efficiency cannot pass 1, a USB 3 link cannot pass its signalling rate).
struct Param {
  double* value;
  double lo, hi;
};

std::vector<Param> free_params(CalibratedProfile& p) {
  std::vector<Param> v = {{&p.chip.mac_efficiency, 0.02, 1.0},
                          {&p.chip.depthwise_mac_factor, 1.0, 64.0},
                          {&p.chip.op_overhead_us, 0.1, 500.0},
                          {&p.chip.vector_elements_per_cycle, 1.0, 4096.0}};
  for (auto& [kind, l] : p.links) {
    v.push_back({&l.effective_mb_s, 1.0, 4000.0});
    v.push_back({&l.invoke_overhead_us, 1.0, 20000.0});
  }
  for (auto& [kind, h] : p.hosts) v.push_back({&h.ns_per_element, 0.01, 1000.0});
  return v;
}

}  // namespace

CalibrationSet read_calibration_set(const std::string& dir) {
  CalibrationSet set;
  const std::string coral = dir + "/coral_benchmarks.csv";
  for (const auto& row : read_csv(coral)) {
    const std::string& model = row.at("model");
    auto input = static_cast<int32_t>(number(row, "input", coral));
    set.points.push_back(
        {model, input, "usb3-1x", "coral_benchmarks.csv:usb3_ms", number(row, "usb3_ms", coral)});
    set.points.push_back({model, input, "devboard", "coral_benchmarks.csv:devboard_ms",
                          number(row, "devboard_ms", coral)});
    set.host_points.push_back({model, input, "x86", number(row, "desktop_cpu_ms", coral)});
    set.host_points.push_back({model, input, "cortex_a53", number(row, "embedded_cpu_ms", coral)});
  }
  const std::string pycoral = dir + "/pycoral_reference.csv";
  for (const auto& row : read_csv(pycoral)) {
    const std::string& model = row.at("model");
    auto input = static_cast<int32_t>(number(row, "input", pycoral));
    set.points.push_back({model, input, "usb3-1x", "pycoral_reference.csv:x86_usb3_ms",
                          number(row, "x86_usb3_ms", pycoral)});
    set.points.push_back({model, input, "devboard", "pycoral_reference.csv:devboard_ms",
                          number(row, "devboard_ms", pycoral)});
    set.points.push_back({model, input, "usb2-1x", "pycoral_reference.csv:rpi3bplus_usb2_ms",
                          number(row, "rpi3bplus_usb2_ms", pycoral)});
  }
  return set;
}

Calibrator::Calibrator(CalibrationSet set) : set_(std::move(set)) {
  const ChipSpec chip;  // every calibration platform uses the default chip at full clock
  auto ensure = [&](const std::string& name, int32_t input) {
    for (const Model& m : models_)
      if (m.name == name && m.input == input) return;
    zoo::ZooOptions o;
    o.input = input;
    Graph g = zoo::build_zoo_model(name, o);
    if (name.rfind("ssd_", 0) == 0) append_detection_postprocess(g);
    models_.push_back(
        {name, input,
         SegmentCompiler(g, chip).place(0, static_cast<int32_t>(g.main().ops.size()))});
  };
  for (const auto& p : set_.points) ensure(p.model, p.input);
  for (const auto& p : set_.host_points) ensure(p.model, p.input);
  for (const auto& p : set_.points) {
    bool have = false;
    for (const Platform& pf : platforms_) have = have || pf.name == p.platform;
    if (!have) platforms_.push_back(load_platform(p.platform));
  }
}

const Placement& Calibrator::placement(const std::string& model, int32_t input) const {
  for (const Model& m : models_)
    if (m.name == model && m.input == input) return m.placement;
  throw Error("model not prepared: " + model, "calibration");
}

CalibratedProfile Calibrator::with_host_speeds(CalibratedProfile p) const {
  std::map<std::string, std::vector<double>> speeds;
  for (const auto& h : set_.host_points)
    speeds[h.host].push_back(static_cast<double>(placement(h.model, h.input).macs) /
                             (h.published_ms * 1e6));
  for (auto& [host, v] : speeds) {
    std::sort(v.begin(), v.end());
    double median = v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
    p.hosts[host].kind = host;
    p.hosts[host].gmacs = median;
  }
  return p;
}

CalibrationReport Calibrator::evaluate(const CalibratedProfile& profile) const {
  CalibrationReport r;
  r.profile = profile;
  double sum_abs = 0, sum_log2 = 0;
  for (const auto& pt : set_.points) {
    Platform pf = *std::find_if(platforms_.begin(), platforms_.end(),
                                [&](const Platform& x) { return x.name == pt.platform; });
    apply_profile(pf, profile);
    CalibrationRow row;
    row.point = pt;
    row.cost = cost(placement(pt.model, pt.input), pf);
    row.predicted_ms = row.cost.latency_ms();
    row.error = (row.predicted_ms - pt.published_ms) / pt.published_ms;
    sum_abs += std::abs(row.error);
    double l = std::log(row.predicted_ms / pt.published_ms);
    sum_log2 += l * l;
    r.max_abs_error = std::max(r.max_abs_error, std::abs(row.error));
    r.rows.push_back(std::move(row));
  }
  if (!r.rows.empty()) {
    r.mape = sum_abs / static_cast<double>(r.rows.size());
    r.log_rms = std::sqrt(sum_log2 / static_cast<double>(r.rows.size()));
  }
  return r;
}

CalibrationReport Calibrator::fit(const CalibratedProfile& start) const {
  CalibratedProfile work = with_host_speeds(start);
  for (const Platform& pf : platforms_) {  // every link and host kind needs a starting value
    if (!work.links.count(pf.link.kind)) work.links[pf.link.kind] = pf.link;
    if (!work.hosts.count(pf.host.kind)) work.hosts[pf.host.kind] = pf.host;
  }
  std::vector<Param> params = free_params(work);
  auto set_from = [&](const std::vector<double>& x) {
    for (size_t i = 0; i < params.size(); ++i)
      *params[i].value = std::clamp(std::exp(x[i]), params[i].lo, params[i].hi);
  };
  auto objective = [&](const std::vector<double>& x) {
    set_from(x);
    double s = 0;
    for (const auto& pt : set_.points) {
      Platform pf = *std::find_if(platforms_.begin(), platforms_.end(),
                                  [&](const Platform& p) { return p.name == pt.platform; });
      apply_profile(pf, work);
      double l = std::log(cost(placement(pt.model, pt.input), pf).latency_ms() / pt.published_ms);
      s += l * l;
    }
    return s;
  };
  std::vector<double> x(params.size());
  for (size_t i = 0; i < params.size(); ++i)
    x[i] = std::log(std::clamp(*params[i].value, params[i].lo, params[i].hi));
  int evals = 0;
  // Restarts shake the simplex loose from the flat valleys Nelder-Mead tends to stall in.
  for (double step : {1.0, 0.5, 0.25, 0.1})
    x = nelder_mead(objective, x, step, evals + 6000, &evals);
  set_from(x);
  work.source = "coral_benchmarks.csv + pycoral_reference.csv (usb3, devboard, usb2 columns)";
  CalibrationReport r = evaluate(work);
  r.evaluations = evals;
  return r;
}

}  // namespace tpulab::device
