// A model as users name one on any command: a .tflite path, or "zoo:NAME" for a zoo model built
// in memory with its default options (no file to write first).
#pragma once

#include <string>

#include "model/graph.h"

namespace tpulab {

inline constexpr const char* kZooPrefix = "zoo:";

// Reads the file or builds the zoo model. Throws IoError/ModelError for a bad file, UsageError
// for an unknown zoo name.
Graph load_model(const std::string& spec);
// The name results are reported under: the zoo model's name, or the file's stem.
std::string model_name(const std::string& spec);

}  // namespace tpulab
