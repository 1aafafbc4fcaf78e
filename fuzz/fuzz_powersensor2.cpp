// Fuzzes the PowerSensor2 stream decoder and config decoder. The stream arrives in chunks of
// the sizes the input's first bytes choose, as reads from a serial port would.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "common/error.h"
#include "power/ps2_protocol.h"

namespace ps2 = tpulab::power::ps2;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  if (in.size() >= ps2::kConfigBytes) {
    try {
      (void)ps2::decode_config(in.first<ps2::kConfigBytes>());
    } catch (const tpulab::Error&) {
    }
  }
  if (in.empty()) return 0;
  const uint8_t mode = in[0];
  in = in.subspan(1);
  ps2::Decoder d;
  d.expect_stop((mode & 1) != 0);
  const size_t chunk = 1 + (mode >> 1);
  size_t consumed = 0;
  uint64_t packets = 0;
  while (consumed < in.size() && !d.stopped()) {
    const auto piece = in.subspan(consumed, std::min(chunk, in.size() - consumed));
    const size_t used = d.feed(piece, [&](int sensor, uint16_t level) {
      if (sensor < 0 || sensor >= ps2::kSensors || level >= 1024) std::abort();
      ++packets;
    });
    if (used > piece.size() || (used < piece.size() && !d.stopped())) std::abort();
    consumed += used;
  }
  // Every byte is a packet's, a skipped one, a half packet or the stop sequence.
  if (packets != d.packets() || 2 * d.packets() + d.skipped_bytes() > consumed) std::abort();
  return 0;
}
