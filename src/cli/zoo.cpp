// tpulab zoo list | tpulab zoo build NAME [--input N] [--width A] [--seed S] -o FILE.tflite
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "common/table.h"
#include "model/analysis.h"
#include "model/tflite.h"
#include "model/zoo/builder.h"
#include "model/zoo/zoo.h"

namespace tpulab::cli {

void add_zoo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("zoo", "Quantized models with published layer structures");
  cmd->require_subcommand(1);
  auto* list = cmd->add_subcommand("list", "List the zoo's models");
  list->callback([] {
    TextTable t({"model", "input", "width", "published params", "built params", "summary"});
    t.right_align({1, 3, 4});
    for (const auto& m : zoo::zoo_models()) {
      int64_t built = zoo::parameter_count(zoo::build_zoo_model(m.name));
      t.add({m.name, std::to_string(m.default_input), m.has_width ? "yes" : "-",
             m.published_params ? with_commas(m.published_params) : "-", with_commas(built),
             m.summary});
    }
    std::cout << t.str();
  });
  struct Opts {
    std::string name, out;
    zoo::ZooOptions zoo;
  };
  auto opts = std::make_shared<Opts>();
  auto* build = cmd->add_subcommand("build", "Write a zoo model as a .tflite file");
  build->add_option("name", opts->name, "Model name (see `tpulab zoo list`)")->required();
  build->add_option("--input", opts->zoo.input, "Square input resolution (default: the model's)")
      ->check(whole_number(1, 2048));
  build->add_option("--width", opts->zoo.width, "Width multiplier (MobileNets)")
      ->check(real_number(0.1, 2.0));
  build->add_option("--seed", opts->zoo.seed, "Weight seed")->check(unsigned_number());
  build->add_option("-o,--output", opts->out, "Output .tflite file")->required();
  build->callback([opts] {
    Graph g = zoo::build_zoo_model(opts->name, opts->zoo);
    write_tflite_file(g, opts->out);
    GraphStats s = analyze(g);
    fmt::print("{}: {} ops, {} parameters ({}), {} MACs\n", opts->out, g.main().ops.size(),
               with_commas(zoo::parameter_count(g)), human_bytes(s.parameter_bytes),
               with_commas(s.macs));
  });
}

}  // namespace tpulab::cli
