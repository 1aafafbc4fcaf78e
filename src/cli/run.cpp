// tpulab run MODEL.tflite --input IMAGE | --input-raw a.bin[,b.bin] [--output-raw o.bin,...]
//                         [--top K] [--labels FILE] [--kernels reference|optimized] [--threads T]
//                         [--mean M --std S] [--json]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <thread>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "common/error.h"
#include "common/file_io.h"
#include "common/json_text.h"
#include "common/table.h"
#include "data/datasets.h"
#include "data/image.h"
#include "engine/interpreter.h"
#include "engine/outputs.h"
#include "engine/thread_pool.h"
#include "model/tflite.h"
#include "model/zoo/model_spec.h"

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

void run(const RunArgs& a) {
  if (a.input.empty() == a.input_raw.empty())
    throw UsageError("give exactly one of --input IMAGE and --input-raw FILE[,FILE...]", "");
  if (a.mean.has_value() != a.std.has_value()) throw UsageError("--mean and --std go together", "");
  const engine::KernelSet kernels = engine::kernel_set_from_name(a.kernels);
  const Graph graph = load_model(a.model);
  const std::string name = engine::model_display_name(a.model);
  engine::ThreadPool pool(a.threads);
  engine::Interpreter in(graph, name, {kernels, &pool});

  if (!a.input.empty()) {
    if (in.num_inputs() != 1)
      throw Error(
          fmt::format("--input feeds one image but the model has {} inputs: use --input-raw",
                      in.num_inputs()),
          name);
    std::optional<data::PixelNormalization> norm;
    if (a.mean) norm = data::PixelNormalization{*a.mean, *a.std};
    data::load_image_input(a.input, in.input(0), in.input_bytes(0), norm);
  } else {
    if (a.input_raw.size() != in.num_inputs())
      throw Error(fmt::format("the model has {} inputs but --input-raw gives {} files",
                              in.num_inputs(), a.input_raw.size()),
                  name);
    for (size_t i = 0; i < in.num_inputs(); ++i) {
      const std::vector<uint8_t> bytes =
          read_file(a.input_raw[i], file_limits::kRawTensor, "raw input");
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

  // Read before running, so that a bad label file fails before any output is written.
  const std::vector<std::string> labels =
      a.labels.empty() ? std::vector<std::string>{} : data::read_labels(a.labels);
  const auto t0 = std::chrono::steady_clock::now();
  in.invoke();
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  for (size_t i = 0; i < a.output_raw.size(); ++i)
    write_file_atomic(a.output_raw[i], in.output_bytes(i));

  json j;
  j["model"] = a.model;
  j["kernels"] = a.kernels;
  j["threads"] = a.threads;
  j["ms"] = ms;
  j["outputs"] = json::array();
  std::string text;
  for (size_t o = 0; o < in.num_outputs(); ++o) {
    const engine::TensorRef& t = in.output(o);
    const engine::OutputSummary out = engine::summarize_output(t, in.output_name(o), a.top, labels);
    j["outputs"].push_back(engine::to_json(out));
    if (!out.top.empty()) {
      TextTable table({"rank", "class", "score", "label"});
      table.right_align({0, 1, 2});
      for (size_t r = 0; r < out.top.size(); ++r)
        table.add({std::to_string(r + 1), std::to_string(out.top[r].index),
                   fmt::format("{:.5f}", out.top[r].score), out.top[r].label});
      text += fmt::format("output {} ({}, {} {}): top {}\n{}", o, out.name, dtype_name(t.dtype),
                          shape_string(t.shape), out.top.size(), table.str());
    } else {
      // Other outputs: their values (dequantized), abbreviated on the terminal.
      constexpr int64_t kShown = 64;
      std::string shown;
      for (int64_t i = 0; i < out.count && i < kShown; ++i) {
        const std::optional<double> v = engine::real_value(t, i);
        if (!v) break;
        shown += fmt::format("{}{:.6g}", i == 0 ? "" : " ", *v);
      }
      text += fmt::format("output {} ({}, {} {}):\n  {}{}\n", o, out.name, dtype_name(t.dtype),
                          shape_string(t.shape), shown,
                          out.count > kShown ? fmt::format(" ... ({} values)", out.count) : "");
    }
  }
  if (a.json) {
    fmt::print("{}\n", json_text(j));
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
  cmd->add_option("model", args->model, "Model file (.tflite) or zoo:NAME")->required();
  cmd->add_option("--input", args->input,
                  "Image (BMP/PNG/JPEG), resized bilinearly to the input's size");
  cmd->add_option("--input-raw", args->input_raw,
                  "Raw input tensor bytes, one file per model input")
      ->delimiter(',');
  cmd->add_option("--output-raw", args->output_raw, "Write each output tensor's raw bytes")
      ->delimiter(',');
  cmd->add_option("--top", args->top, "Classes to show for classifier outputs")
      ->check(whole_number(1));
  cmd->add_option("--labels", args->labels, "Label file, one line per class index");
  cmd->add_option("--kernels", args->kernels, "Kernel set")
      ->check(CLI::IsMember({"reference", "optimized"}));
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)")
      ->check(whole_number(1, 256));
  cmd->add_option("--mean", args->mean, "Pixel normalization: real = (pixel - mean) / std")
      ->check(real_number(-1e6, 1e6));
  cmd->add_option("--std", args->std, "Pixel normalization: real = (pixel - mean) / std")
      ->check(real_number(0, 1e6, true));
  cmd->add_flag("--json", args->json, "Machine-readable output");
  cmd->callback([args] { run(*args); });
}

}  // namespace tpulab::cli
