// What the simulated Edge TPU is made of: the chip (MAC array, clock, SRAM, how the compiler lays
// out parameters), and the numbers calibration fits (efficiencies and overheads). Every field
// says where its value comes from; the values themselves live in the platform TOML files
// (src/device/platforms/), so a study can change them without recompiling.
#pragma once

#include <cstdint>
#include <string>

namespace tpulab::device {

// Core clock modes of the runtime driver (libedgetpu): Low 63, Medium 125, High 250, Max 500 MHz.
enum class ClockMode { kLow, kMedium, kHigh, kMax };
double clock_mhz(ClockMode m);
ClockMode parse_clock_mode(const std::string& s);  // "low".."max"; throws UsageError
std::string clock_mode_name(ClockMode m);

struct ChipSpec {
  // 4 TOPS int8 at 500 MHz = 4096 MACs per cycle, a 64x64 array (edgetpu.md).
  int64_t macs_per_cycle = 4096;
  ClockMode clock = ClockMode::kMax;
  // ~8 MB of on-chip SRAM for parameters, instructions and activations (coral.ai, edgetpu.md).
  int64_t sram_bytes = 8 << 20;
  // SRAM kept for activations: activation_reserve_factor x the segment's peak live activation
  // bytes (what must be resident at once), at most activation_reserve_cap_bytes (larger
  // activations are tiled). The cap is 8 MiB minus ResNet-50's 6.25 MiB of cached parameters
  // (edgetpu.md).
  double activation_reserve_factor = 1.0;
  int64_t activation_reserve_cap_bytes = 1835008;  // 1.75 MiB

  // Parameter layout of the compiler, read byte for byte off the real compiled files in
  // shared/models (docs/device_model.md, "Parameter layout"). Conv / fully connected / transpose
  // conv: padded outputs x (bias + per-channel data + taps x inputs padded to in_channel_quantum,
  // one 32-bit word per 4 inputs). Outputs pad to tiny_out_channels when there are at most that
  // many, else to small_out_channel_quantum up to out_channel_quantum outputs, else to
  // out_channel_quantum (96 -> 128, 160 -> 192, 1001 -> 1024; 8 -> 16, 24 -> 32, 1 -> 4).
  // Depthwise: channels pad to depthwise_channel_quantum; each channel has bias + per-channel data
  // + depthwise_tap_bytes per tap (a block-diagonal 4x4 per tap: 40 B per channel for 3x3).
  int32_t in_channel_quantum = 4;
  int32_t out_channel_quantum = 64;
  int32_t small_out_channel_quantum = 16;
  int32_t tiny_out_channels = 4;
  int32_t depthwise_channel_quantum = 4;
  int32_t depthwise_tap_bytes = 4;
  // Per padded output channel: an int32 bias (left out when the bias is all zero) and, for
  // per-channel quantized filters, a float scale and a 32-bit word.
  int32_t bias_bytes = 4;
  int32_t per_channel_quant_bytes = 8;
  // Softmax: three tables of softmax_bytes_per_class / 3 per class (classes padded to 4), plus
  // softmax_extra_bytes from softmax_extra_min_classes classes on (1001 classes have it, 10 do
  // not; the threshold between is a guess). The compiler of the mobilenet_v2 file in shared/models
  // (a later release) writes no softmax tables at all: set both to 0 to model it.
  int32_t softmax_bytes_per_class = 48;
  int32_t softmax_class_quantum = 4;
  int32_t softmax_extra_bytes = 64;
  int32_t softmax_extra_min_classes = 65;
  // LSTM: its gates are laid out as fully connected layers over [input, state]; the compiler adds
  // selection matrices and state buffers: 28,288 B in the one compiled LSTM (20 units, 28 steps);
  // how they scale with the size is unknown, so a constant.
  int32_t lstm_extra_bytes = 28288;
  // Every layer's block is padded to this (one 64-byte row: 1,056 -> 1,088, 400 -> 448 B).
  int32_t layer_alignment_bytes = 64;
  // Padding of the MAC work the cost model counts (the 64x64 array's columns, 4-input words, and
  // depthwise channels in groups of 32): part of the calibrated fit, not of the storage layout.
  int32_t mac_out_channel_quantum = 64;
  int32_t mac_in_channel_quantum = 4;
  int32_t mac_depthwise_channel_quantum = 32;
  // Instruction stream estimate (a rough mean of the compiled models: 25 KB to 400 KB).
  int64_t instruction_bytes_base = 16384;
  int64_t instruction_bytes_per_op = 3584;
  // Mapping limits from the Coral op table: SOFTMAX on at most 16,000 elements; RESIZE_BILINEAR
  // is refused when it loses too much precision, modelled as an upscale beyond this factor
  // (deeplab's 1x1 -> 33x33 resize stays on the CPU in the real compiler's output).
  int32_t max_softmax_elements = 16000;
  int32_t max_resize_factor = 8;
};

// Numbers of the chip that calibration fits (calibrated_profile.toml).
struct ChipCalibration {
  double mac_efficiency = 0.5;              // achieved fraction of peak on padded MACs
  double depthwise_mac_factor = 8.0;        // depthwise MACs cost this many array MACs
  double op_overhead_us = 10.0;             // fixed time per TPU layer (setup, sync)
  double vector_elements_per_cycle = 64.0;  // non-MAC ops (add, pool, resize, ...)
};

double peak_macs_per_second(const ChipSpec& chip);

}  // namespace tpulab::device
