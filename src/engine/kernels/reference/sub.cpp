// SUB reference kernel: ADD's plan and loop with the second input subtracted (TFLite's 8-bit
// SUB uses the same rescaling as ADD).
#include "engine/kernels/reference/math_kernels.h"

namespace tpulab::engine {

namespace {

class SubReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override { plan_ = plan_add_sub(ctx, /*subtract=*/true); }
  void eval(const OpContext& ctx) const override { add_sub_reference(plan_, ctx); }

 private:
  AddSubPlan plan_;
};

}  // namespace

std::unique_ptr<Kernel> make_reference_sub() { return std::make_unique<SubReference>(); }

}  // namespace tpulab::engine
