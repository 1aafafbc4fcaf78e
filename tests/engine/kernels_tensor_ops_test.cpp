// Data-movement, elementwise-misc and sequence reference kernels on small cases whose expected
// values are worked out by hand (in the comments), plus the error paths of prepare.
#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "engine/kernels/fixed_point_int16.h"
#include "kernels_tensor_ops_util.h"

namespace tpulab {
namespace {

using testing::GraphBuilder;
using testing::run_reference;
using i32 = std::vector<int32_t>;
using bytes = std::vector<uint8_t>;

template <typename T>
bytes as_bytes(const std::vector<T>& v) {
  bytes b(v.size() * sizeof(T));
  if (!b.empty()) std::memcpy(b.data(), v.data(), b.size());
  return b;
}
template <typename T>
std::vector<T> as_values(const bytes& b) {
  std::vector<T> v(b.size() / sizeof(T));
  if (!v.empty()) std::memcpy(v.data(), b.data(), b.size());
  return v;
}

// Runs a one-op graph and returns output `o` as T values.
template <typename T>
std::vector<T> run(GraphBuilder& b, const std::vector<bytes>& inputs, size_t o = 0) {
  return as_values<T>(run_reference(b.graph(), inputs).at(o));
}

TEST(KernelsTensorOps, ReshapeInfersMinusOneAndRejectsBadShapes) {
  GraphBuilder b;
  const int32_t x = b.input(DType::kInt8, {2, 3, 4}, 0.5f, 1);
  const int32_t s = b.constant<int32_t>(DType::kInt32, {2}, {-1, 6});
  const int32_t y = b.output(DType::kInt8, {}, 0.5f, 1);
  b.op(BuiltinOp::kReshape, std::monostate{}, {x, s}, {y});
  std::vector<int8_t> v(24);
  for (int i = 0; i < 24; ++i) v[static_cast<size_t>(i)] = static_cast<int8_t>(i - 12);
  EXPECT_EQ(run<int8_t>(b, {as_bytes(v)}), v);  // bytes unchanged, 24 / 6 = 4 rows

  GraphBuilder two;
  const int32_t x2 = two.input(DType::kFloat32, {2, 3});
  const int32_t s2 = two.constant<int32_t>(DType::kInt32, {2}, {-1, -1});
  two.op(BuiltinOp::kReshape, std::monostate{}, {x2, s2}, {two.output(DType::kFloat32, {})});
  EXPECT_THROW(run_reference(two.graph(), {bytes(24)}), ModelError);

  GraphBuilder bad;
  const int32_t x3 = bad.input(DType::kFloat32, {2, 3});
  bad.op(BuiltinOp::kReshape, ReshapeOptions{std::vector<int32_t>{4, 2}}, {x3},
         {bad.output(DType::kFloat32, {})});
  EXPECT_THROW(run_reference(bad.graph(), {bytes(24)}), ModelError);  // 8 elements vs 6
}

TEST(KernelsTensorOps, SqueezeChecksDimensions) {
  GraphBuilder b;
  const int32_t x = b.input(DType::kFloat32, {1, 3, 1});
  b.op(BuiltinOp::kSqueeze, SqueezeOptions{{1}}, {x}, {b.output(DType::kFloat32, {})});
  EXPECT_THROW(run_reference(b.graph(), {bytes(12)}), ModelError);  // dim 1 is 3
}

TEST(KernelsTensorOps, ConcatenationRequantizesUint8ByHand) {
  // Input a: scale 0.5, zp 10; output: scale 0.25, zp 20. a=14 -> real 2.0 -> 20 + 8 = 28.
  // a=0 -> real -5 -> 20 - 20 = 0; a=255 -> 122.5 -> 20 + 490 -> clamped 255. Input b already
  // has the output's quantization: copied.
  GraphBuilder b;
  const int32_t a = b.input(DType::kUInt8, {1, 3}, 0.5f, 10);
  const int32_t c = b.input(DType::kUInt8, {1, 2}, 0.25f, 20);
  const int32_t y = b.output(DType::kUInt8, {1, 5}, 0.25f, 20);
  b.op(BuiltinOp::kConcatenation, ConcatenationOptions{1, Activation::kNone}, {a, c}, {y});
  EXPECT_EQ(run<uint8_t>(b, {bytes{14, 0, 255}, bytes{7, 9}}), (bytes{28, 0, 255, 7, 9}));
}

TEST(KernelsTensorOps, ConcatenationRejectsInt8RescalingAndShapeMismatch) {
  GraphBuilder b;
  const int32_t a = b.input(DType::kInt8, {1, 3}, 0.5f, 0);
  const int32_t c = b.input(DType::kInt8, {1, 2}, 0.25f, 0);
  b.op(BuiltinOp::kConcatenation, ConcatenationOptions{1, Activation::kNone}, {a, c},
       {b.output(DType::kInt8, {1, 5}, 0.25f, 0)});
  EXPECT_THROW(run_reference(b.graph(), {bytes(3), bytes(2)}), ModelError);

  GraphBuilder s;
  const int32_t p = s.input(DType::kFloat32, {2, 3});
  const int32_t q = s.input(DType::kFloat32, {3, 3});
  s.op(BuiltinOp::kConcatenation, ConcatenationOptions{1, Activation::kNone}, {p, q},
       {s.output(DType::kFloat32, {})});
  EXPECT_THROW(run_reference(s.graph(), {bytes(24), bytes(36)}), ModelError);
}

TEST(KernelsTensorOps, PadUsesZeroPointAndPadV2Constant) {
  // [[1,2]] padded by one row above and one column on each side with the zero point -3.
  GraphBuilder b;
  const int32_t x = b.input(DType::kInt8, {1, 2}, 0.1f, -3);
  const int32_t p = b.constant<int32_t>(DType::kInt32, {2, 2}, {1, 0, 1, 1});
  b.op(BuiltinOp::kPad, std::monostate{}, {x, p}, {b.output(DType::kInt8, {2, 4}, 0.1f, -3)});
  EXPECT_EQ(run<int8_t>(b, {bytes{1, 2}}), (std::vector<int8_t>{-3, -3, -3, -3, -3, 1, 2, -3}));

  GraphBuilder v2;
  const int32_t f = v2.input(DType::kFloat32, {2});
  const int32_t pf = v2.constant<int32_t>(DType::kInt32, {1, 2}, {2, 1});
  const int32_t cv = v2.constant<float>(DType::kFloat32, {}, {7.5f});
  v2.op(BuiltinOp::kPadV2, std::monostate{}, {f, pf, cv}, {v2.output(DType::kFloat32, {5})});
  EXPECT_EQ(run<float>(v2, {as_bytes(std::vector<float>{1.0f, 2.0f})}),
            (std::vector<float>{7.5f, 7.5f, 1.0f, 2.0f, 7.5f}));
}

TEST(KernelsTensorOps, StridedSliceMasksNegativeStridesEllipsisNewAxis) {
  // x = 0..11 as [3,4]. x[::-1, 1::2] = rows 2,1,0 and columns 1,3 -> 9,11,5,7,1,3.
  std::vector<int32_t> x(12);
  for (int i = 0; i < 12; ++i) x[static_cast<size_t>(i)] = i;
  {
    GraphBuilder b;
    const int32_t in = b.input(DType::kInt32, {3, 4});
    auto c = [&](i32 v) { return b.constant<int32_t>(DType::kInt32, {2}, v); };
    b.op(BuiltinOp::kStridedSlice, StridedSliceOptions{1, 3, 0, 0, 0},
         {in, c({0, 1}), c({0, 0}), c({-1, 2})}, {b.output(DType::kInt32, {3, 2})});
    EXPECT_EQ(run<int32_t>(b, {as_bytes(x)}), (i32{9, 11, 5, 7, 1, 3}));
  }
  {
    // x[-1] (shrink) -> row 2: 8,9,10,11; then x[..., tf.newaxis, 2] -> [3,1] column 2: 2,6,10.
    GraphBuilder b;
    const int32_t in = b.input(DType::kInt32, {3, 4});
    auto c = [&](i32 v) {
      return b.constant<int32_t>(DType::kInt32, {static_cast<int32_t>(v.size())}, v);
    };
    b.op(BuiltinOp::kStridedSlice, StridedSliceOptions{0, 0, 0, 0, 1},
         {in, c({-1}), c({0}), c({1})}, {b.output(DType::kInt32, {4})});
    b.op(BuiltinOp::kStridedSlice, StridedSliceOptions{0, 0, 1, 2, 4},
         {in, c({0, 0, 2}), c({0, 0, 3}), c({1, 1, 1})}, {b.output(DType::kInt32, {3, 1})});
    const auto out = run_reference(b.graph(), {as_bytes(x)});
    EXPECT_EQ(as_values<int32_t>(out[0]), (i32{8, 9, 10, 11}));
    EXPECT_EQ(as_values<int32_t>(out[1]), (i32{2, 6, 10}));
  }
}

TEST(KernelsTensorOps, SliceAndSplitAndErrors) {
  std::vector<int32_t> x(12);
  for (int i = 0; i < 12; ++i) x[static_cast<size_t>(i)] = i;
  GraphBuilder b;
  const int32_t in = b.input(DType::kInt32, {3, 4});
  const int32_t begin = b.constant<int32_t>(DType::kInt32, {2}, {1, 1});
  const int32_t size = b.constant<int32_t>(DType::kInt32, {2}, {-1, 2});
  b.op(BuiltinOp::kSlice, std::monostate{}, {in, begin, size}, {b.output(DType::kInt32, {2, 2})});
  const int32_t axis = b.constant<int32_t>(DType::kInt32, {}, {1});
  const int32_t s0 = b.output(DType::kInt32, {3, 2}), s1 = b.output(DType::kInt32, {3, 2});
  b.op(BuiltinOp::kSplit, SplitOptions{2}, {axis, in}, {s0, s1});
  const auto out = run_reference(b.graph(), {as_bytes(x)});
  EXPECT_EQ(as_values<int32_t>(out[0]), (i32{5, 6, 9, 10}));
  EXPECT_EQ(as_values<int32_t>(out[1]), (i32{0, 1, 4, 5, 8, 9}));
  EXPECT_EQ(as_values<int32_t>(out[2]), (i32{2, 3, 6, 7, 10, 11}));

  GraphBuilder bad;
  const int32_t bi = bad.input(DType::kInt32, {3, 4});
  const int32_t ax = bad.constant<int32_t>(DType::kInt32, {}, {1});
  bad.op(BuiltinOp::kSplit, SplitOptions{3}, {ax, bi},
         {bad.output(DType::kInt32, {}), bad.output(DType::kInt32, {}),
          bad.output(DType::kInt32, {})});
  EXPECT_THROW(run_reference(bad.graph(), {as_bytes(x)}), ModelError);  // 4 does not split in 3

  GraphBuilder oob;
  const int32_t oi = oob.input(DType::kInt32, {3, 4});
  const int32_t ob = oob.constant<int32_t>(DType::kInt32, {2}, {2, 0});
  const int32_t os = oob.constant<int32_t>(DType::kInt32, {2}, {2, 4});
  oob.op(BuiltinOp::kSlice, std::monostate{}, {oi, ob, os}, {oob.output(DType::kInt32, {})});
  EXPECT_THROW(run_reference(oob.graph(), {as_bytes(x)}), ModelError);  // rows 2..3 of 3
}

TEST(KernelsTensorOps, ResizeBilinearInt8HalfPixelByHand) {
  // 1x1x2x1 -> 1x1x4x1, half-pixel centers. scale_10 = (1024*2 + 2) / 4 = 512.
  // x=0: 0*512 + 256 - 512 = -256 -> x0 = x1 = 0 -> value 10.
  // x=1: 512 + 256 - 512 = 256 -> x0 = 0, x1 = 1, weights 768/1024 and 256/1024:
  //      (10*768 + 50*256) * 1024 = 20480 * 1024 -> / 2^20 = 20.
  // x=2: 1280 -> x0 = 1, x1 = 1 -> 50 (weights 768 + 256 on the same pixel); x=3: 1792 -> 50.
  GraphBuilder b;
  const int32_t x = b.input(DType::kInt8, {1, 1, 2, 1}, 0.5f, 0);
  const int32_t size = b.constant<int32_t>(DType::kInt32, {2}, {1, 4});
  b.op(BuiltinOp::kResizeBilinear, ResizeOptions{false, true}, {x, size},
       {b.output(DType::kInt8, {1, 1, 4, 1}, 0.5f, 0)});
  EXPECT_EQ(run<int8_t>(b, {bytes{10, 50}}), (std::vector<int8_t>{10, 20, 40, 50}));
}

TEST(KernelsTensorOps, ResizeBilinearUint8AlignCornersByHand) {
  // 1x1x3x1 -> 1x1x5x1 with align corners: scale (3-1)/(5-1) = 0.5; positions 0,0.5,1,1.5,2.
  // Values 0, 100, 255: 0, 50, 100, 177.5 + 0.5 -> 178, 255.
  GraphBuilder b;
  const int32_t x = b.input(DType::kUInt8, {1, 1, 3, 1}, 1.0f, 0);
  const int32_t size = b.constant<int32_t>(DType::kInt32, {2}, {1, 5});
  b.op(BuiltinOp::kResizeBilinear, ResizeOptions{true, false}, {x, size},
       {b.output(DType::kUInt8, {1, 1, 5, 1}, 1.0f, 0)});
  EXPECT_EQ(run<uint8_t>(b, {bytes{0, 100, 255}}), (bytes{0, 50, 100, 178, 255}));
}

TEST(KernelsTensorOps, ResizeBilinearRejectsBothFlagsAndWrongRank) {
  GraphBuilder b;
  const int32_t x = b.input(DType::kFloat32, {1, 2, 2, 1});
  const int32_t size = b.constant<int32_t>(DType::kInt32, {2}, {4, 4});
  b.op(BuiltinOp::kResizeBilinear, ResizeOptions{true, true}, {x, size},
       {b.output(DType::kFloat32, {})});
  EXPECT_THROW(run_reference(b.graph(), {bytes(16)}), ModelError);
  GraphBuilder r;
  const int32_t x3 = r.input(DType::kFloat32, {2, 2, 1});
  const int32_t s3 = r.constant<int32_t>(DType::kInt32, {2}, {4, 4});
  r.op(BuiltinOp::kResizeBilinear, ResizeOptions{}, {x3, s3}, {r.output(DType::kFloat32, {})});
  EXPECT_THROW(run_reference(r.graph(), {bytes(16)}), ModelError);
}

TEST(KernelsTensorOps, ArgMaxTiesGoToLowestIndexAndArgMin) {
  // Rows of [2,4] int8: {3,7,7,1} -> 1 (first of the two 7s); {-5,-5,-9,-5} -> 0; argmin -> 3, 2.
  GraphBuilder b;
  const int32_t x = b.input(DType::kInt8, {2, 4}, 1.0f, 0);
  const int32_t axis = b.constant<int32_t>(DType::kInt32, {1}, {-1});
  b.op(BuiltinOp::kArgMax, ArgMinMaxOptions{DType::kInt64}, {x, axis},
       {b.output(DType::kInt64, {2})});
  b.op(BuiltinOp::kArgMin, ArgMinMaxOptions{DType::kInt32}, {x, axis},
       {b.output(DType::kInt32, {2})});
  const std::vector<int8_t> v{3, 7, 7, 1, -5, -5, -9, -5};
  const auto out = run_reference(b.graph(), {as_bytes(v)});
  EXPECT_EQ(as_values<int64_t>(out[0]), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(as_values<int32_t>(out[1]), (i32{3, 2}));
}

TEST(KernelsTensorOps, CastTruncatesAndConvertsBool) {
  GraphBuilder b;
  const int32_t x = b.input(DType::kFloat32, {5});
  b.op(BuiltinOp::kCast, std::monostate{}, {x}, {b.output(DType::kInt32, {5})});
  b.op(BuiltinOp::kCast, std::monostate{}, {x}, {b.output(DType::kBool, {5})});
  const auto out =
      run_reference(b.graph(), {as_bytes(std::vector<float>{-2.7f, -0.5f, 0.0f, 3.9f, 1e10f})});
  EXPECT_EQ(as_values<int32_t>(out[0]), (i32{-2, 0, 0, 3, INT32_MIN}));
  EXPECT_EQ(out[1], (bytes{1, 1, 0, 1, 1}));
}

TEST(KernelsTensorOps, DivAndFloorDiv) {
  GraphBuilder b;
  const int32_t a = b.input(DType::kInt32, {4});
  const int32_t d = b.constant<int32_t>(DType::kInt32, {1}, {2});
  b.op(BuiltinOp::kDiv, MulDivOptions{}, {a, d}, {b.output(DType::kInt32, {4})});
  b.op(BuiltinOp::kFloorDiv, std::monostate{}, {a, d}, {b.output(DType::kInt32, {4})});
  const int32_t f = b.input(DType::kFloat32, {2, 2});
  const int32_t g = b.input(DType::kFloat32, {2});
  b.op(BuiltinOp::kDiv, MulDivOptions{Activation::kRelu6}, {f, g},
       {b.output(DType::kFloat32, {2, 2})});
  const auto out = run_reference(b.graph(), {as_bytes(i32{-7, 7, -8, 1}),
                                             as_bytes(std::vector<float>{1.0f, -3.0f, 30.0f, 4.5f}),
                                             as_bytes(std::vector<float>{0.5f, 1.5f})});
  EXPECT_EQ(as_values<int32_t>(out[0]), (i32{-3, 3, -4, 0}));  // truncation toward zero
  EXPECT_EQ(as_values<int32_t>(out[1]), (i32{-4, 3, -4, 0}));  // floor
  EXPECT_EQ(as_values<float>(out[2]), (std::vector<float>{2.0f, 0.0f, 6.0f, 3.0f}));  // relu6

  GraphBuilder z;
  const int32_t za = z.input(DType::kInt32, {2});
  const int32_t zd = z.input(DType::kInt32, {2});
  z.op(BuiltinOp::kFloorDiv, std::monostate{}, {za, zd}, {z.output(DType::kInt32, {2})});
  EXPECT_THROW(run_reference(z.graph(), {as_bytes(i32{1, 2}), as_bytes(i32{1, 0})}), ModelError);
}

TEST(KernelsTensorOps, GatherNdPackUnpackSqrt) {
  // params [2,2,2] = 0..7; indices {{1,0},{0,1}} -> slices params[1,0] = {4,5}, params[0,1] =
  // {2,3}.
  GraphBuilder b;
  const int32_t p = b.input(DType::kFloat32, {2, 2, 2});
  const int32_t idx = b.constant<int32_t>(DType::kInt32, {2, 2}, {1, 0, 0, 1});
  b.op(BuiltinOp::kGatherNd, std::monostate{}, {p, idx}, {b.output(DType::kFloat32, {2, 2})});
  const int32_t u0 = b.output(DType::kFloat32, {2, 2}), u1 = b.output(DType::kFloat32, {2, 2});
  b.op(BuiltinOp::kUnpack, UnpackOptions{2, 1}, {p}, {u0, u1});  // params[:, 0, :], params[:, 1, :]
  b.op(BuiltinOp::kPack, PackOptions{2, 2}, {u0, u1}, {b.output(DType::kFloat32, {2, 2, 2})});
  b.op(BuiltinOp::kSqrt, std::monostate{}, {p}, {b.output(DType::kFloat32, {2, 2, 2})});
  const std::vector<float> v{0, 1, 2, 3, 4, 5, 6, 7};
  const auto out = run_reference(b.graph(), {as_bytes(v)});
  EXPECT_EQ(as_values<float>(out[0]), (std::vector<float>{4, 5, 2, 3}));
  EXPECT_EQ(as_values<float>(out[1]), (std::vector<float>{0, 1, 4, 5}));
  EXPECT_EQ(as_values<float>(out[2]), (std::vector<float>{2, 3, 6, 7}));
  // Packing the unpacked halves on axis 2 transposes the last two dims: {0,2,1,3,4,6,5,7}.
  EXPECT_EQ(as_values<float>(out[3]), (std::vector<float>{0, 2, 1, 3, 4, 6, 5, 7}));
  EXPECT_EQ(as_values<float>(out[4])[4], 2.0f);

  GraphBuilder oob;
  const int32_t op = oob.input(DType::kFloat32, {2, 2});
  const int32_t oi = oob.constant<int32_t>(DType::kInt32, {1, 1}, {2});
  oob.op(BuiltinOp::kGatherNd, std::monostate{}, {op, oi}, {oob.output(DType::kFloat32, {1, 2})});
  EXPECT_THROW(run_reference(oob.graph(), {bytes(16)}), ModelError);
}

TEST(KernelsTensorOps, Int16FixedPointLogisticAndTanhTrackTheRealFunctions) {
  // gemmlowp's 16-bit approximations stay within 16 LSB of Q0.15 (5e-4), are exact at 0, and
  // are monotonic up to glitches of up to 16 LSB where the barrel shifter's rounded constants meet.
  // (Bit-exactness against TFLite is the LSTM oracle tests' job.)
  namespace fp = engine::fp16;
  EXPECT_EQ(fp::logistic<3>(0), 16384);
  EXPECT_EQ(fp::tanh<3>(0), 0);
  int prev_sig = 0, prev_tanh = -32768;
  for (int raw = -32768; raw <= 32767; raw += 7) {
    const double x = raw / 4096.0;  // Q3.12
    const int16_t s = fp::logistic<3>(static_cast<int16_t>(raw));
    const int16_t t = fp::tanh<3>(static_cast<int16_t>(raw));
    EXPECT_NEAR(s, 32768.0 / (1.0 + std::exp(-x)), 16.0) << raw;
    EXPECT_NEAR(t, 32768.0 * std::tanh(x), 16.0) << raw;
    EXPECT_GE(s, prev_sig - 16) << raw;
    EXPECT_GE(t, prev_tanh - 16) << raw;
    prev_sig = s;
    prev_tanh = t;
  }
  // Other integer-bit counts: tanh of Q6.9 at 1.0 (raw 512) is 0.7616 -> 24956 +- a few.
  EXPECT_NEAR(fp::tanh<6>(512), 32768.0 * std::tanh(1.0), 16.0);
  EXPECT_NEAR(fp::tanh<0>(16384), 32768.0 * std::tanh(0.5), 16.0);
}

TEST(KernelsTensorOps, LstmStateCarriesOverAndShapesAreChecked) {
  // A 1-unit float LSTM with all weights 0 except biases: every gate is a constant,
  // i = f = o = sigmoid(0) = 0.5, g = tanh(1) (cell bias 1). c1 = 0.5*0 + 0.5*tanh(1),
  // c2 = 0.5*c1 + 0.5*tanh(1); h = 0.5 * tanh(c).
  GraphBuilder b;
  const int32_t x = b.input(DType::kFloat32, {1, 2, 1});
  std::vector<int32_t> ins{x};
  for (int i = 0; i < 8; ++i) ins.push_back(b.constant<float>(DType::kFloat32, {1, 1}, {0.0f}));
  ins.insert(ins.end(), {kNoTensor, kNoTensor, kNoTensor});
  for (float bias : {0.0f, 0.0f, 1.0f, 0.0f})
    ins.push_back(b.constant<float>(DType::kFloat32, {1}, {bias}));
  ins.insert(ins.end(), {kNoTensor, kNoTensor});
  const int32_t h = b.tensor(DType::kFloat32, {1, 1});
  const int32_t c = b.tensor(DType::kFloat32, {1, 1});
  b.graph().main().tensors[static_cast<size_t>(h)].is_variable = true;
  b.graph().main().tensors[static_cast<size_t>(c)].is_variable = true;
  ins.insert(ins.end(), {h, c, kNoTensor, kNoTensor, kNoTensor, kNoTensor});
  SequenceLstmOptions o;
  o.activation = Activation::kTanh;
  b.op(BuiltinOp::kUnidirectionalSequenceLstm, o, ins, {b.output(DType::kFloat32, {1, 2, 1})});
  const auto out = as_values<float>(run_reference(b.graph(), {bytes(8)}).at(0));
  const double g = std::tanh(1.0), c1 = 0.5 * g, c2 = 0.5 * c1 + 0.5 * g;
  ASSERT_EQ(out.size(), 2u);
  EXPECT_NEAR(out[0], 0.5 * std::tanh(c1), 1e-6);
  EXPECT_NEAR(out[1], 0.5 * std::tanh(c2), 1e-6);

  auto& w = b.graph().main().tensors[static_cast<size_t>(ins[4])];  // input_to_output weights
  w.shape = {1, 3};
  w.data = Bytes::own(bytes(12));
  EXPECT_THROW(run_reference(b.graph(), {bytes(8)}), ModelError);
}

}  // namespace
}  // namespace tpulab
