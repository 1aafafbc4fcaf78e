// Each subcommand lives in its own file and adds itself to the app here.
#pragma once

#include <CLI/CLI.hpp>

namespace tpulab::cli {

void add_inspect_command(CLI::App& app);
void add_zoo_command(CLI::App& app);
void add_simulate_command(CLI::App& app);
void add_calibrate_command(CLI::App& app);
void add_segment_command(CLI::App& app);
void add_power_command(CLI::App& app);
void add_power_measure_command(CLI::App* power);  // called by add_power_command
void add_pipeline_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_eval_command(CLI::App& app);

}  // namespace tpulab::cli
