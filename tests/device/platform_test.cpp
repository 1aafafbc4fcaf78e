#include "device/platform.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "testing/testing.h"

namespace tpulab::device {
namespace {

TEST(Platform, BuiltInPlatformsLoadWithCalibratedNumbers) {
  std::vector<std::string> names = platform_names();
  for (const char* want : {"usb3-1x", "usb2-1x", "devboard", "pcie-1x", "asus-8x-pcie"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  for (const std::string& n : names) {
    Platform p = load_platform(n);
    EXPECT_EQ(p.name, n);
    EXPECT_GT(p.link.effective_mb_s, 0);
    EXPECT_LE(p.link.effective_mb_s, p.link.nominal_mb_s) << "faster than the wire: " << n;
    EXPECT_GT(p.host.gmacs, 0);
  }
  Platform board = load_platform("asus-8x-pcie");
  EXPECT_EQ(board.tpus, 8);
  EXPECT_GT(board.shared_link_mb_s, 0);
  EXPECT_EQ(board.link.kind, "pcie_gen2_x1");
  EXPECT_EQ(clock_mhz(load_platform("usb3-1x").chip.clock), 500.0);
}

TEST(Platform, UnknownNameListsTheKnownOnes) {
  try {
    load_platform("usb4-1x");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("devboard"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_platform("calibrated_profile"), UsageError);
  EXPECT_THROW(load_platform_file("/nonexistent/platform.toml"), IoError);
}

TEST(Platform, MalformedTomlSaysWhereAndWhat) {
  const CalibratedProfile& prof = builtin_profile();
  std::string good = builtin_platform_text("pcie-1x");
  EXPECT_NO_THROW(parse_platform(good, "good.toml", prof));
  try {
    parse_platform("name = \"x\"\n[link\nkind = 1\n", "bad.toml", prof);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.toml:2"), std::string::npos) << e.what();
  }
  // A typo must not pass silently; nor a missing or nonsensical value.
  std::string typo = good + "\n[extra]\nx = 1\n";
  EXPECT_THROW(parse_platform(typo, "typo.toml", prof), UsageError);
  std::string no_link = "name = \"x\"\n[host]\nkind = \"x86\"\n";
  EXPECT_THROW(parse_platform(no_link, "nolink.toml", prof), UsageError);
  std::string unknown_link = good;
  unknown_link.replace(unknown_link.find("pcie_gen2_x1"), 12, "thunderbolt");
  EXPECT_THROW(parse_platform(unknown_link, "tb.toml", prof), UsageError);
  std::string bad_clock = good;
  bad_clock.replace(bad_clock.find("\"max\""), 5, "\"warp\"");
  EXPECT_THROW(parse_platform(bad_clock, "clock.toml", prof), UsageError);
  std::string negative = good;
  negative.replace(negative.find("tpus = 1"), 8, "tpus = 0");
  EXPECT_THROW(parse_platform(negative, "tpus.toml", prof), UsageError);
}

TEST(Platform, UserFilesCanOverrideFittedNumbers) {
  std::string text = builtin_platform_text("pcie-1x");
  text.replace(text.find("nominal_mb_s = 500"), 18, "nominal_mb_s = 500\neffective_mb_s = 123");
  Platform p = parse_platform(text, "user.toml", builtin_profile());
  EXPECT_EQ(p.link.effective_mb_s, 123);
  testing::TempDir dir;
  testing::write_bytes(dir / "p.toml", std::vector<uint8_t>(text.begin(), text.end()));
  EXPECT_EQ(load_platform_file((dir / "p.toml").string()).link.effective_mb_s, 123);
}

// spec.h promises that a study can change any chip number in the platform file.
TEST(Platform, EveryChipSpecFieldIsReadFromTheChipTable) {
  const std::vector<std::string> keys = {"macs_per_cycle",
                                         "sram_bytes",
                                         "activation_reserve_cap_bytes",
                                         "in_channel_quantum",
                                         "out_channel_quantum",
                                         "small_out_channel_quantum",
                                         "tiny_out_channels",
                                         "depthwise_channel_quantum",
                                         "depthwise_tap_bytes",
                                         "bias_bytes",
                                         "per_channel_quant_bytes",
                                         "softmax_bytes_per_class",
                                         "softmax_class_quantum",
                                         "softmax_extra_bytes",
                                         "softmax_extra_min_classes",
                                         "lstm_extra_bytes",
                                         "layer_alignment_bytes",
                                         "mac_out_channel_quantum",
                                         "mac_in_channel_quantum",
                                         "mac_depthwise_channel_quantum",
                                         "instruction_bytes_base",
                                         "instruction_bytes_per_op",
                                         "max_softmax_elements",
                                         "max_resize_factor"};
  std::string chip = "[chip]\nclock = \"high\"\nactivation_reserve_factor = 0.75\n";
  for (size_t i = 0; i < keys.size(); ++i)
    chip += keys[i] + " = " + std::to_string(1000 + i) + "\n";
  std::string text = builtin_platform_text("usb3-1x");
  const size_t at = text.find("[chip]");
  text.replace(at, text.find("[link]") - at, chip + "\n");
  const ChipSpec c = parse_platform(text, "all.toml", builtin_profile()).chip;
  const std::vector<int64_t> got = {c.macs_per_cycle,
                                    c.sram_bytes,
                                    c.activation_reserve_cap_bytes,
                                    c.in_channel_quantum,
                                    c.out_channel_quantum,
                                    c.small_out_channel_quantum,
                                    c.tiny_out_channels,
                                    c.depthwise_channel_quantum,
                                    c.depthwise_tap_bytes,
                                    c.bias_bytes,
                                    c.per_channel_quant_bytes,
                                    c.softmax_bytes_per_class,
                                    c.softmax_class_quantum,
                                    c.softmax_extra_bytes,
                                    c.softmax_extra_min_classes,
                                    c.lstm_extra_bytes,
                                    c.layer_alignment_bytes,
                                    c.mac_out_channel_quantum,
                                    c.mac_in_channel_quantum,
                                    c.mac_depthwise_channel_quantum,
                                    c.instruction_bytes_base,
                                    c.instruction_bytes_per_op,
                                    c.max_softmax_elements,
                                    c.max_resize_factor};
  for (size_t i = 0; i < keys.size(); ++i)
    EXPECT_EQ(got[i], static_cast<int64_t>(1000 + i)) << keys[i];
  EXPECT_EQ(c.activation_reserve_factor, 0.75);
  EXPECT_EQ(c.clock, ClockMode::kHigh);
  // Sizes and counts are whole numbers in range.
  for (const char* bad : {"sram_bytes = 4.7", "macs_per_cycle = 0", "in_channel_quantum = 1e300",
                          "bias_bytes = nan"}) {
    std::string t = text;
    t.replace(t.find("[chip]\n") + 7, 0, std::string(bad) + "\n");
    t.erase(t.find(std::string(bad).substr(0, std::string(bad).find(' ')) + " = 10"),
            std::string(bad).find(' ') + 8);
    EXPECT_THROW(parse_platform(t, "bad.toml", builtin_profile()), UsageError) << bad;
  }
}

TEST(Profile, RoundTripsThroughToml) {
  CalibratedProfile p = builtin_profile();
  CalibratedProfile q = parse_profile(profile_to_toml(p), "round trip");
  EXPECT_NEAR(q.chip.mac_efficiency, p.chip.mac_efficiency, 1e-5 * p.chip.mac_efficiency);
  EXPECT_NEAR(q.chip.depthwise_mac_factor, p.chip.depthwise_mac_factor,
              1e-4 * p.chip.depthwise_mac_factor);
  ASSERT_EQ(q.links.size(), p.links.size());
  for (const auto& [k, l] : p.links)
    EXPECT_NEAR(q.links.at(k).effective_mb_s, l.effective_mb_s, 1e-4 * l.effective_mb_s);
  ASSERT_EQ(q.hosts.size(), p.hosts.size());
  EXPECT_THROW(parse_profile("[chip]\nmac_efficiency = 2\n", "bad"), UsageError);
}

// Found by fuzz_profile_toml: a source with a control character (and kinds that are not bare
// keys) were written raw, so the file profile_to_toml wrote did not load again.
TEST(Profile, TextThatLoadedIsWrittenBackAsValidToml) {
  CalibratedProfile p = builtin_profile();
  p.source = "us\b3 \"quoted\" back\\slash\ttab\x7f";
  p.links["usb 3.0"] = p.links.begin()->second;
  p.hosts["arm\"v8"] = p.hosts.begin()->second;
  const CalibratedProfile q = parse_profile(profile_to_toml(p), "round trip");
  EXPECT_EQ(q.source, p.source);
  EXPECT_EQ(q.links.count("usb 3.0"), 1u);
  EXPECT_EQ(q.hosts.count("arm\"v8"), 1u);
  EXPECT_EQ(q.links.size(), p.links.size());
}

}  // namespace
}  // namespace tpulab::device
