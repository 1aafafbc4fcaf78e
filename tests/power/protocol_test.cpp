// PowerSensor2/3 wire formats: encoding, decoding with resynchronisation, timestamp unwrapping.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "common/error.h"
#include "power/ps2_protocol.h"
#include "power/ps3_protocol.h"

namespace tpulab::power {
namespace {

ps3::Frame make_frame(uint64_t k, bool marker = false) {
  ps3::Frame f;
  for (size_t s = 0; s < ps3::kSensors; ++s)
    f.levels[s] = static_cast<uint16_t>((k * 37 + s * 101) % 1024);
  f.timestamp = static_cast<uint16_t>((k * 50) % 1024);
  f.marker = marker;
  return f;
}

std::vector<uint8_t> encode(const ps3::Frame& f) {
  std::array<uint8_t, ps3::kFrameBytes> b;
  ps3::encode_frame(f, b);
  return {b.begin(), b.end()};
}

TEST(Ps3Protocol, FrameLayoutMatchesTheFirmware) {
  ps3::Frame f;
  f.timestamp = 0x2A5;  // 10 1010 0101
  f.levels[0] = 0x3FF;
  f.levels[3] = 0x155;
  f.marker = true;
  auto b = encode(f);
  // Timestamp packet: sensor id 7 with the marker bit set.
  EXPECT_EQ(b[0], 0x80 | 0x70 | (0x2A5 >> 6));
  EXPECT_EQ(b[1], 0x40 | (0x2A5 & 0x3F));
  // Sensor 0 carries the real marker: 1 000 1111, 0 1 111111.
  EXPECT_EQ(b[2], 0x8F);
  EXPECT_EQ(b[3], 0x7F);
  // Sensor 3: 1 011 0101, 0 0 010101.
  EXPECT_EQ(b[8], 0xB5);
  EXPECT_EQ(b[9], 0x15);
}

TEST(Ps3Protocol, DecodesWhatItEncodesWhateverTheChunking) {
  std::vector<uint8_t> stream;
  std::vector<ps3::Frame> sent;
  for (uint64_t k = 0; k < 200; ++k) {
    sent.push_back(make_frame(k, k % 17 == 3));
    auto b = encode(sent.back());
    stream.insert(stream.end(), b.begin(), b.end());
  }
  for (size_t chunk : {size_t{1}, size_t{2}, size_t{7}, size_t{18}, size_t{4096}}) {
    ps3::Decoder d;
    std::vector<ps3::Frame> got;
    for (size_t i = 0; i < stream.size(); i += chunk) {
      size_t n = std::min(chunk, stream.size() - i);
      d.feed(std::span<const uint8_t>(stream.data() + i, n),
             [&](const ps3::Frame& f) { got.push_back(f); });
    }
    ASSERT_EQ(got.size(), sent.size()) << "chunk " << chunk;
    for (size_t k = 0; k < sent.size(); ++k) {
      EXPECT_EQ(got[k].levels, sent[k].levels);
      EXPECT_EQ(got[k].timestamp, sent[k].timestamp);
      EXPECT_EQ(got[k].marker, sent[k].marker);
      EXPECT_EQ(got[k].skipped_before, 0u);
    }
    EXPECT_EQ(d.skipped_bytes(), 0u);
    EXPECT_EQ(d.discarded_frames(), 0u);
  }
}

TEST(Ps3Protocol, ResynchronisesAfterGarbageAndAccountsForEveryByte) {
  std::mt19937 rng(7);
  std::vector<uint8_t> stream;
  uint64_t injected = 0;
  const uint64_t frames = 5000;
  for (uint64_t k = 0; k < frames; ++k) {
    auto b = encode(make_frame(k));
    if (k > 10 && rng() % 10 == 0) {
      // 1..3 random bytes anywhere in the frame, as a noisy link would insert them.
      size_t at = rng() % (b.size() + 1);
      int count = 1 + static_cast<int>(rng() % 3);
      for (int i = 0; i < count; ++i)
        b.insert(b.begin() + static_cast<long>(at), static_cast<uint8_t>(rng()));
      injected += static_cast<uint64_t>(count);
    }
    stream.insert(stream.end(), b.begin(), b.end());
  }
  // A clean last frame settles whatever garbage came just before it.
  auto last = encode(make_frame(frames));
  stream.insert(stream.end(), last.begin(), last.end());
  ps3::Decoder d;
  uint64_t decoded = 0;
  uint64_t skipped_seen = 0;
  d.feed(stream, [&](const ps3::Frame& f) {
    ++decoded;
    skipped_seen += f.skipped_before;
  });
  // Most frames survive (a garbage byte costs at most its frame and the next).
  EXPECT_GT(decoded, frames * 85 / 100);
  EXPECT_GE(d.skipped_bytes(), injected);
  // Every byte is either in a decoded frame or counted as skipped (the last frame is complete).
  EXPECT_EQ(stream.size(), 18 * d.frames() + d.skipped_bytes());
  EXPECT_EQ(skipped_seen, d.skipped_bytes());
}

TEST(Ps3Protocol, StopSequenceEndsTheStreamOnlyWhenExpected) {
  std::vector<uint8_t> stream = encode(make_frame(1));
  stream.insert(stream.end(), {0xFF, 0x3F, 0xFF, 0x3F});
  auto tail = encode(make_frame(2));
  stream.insert(stream.end(), tail.begin(), tail.end());

  ps3::Decoder ignoring;
  int frames = 0;
  size_t used = ignoring.feed(stream, [&](const ps3::Frame&) { ++frames; });
  EXPECT_EQ(used, stream.size());
  EXPECT_EQ(frames, 2);
  EXPECT_FALSE(ignoring.stopped());
  EXPECT_EQ(ignoring.skipped_bytes(), 4u);

  ps3::Decoder stopping;
  stopping.expect_stop(true);
  frames = 0;
  used = stopping.feed(stream, [&](const ps3::Frame&) { ++frames; });
  EXPECT_TRUE(stopping.stopped());
  EXPECT_EQ(frames, 1);
  EXPECT_EQ(used, 18u + 2u);  // the rest is left unread
}

TEST(Ps3Protocol, MarkerBitOnlyCountsOnSensorZero) {
  auto b = encode(make_frame(5));
  b[2 + 2 * 4 + 1] |= 0x40;  // marker bit on sensor 4: not a marker the firmware sends
  ps3::Decoder d;
  bool marked = true;
  d.feed(b, [&](const ps3::Frame& f) { marked = f.marker; });
  EXPECT_FALSE(marked);
}

TEST(Ps3Protocol, ConfigRecordRoundTripsAndHas41Bytes) {
  ps3::SensorConfig c{"MLX91221-20", "tpu-rail", 1.65f, -0.0625f, true};
  auto bytes = ps3::encode_config(c);
  ASSERT_EQ(bytes.size(), 41u);
  EXPECT_EQ(bytes[40], 1);
  EXPECT_EQ(bytes[0], 'M');
  EXPECT_EQ(bytes[16], 't');
  // 1.65f = 0x3FD33333, little-endian at offset 32.
  EXPECT_EQ(bytes[32], 0x33);
  EXPECT_EQ(bytes[35], 0x3F);
  auto back = ps3::decode_config(bytes);
  EXPECT_EQ(back.type, c.type);
  EXPECT_EQ(back.pair_name, c.pair_name);
  EXPECT_FLOAT_EQ(back.vref, c.vref);
  EXPECT_FLOAT_EQ(back.sensitivity, c.sensitivity);
  EXPECT_TRUE(back.in_use);

  // Names fill all 16 bytes with no terminator; longer ones are cut.
  ps3::SensorConfig full{"0123456789abcdefXYZ", "", 0, 1, false};
  EXPECT_EQ(ps3::decode_config(ps3::encode_config(full)).type, "0123456789abcdef");
}

TEST(Ps3Protocol, ImplausibleConfigRecordsAreRejected) {
  auto bytes = ps3::encode_config({"x", "y", 1.0f, 0.1f, true});
  bytes[40] = 7;
  EXPECT_THROW(ps3::decode_config(bytes), Error);
  auto nan = ps3::encode_config({"x", "y", 1.0f, 0.1f, true});
  nan[36] = nan[37] = 0xFF;
  nan[38] = 0xC0;
  nan[39] = 0x7F;  // a NaN sensitivity
  EXPECT_THROW(ps3::decode_config(nan), Error);
  auto zero = ps3::encode_config({"x", "y", 1.0f, 0.0f, true});
  EXPECT_THROW(ps3::decode_config(zero), Error);
}

TEST(TimestampUnwrapper, FollowsTheClockAcrossWraps) {
  ps3::TimestampUnwrapper u;
  const int64_t start = 1000;  // the device clock does not start at 0
  for (int64_t k = 0; k < 100; ++k) {
    int64_t device = start + k * 50;
    EXPECT_EQ(u.next(static_cast<uint16_t>(device & 0x3FF), 0), k * 50);
  }
  EXPECT_NEAR(u.period_us(), 50, 0.5);
}

TEST(TimestampUnwrapper, RecoversTheTimeAfterManyLostFrames) {
  ps3::TimestampUnwrapper u;
  int64_t k = 0;
  for (; k < 50; ++k) u.next(static_cast<uint16_t>((k * 50) & 0x3FF), 0);
  // 60 frames (3 ms, three wraps) lost: their bytes were skipped.
  k += 60;
  int64_t t = u.next(static_cast<uint16_t>((k * 50) & 0x3FF), 60 * 18 + 5);
  // An untrusted frame is estimated from the period...
  EXPECT_NEAR(static_cast<double>(t), static_cast<double>(k * 50), 60);
  // ...and the next clean frame lands exactly.
  ++k;
  EXPECT_EQ(u.next(static_cast<uint16_t>((k * 50) & 0x3FF), 0), k * 50);
}

TEST(TimestampUnwrapper, ACorruptTimestampDoesNotShiftLaterTime) {
  ps3::TimestampUnwrapper u;
  int64_t k = 0;
  for (; k < 50; ++k) u.next(static_cast<uint16_t>((k * 50) & 0x3FF), 0);
  // Timestamp bits corrupted to look 500 us later, with no byte lost.
  u.next(static_cast<uint16_t>((k * 50 + 500) & 0x3FF), 0);
  ++k;
  // A corrupted timestamp whose frame lost a byte (dirty) pointing backwards.
  u.next(static_cast<uint16_t>((k * 50 - 30) & 0x3FF), 1);
  ++k;
  for (int i = 0; i < 10; ++i, ++k)
    EXPECT_EQ(u.next(static_cast<uint16_t>((k * 50) & 0x3FF), 0), k * 50);
}

TEST(Ps2Protocol, PacketsConfigAndResync) {
  auto p = ps2::encode_packet(3, 0x2B5);
  EXPECT_EQ(p[0], (3 << 5) | (0x2B5 >> 5));
  EXPECT_EQ(p[1], 0xE0 | (0x2B5 & 0x1F));

  std::vector<uint8_t> stream;
  std::mt19937 rng(3);
  int injected = 0;
  for (int k = 0; k < 1000; ++k) {
    for (int s = 0; s < 2; ++s) {
      auto b = ps2::encode_packet(s, static_cast<uint16_t>((k + s * 300) % 1024));
      stream.insert(stream.end(), b.begin(), b.end());
    }
    if (k % 50 == 7) {
      stream.push_back(static_cast<uint8_t>(rng() | 0xE0));  // looks like a second byte
      ++injected;
    }
  }
  stream.insert(stream.end(), {ps2::kStopByte0, ps2::kStopByte1});
  ps2::Decoder d;
  d.expect_stop(true);
  int packets = 0, wrong = 0;
  d.feed(stream, [&](int sensor, uint16_t level) {
    ++packets;
    (void)sensor;
    if (level > 1023) ++wrong;
  });
  EXPECT_TRUE(d.stopped());
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(packets, 2000);
  EXPECT_EQ(d.skipped_bytes(), static_cast<uint64_t>(injected));

  ps2::Config c{};
  c[0] = {12.0f, 0.185f, 0.25f};
  c[2] = {5.0f, 0.066f, 0.0f};
  auto bytes = ps2::encode_config(c);
  ASSERT_EQ(bytes.size(), 60u);
  auto back = ps2::decode_config(bytes);
  EXPECT_FLOAT_EQ(back[0].volt, 12.0f);
  EXPECT_FLOAT_EQ(back[0].type, 0.185f);
  EXPECT_FLOAT_EQ(back[0].null_level, 0.25f);
  EXPECT_TRUE(back[2].in_use());
  EXPECT_FALSE(back[1].in_use());
  c[4] = {12.0f, 0.0f, 0.0f};  // in use without a sensitivity
  EXPECT_THROW(ps2::decode_config(ps2::encode_config(c)), Error);
}

}  // namespace
}  // namespace tpulab::power
