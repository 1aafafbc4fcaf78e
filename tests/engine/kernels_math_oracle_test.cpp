// The arithmetic reference kernels against the real TFLite runtime: each test builds one model
// holding many independent one-op cases (one model per oracle call keeps the file fast), runs it
// on random inputs in both, and compares every output byte. Test names start with "Oracle" so
// that the sanitizer pass (which has no oracle) skips them.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "kernels_tensor_ops_util.h"
#include "model/tflite.h"

namespace tpulab {
namespace {

using testing::GraphBuilder;
using i32 = std::vector<int32_t>;

// Many one-op cases in one model; each model output carries the name of its case.
class Cases {
 public:
  GraphBuilder b;

  int32_t out(const std::string& name, DType dt, i32 shape, float scale = 0.0f, int64_t zp = 0) {
    names_.push_back(name);
    return b.output(dt, std::move(shape), scale, zp);
  }
  // A constant with per-tensor or per-channel quantization (scales.size() > 1).
  template <typename T>
  int32_t constant(DType dt, i32 shape, const std::vector<T>& values, std::vector<float> scales,
                   std::vector<int64_t> zps, int32_t axis = 0) {
    const int32_t t = b.constant<T>(dt, std::move(shape), values);
    Quantization& q = b.graph().main().tensors[static_cast<size_t>(t)].quant;
    q.scale = std::move(scales);
    q.zero_point = std::move(zps);
    q.axis = axis;
    return t;
  }
  template <typename T>
  std::vector<T> random(size_t n, int32_t lo, int32_t hi) {
    std::uniform_int_distribution<int32_t> d(lo, hi);
    std::vector<T> v(n);
    for (auto& x : v) x = static_cast<T>(d(rng_));
    return v;
  }

  // Runs the model on the oracle and on the reference kernels; every output must match.
  void check(uint32_t seed = 1) {
    const Graph& g = b.graph();
    const auto inputs = testing::random_inputs(g, seed);
    testing::TempDir dir;
    const auto path = dir / "cases.tflite";
    write_tflite_file(g, path.string());
    const testing::OracleResult oracle = testing::oracle_run(path, inputs);
    ASSERT_TRUE(oracle.ok) << oracle.error;
    const auto ours = testing::run_reference(g, inputs);
    ASSERT_EQ(ours.size(), oracle.outputs.size());
    ASSERT_EQ(ours.size(), names_.size());
    for (size_t o = 0; o < ours.size(); ++o) {
      const auto& a = ours[o];
      const auto& t = oracle.outputs[o].bytes;
      ASSERT_EQ(a.size(), t.size()) << names_[o];
      size_t differ = 0, first = 0;
      for (size_t i = 0; i < a.size(); ++i)
        if (a[i] != t[i] && differ++ == 0) first = i;
      EXPECT_EQ(differ, 0u) << names_[o] << ": " << differ << " of " << a.size()
                            << " bytes differ from TFLite, first at byte " << first << " (ours "
                            << (differ ? int{a[first]} : 0) << ", TFLite "
                            << (differ ? int{t[first]} : 0) << ")";
    }
  }

 private:
  std::vector<std::string> names_;
  std::mt19937 rng_{7};
};

int32_t zp_of(DType dt, int32_t u8, int32_t i8) { return dt == DType::kUInt8 ? u8 : i8; }

// Activations ------------------------------------------------------------------------------

TEST(OracleMathKernels, SoftmaxLogisticTanh) {
  TPULAB_REQUIRE_ORACLE();
  Cases c;
  struct Sm {
    DType dt;
    i32 shape;
    float scale;
    int32_t zp;
    float beta;
  };
  const Sm softmaxes[] = {
      {DType::kUInt8, {2, 10}, 0.1f, 100, 1.0f}, {DType::kUInt8, {1, 1001}, 0.2f, 60, 1.0f},
      {DType::kUInt8, {3, 7}, 0.05f, 128, 0.5f}, {DType::kInt8, {2, 10}, 0.1f, -5, 1.0f},
      {DType::kInt8, {4, 5, 6}, 0.07f, 3, 2.0f}, {DType::kInt8, {1, 1, 1, 1001}, 0.3f, -20, 1.0f},
      {DType::kFloat32, {3, 9}, 0, 0, 1.0f},     {DType::kFloat32, {2, 2, 5}, 0, 0, 0.7f},
  };
  for (const Sm& s : softmaxes) {
    const bool q = s.dt != DType::kFloat32;
    const int32_t x = c.b.input(s.dt, s.shape, s.scale, s.zp);
    const int32_t y = c.out("SOFTMAX " + dtype_name(s.dt) + " beta " + std::to_string(s.beta), s.dt,
                            s.shape, q ? 1.0f / 256 : 0.0f, q ? zp_of(s.dt, 0, -128) : 0);
    c.b.op(BuiltinOp::kSoftmax, SoftmaxOptions{s.beta}, {x}, {y});
  }
  struct Act {
    BuiltinOp op;
    DType dt;
    float scale;
    int32_t zp;
  };
  const Act acts[] = {
      {BuiltinOp::kLogistic, DType::kUInt8, 0.05f, 128},
      {BuiltinOp::kLogistic, DType::kUInt8, 0.3f, 10},
      {BuiltinOp::kLogistic, DType::kInt8, 0.282217f, 114},  // movenet's heatmap
      {BuiltinOp::kLogistic, DType::kInt8, 0.02f, -3},
      {BuiltinOp::kTanh, DType::kUInt8, 0.03f, 120},
      {BuiltinOp::kTanh, DType::kUInt8, 0.2f, 200},
      {BuiltinOp::kTanh, DType::kInt8, 0.05f, 0},
      {BuiltinOp::kTanh, DType::kInt8, 0.011f, -60},
  };
  for (const Act& a : acts) {
    const bool q = a.dt != DType::kFloat32;
    const bool logistic = a.op == BuiltinOp::kLogistic;
    const i32 shape = {4, 32, 32};  // 4096 random bytes: every input value, several times
    const int32_t x = c.b.input(a.dt, shape, a.scale, a.zp);
    // TFLite requires these output quantizations.
    const float oscale = !q ? 0.0f : logistic ? 1.0f / 256 : 1.0f / 128;
    const int32_t ozp = !q ? 0 : logistic ? zp_of(a.dt, 0, -128) : zp_of(a.dt, 128, 0);
    const int32_t y = c.out(std::string(logistic ? "LOGISTIC " : "TANH ") + dtype_name(a.dt) +
                                " scale " + std::to_string(a.scale),
                            a.dt, shape, oscale, ozp);
    c.b.op(a.op, std::monostate{}, {x}, {y});
  }
  // Float LOGISTIC and TANH (Eigen's formulas in TFLite) over [-100, 100] and near zero: the
  // inputs ([-4, 4]) scaled by a constant first.
  for (const float k : {1.0f, 25.0f, 0.0001f})
    for (BuiltinOp op : {BuiltinOp::kLogistic, BuiltinOp::kTanh}) {
      const i32 shape = {4, 32, 32};
      const int32_t x = c.b.input(DType::kFloat32, shape);
      const int32_t kk = c.b.constant<float>(DType::kFloat32, {}, {k});
      const int32_t scaled = c.b.tensor(DType::kFloat32, shape);
      c.b.op(BuiltinOp::kMul, MulDivOptions{}, {x, kk}, {scaled});
      const int32_t y = c.out(std::string(op == BuiltinOp::kTanh ? "TANH" : "LOGISTIC") +
                                  " float32 of x * " + std::to_string(k),
                              DType::kFloat32, shape);
      c.b.op(op, std::monostate{}, {scaled}, {y});
    }
  c.check();
}

TEST(OracleMathKernels, HardSwish) {
  TPULAB_REQUIRE_ORACLE();
  Cases c;
  struct Hs {
    DType dt;
    float in_scale;
    int32_t in_zp;
    float out_scale;
    int32_t out_zp;
  };
  const Hs cases[] = {
      {DType::kUInt8, 0.05f, 128, 0.03f, 20},
      {DType::kUInt8, 0.1f, 100, 0.1f, 10},
      {DType::kUInt8, 0.02f, 60, 0.05f, 5},
      {DType::kInt8, 0.1f, 0, 0.05f, -100},
      {DType::kInt8, 0.0625f, -20, 0.04f, -110},
      {DType::kInt8, 0.3f, 10, 0.2f, -120},
      {DType::kFloat32, 0, 0, 0, 0},
  };
  for (const Hs& h : cases) {
    const i32 shape = {1, 8, 8, 64};
    const int32_t x = c.b.input(h.dt, shape, h.in_scale, h.in_zp);
    const int32_t y = c.out("HARD_SWISH " + dtype_name(h.dt) + " " + std::to_string(h.in_scale) +
                                " -> " + std::to_string(h.out_scale),
                            h.dt, shape, h.out_scale, h.out_zp);
    c.b.op(BuiltinOp::kHardSwish, std::monostate{}, {x}, {y});
  }
  c.check();
}

// Reductions and pooling ---------------------------------------------------------------------

TEST(OracleMathKernels, MeanAndPooling) {
  TPULAB_REQUIRE_ORACLE();
  Cases c;
  struct Mean {
    DType dt;
    i32 shape, axis;
    bool keep;
    float in_scale;
    int32_t in_zp;
    float out_scale;
    int32_t out_zp;
    i32 out_shape;
  };
  const Mean means[] = {
      {DType::kUInt8, {1, 5, 7, 8}, {1, 2}, true, 0.1f, 120, 0.05f, 100, {1, 1, 1, 8}},
      {DType::kInt8, {1, 5, 7, 8}, {1, 2}, true, 0.1f, -10, 0.07f, 5, {1, 1, 1, 8}},
      {DType::kInt8, {2, 7, 7, 16}, {2, 1}, true, 0.02f, -128, 0.02f, -128, {2, 1, 1, 16}},
      {DType::kUInt8, {1, 5, 7, 8}, {1, 2}, false, 0.1f, 120, 0.05f, 100, {1, 8}},
      {DType::kUInt8, {1, 5, 7, 8}, {1, 2}, false, 0.1f, 120, 0.1f, 120, {1, 8}},
      {DType::kInt8, {1, 7, 7, 32}, {1, 2}, false, 0.08f, -3, 0.03f, -20, {1, 32}},
      {DType::kInt8, {1, 7, 7, 32}, {1, 2}, false, 0.08f, -3, 0.08f, -3, {1, 32}},
      {DType::kInt8, {2, 3, 4, 5}, {3}, true, 0.1f, 7, 0.05f, -7, {2, 3, 4, 1}},
      {DType::kUInt8, {2, 3, 4, 5}, {1}, false, 0.1f, 7, 0.1f, 7, {2, 4, 5}},
      {DType::kFloat32, {1, 5, 7, 8}, {1, 2}, false, 0, 0, 0, 0, {1, 8}},
      {DType::kFloat32, {2, 3, 4, 5}, {0, 3}, true, 0, 0, 0, 0, {1, 3, 4, 1}},
  };
  for (const Mean& m : means) {
    const int32_t x = c.b.input(m.dt, m.shape, m.in_scale, m.in_zp);
    const int32_t axis =
        c.b.constant<int32_t>(DType::kInt32, {static_cast<int32_t>(m.axis.size())}, m.axis);
    const int32_t y = c.out("MEAN " + dtype_name(m.dt) + (m.keep ? " keep_dims" : "") + " " +
                                shape_string(m.shape) + " axis " + shape_string(m.axis),
                            m.dt, m.out_shape, m.out_scale, m.out_zp);
    c.b.op(BuiltinOp::kMean, ReducerOptions{m.keep}, {x, axis}, {y});
  }
  struct Pool {
    BuiltinOp op;
    DType dt;
    i32 shape;
    int32_t filter, stride;
    Padding pad;
    Activation act;
    i32 out_shape;
  };
  const Pool pools[] = {
      {BuiltinOp::kAveragePool2D,
       DType::kUInt8,
       {1, 9, 9, 5},
       3,
       2,
       Padding::kSame,
       Activation::kNone,
       {1, 5, 5, 5}},
      {BuiltinOp::kAveragePool2D,
       DType::kUInt8,
       {1, 9, 8, 5},
       3,
       1,
       Padding::kValid,
       Activation::kRelu6,
       {1, 7, 6, 5}},
      {BuiltinOp::kAveragePool2D,
       DType::kUInt8,
       {1, 7, 7, 40},
       7,
       1,
       Padding::kValid,
       Activation::kNone,
       {1, 1, 1, 40}},
      {BuiltinOp::kAveragePool2D,
       DType::kInt8,
       {2, 7, 7, 24},
       7,
       2,
       Padding::kValid,
       Activation::kNone,
       {2, 1, 1, 24}},
      {BuiltinOp::kAveragePool2D,
       DType::kInt8,
       {1, 10, 10, 3},
       3,
       2,
       Padding::kSame,
       Activation::kRelu,
       {1, 5, 5, 3}},
      {BuiltinOp::kAveragePool2D,
       DType::kFloat32,
       {1, 6, 6, 3},
       3,
       2,
       Padding::kSame,
       Activation::kNone,
       {1, 3, 3, 3}},
      {BuiltinOp::kMaxPool2D,
       DType::kUInt8,
       {1, 9, 9, 5},
       3,
       2,
       Padding::kSame,
       Activation::kNone,
       {1, 5, 5, 5}},
      {BuiltinOp::kMaxPool2D,
       DType::kInt8,
       {1, 8, 9, 6},
       2,
       2,
       Padding::kValid,
       Activation::kRelu6,
       {1, 4, 4, 6}},
      {BuiltinOp::kMaxPool2D,
       DType::kFloat32,
       {1, 6, 6, 3},
       3,
       1,
       Padding::kSame,
       Activation::kRelu,
       {1, 6, 6, 3}},
  };
  for (const Pool& p : pools) {
    const bool q = p.dt != DType::kFloat32;
    const float scale = q ? 0.05f : 0.0f;
    const int32_t zp = zp_of(p.dt, 128, -5);
    const int32_t x = c.b.input(p.dt, p.shape, scale, zp);
    const int32_t y =
        c.out(std::string(p.op == BuiltinOp::kMaxPool2D ? "MAX_POOL " : "AVERAGE_POOL ") +
                  dtype_name(p.dt) + " " + shape_string(p.shape) + " filter " +
                  std::to_string(p.filter) + " stride " + std::to_string(p.stride),
              p.dt, p.out_shape, scale, zp);
    c.b.op(p.op, Pool2DOptions{p.pad, p.stride, p.stride, p.filter, p.filter, p.act}, {x}, {y});
  }
  c.check();
}

// QUANTIZE and DEQUANTIZE ----------------------------------------------------------------------

TEST(OracleMathKernels, QuantizeDequantize) {
  TPULAB_REQUIRE_ORACLE();
  Cases c;
  struct Q {
    DType in;
    float in_scale;
    int32_t in_zp;
    DType out;
    float out_scale;
    int32_t out_zp;
  };
  const Q cases[] = {
      {DType::kFloat32, 0, 0, DType::kUInt8, 0.03f, 128},
      {DType::kFloat32, 0, 0, DType::kInt8, 0.05f, -3},
      {DType::kFloat32, 0, 0, DType::kInt8, 1.0f, -128},  // movenet's input
      {DType::kFloat32, 0, 0, DType::kUInt8, 0.0078125f, 0},
      {DType::kInt8, 0.1f, -5, DType::kUInt8, 0.1f, 123},
      {DType::kUInt8, 0.1f, 128, DType::kInt8, 0.1f, 0},
      {DType::kInt8, 0.1f, 3, DType::kInt8, 0.07f, -10},
      {DType::kInt8, 0.00390625f, -128, DType::kInt8, 0.00409685f, -128},  // movenet's
      {DType::kUInt8, 0.02f, 100, DType::kUInt8, 0.05f, 90},
      {DType::kInt8, 0.03f, 7, DType::kUInt8, 0.02f, 140},
      {DType::kUInt8, 0.03f, 7, DType::kInt8, 0.045f, -20},
  };
  const i32 shape = {4, 16, 16};
  for (const Q& q : cases) {
    const int32_t x = c.b.input(q.in, shape, q.in_scale, q.in_zp);
    const int32_t y = c.out("QUANTIZE " + dtype_name(q.in) + " -> " + dtype_name(q.out) + " " +
                                std::to_string(q.out_scale),
                            q.out, shape, q.out_scale, q.out_zp);
    c.b.op(BuiltinOp::kQuantize, std::monostate{}, {x}, {y});
  }
  for (DType dt : {DType::kUInt8, DType::kInt8}) {
    const int32_t x = c.b.input(dt, shape, 0.037f, zp_of(dt, 131, -9));
    const int32_t y = c.out("DEQUANTIZE " + dtype_name(dt), DType::kFloat32, shape);
    c.b.op(BuiltinOp::kDequantize, std::monostate{}, {x}, {y});
  }
  c.check();
}

// Elementwise arithmetic -------------------------------------------------------------------

TEST(OracleMathKernels, AddSubMulBroadcastingAndInt32) {
  TPULAB_REQUIRE_ORACLE();
  Cases c;
  struct E {
    BuiltinOp op;
    DType dt;
    i32 a, b, out;
    Activation act;
    float sa, sb, so;
    int32_t za, zb, zo;
  };
  const auto kAdd = BuiltinOp::kAdd, kSub = BuiltinOp::kSub, kMul = BuiltinOp::kMul;
  const auto kU8 = DType::kUInt8, kI8 = DType::kInt8, kI32 = DType::kInt32, kF32 = DType::kFloat32;
  const auto kNone = Activation::kNone, kRelu = Activation::kRelu, kRelu6 = Activation::kRelu6,
             kN1 = Activation::kReluN1To1;
  const E cases[] = {
      {kAdd,
       kU8,
       {1, 4, 4, 3},
       {1, 4, 4, 3},
       {1, 4, 4, 3},
       kNone,
       0.1f,
       0.05f,
       0.12f,
       120,
       130,
       125},
      {kAdd,
       kU8,
       {1, 4, 4, 3},
       {1, 1, 1, 3},
       {1, 4, 4, 3},
       kRelu6,
       0.1f,
       0.05f,
       0.04f,
       120,
       130,
       5},
      {kAdd,
       kI8,
       {2, 1, 3, 4},
       {1, 5, 1, 4},
       {2, 5, 3, 4},
       kNone,
       0.0393688f,
       0.02f,
       0.0410074f,
       12,
       -3,
       7},
      {kAdd, kI8, {5, 4}, {4}, {5, 4}, kRelu, 0.03f, 0.03f, 0.05f, -128, 0, -100},
      {kSub,
       kI8,
       {1, 6, 6, 3},
       {1, 1, 1, 3},
       {1, 6, 6, 3},
       kNone,
       1.0f,
       1.0f,
       1.0f,
       -128,
       -128,
       -128},  // movenet's input normalization
      {kSub, kU8, {3, 1, 5}, {3, 4, 1}, {3, 4, 5}, kNone, 0.2f, 0.1f, 0.3f, 100, 50, 128},
      {kSub, kI8, {2, 3, 4}, {2, 3, 4}, {2, 3, 4}, kRelu6, 0.05f, 0.07f, 0.06f, 10, -20, -30},
      {kMul,
       kU8,
       {1, 4, 4, 3},
       {1, 1, 1, 3},
       {1, 4, 4, 3},
       kNone,
       0.1f,
       0.05f,
       0.2f,
       120,
       130,
       100},
      {kMul,
       kI8,
       {1, 6, 6, 3},
       {},
       {1, 6, 6, 3},
       kNone,
       1.0f,
       0.0078431f,
       0.00784314f,
       -128,
       -128,
       -128},  // movenet's scalar MUL
      {kMul, kI8, {4, 1, 3}, {1, 5, 3}, {4, 5, 3}, kRelu, 0.2f, 0.1f, 0.15f, 3, -7, -2},
      {kMul, kU8, {2, 3, 4}, {2, 3, 4}, {2, 3, 4}, kRelu6, 0.1f, 0.1f, 0.05f, 128, 128, 0},
      // int32: movenet's index arithmetic ([1,1] * scalar, [1,1] - [1,1]) and more; random
      // operands cover wrapping overflow.
      {kMul, kI32, {1, 1}, {}, {1, 1}, kNone, 0, 0, 0, 0, 0, 0},
      {kSub, kI32, {1, 1}, {1, 1}, {1, 1}, kNone, 0, 0, 0, 0, 0, 0},
      {kMul, kI32, {2, 3, 4}, {2, 1, 4}, {2, 3, 4}, kNone, 0, 0, 0, 0, 0, 0},
      {kMul, kI32, {2, 3, 4}, {2, 1, 4}, {2, 3, 4}, kRelu6, 0, 0, 0, 0, 0, 0},
      {kAdd, kI32, {3, 4}, {4}, {3, 4}, kRelu, 0, 0, 0, 0, 0, 0},
      {kAdd, kI32, {7}, {7}, {7}, kNone, 0, 0, 0, 0, 0, 0},
      {kSub, kI32, {1, 2, 1, 3}, {2, 1, 1}, {1, 2, 2, 3}, kN1, 0, 0, 0, 0, 0, 0},
      {kSub, kI32, {5, 4}, {5, 4}, {5, 4}, kNone, 0, 0, 0, 0, 0, 0},
      {kAdd, kF32, {2, 3, 4}, {3, 1}, {2, 3, 4}, kRelu6, 0, 0, 0, 0, 0, 0},
      {kSub, kF32, {2, 3, 4}, {4}, {2, 3, 4}, kNone, 0, 0, 0, 0, 0, 0},
      {kMul, kF32, {1, 2, 3}, {2, 1}, {1, 2, 3}, kN1, 0, 0, 0, 0, 0, 0},
  };
  for (const E& e : cases) {
    const int32_t a = c.b.input(e.dt, e.a, e.sa, e.za);
    const int32_t b = c.b.input(e.dt, e.b, e.sb, e.zb);
    const char* name = e.op == kAdd ? "ADD " : e.op == kSub ? "SUB " : "MUL ";
    const int32_t y = c.out(name + dtype_name(e.dt) + " " + shape_string(e.a) + " " +
                                shape_string(e.b) + " " + activation_name(e.act),
                            e.dt, e.out, e.so, e.zo);
    if (e.op == kMul)
      c.b.op(e.op, MulDivOptions{e.act}, {a, b}, {y});
    else
      c.b.op(e.op, AddSubOptions{e.act}, {a, b}, {y});
  }
  c.check();
  c.check(/*seed=*/2);
}

// FULLY_CONNECTED --------------------------------------------------------------------------

TEST(OracleMathKernels, FullyConnected) {
  TPULAB_REQUIRE_ORACLE();
  Cases c;
  struct Fc {
    DType dt;
    int32_t batches, depth, units;
    bool bias;
    Activation act;
    float in_scale;
    int32_t in_zp;
    std::vector<float> filter_scales;
    int32_t filter_zp;
    float out_scale;
    int32_t out_zp;
  };
  std::vector<float> kScales16;
  for (int i = 0; i < 16; ++i) kScales16.push_back(0.002f + 0.0013f * static_cast<float>(i));
  const Fc cases[] = {
      {DType::kUInt8, 1, 64, 10, true, Activation::kNone, 0.05f, 120, {0.01f}, 130, 0.2f, 110},
      {DType::kUInt8, 3, 100, 7, true, Activation::kRelu, 0.02f, 100, {0.003f}, 128, 0.1f, 60},
      {DType::kUInt8, 2, 33, 5, false, Activation::kRelu6, 0.1f, 128, {0.02f}, 99, 0.05f, 0},
      {DType::kInt8, 1, 64, 10, true, Activation::kNone, 0.05f, -5, {0.01f}, 0, 0.2f, 10},
      {DType::kInt8, 3, 100, 7, true, Activation::kRelu, 0.02f, 7, {0.003f}, 0, 0.1f, -100},
      {DType::kInt8, 2, 256, 12, true, Activation::kNone, 0.031f, -128, {0.0021f}, 0, 0.37f, 3},
      // per-channel (16 units, 256 outputs: enough to tell single from double rounding)
      {DType::kInt8, 16, 64, 16, true, Activation::kNone, 0.04f, 9, kScales16, 0, 0.15f, -4},
      {DType::kFloat32, 3, 20, 6, true, Activation::kNone, 0, 0, {}, 0, 0, 0},
  };
  std::mt19937 rng(3);
  for (const Fc& f : cases) {
    const bool q = f.dt != DType::kFloat32;
    const int32_t x = c.b.input(f.dt, {f.batches, f.depth}, f.in_scale, f.in_zp);
    const auto n = static_cast<size_t>(f.units * f.depth);
    int32_t w = 0, bias = -1;
    if (f.dt == DType::kUInt8) {
      w = c.constant(f.dt, {f.units, f.depth}, c.random<uint8_t>(n, 0, 255), f.filter_scales,
                     {f.filter_zp});
    } else if (f.dt == DType::kInt8) {
      w = c.constant(f.dt, {f.units, f.depth}, c.random<int8_t>(n, -127, 127), f.filter_scales,
                     std::vector<int64_t>(f.filter_scales.size(), f.filter_zp));
    } else {
      std::vector<float> v(n);
      for (auto& e : v) e = std::uniform_real_distribution<float>(-1, 1)(rng);
      w = c.b.constant(f.dt, {f.units, f.depth}, v);
    }
    if (f.bias && q) {
      std::vector<float> bias_scales;
      for (float fs : f.filter_scales) bias_scales.push_back(f.in_scale * fs);
      bias = c.constant(DType::kInt32, {f.units},
                        c.random<int32_t>(static_cast<size_t>(f.units), -3000, 3000), bias_scales,
                        std::vector<int64_t>(bias_scales.size(), 0));
    } else if (f.bias) {
      std::vector<float> v(static_cast<size_t>(f.units));
      for (auto& e : v) e = std::uniform_real_distribution<float>(-1, 1)(rng);
      bias = c.b.constant(f.dt, {f.units}, v);
    }
    const int32_t y =
        c.out("FULLY_CONNECTED " + dtype_name(f.dt) + " " + std::to_string(f.batches) + "x" +
                  std::to_string(f.depth) + " -> " + std::to_string(f.units),
              f.dt, {f.batches, f.units}, f.out_scale, f.out_zp);
    FullyConnectedOptions o;
    o.activation = f.act;
    c.b.op(BuiltinOp::kFullyConnected, o, {x, w, bias}, {y});
  }
  c.check();
}

// CONV_2D and DEPTHWISE_CONV_2D ------------------------------------------------------------

struct ConvCase {
  bool depthwise;
  DType dt;
  i32 in;  // NHWC
  int32_t k, out_c, stride, dilation;
  Padding pad;
  Activation act;
  bool per_channel;
};

int32_t out_size(Padding p, int32_t in, int32_t k, int32_t stride, int32_t dilation) {
  const int32_t eff = (k - 1) * dilation + 1;
  return p == Padding::kSame ? (in + stride - 1) / stride : (in - eff + stride) / stride;
}

void add_conv_case(Cases& c, const ConvCase& k, std::mt19937& rng);

TEST(OracleMathKernels, ConvAndDepthwise) {
  TPULAB_REQUIRE_ORACLE();
  Cases c;
  const auto kU8 = DType::kUInt8, kI8 = DType::kInt8, kF32 = DType::kFloat32;
  const auto kSame = Padding::kSame, kValid = Padding::kValid;
  const ConvCase cases[] = {
      {false, kU8, {1, 9, 9, 3}, 3, 8, 2, 1, kSame, Activation::kRelu6, false},
      {false, kU8, {1, 10, 11, 4}, 3, 5, 1, 2, kValid, Activation::kNone, false},
      {false, kU8, {2, 6, 6, 16}, 1, 12, 1, 1, kSame, Activation::kRelu, false},
      {false, kI8, {1, 10, 10, 4}, 3, 6, 1, 1, kSame, Activation::kNone, true},
      {false, kI8, {1, 11, 9, 5}, 3, 7, 2, 2, kValid, Activation::kRelu, true},
      {false, kI8, {1, 6, 6, 24}, 1, 16, 1, 1, kSame, Activation::kNone, true},
      {false, kI8, {1, 9, 9, 3}, 3, 8, 2, 1, kSame, Activation::kRelu6, false},
      {true, kU8, {1, 9, 9, 8}, 3, 8, 1, 1, kSame, Activation::kRelu6, false},
      {true, kU8, {1, 9, 10, 8}, 3, 8, 2, 1, kSame, Activation::kNone, false},
      {true, kU8, {1, 7, 7, 3}, 3, 6, 1, 1, kSame, Activation::kNone, false},  // multiplier 2
      {true, kU8, {1, 11, 11, 4}, 3, 4, 1, 2, kValid, Activation::kRelu, false},
      {true, kI8, {1, 9, 9, 8}, 3, 8, 1, 1, kSame, Activation::kNone, true},
      {true, kI8, {1, 10, 9, 8}, 3, 8, 2, 1, kSame, Activation::kRelu6, true},
      {true, kI8, {1, 7, 7, 3}, 3, 6, 1, 1, kSame, Activation::kNone, true},  // multiplier 2
      {true, kI8, {1, 12, 12, 5}, 3, 10, 2, 2, kValid, Activation::kNone, true},
      {true, kF32, {1, 7, 7, 4}, 3, 8, 2, 1, kSame, Activation::kRelu, false},
  };
  std::mt19937 rng(5);
  for (const ConvCase& k : cases) add_conv_case(c, k, rng);
  c.check();
}

void add_conv_case(Cases& c, const ConvCase& k, std::mt19937& rng) {
  const auto kU8 = DType::kUInt8, kI8 = DType::kInt8, kF32 = DType::kFloat32;
  std::uniform_real_distribution<float> unit(-1, 1);
  const bool q = k.dt != kF32;
  const int32_t in_c = k.in[3];
  const float in_scale = 0.03f;
  const int32_t in_zp = zp_of(k.dt, 128, -10);
  const int32_t x = c.b.input(k.dt, k.in, q ? in_scale : 0.0f, in_zp);
  // Filter: conv [out_c, k, k, in_c] quantized along 0; depthwise [1, k, k, out_c] along 3.
  const i32 fshape = k.depthwise ? i32{1, k.k, k.k, k.out_c} : i32{k.out_c, k.k, k.k, in_c};
  const auto n = static_cast<size_t>(k.k * k.k * k.out_c * (k.depthwise ? 1 : in_c));
  std::vector<float> fscales(k.per_channel ? static_cast<size_t>(k.out_c) : 1);
  for (size_t i = 0; i < fscales.size(); ++i) fscales[i] = 0.002f + 0.0007f * static_cast<float>(i);
  const int32_t axis = k.depthwise ? 3 : 0;
  std::vector<float> bscales;
  for (float s : fscales) bscales.push_back(in_scale * s);
  int32_t w = 0, bias = 0;
  if (k.dt == kU8) {
    w = c.constant(k.dt, fshape, c.random<uint8_t>(n, 0, 255), fscales, {117}, axis);
  } else if (k.dt == kI8) {
    w = c.constant(k.dt, fshape, c.random<int8_t>(n, -127, 127), fscales,
                   std::vector<int64_t>(fscales.size(), 0), axis);
  } else {
    std::vector<float> v(n);
    for (auto& e : v) e = unit(rng);
    w = c.b.constant(k.dt, fshape, v);
  }
  if (q) {
    bias = c.constant(DType::kInt32, {k.out_c},
                      c.random<int32_t>(static_cast<size_t>(k.out_c), -2000, 2000), bscales,
                      std::vector<int64_t>(bscales.size(), 0));
  } else {
    std::vector<float> v(static_cast<size_t>(k.out_c));
    for (auto& e : v) e = unit(rng);
    bias = c.b.constant(k.dt, {k.out_c}, v);
  }
  const i32 out_shape = {k.in[0], out_size(k.pad, k.in[1], k.k, k.stride, k.dilation),
                         out_size(k.pad, k.in[2], k.k, k.stride, k.dilation), k.out_c};
  const std::string name = std::string(k.depthwise ? "DEPTHWISE_CONV_2D " : "CONV_2D ") +
                           dtype_name(k.dt) + (k.per_channel ? " per-channel " : " ") +
                           shape_string(k.in) + " -> " + shape_string(out_shape) + " stride " +
                           std::to_string(k.stride) + " dilation " + std::to_string(k.dilation);
  const int32_t y = c.out(name, k.dt, out_shape, q ? 0.05f : 0.0f, zp_of(k.dt, 100, 5));
  if (k.depthwise) {
    c.b.op(BuiltinOp::kDepthwiseConv2D,
           DepthwiseConv2DOptions{k.pad, k.stride, k.stride, k.out_c / in_c, k.act, k.dilation,
                                  k.dilation},
           {x, w, bias}, {y}, 2);
  } else {
    Conv2DOptions o;
    o.padding = k.pad;
    o.stride_w = o.stride_h = k.stride;
    o.activation = k.act;
    o.dilation_w = o.dilation_h = k.dilation;
    c.b.op(BuiltinOp::kConv2D, o, {x, w, bias}, {y}, 2);
  }
}

// A known gap, kept runnable (--gtest_also_run_disabled_tests): TFLite's float CONV_2D sums in
// its GEMM backend's order; ours differs from it in the last bit of some outputs. No shipped
// model has a float convolution.
TEST(OracleMathKernels, DISABLED_FloatConv) {
  TPULAB_REQUIRE_ORACLE();
  Cases c;
  std::mt19937 rng(5);
  add_conv_case(
      c,
      {false, DType::kFloat32, {1, 7, 7, 3}, 3, 4, 2, 1, Padding::kSame, Activation::kNone, false},
      rng);
  c.check();
}

}  // namespace
}  // namespace tpulab
