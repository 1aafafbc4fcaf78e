// tpulab: one binary, thin subcommands over the library modules.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "cli/commands.h"
#include "common/error.h"

int main(int argc, char** argv) {
  CLI::App app{"tpulab: a lab for neural networks on Edge TPUs (models, simulation, power)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tpulab 0.1.0");
  tpulab::cli::add_inspect_command(app);
  tpulab::cli::add_zoo_command(app);
  tpulab::cli::add_simulate_command(app);
  tpulab::cli::add_calibrate_command(app);
  tpulab::cli::add_segment_command(app);
  tpulab::cli::add_power_command(app);
  tpulab::cli::add_pipeline_command(app);
  tpulab::cli::add_run_command(app);
  tpulab::cli::add_eval_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "error: {}\nRun with --help for usage.\n", e.what());
    return 2;
  } catch (const tpulab::FieldError& e) {
    // The library names its option fields; this front end calls them --flags.
    std::string flag = "--" + e.field();
    for (char& c : flag)
      if (c == '_') c = '-';
    fmt::print(stderr, "error: {} ({})\n", e.problem(), flag);
    return 2;
  } catch (const tpulab::UsageError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  return 0;
}
