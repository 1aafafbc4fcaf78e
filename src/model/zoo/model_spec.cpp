#include "model/zoo/model_spec.h"

#include <filesystem>

#include "model/tflite.h"
#include "model/zoo/zoo.h"

namespace tpulab {

namespace {
bool is_zoo(const std::string& spec) { return spec.rfind(kZooPrefix, 0) == 0; }
std::string zoo_name(const std::string& spec) {
  return spec.substr(std::char_traits<char>::length(kZooPrefix));
}
}  // namespace

Graph load_model(const std::string& spec) {
  return is_zoo(spec) ? zoo::build_zoo_model(zoo_name(spec)) : read_tflite(spec);
}

std::string model_name(const std::string& spec) {
  return is_zoo(spec) ? zoo_name(spec) : std::filesystem::path(spec).stem().string();
}

}  // namespace tpulab
