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

}  // namespace
}  // namespace tpulab::device
