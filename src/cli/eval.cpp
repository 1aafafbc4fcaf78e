// tpulab eval MODEL.tflite --dataset fashion-mnist[:test|:train] [--limit N] [--threads T]
//                          [--kernels reference|optimized] [--data-dir DIR] [--mean M --std S]
//                          [--confusion-csv FILE] [--json]
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "common/error.h"
#include "common/file_io.h"
#include "common/json_text.h"
#include "common/table.h"
#include "data/datasets.h"
#include "data/evaluate.h"
#include "engine/interpreter.h"
#include "model/tflite.h"
#include "model/zoo/model_spec.h"

namespace tpulab::cli {

namespace {

using nlohmann::json;

struct EvalArgs {
  std::string model;
  std::string dataset;
  std::string data_dir;
  int32_t limit = -1;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::string kernels = "optimized";
  std::optional<float> mean, std;
  std::string confusion_csv;
  bool json = false;
};

void print_progress(int32_t done, int32_t total) {
  constexpr int kWidth = 40;
  const int filled = total > 0 ? static_cast<int>(int64_t{kWidth} * done / total) : kWidth;
  fmt::print(stderr, "\r[{}{}] {}/{} images", std::string(static_cast<size_t>(filled), '#'),
             std::string(static_cast<size_t>(kWidth - filled), ' '), done, total);
  if (done == total) fmt::print(stderr, "\r{}\r", std::string(kWidth + 40, ' '));
  std::fflush(stderr);
}

void eval(const EvalArgs& a) {
  if (a.mean.has_value() != a.std.has_value()) throw UsageError("--mean and --std go together", "");
  const engine::KernelSet kernels = engine::kernel_set_from_name(a.kernels);
  const Graph graph = load_model(a.model);
  const std::string name = engine::model_display_name(a.model);
  const data::LabeledImages images = data::load_dataset(a.dataset, a.data_dir);

  data::EvalOptions opts;
  opts.kernels = kernels;
  opts.threads = a.threads;
  opts.limit = a.limit;
  if (a.mean) opts.normalization = data::PixelNormalization{*a.mean, *a.std};
  if (isatty(STDERR_FILENO) == 1) opts.progress = print_progress;
  const data::EvalResult r = data::evaluate_classifier(graph, name, images, opts);

  const size_t classes = r.class_names.size();
  if (!a.confusion_csv.empty()) {
    std::vector<std::string> header{"true_class"};
    for (const auto& c : r.class_names) header.push_back(c);
    TextTable t(header);
    for (size_t i = 0; i < classes; ++i) {
      std::vector<std::string> row{r.class_names[i]};
      for (int32_t v : r.confusion[i]) row.push_back(std::to_string(v));
      t.add(row);
    }
    write_text_atomic(a.confusion_csv, t.csv());
  }

  if (a.json) {
    json per_class = json::array();
    for (size_t i = 0; i < classes; ++i) {
      int32_t n = 0;
      for (int32_t v : r.confusion[i]) n += v;
      per_class.push_back({{"class", i},
                           {"name", r.class_names[i]},
                           {"images", n},
                           {"correct", r.confusion[i][i]}});
    }
    json j{{"model", a.model},
           {"dataset", r.dataset},
           {"kernels", a.kernels},
           {"threads", a.threads},
           {"images", r.images},
           {"correct", r.correct},
           {"accuracy", r.accuracy()},
           {"seconds", r.seconds},
           {"images_per_second", r.images_per_second()},
           {"per_class", per_class},
           {"confusion", r.confusion}};
    fmt::print("{}\n", json_text(j));
    return;
  }
  fmt::print(
      "{} on {}: {} images, accuracy {:.2f}% ({} correct), {:.0f} images/s ({} kernels, {} "
      "thread{})\n",
      name, r.dataset, with_commas(r.images), 100.0 * r.accuracy(), with_commas(r.correct),
      r.images_per_second(), a.kernels, a.threads, a.threads == 1 ? "" : "s");
  TextTable t({"class", "name", "images", "accuracy", "most often mistaken for"});
  t.right_align({0, 2, 3});
  for (size_t i = 0; i < classes; ++i) {
    int32_t n = 0;
    size_t worst = i;
    for (size_t p = 0; p < classes; ++p) {
      n += r.confusion[i][p];
      if (p != i && (worst == i || r.confusion[i][p] > r.confusion[i][worst])) worst = p;
    }
    const std::string mistaken =
        worst != i && r.confusion[i][worst] > 0
            ? fmt::format("{} ({})", r.class_names[worst], r.confusion[i][worst])
            : "-";
    t.add({std::to_string(i), r.class_names[i], with_commas(n),
           n > 0 ? fmt::format("{:.1f}%", 100.0 * r.confusion[i][i] / n) : "-", mistaken});
  }
  fmt::print("{}", t.str());
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd =
      app.add_subcommand("eval", "Accuracy of a classifier on a labelled dataset (CPU engine)");
  cmd->add_option("model", args->model, "Model file (.tflite) or zoo:NAME")->required();
  cmd->add_option("--dataset", args->dataset, "fashion-mnist[:test|:train]")->required();
  cmd->add_option("--data-dir", args->data_dir,
                  fmt::format("Dataset folder (default {})", data::kFashionMnistDir));
  cmd->add_option("--limit", args->limit, "Only the first N images")->check(whole_number(1));
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)")
      ->check(whole_number(1, 256));
  cmd->add_option("--kernels", args->kernels, "Kernel set")
      ->check(CLI::IsMember({"reference", "optimized"}));
  cmd->add_option("--mean", args->mean, "Pixel normalization: real = (pixel - mean) / std")
      ->check(real_number(-1e6, 1e6));
  cmd->add_option("--std", args->std, "Pixel normalization: real = (pixel - mean) / std")
      ->check(real_number(0, 1e6, true));
  cmd->add_option("--confusion-csv", args->confusion_csv, "Write the confusion matrix as CSV");
  cmd->add_flag("--json", args->json, "Machine-readable output");
  cmd->callback([args] { eval(*args); });
}

}  // namespace tpulab::cli
