#include "model/op.h"

#include <fmt/format.h>

#include "schema/tflite_generated.h"

namespace tpulab {

std::string builtin_op_name(int32_t code) {
  // The generated table names every code the schema defines; gaps come back empty.
  if (code >= 0 && code <= static_cast<int32_t>(tfl::BuiltinOperator::MAX)) {
    const char* n = tfl::EnumNameBuiltinOperator(static_cast<tfl::BuiltinOperator>(code));
    if (n != nullptr && *n != '\0') return n;
  }
  return fmt::format("BUILTIN_{}", code);
}

std::string Op::name() const { return is_custom() ? custom_name : builtin_op_name(code); }

std::string activation_name(Activation a) {
  switch (a) {
    case Activation::kNone: return "NONE";
    case Activation::kRelu: return "RELU";
    case Activation::kReluN1To1: return "RELU_N1_TO_1";
    case Activation::kRelu6: return "RELU6";
    case Activation::kTanh: return "TANH";
    case Activation::kSignBit: return "SIGN_BIT";
  }
  return fmt::format("ACTIVATION_{}", static_cast<int>(a));
}

std::string padding_name(Padding p) {
  switch (p) {
    case Padding::kSame: return "SAME";
    case Padding::kValid: return "VALID";
  }
  return fmt::format("PADDING_{}", static_cast<int>(p));
}

}  // namespace tpulab
