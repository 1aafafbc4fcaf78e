// CAST reference kernel: static_cast between numeric types and bool (x != 0), as TFLite's
// copyCast. Float to integer truncates toward zero; values outside int32 (int64) and NaN give
// the type's minimum, which is what x86's and WebAssembly's non-trapping conversions produce for
// the undefined cases; narrower integer targets then wrap modulo their width.
#include <cmath>
#include <cstring>
#include <limits>

#include "engine/kernels/kernel_util.h"
#include "engine/kernels/reference/tensor_kernels.h"

namespace tpulab::engine {

namespace {

template <typename To, typename From>
To convert(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From{0};
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    if constexpr (sizeof(To) == 8) {
      const double d = static_cast<double>(v);
      if (!(d > -9223372036854775808.0 && d < 9223372036854775808.0))
        return static_cast<To>(INT64_MIN);
      return static_cast<To>(static_cast<int64_t>(d));
    } else {
      const double d = static_cast<double>(v);
      const int32_t i =
          (d > -2147483649.0 && d < 2147483648.0) ? static_cast<int32_t>(d) : INT32_MIN;
      return static_cast<To>(static_cast<uint32_t>(i));  // wraps for narrower types
    }
  } else if constexpr (std::is_integral_v<From> && std::is_integral_v<To> &&
                       !std::is_same_v<From, bool>) {
    // Two's complement wrap, without signed-overflow UB.
    return static_cast<To>(static_cast<std::make_unsigned_t<From>>(v));
  } else {
    return static_cast<To>(v);
  }
}

template <typename To, typename From>
void cast_all(const void* in, void* out, int64_t n) {
  const auto* src = static_cast<const From*>(in);
  auto* dst = static_cast<To*>(out);
  for (int64_t i = 0; i < n; ++i) dst[i] = convert<To>(src[i]);
}

// Calls f.template operator()<T>() for the C++ type of `t`; false when the type is not handled.
template <typename F>
bool with_type(DType t, F&& f) {
  switch (t) {
    case DType::kFloat32:
      f.template operator()<float>();
      return true;
    case DType::kFloat64:
      f.template operator()<double>();
      return true;
    case DType::kInt32:
      f.template operator()<int32_t>();
      return true;
    case DType::kInt64:
      f.template operator()<int64_t>();
      return true;
    case DType::kUInt8:
      f.template operator()<uint8_t>();
      return true;
    case DType::kInt8:
      f.template operator()<int8_t>();
      return true;
    case DType::kInt16:
      f.template operator()<int16_t>();
      return true;
    case DType::kUInt16:
      f.template operator()<uint16_t>();
      return true;
    case DType::kUInt32:
      f.template operator()<uint32_t>();
      return true;
    case DType::kBool:
      f.template operator()<bool>();
      return true;
    default:
      return false;
  }
}

class CastReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    const TensorRef& in = ctx.in(0);
    TensorRef& out = ctx.out(0);
    out.shape = in.shape;
    in_ = in.dtype;
    out_ = out.dtype;
    const bool ok_in = with_type(in_, []<typename T>() {});
    const bool ok_out = with_type(out_, []<typename T>() {});
    check_supported(ok_in && ok_out, ctx,
                    "CAST from " + dtype_name(in_) + " to " + dtype_name(out_));
  }

  void eval(const OpContext& ctx) const override {
    const void* src = ctx.in(0).data;
    void* dst = ctx.out(0).data;
    const int64_t n = ctx.in(0).num_elements();
    with_type(in_, [&]<typename From>() {
      with_type(out_, [&]<typename To>() { cast_all<To, From>(src, dst, n); });
    });
  }

 private:
  DType in_ = DType::kFloat32, out_ = DType::kFloat32;
};

}  // namespace

std::unique_ptr<Kernel> make_reference_cast() { return std::make_unique<CastReference>(); }

}  // namespace tpulab::engine
