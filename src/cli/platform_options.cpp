#include "cli/platform_options.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace tpulab::cli {

void add_platform_options(CLI::App* cmd, PlatformOptions& opts) {
  cmd->add_option(
         "--platform", opts.platform,
         "Built-in platform (" + fmt::format("{}", fmt::join(device::platform_names(), ", ")) + ")")
      ->capture_default_str();
  cmd->add_option("--platform-file", opts.platform_file,
                  "Platform TOML file (instead of --platform)");
  cmd->add_option("--profile", opts.profile, "Calibrated profile TOML (default: built-in)");
}

device::Platform load_platform(const PlatformOptions& opts) {
  const device::CalibratedProfile profile =
      opts.profile.empty() ? device::builtin_profile() : device::load_profile_file(opts.profile);
  return opts.platform_file.empty() ? device::load_platform(opts.platform, profile)
                                    : device::load_platform_file(opts.platform_file, profile);
}

}  // namespace tpulab::cli
