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

  // Parameter layout of the compiler (fitted once to the 6 compiled models of
  // edgetpu_compiled_models.csv + deeplab; movenet held out): conv / fully connected weights
  // pad output channels to out_channel_quantum (the array's 64 columns) and input channels to
  // in_channel_quantum; depthwise weights pad channels to depthwise_channel_quantum and the
  // kernel taps to depthwise_tap_quantum; each output channel carries bytes_per_channel of bias
  // and requantization data, each layer bytes_per_layer of descriptors.
  int32_t out_channel_quantum = 64;
  int32_t in_channel_quantum = 4;
  int32_t depthwise_channel_quantum = 32;
  int32_t depthwise_tap_quantum = 12;
  int32_t bytes_per_channel = 8;
  int32_t bytes_per_layer = 2048;
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
