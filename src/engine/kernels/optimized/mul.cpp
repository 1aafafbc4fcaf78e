// Optimized MUL: a small broadcast 8-bit input (a scalar, a per-channel vector) through a table
// of the reference's element function (broadcast_table.h); everything else uses the reference.
#include "engine/kernels/optimized/broadcast_table.h"
#include "engine/kernels/optimized/optimized_kernels.h"

namespace tpulab::engine {

namespace {

class MulOptimized : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    plan_ = plan_mul(ctx);
    table_ = plan_broadcast_table(plan_.bc, plan_.dtype);
  }
  size_t scratch_bytes(int /*threads*/) const override { return table_.scratch_bytes(); }
  void eval(const OpContext& ctx) const override {
    if (table_.small < 0)
      mul_reference(plan_, ctx);
    else if (plan_.dtype == DType::kInt8)
      run_broadcast_table<int8_t>(
          table_, ctx, [this](int8_t a, int8_t b) { return mul_element<int8_t>(plan_, a, b); });
    else
      run_broadcast_table<uint8_t>(
          table_, ctx, [this](uint8_t a, uint8_t b) { return mul_element<uint8_t>(plan_, a, b); });
  }

 private:
  MulPlan plan_;
  BroadcastTable table_;
};

}  // namespace

std::unique_ptr<Kernel> make_optimized_mul() { return std::make_unique<MulOptimized>(); }

}  // namespace tpulab::engine
