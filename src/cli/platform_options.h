// The --platform / --platform-file / --profile options every simulating subcommand takes.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "device/platform.h"

namespace tpulab::cli {

struct PlatformOptions {
  std::string platform;  // built-in name; the default is the caller's
  std::string platform_file, profile;
};

void add_platform_options(CLI::App* cmd, PlatformOptions& opts);
// The chosen platform with the chosen (or built-in) calibrated profile.
device::Platform load_platform(const PlatformOptions& opts);

}  // namespace tpulab::cli
