// A System of TimedDevices for runtime tests: each pipeline its own devices with fixed times.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/fake_devices.h"
#include "pipeline/system.h"

namespace tpulab::pipeline::testing {

// A system of independent pipelines, one per entry, stage times in ms. Model m has the pipelines
// whose `models` entry is m.
inline System timed_system(const std::vector<std::vector<double>>& pipelines_ms,
                           std::vector<size_t> models = {}) {
  if (models.empty()) models.assign(pipelines_ms.size(), 0);
  System sys;
  sys.platform.name = "timed";
  sys.timing_only = true;
  const size_t n_models = *std::max_element(models.begin(), models.end()) + 1;
  for (size_t m = 0; m < n_models; ++m)
    sys.models.push_back({"model" + std::to_string(m), {{"t0", 1}}, {}, {}});
  for (size_t p = 0; p < pipelines_ms.size(); ++p) {
    Pipeline pipe;
    pipe.model = models[p];
    for (size_t s = 0; s < pipelines_ms[p].size(); ++s) {
      sys.devices.push_back(std::make_unique<TimedDevice>(
          "p" + std::to_string(p) + "s" + std::to_string(s), pipelines_ms[p][s],
          std::vector<std::string>{"t" + std::to_string(s)},
          std::vector<std::string>{"t" + std::to_string(s + 1)}));
      sys.device_locks.push_back(std::make_unique<std::mutex>());
      pipe.devices.push_back(sys.devices.size() - 1);
      pipe.stages.push_back({sys.devices.back().get(), 0, nullptr});
    }
    pipe.routing = route(pipe.stages, {});
    sys.pipelines.push_back(std::move(pipe));
  }
  return sys;
}

}  // namespace tpulab::pipeline::testing
