// Reading and writing TFLite model files (.tflite) as Graphs.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model/graph.h"

namespace tpulab {

// Reads a .tflite file: memory-maps it, verifies every flatbuffer, converts it to a Graph
// (constant data stays zero-copy in the mapping) and checks it (see check_graph).
// Throws ModelError "<file>: <what is wrong> (<where>)" or IoError.
Graph read_tflite(const std::string& path);

// Same, from bytes in memory. `name` is used in error messages. Constant data is copied unless
// `keepalive` keeps `bytes` alive for as long as the Graph's data is used.
Graph read_tflite_bytes(std::span<const uint8_t> bytes, const std::string& name,
                        std::shared_ptr<const void> keepalive = nullptr);

// Serializes a Graph to a valid .tflite flatbuffer. Throws ModelError for graphs that cannot be
// represented (e.g. over 2 GB).
std::vector<uint8_t> write_tflite(const Graph& graph);
// Writes atomically (temporary file + rename).
void write_tflite_file(const Graph& graph, const std::string& path);

// Semantic checks of a Graph: indices in range, no op reading a tensor produced later (cycles),
// one producer per tensor, constant data sized to shape and dtype, quantization arrays sized
// right, sane shapes. Throws ModelError naming `file` and the place.
void check_graph(const Graph& graph, const std::string& file);

}  // namespace tpulab
