#include "pipeline/routing.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/error.h"

namespace tpulab::pipeline {

namespace {

constexpr int kPipelineInput = -1;

}  // namespace

Routing route(const std::vector<StageBinding>& stages, const std::vector<std::string>& outputs) {
  if (stages.empty()) throw UsageError("a pipeline needs at least one stage", "pipeline");
  for (size_t s = 0; s < stages.size(); ++s)
    if (!stages[s].device)
      throw UsageError("stage " + std::to_string(s) + " has no device", "pipeline");

  Routing r;
  // Where each tensor is made and last read decides how far it travels.
  std::map<std::string, int> produced_by;  // stage, or kPipelineInput
  std::map<std::string, int> last_read;
  for (size_t s = 0; s < stages.size(); ++s) {
    const auto stage = static_cast<int>(s);
    const StageBinding& b = stages[s];
    for (const std::string& name : b.device->input_names(b.segment)) {
      if (!produced_by.contains(name)) {
        produced_by[name] = kPipelineInput;
        r.input_names.push_back(name);
      }
      last_read[name] = stage;
    }
    for (const std::string& name : b.device->output_names(b.segment))
      produced_by.try_emplace(name, stage);
  }

  if (outputs.empty()) {
    for (const auto& [name, stage] : produced_by) {
      auto read = last_read.find(name);
      if (stage != kPipelineInput && (read == last_read.end() || read->second < stage))
        r.output_names.push_back(name);
    }
  } else {
    for (const std::string& name : outputs)
      if (!produced_by.contains(name))
        throw UsageError("output tensor '" + name + "' is neither produced nor pushed", "pipeline");
    r.output_names = outputs;
  }

  const std::set<std::string> kept(r.output_names.begin(), r.output_names.end());
  r.drop_after.resize(stages.size());
  for (const auto& [name, stage] : produced_by) {
    if (kept.contains(name)) continue;
    auto read = last_read.find(name);
    const int last = std::max(stage, read == last_read.end() ? kPipelineInput : read->second);
    if (last >= 0) r.drop_after[static_cast<size_t>(last)].push_back(name);
  }
  return r;
}

InvokeTiming run_stage(const StageBinding& binding, const Routing& routing, size_t stage,
                       TensorMap& tensors) {
  InvokeResult result = binding.device->invoke(binding.segment, tensors);
  for (auto& [name, bytes] : result.outputs) tensors.insert_or_assign(name, std::move(bytes));
  for (const std::string& name : routing.drop_after[stage]) tensors.erase(name);
  return result.timing;
}

}  // namespace tpulab::pipeline
