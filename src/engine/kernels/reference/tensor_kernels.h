// Data-movement, elementwise-misc and sequence reference kernels: factories for
// register_tensor_ops.cpp. Each kernel reproduces the corresponding TFLite built-in kernel.
#pragma once

#include <memory>

#include "engine/kernel.h"

namespace tpulab::engine {

std::unique_ptr<Kernel> make_reference_reshape();
std::unique_ptr<Kernel> make_reference_squeeze();
std::unique_ptr<Kernel> make_reference_concatenation();
std::unique_ptr<Kernel> make_reference_pad();  // PAD and PADV2
std::unique_ptr<Kernel> make_reference_strided_slice();
std::unique_ptr<Kernel> make_reference_slice();
std::unique_ptr<Kernel> make_reference_split();
std::unique_ptr<Kernel> make_reference_resize_bilinear();
std::unique_ptr<Kernel> make_reference_arg_max();
std::unique_ptr<Kernel> make_reference_arg_min();
std::unique_ptr<Kernel> make_reference_cast();
std::unique_ptr<Kernel> make_reference_div();
std::unique_ptr<Kernel> make_reference_floor_div();
std::unique_ptr<Kernel> make_reference_gather_nd();
std::unique_ptr<Kernel> make_reference_pack();
std::unique_ptr<Kernel> make_reference_unpack();
std::unique_ptr<Kernel> make_reference_sqrt();
std::unique_ptr<Kernel> make_reference_unidirectional_sequence_lstm();

}  // namespace tpulab::engine
