// Each subcommand lives in its own file and adds itself to the app here.
#pragma once

#include <CLI/CLI.hpp>

namespace tpulab::cli {

void add_inspect_command(CLI::App& app);
void add_zoo_command(CLI::App& app);
#ifdef TPULAB_HAVE_DEVICE
void add_simulate_command(CLI::App& app);
void add_calibrate_command(CLI::App& app);
#endif
#ifdef TPULAB_HAVE_POWER
void add_power_command(CLI::App& app);
#endif
#ifdef TPULAB_HAVE_ENGINE
void add_run_command(CLI::App& app);
void add_eval_command(CLI::App& app);
#endif

}  // namespace tpulab::cli
