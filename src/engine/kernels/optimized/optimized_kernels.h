// Optimized kernel factories (register_optimized.cpp). Each reuses the reference plan (same
// checks, same precomputed multipliers) and must produce bit-identical outputs.
#pragma once

#include <memory>

#include "engine/kernel.h"
#include "engine/kernels/reference/math_kernels.h"

namespace tpulab::engine {

std::unique_ptr<Kernel> make_optimized_conv_2d();
std::unique_ptr<Kernel> make_optimized_depthwise_conv_2d();
std::unique_ptr<Kernel> make_optimized_fully_connected();
std::unique_ptr<Kernel> make_optimized_quantize();
std::unique_ptr<Kernel> make_optimized_mean();
std::unique_ptr<Kernel> make_optimized_add();
std::unique_ptr<Kernel> make_optimized_sub();
std::unique_ptr<Kernel> make_optimized_mul();
std::unique_ptr<Kernel> make_optimized_average_pool_2d();
std::unique_ptr<Kernel> make_optimized_max_pool_2d();

}  // namespace tpulab::engine
