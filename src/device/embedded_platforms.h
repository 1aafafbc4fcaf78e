// The built-in platform and profile TOML files, compiled in from src/device/platforms/ (see
// embed.cmake there). Keyed by file name without ".toml".
#pragma once

#include <map>
#include <string>

namespace tpulab::device {

const std::map<std::string, std::string>& embedded_platform_files();

}  // namespace tpulab::device
