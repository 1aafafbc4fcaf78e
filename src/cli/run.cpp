// tpulab run MODEL.tflite --input IMAGE | --input-raw a.bin[,b.bin] [--output-raw o.bin,...]
//                         [--top K] [--labels FILE] [--kernels reference|optimized] [--threads T]
//                         [--mean M --std S] [--json]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <thread>

#include "cli/commands.h"
#include "common/error.h"
#include "common/table.h"
#include "engine/image.h"
#include "engine/interpreter.h"
#include "engine/thread_pool.h"
#include "model/tflite.h"

namespace tpulab::cli {

namespace {

using nlohmann::json;

struct RunArgs {
  std::string model;
  std::string input;
  std::vector<std::string> input_raw, output_raw;
  int top = 5;
  std::string labels;
  std::string kernels = "optimized";
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::optional<float> mean, std;
  bool json = false;
};

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw IoError("cannot open file", path);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) throw IoError("cannot read file", path);
  return bytes;
}

void write_file(const std::string& path, std::span<const uint8_t> bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw IoError("cannot create file", path);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw IoError("cannot write file", path);
}

std::vector<std::string> read_labels(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw IoError("cannot open labels file", path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(f, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

// Element i as a real number: dequantized when the tensor is quantized.
std::optional<double> value_at(const engine::TensorRef& t, int64_t i) {
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

// A classifier's output: one score per class, [N] or [1,N] with N > 1.
bool is_scores(const engine::TensorRef& t) {
  const auto& s = t.shape;
  const bool vector = (s.size() == 1) || (s.size() == 2 && s[0] == 1);
  return vector && t.num_elements() > 1 && value_at(t, 0).has_value();
}

void run(const RunArgs& a) {
  if (a.input.empty() == a.input_raw.empty())
    throw UsageError("give exactly one of --input IMAGE and --input-raw FILE[,FILE...]", "");
  if (a.mean.has_value() != a.std.has_value()) throw UsageError("--mean and --std go together", "");
  const engine::KernelSet kernels = engine::kernel_set_from_name(a.kernels);
  const Graph graph = read_tflite(a.model);
  const std::string name = engine::model_display_name(a.model);
  engine::ThreadPool pool(a.threads);
  engine::Interpreter in(graph, name, {kernels, &pool});

  if (!a.input.empty()) {
    if (in.num_inputs() != 1)
      throw Error(
          fmt::format("--input feeds one image but the model has {} inputs: use --input-raw",
                      in.num_inputs()),
          name);
    std::optional<engine::PixelNormalization> norm;
    if (a.mean) norm = engine::PixelNormalization{*a.mean, *a.std};
    engine::load_image_input(a.input, in.input(0), in.input_bytes(0), norm);
  } else {
    if (a.input_raw.size() != in.num_inputs())
      throw Error(fmt::format("the model has {} inputs but --input-raw gives {} files",
                              in.num_inputs(), a.input_raw.size()),
                  name);
    for (size_t i = 0; i < in.num_inputs(); ++i) {
      const std::vector<uint8_t> bytes = read_file(a.input_raw[i]);
      const std::span<uint8_t> dst = in.input_bytes(i);
      const engine::TensorRef& t = in.input(i);
      if (bytes.size() != dst.size())
        throw Error(fmt::format("input {} ({}) is {} {} = {} bytes, but the file has {} bytes", i,
                                in.input_name(i), dtype_name(t.dtype), shape_string(t.shape),
                                dst.size(), bytes.size()),
                    a.input_raw[i]);
      std::copy(bytes.begin(), bytes.end(), dst.begin());
    }
  }
  if (!a.output_raw.empty() && a.output_raw.size() != in.num_outputs())
    throw Error(fmt::format("the model has {} outputs but --output-raw gives {} files",
                            in.num_outputs(), a.output_raw.size()),
                name);

  const auto t0 = std::chrono::steady_clock::now();
  in.invoke();
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  for (size_t i = 0; i < a.output_raw.size(); ++i) write_file(a.output_raw[i], in.output_bytes(i));

  const std::vector<std::string> labels =
      a.labels.empty() ? std::vector<std::string>{} : read_labels(a.labels);
  auto label = [&](int64_t i) {
    return static_cast<size_t>(i) < labels.size() ? labels[static_cast<size_t>(i)] : "";
  };

  json j;
  j["model"] = a.model;
  j["kernels"] = a.kernels;
  j["threads"] = a.threads;
  j["ms"] = ms;
  j["outputs"] = json::array();
  std::string text;
  for (size_t o = 0; o < in.num_outputs(); ++o) {
    const engine::TensorRef& t = in.output(o);
    json jo{{"name", in.output_name(o)}, {"dtype", dtype_name(t.dtype)}, {"shape", t.shape}};
    if (is_scores(t)) {
      std::vector<int64_t> order(static_cast<size_t>(t.num_elements()));
      std::iota(order.begin(), order.end(), int64_t{0});
      const auto k = static_cast<size_t>(std::clamp<int64_t>(a.top, 1, t.num_elements()));
      // Highest score first; the lower index first on ties (as ARG_MAX picks).
      std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                        [&](int64_t x, int64_t y) {
                          const double vx = *value_at(t, x), vy = *value_at(t, y);
                          return vx != vy ? vx > vy : x < y;
                        });
      TextTable table({"rank", "class", "score", "label"});
      table.right_align({0, 1, 2});
      json top = json::array();
      for (size_t r = 0; r < k; ++r) {
        const int64_t c = order[r];
        const double score = *value_at(t, c);
        table.add(
            {std::to_string(r + 1), std::to_string(c), fmt::format("{:.5f}", score), label(c)});
        top.push_back({{"class", c}, {"score", score}, {"label", label(c)}});
      }
      jo["top"] = top;
      text += fmt::format("output {} ({}, {} {}): top {}\n{}", o, in.output_name(o),
                          dtype_name(t.dtype), shape_string(t.shape), k, table.str());
    } else {
      // Other outputs: their values (dequantized), abbreviated on the terminal.
      constexpr int64_t kShown = 64, kJsonMax = 1 << 20;
      const int64_t n = t.num_elements();
      json values = json::array();
      std::string shown;
      for (int64_t i = 0; i < n && i < kJsonMax; ++i) {
        const std::optional<double> v = value_at(t, i);
        if (!v) break;
        values.push_back(*v);
        if (i < kShown) shown += fmt::format("{}{:.6g}", i == 0 ? "" : " ", *v);
      }
      if (n <= kJsonMax) jo["values"] = values;
      text += fmt::format("output {} ({}, {} {}):\n  {}{}\n", o, in.output_name(o),
                          dtype_name(t.dtype), shape_string(t.shape), shown,
                          n > kShown ? fmt::format(" ... ({} values)", n) : "");
    }
    j["outputs"].push_back(jo);
  }
  if (a.json) {
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("{}: {} kernels, {} thread{}, {:.2f} ms\n{}", name, a.kernels, a.threads,
               a.threads == 1 ? "" : "s", ms, text);
  }
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd =
      app.add_subcommand("run", "Run a model once on the CPU engine (an image or raw tensors)");
  cmd->add_option("model", args->model, "TFLite model")->required()->check(CLI::ExistingFile);
  cmd->add_option("--input", args->input,
                  "Image (BMP/PNG/JPEG), resized bilinearly to the input's size");
  cmd->add_option("--input-raw", args->input_raw,
                  "Raw input tensor bytes, one file per model input")
      ->delimiter(',');
  cmd->add_option("--output-raw", args->output_raw, "Write each output tensor's raw bytes")
      ->delimiter(',');
  cmd->add_option("--top", args->top, "Classes to show for classifier outputs")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--labels", args->labels, "Label file, one line per class index");
  cmd->add_option("--kernels", args->kernels, "Kernel set")
      ->check(CLI::IsMember({"reference", "optimized"}));
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--mean", args->mean, "Pixel normalization: real = (pixel - mean) / std");
  cmd->add_option("--std", args->std, "Pixel normalization: real = (pixel - mean) / std");
  cmd->add_flag("--json", args->json, "Machine-readable output");
  cmd->callback([args] { run(*args); });
}

}  // namespace tpulab::cli
