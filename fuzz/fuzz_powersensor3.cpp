// Fuzzes the PowerSensor3 stream decoder (frames, resynchronisation, stop sequence), the
// timestamp unwrapper and the config decoder. The stream arrives in chunks of the sizes the
// input's first byte chooses, as reads from a serial port would.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "common/error.h"
#include "power/ps3_protocol.h"

namespace ps3 = tpulab::power::ps3;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  if (in.size() >= ps3::kConfigBytes) {
    try {
      (void)ps3::decode_config(in.first<ps3::kConfigBytes>());
    } catch (const tpulab::Error&) {
    }
  }
  if (in.empty()) return 0;
  const uint8_t mode = in[0];
  in = in.subspan(1);
  ps3::Decoder d;
  ps3::TimestampUnwrapper clock;
  d.expect_stop((mode & 1) != 0);
  const size_t chunk = 1 + (mode >> 1);
  size_t consumed = 0;
  int64_t last_us = -1;
  while (consumed < in.size() && !d.stopped()) {
    const auto piece = in.subspan(consumed, std::min(chunk, in.size() - consumed));
    const size_t used = d.feed(piece, [&](const ps3::Frame& f) {
      const int64_t us = clock.next(f.timestamp, f.skipped_before);
      if (us < last_us) std::abort();  // the unwrapped clock never runs backwards
      last_us = us;
    });
    if (used > piece.size() || (used < piece.size() && !d.stopped())) std::abort();
    consumed += used;
  }
  // The decoder's own accounting (ps3_protocol.h): frames and skipped bytes never exceed what
  // was consumed, less a frame still in progress and the stop sequence.
  const uint64_t stop = d.stopped() ? 2 : 0;
  if (ps3::kFrameBytes * d.frames() + d.skipped_bytes() + stop > consumed) std::abort();
  return 0;
}
