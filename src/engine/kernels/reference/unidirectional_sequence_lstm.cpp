// UNIDIRECTIONAL_SEQUENCE_LSTM reference kernel.
//
// Integer path (TFLite's "8x8_16" LSTM: int8 input/weights/output state, int16 cell state with a
// power-of-two scale, int32 biases), reproducing lstm_eval's LstmStepInteger8x8_16 step by step:
//   gate_g = sat16(MBQM(W_in·x + eff_bias_in, s_in) + sat16(MBQM(W_rec·h + eff_bias_rec, s_rec)))
//            [+ peephole] [layer norm], then gemmlowp sigmoid (Q3.12 -> Q0.15) or tanh (cell gate)
//   cell   = sat16(rdbpot(f * cell, 15) + rdbpot(i * g, 30 + cell_scale)), clipped
//   (the output gate is computed after the cell update: its peephole sees the new cell)
//   hidden = clamp8(MBQM(o * tanh(cell), 2^-30 / s_hidden) - z_hidden)
//   h      = hidden, or the projection of hidden (requantized, clipped)
// where MBQM is TFLite's MultiplyByQuantizedMultiplier and the effective scales are computed in
// float exactly as TFLite's PopulateQuantizedLstmParams8x8_16. The zero-point products
// (-z_x * rowsum(W)) are folded into the effective biases in prepare.
//
// Float path: the same recurrence in float (gate = bias + W_in·x + W_rec·h, logistic, tanh);
// TFLite evaluates its matrix products with an optimized GEMM, so float results agree to
// rounding, not bit for bit.
//
// The output and cell states are the op's variable inputs 18 and 19: the kernel updates them in
// place, so they carry over to the next invoke.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/kernels/fixed_point_int16.h"
#include "engine/kernels/kernel_util.h"
#include "engine/kernels/quantization.h"
#include "engine/kernels/reference/tensor_kernels.h"

namespace tpulab::engine {

namespace {

// Input tensor indices.
constexpr size_t kInput = 0;
constexpr size_t kInputToInput = 1;      // + gate: input, forget, cell, output
constexpr size_t kRecurrentToInput = 5;  // + gate
constexpr size_t kCellToInput = 9;       // peephole: input, forget, output
constexpr size_t kInputGateBias = 12;    // + gate
constexpr size_t kProjectionWeights = 16;
constexpr size_t kProjectionBias = 17;
constexpr size_t kOutputState = 18;
constexpr size_t kCellState = 19;
constexpr size_t kInputLayerNorm = 20;  // + gate
// Gates.
constexpr size_t kI = 0, kF = 1, kC = 2, kO = 3;

// TFLite's sign convention for the hidden state's zero point in CwiseMul (int16 x int16 -> int8):
// the product is requantized and then the zero point is subtracted.
constexpr int32_t kHiddenZeroPointSign = -1;

const TensorRef* optional(const OpContext& ctx, size_t i) {
  return i < ctx.inputs.size() ? ctx.inputs[i] : nullptr;
}

// TFLite's CheckedLog2: the integer log2 of a power-of-two scale.
bool checked_log2(float x, int* result) {
  const float l = std::log(x) * (1.0f / std::log(2.0f));
  const float r = std::round(l);
  *result = static_cast<int>(r);
  return std::abs(l - r) < 1e-3f;
}

int16_t sat16(int32_t x) { return static_cast<int16_t>(std::clamp(x, -32768, 32767)); }

class LstmReference : public Kernel {
 public:
  void prepare(OpContext& ctx) override {
    const auto o = options_or_default<SequenceLstmOptions>(ctx);
    check_model(ctx.inputs.size() == 24 || ctx.inputs.size() == 20, ctx,
                "expects 20 or 24 inputs, has " + std::to_string(ctx.inputs.size()));
    const TensorRef& in = ctx.in(kInput);
    TensorRef& out = ctx.out(0);
    check_model(in.rank() == 3, ctx, "input must have rank 3");
    time_major_ = o.time_major;
    steps_ = time_major_ ? in.shape[0] : in.shape[1];
    batches_ = time_major_ ? in.shape[1] : in.shape[0];
    n_input_ = in.shape[2];
    const TensorRef& i2o = ctx.in(kInputToInput + kO);
    check_model(i2o.rank() == 2 && i2o.shape[1] == n_input_, ctx, "input_to_output weights shape");
    n_cell_ = i2o.shape[0];
    const TensorRef& r2o = ctx.in(kRecurrentToInput + kO);
    check_model(r2o.rank() == 2 && r2o.shape[0] == n_cell_, ctx,
                "recurrent_to_output weights shape");
    n_output_ = r2o.shape[1];

    use_cifg_ = optional(ctx, kInputToInput) == nullptr;
    check_model(use_cifg_ == (optional(ctx, kRecurrentToInput) == nullptr), ctx,
                "input-gate weights must be all present or all absent");
    use_peephole_ = optional(ctx, kCellToInput + 2) != nullptr;
    use_projection_ = optional(ctx, kProjectionWeights) != nullptr;
    use_layer_norm_ = ctx.inputs.size() == 24 && optional(ctx, kInputLayerNorm + 1) != nullptr;
    check_model(use_projection_ || optional(ctx, kProjectionBias) == nullptr, ctx,
                "projection bias without projection weights");
    for (size_t g = 0; g < 4; ++g) {
      if (g == kI && use_cifg_) continue;
      const TensorRef& wi = ctx.in(kInputToInput + g);
      const TensorRef& wr = ctx.in(kRecurrentToInput + g);
      check_model(wi.shape == std::vector<int32_t>{n_cell_, n_input_}, ctx, "input weights shape");
      check_model(wr.shape == std::vector<int32_t>{n_cell_, n_output_}, ctx,
                  "recurrent weights shape");
      check_model(ctx.in(kInputGateBias + g).shape == std::vector<int32_t>{n_cell_}, ctx,
                  "bias shape");
    }
    if (use_peephole_)
      for (size_t p = 0; p < 3; ++p)
        if (!(p == 0 && use_cifg_))
          check_model(ctx.in(kCellToInput + p).shape == std::vector<int32_t>{n_cell_}, ctx,
                      "peephole weights shape");
    if (use_projection_)
      check_model(ctx.in(kProjectionWeights).shape == std::vector<int32_t>{n_output_, n_cell_}, ctx,
                  "projection weights shape");
    const TensorRef& hs = ctx.in(kOutputState);
    const TensorRef& cs = ctx.in(kCellState);
    check_model(hs.num_elements() == int64_t{batches_} * n_output_, ctx, "output state size");
    check_model(cs.num_elements() == int64_t{batches_} * n_cell_, ctx, "cell state size");
    out.shape = in.shape;
    out.shape[2] = n_output_;

    integer_ = in.dtype == DType::kInt8;
    if (integer_) {
      prepare_integer(ctx, o);
    } else {
      check_supported(in.dtype == DType::kFloat32, ctx,
                      "LSTM with " + dtype_name(in.dtype) + " input");
      for (size_t i = 0; i < ctx.inputs.size(); ++i)
        if (ctx.inputs[i] != nullptr)
          check_supported(ctx.inputs[i]->dtype == DType::kFloat32, ctx,
                          "hybrid LSTM (float input, " + dtype_name(ctx.inputs[i]->dtype) +
                              " tensor " + std::to_string(i) + ")");
      check_model(out.dtype == DType::kFloat32, ctx, "output must be float32");
      activation_ = o.activation;
      check_supported(activation_ == Activation::kTanh || activation_ == Activation::kRelu ||
                          activation_ == Activation::kRelu6 || activation_ == Activation::kNone ||
                          activation_ == Activation::kSignBit,
                      ctx, "LSTM activation");
      cell_clip_f_ = o.cell_clip;
      proj_clip_f_ = o.proj_clip;
    }
  }

  size_t scratch_bytes(int /*threads*/) const override {
    // Four gates and one temporary of n_cell each, plus the int8 hidden vector.
    const size_t n = static_cast<size_t>(n_cell_);
    return integer_ ? 5 * n * sizeof(int16_t) + n + 16 : 5 * n * sizeof(float);
  }

  void eval(const OpContext& ctx) const override {
    for (int32_t b = 0; b < batches_; ++b)
      for (int32_t t = 0; t < steps_; ++t) {
        const int64_t row = time_major_ ? int64_t{t} * batches_ + b : int64_t{b} * steps_ + t;
        if (integer_)
          step_integer(ctx, b, row);
        else
          step_float(ctx, b, row);
      }
  }

 private:
  struct GateParams {
    QuantizedMultiplier input_scale, recurrent_scale, cell_scale, layer_norm_scale;
    std::vector<int32_t> input_bias, recurrent_bias;  // effective biases (zero points folded in)
    int32_t variance_guard = 1;
  };

  void prepare_integer(OpContext& ctx, const SequenceLstmOptions& o) {
    const TensorRef& in = ctx.in(kInput);
    const TensorRef& hs = ctx.in(kOutputState);
    const TensorRef& cs = ctx.in(kCellState);
    const TensorRef& out = ctx.out(0);
    check_model(hs.dtype == DType::kInt8 && out.dtype == DType::kInt8, ctx,
                "integer LSTM needs int8 output state and output");
    check_model(cs.dtype == DType::kInt16, ctx, "integer LSTM needs an int16 cell state");
    check_model(
        in.quant != nullptr && hs.quant != nullptr && cs.quant != nullptr && out.quant != nullptr,
        ctx, "integer LSTM tensors must be quantized");
    for (size_t g = 0; g < 4; ++g) {
      if (g == kI && use_cifg_) continue;
      for (size_t base : {kInputToInput, kRecurrentToInput}) {
        const TensorRef& w = ctx.in(base + g);
        check_model(w.dtype == DType::kInt8 && w.quant != nullptr, ctx,
                    "weights must be quantized int8");
        check_model(w.is_constant, ctx, "weights must be constant");
      }
      check_model(ctx.in(kInputGateBias + g).dtype == DType::kInt32, ctx, "biases must be int32");
    }
    // The hidden state's quantization lives in intermediate tensor 4, and with layer norm the gate
    // quantization in intermediates 0-3; kernels only see op inputs and outputs. Without
    // projection the converter gives the hidden intermediate the output state's quantization,
    // which is used here.
    check_supported(!use_layer_norm_, ctx,
                    "integer LSTM with layer norm (needs intermediate tensors)");
    check_supported(!use_projection_, ctx,
                    "integer LSTM with projection (needs intermediate tensors)");
    const float hidden_scale = hs.scale();
    hidden_zp_ = hs.zero_point();

    int cell_scale = 0;
    check_model(checked_log2(cs.scale(), &cell_scale), ctx,
                "cell state scale is not a power of two");
    cell_scale_ = cell_scale;
    check_supported(
        15 + cell_scale >= 0 && 15 + cell_scale <= 6, ctx,
        "cell state scale 2^" + std::to_string(cell_scale) + " (TFLite handles 2^-15..2^-9)");
    quantized_cell_clip_ = o.cell_clip > 0.0f
                               ? static_cast<int16_t>(std::min(
                                     std::max(o.cell_clip / cs.scale(), -32768.0f), 32767.0f))
                               : 0;

    // Without layer norm every gate is Q3.12 (scale 2^-12, zero point 0).
    const float gate_scale = std::pow(2.0f, -12.0f);
    const float input_scale = in.scale();
    const float state_scale = hs.scale();
    const int32_t input_zp = in.zero_point();
    const int32_t state_zp = hs.zero_point();
    for (size_t g = 0; g < 4; ++g) {
      if (g == kI && use_cifg_) continue;
      GateParams& p = gates_[g];
      const TensorRef& wi = ctx.in(kInputToInput + g);
      const TensorRef& wr = ctx.in(kRecurrentToInput + g);
      const float eff_in = wi.scale() * input_scale / gate_scale;
      const float eff_rec = wr.scale() * state_scale / gate_scale;
      p.input_scale = quantize_multiplier(static_cast<double>(eff_in));
      p.recurrent_scale = quantize_multiplier(static_cast<double>(eff_rec));
      const int32_t* bias = ctx.in(kInputGateBias + g).as<int32_t>();
      p.input_bias = zero_point_times_weights(wi, -input_zp, bias);
      p.recurrent_bias = zero_point_times_weights(wr, -state_zp, nullptr);
      if (use_peephole_ && g != kC) {
        const TensorRef& c2g = ctx.in(kCellToInput + (g == kO ? 2 : g));
        check_model(c2g.dtype == DType::kInt16 && c2g.quant != nullptr, ctx,
                    "peephole weights must be quantized int16");
        const float eff_cell =
            static_cast<float>(std::pow(2.0, cell_scale)) * c2g.scale() / gate_scale;
        p.cell_scale = quantize_multiplier(static_cast<double>(eff_cell));
      }
    }
    const float eff_hidden =
        static_cast<float>(std::pow(2.0, -15) / hidden_scale * std::pow(2.0, -15));
    hidden_scale_ = quantize_multiplier(static_cast<double>(eff_hidden));
  }

  // bias[row] (or 0) + zero_point * sum(weights[row, :]), as TFLite's
  // PrecomputeZeroPointTimesWeightWithBias.
  static std::vector<int32_t> zero_point_times_weights(const TensorRef& w, int32_t zero_point,
                                                       const int32_t* bias) {
    const int32_t rows = w.shape[0], cols = w.shape[1];
    std::vector<int32_t> r(static_cast<size_t>(rows));
    const int8_t* m = w.as<int8_t>();
    for (int32_t i = 0; i < rows; ++i) {
      int32_t sum = 0;
      for (int32_t j = 0; j < cols; ++j) sum += m[i * cols + j];
      r[static_cast<size_t>(i)] = (bias != nullptr ? bias[i] : 0) + sum * zero_point;
    }
    return r;
  }

  // TFLite's MatrixBatchVectorMultiplyAccumulate (int8 x int8 -> int16 accumulate, saturating).
  static void matmul_accumulate(const int8_t* x, const std::vector<int32_t>& bias, const int8_t* w,
                                QuantizedMultiplier scale, int32_t n_in, int32_t n_out,
                                int16_t* acc) {
    for (int32_t r = 0; r < n_out; ++r) {
      int32_t sum = bias[static_cast<size_t>(r)];
      for (int32_t c = 0; c < n_in; ++c) sum += int32_t{x[c]} * int32_t{w[r * n_in + c]};
      acc[r] = sat16(multiply_by_quantized_multiplier(sum, scale) + acc[r]);
    }
  }

  void gate_integer(const OpContext& ctx, size_t g, const int8_t* x, const int8_t* h,
                    const int16_t* cell, int16_t* gate) const {
    const GateParams& p = gates_[g];
    std::fill_n(gate, n_cell_, int16_t{0});
    matmul_accumulate(x, p.input_bias, ctx.in(kInputToInput + g).as<int8_t>(), p.input_scale,
                      n_input_, n_cell_, gate);
    matmul_accumulate(h, p.recurrent_bias, ctx.in(kRecurrentToInput + g).as<int8_t>(),
                      p.recurrent_scale, n_output_, n_cell_, gate);
    if (use_peephole_ && g != kC) {
      const int16_t* c2g = ctx.in(kCellToInput + (g == kO ? 2 : g)).as<int16_t>();
      // TFLite passes n_output as the length here; equal to n_cell without projection.
      const int32_t n = std::min(n_output_, n_cell_);
      for (int32_t j = 0; j < n; ++j)
        gate[j] = sat16(multiply_by_quantized_multiplier(int32_t{c2g[j]} * cell[j], p.cell_scale) +
                        gate[j]);
    }
    for (int32_t j = 0; j < n_cell_; ++j)
      gate[j] = g == kC ? fp16::tanh<3>(gate[j]) : fp16::logistic<3>(gate[j]);
  }

  void step_integer(const OpContext& ctx, int32_t b, int64_t row) const {
    const int8_t* x = ctx.in(kInput).as<int8_t>() + row * n_input_;
    int8_t* h = ctx.in(kOutputState).as<int8_t>() + int64_t{b} * n_output_;
    int16_t* cell = ctx.in(kCellState).as<int16_t>() + int64_t{b} * n_cell_;
    int8_t* y = ctx.out(0).as<int8_t>() + row * n_output_;
    auto* s = reinterpret_cast<int16_t*>(ctx.scratch.data());
    int16_t* gi = s;
    int16_t* gf = s + n_cell_;
    int16_t* gc = s + 2 * n_cell_;
    int16_t* go = s + 3 * n_cell_;
    int16_t* tmp = s + 4 * n_cell_;
    auto* hidden = reinterpret_cast<int8_t*>(s + 5 * n_cell_);

    if (!use_cifg_) gate_integer(ctx, kI, x, h, cell, gi);
    gate_integer(ctx, kF, x, h, cell, gf);
    gate_integer(ctx, kC, x, h, cell, gc);
    // Cell update.
    for (int32_t j = 0; j < n_cell_; ++j) {
      const auto kept =
          static_cast<int16_t>(fp16::rounding_divide_by_pot(int32_t{gf[j]} * cell[j], 15));
      const int32_t in_gate = use_cifg_ ? 32767 - gf[j] : gi[j];
      const auto added = static_cast<int16_t>(
          fp16::rounding_divide_by_pot(in_gate * int32_t{gc[j]}, 30 + cell_scale_));
      int16_t c = sat16(int32_t{kept} + added);
      if (quantized_cell_clip_ > 0)
        c = std::clamp<int16_t>(c, static_cast<int16_t>(-quantized_cell_clip_),
                                quantized_cell_clip_);
      cell[j] = c;
    }
    gate_integer(ctx, kO, x, h, cell, go);
    // Hidden = output gate * tanh(cell), requantized to int8.
    for (int32_t j = 0; j < n_cell_; ++j) tmp[j] = tanh_cell(cell[j]);
    for (int32_t j = 0; j < n_cell_; ++j) {
      int32_t v = multiply_by_quantized_multiplier(int32_t{go[j]} * tmp[j], hidden_scale_);
      v += kHiddenZeroPointSign * hidden_zp_;
      hidden[j] = static_cast<int8_t>(std::clamp(v, -128, 127));
    }
    std::memcpy(h, hidden, static_cast<size_t>(n_output_));
    std::memcpy(y, h, static_cast<size_t>(n_output_));
  }

  int16_t tanh_cell(int16_t c) const {
    switch (15 + cell_scale_) {
      case 0:
        return fp16::tanh<0>(c);
      case 1:
        return fp16::tanh<1>(c);
      case 2:
        return fp16::tanh<2>(c);
      case 3:
        return fp16::tanh<3>(c);
      case 4:
        return fp16::tanh<4>(c);
      case 5:
        return fp16::tanh<5>(c);
      default:
        return fp16::tanh<6>(c);
    }
  }

  // ---- float ----
  float activate(float x) const {
    switch (activation_) {
      case Activation::kRelu:
        return std::max(0.0f, x);
      case Activation::kRelu6:
        return std::min(std::max(0.0f, x), 6.0f);
      case Activation::kTanh:
        return std::tanh(x);
      case Activation::kSignBit:
        return std::signbit(x) ? 1.0f : 0.0f;
      default:
        return x;
    }
  }
  static float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

  void gate_float(const OpContext& ctx, size_t g, const float* x, const float* h, const float* cell,
                  float* gate) const {
    const float* bias = ctx.in(kInputGateBias + g).as<float>();
    const float* wi = ctx.in(kInputToInput + g).as<float>();
    const float* wr = ctx.in(kRecurrentToInput + g).as<float>();
    for (int32_t r = 0; r < n_cell_; ++r) gate[r] = use_layer_norm_ ? 0.0f : bias[r];
    for (int32_t r = 0; r < n_cell_; ++r) {
      float dot = 0.0f;
      for (int32_t c = 0; c < n_input_; ++c) dot += wi[r * n_input_ + c] * x[c];
      gate[r] += dot;
    }
    for (int32_t r = 0; r < n_cell_; ++r) {
      float dot = 0.0f;
      for (int32_t c = 0; c < n_output_; ++c) dot += wr[r * n_output_ + c] * h[c];
      gate[r] += dot;
    }
    if (use_peephole_ && g != kC) {
      const float* c2g = ctx.in(kCellToInput + (g == kO ? 2 : g)).as<float>();
      for (int32_t r = 0; r < n_cell_; ++r) gate[r] += c2g[r] * cell[r];
    }
    if (use_layer_norm_) {
      const float* ln = ctx.in(kInputLayerNorm + g).as<float>();
      float sum = 0.0f;
      for (int32_t r = 0; r < n_cell_; ++r) sum += gate[r];
      const float mean = sum / static_cast<float>(n_cell_);
      float sq = 0.0f;
      for (int32_t r = 0; r < n_cell_; ++r) sq += (gate[r] - mean) * (gate[r] - mean);
      const float inv = 1.0f / std::sqrt(sq / static_cast<float>(n_cell_) + 1e-8f);
      for (int32_t r = 0; r < n_cell_; ++r) gate[r] = (gate[r] - mean) * inv * ln[r] + bias[r];
    }
    for (int32_t r = 0; r < n_cell_; ++r) gate[r] = g == kC ? activate(gate[r]) : sigmoid(gate[r]);
  }

  void step_float(const OpContext& ctx, int32_t b, int64_t row) const {
    const float* x = ctx.in(kInput).as<float>() + row * n_input_;
    float* h = ctx.in(kOutputState).as<float>() + int64_t{b} * n_output_;
    float* cell = ctx.in(kCellState).as<float>() + int64_t{b} * n_cell_;
    float* y = ctx.out(0).as<float>() + row * n_output_;
    auto* s = reinterpret_cast<float*>(ctx.scratch.data());
    float* gi = s;
    float* gf = s + n_cell_;
    float* gc = s + 2 * n_cell_;
    float* go = s + 3 * n_cell_;
    float* tmp = s + 4 * n_cell_;
    if (!use_cifg_) gate_float(ctx, kI, x, h, cell, gi);
    gate_float(ctx, kF, x, h, cell, gf);
    gate_float(ctx, kC, x, h, cell, gc);
    for (int32_t j = 0; j < n_cell_; ++j) {
      float c = gf[j] * cell[j];
      c += gc[j] * (use_cifg_ ? 1.0f - gf[j] : gi[j]);
      if (cell_clip_f_ > 0.0f) c = std::clamp(c, -cell_clip_f_, cell_clip_f_);
      cell[j] = c;
    }
    gate_float(ctx, kO, x, h, cell, go);
    for (int32_t j = 0; j < n_cell_; ++j) tmp[j] = go[j] * activate(cell[j]);
    if (use_projection_) {
      const float* w = ctx.in(kProjectionWeights).as<float>();
      const TensorRef* pb = optional(ctx, kProjectionBias);
      for (int32_t r = 0; r < n_output_; ++r) {
        float dot = 0.0f;
        for (int32_t c = 0; c < n_cell_; ++c) dot += w[r * n_cell_ + c] * tmp[c];
        float v = (pb != nullptr ? pb->as<float>()[r] : 0.0f) + dot;
        if (proj_clip_f_ > 0.0f) v = std::clamp(v, -proj_clip_f_, proj_clip_f_);
        h[r] = v;
      }
    } else {
      std::memcpy(h, tmp, static_cast<size_t>(n_output_) * sizeof(float));
    }
    std::memcpy(y, h, static_cast<size_t>(n_output_) * sizeof(float));
  }

  bool integer_ = false, time_major_ = false;
  bool use_cifg_ = false, use_peephole_ = false, use_projection_ = false, use_layer_norm_ = false;
  int32_t steps_ = 0, batches_ = 0, n_input_ = 0, n_cell_ = 0, n_output_ = 0;
  // integer
  GateParams gates_[4];
  QuantizedMultiplier hidden_scale_;
  int32_t hidden_zp_ = 0;
  int cell_scale_ = 0;
  int16_t quantized_cell_clip_ = 0;
  // float
  Activation activation_ = Activation::kTanh;
  float cell_clip_f_ = 0.0f, proj_clip_f_ = 0.0f;
};

}  // namespace

std::unique_ptr<Kernel> make_reference_unidirectional_sequence_lstm() {
  return std::make_unique<LstmReference>();
}

}  // namespace tpulab::engine
