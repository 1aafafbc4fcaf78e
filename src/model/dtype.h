// Element types of tensors. Numeric values are the TFLite file format's, so conversion is a cast.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tpulab {

enum class DType : uint8_t {
  kFloat32 = 0,
  kFloat16 = 1,
  kInt32 = 2,
  kUInt8 = 3,
  kInt64 = 4,
  kString = 5,
  kBool = 6,
  kInt16 = 7,
  kComplex64 = 8,
  kInt8 = 9,
  kFloat64 = 10,
  kComplex128 = 11,
  kUInt64 = 12,
  kResource = 13,
  kVariant = 14,
  kUInt32 = 15,
  kUInt16 = 16,
  kInt4 = 17,
  kBFloat16 = 18,
};
constexpr int kDTypeCount = 19;

// Bytes per element; 0 for types without a fixed size (string, resource, variant, int4).
size_t dtype_size(DType t);
// Lower-case name as TensorFlow spells it ("uint8", "float32", ...).
std::string dtype_name(DType t);
// Whether the value is one of the enumerators above.
bool dtype_known(int value);

}  // namespace tpulab
