// JSON as tpulab prints and writes it: indented, and never refused for text that is not UTF-8
// (tensor names come from model files as raw bytes; invalid sequences become U+FFFD).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace tpulab {

inline std::string json_text(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tpulab
