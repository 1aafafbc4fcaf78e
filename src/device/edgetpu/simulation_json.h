// A simulation as JSON: the one layout `tpulab simulate --json`, plan.json and reports share.
#pragma once

#include <nlohmann/json.hpp>

#include "device/edgetpu/cost.h"

namespace tpulab::device {

// One segment: op range, placement (TPU/CPU ops, parameter bytes cached/streamed, SRAM, I/O
// bytes), latency breakdown, energy and model-switch cost.
nlohmann::json segment_to_json(const Placement& placement, const Cost& cost, const Platform& platform);

// The whole pipeline: platform, latency_ms, throughput_ips, bottleneck_ms, shared-link figures,
// energy_mj, average_power_w and the `segments` array.
nlohmann::json simulation_to_json(const Simulation& simulation, const Platform& platform);

}  // namespace tpulab::device
