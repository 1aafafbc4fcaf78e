#include "partition/measured_latency.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <vector>

#include "common/error.h"
#include "engine/interpreter.h"
#include "partition/segment.h"

namespace tpulab::partition {

MeasuredLatency::MeasuredLatency(MeasureOptions opts) : opts_(opts) {
  if (opts_.runs < 1)
    throw UsageError(fmt::format("measuring needs at least 1 run (got {})", opts_.runs),
                     "--measure-runs");
  if (opts_.warmup < 0) throw UsageError("negative warm-up run count", "MeasureOptions::warmup");
}

double MeasuredLatency::latency_ms(const Graph& graph, int32_t first, int32_t end) {
  const auto n = static_cast<int32_t>(graph.main().ops.size());
  if (first < 0 || end > n || first >= end)
    throw UsageError(fmt::format("op range [{}, {}) is not a segment of {} ops", first, end, n),
                     "MeasuredLatency");
  if (&graph != graph_) {  // ranges of another model are other segments
    cache_.clear();
    graph_ = &graph;
  }
  auto [it, fresh] = cache_.try_emplace({first, end}, 0.0);
  if (fresh) {
    try {
      it->second = measure(graph, first, end);
    } catch (...) {
      cache_.erase(it);
      throw;
    }
    ++measurements_;
  }
  return it->second;
}

double MeasuredLatency::measure(const Graph& graph, int32_t first, int32_t end) const {
  // The range as the stand-alone segment a device would run: cut before and after it.
  std::vector<int32_t> starts;
  if (first > 0) starts.push_back(first);
  if (end < static_cast<int32_t>(graph.main().ops.size())) starts.push_back(end);
  std::vector<Segment> segments = split_into_segments(graph, starts);
  const Graph& seg = segments[first > 0 ? 1 : 0].graph;

  engine::InterpreterOptions io;
  io.kernels = opts_.kernels;
  io.pool = opts_.pool;
  engine::Interpreter in(seg, fmt::format("segment [{}, {})", first, end), io);
  // Quantized activations get seeded bytes rather than zeros so that no kernel meets a
  // degenerate input; other inputs stay zero (random floats would give NaNs and denormals, which
  // time differently, and random integers may be out-of-range indices).
  std::mt19937 rng(static_cast<uint32_t>(opts_.seed));
  for (size_t i = 0; i < in.num_inputs(); ++i) {
    auto bytes = in.input_bytes(i);
    const DType t = in.input(i).dtype;
    const bool quantized = t == DType::kUInt8 || t == DType::kInt8;
    for (auto& b : bytes) b = quantized ? static_cast<uint8_t>(rng()) : 0;
  }
  for (int r = 0; r < opts_.warmup; ++r) in.invoke();
  std::vector<double> times;
  times.reserve(static_cast<size_t>(opts_.runs));
  for (int r = 0; r < opts_.runs; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    in.invoke();
    const auto t1 = std::chrono::steady_clock::now();
    times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  // The median shrugs off runs disturbed by other processes on the machine.
  auto mid = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2);
  std::nth_element(times.begin(), mid, times.end());
  return *mid;
}

}  // namespace tpulab::partition
