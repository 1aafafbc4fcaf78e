// RAPL counters (wraparound, zone discovery, unreadable counters) and hwmon parsing, on fixture
// sysfs trees (tests/power/fixtures) copied to a temporary folder.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "power/hwmon.h"
#include "power/open_source.h"
#include "power/rapl.h"
#include "testing/testing.h"

namespace tpulab::power {
namespace {

namespace fs = std::filesystem;

fs::path fixture(const std::string& name) {
  return testing::source_dir() / "tests" / "power" / "fixtures" / name;
}

// A writable copy of a fixture tree.
struct FixtureCopy {
  testing::TempDir dir;
  fs::path root;
  explicit FixtureCopy(const std::string& name) : root(dir.path() / name) {
    fs::copy(fixture(name), root, fs::copy_options::recursive);
  }
  void write(const std::string& file, const std::string& text) const {
    std::ofstream(root / file) << text;
  }
};

TEST(EnergyCounter, UnwrapsAtTheMaximumRange) {
  EnergyCounter c(1000);  // counts 0..1000
  EXPECT_DOUBLE_EQ(c.update(900), 0);
  EXPECT_NEAR(c.update(950), 50e-6, 1e-15);
  EXPECT_NEAR(c.update(20), (50 + 50 + 1 + 20) * 1e-6, 1e-15);  // 950 -> 1000 -> 0 -> 20
  EXPECT_EQ(c.wraps(), 1u);
  EXPECT_NEAR(c.update(20), 121e-6, 1e-15);  // no change
  EnergyCounter no_range(0);
  no_range.update(500);
  EXPECT_DOUBLE_EQ(no_range.update(100), 0);  // a reset, not a wrap: nothing counted
}

TEST(Rapl, FindsPackagesOnlyByDefault) {
  FixtureCopy f("powercap");
  auto zones = find_rapl_zones(f.root);
  ASSERT_EQ(zones.size(), 2u);  // package-0, package-1; not psys, mmio or subzones
  EXPECT_EQ(zones[0].name, "package-0");
  EXPECT_EQ(zones[1].name, "package-1");
  EXPECT_EQ(zones[0].max_range_uj, 262143328850u);
  auto all = find_rapl_zones(f.root, true);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[1].name, "0:0:core");
  EXPECT_EQ(all[2].name, "0:1:dram");
}

TEST(Rapl, ReaderHandlesTheWrapOfARealCounter) {
  FixtureCopy f("powercap");
  RaplReader r(find_rapl_zones(f.root));
  // package-0 starts 328850 uJ below its range; it wraps to 171150 uJ: 0.5 J more.
  f.write("intel-rapl:0/energy_uj", "171149\n");
  f.write("intel-rapl:1/energy_uj", "42500000\n");
  auto j = r.read_joules();
  ASSERT_EQ(j.size(), 2u);
  EXPECT_NEAR(j[0], 0.5, 1e-9);
  EXPECT_NEAR(j[1], 2.5, 1e-9);
  f.write("intel-rapl:0/energy_uj", "1171149\n");
  j = r.read_joules();
  EXPECT_NEAR(j[0], 1.5, 1e-9);  // cumulative across the wrap
}

TEST(Rapl, ClearErrors) {
  testing::TempDir empty;
  try {
    find_rapl_zones(empty.path());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no RAPL"), std::string::npos) << e.what();
  }
  FixtureCopy f("powercap");
  f.write("intel-rapl:1/energy_uj", "garbage\n");
  try {
    RaplReader r(find_rapl_zones(f.root));
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("intel-rapl:1/energy_uj"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("garbage"), std::string::npos);
  }
}

// Whether find_rapl_zones fails on `root` with the root-only hint (run as an unprivileged
// user: root reads any file).
bool fails_with_root_hint(const fs::path& root) {
  try {
    find_rapl_zones(root);
  } catch (const IoError& e) {
    const std::string what = e.what();
    return what.find("only by root") != std::string::npos &&
           what.find("energy_uj") != std::string::npos;
  }
  return false;
}

TEST(Rapl, UnreadableCounterSaysWhyAndHowToFix) {
  FixtureCopy f("powercap");
  fs::permissions(f.root / "intel-rapl:0/energy_uj", fs::perms::owner_write);
  if (geteuid() != 0) {
    EXPECT_TRUE(fails_with_root_hint(f.root));
    return;
  }
  // As root, check it as the unprivileged user "nobody" in a child process.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
    _exit(fails_with_root_hint(f.root) ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "3: cannot become nobody, 1: wrong or no error";
}

TEST(Rapl, SourcePollsAndIntegrates) {
  FixtureCopy f("powercap");
  RaplSource source(f.root, PolledOptions{0.005});
  ASSERT_EQ(source.info().channels.size(), 2u);
  source.start();
  ASSERT_TRUE(source.wait_for_samples(3, 30));
  f.write("intel-rapl:1/energy_uj", "41000000\n");  // +1 J
  const uint64_t n = source.read().samples;
  ASSERT_TRUE(source.wait_for_samples(n + 3, 30));
  source.stop();
  const State s = source.read();
  EXPECT_NEAR(s.channels[1].energy_j, 1.0, 1e-9);
  EXPECT_NEAR(s.channels[0].energy_j, 0.0, 1e-9);
}

TEST(Hwmon, ListsOnlyDevicesWithPowerAndPicksTheBestFiles) {
  auto devices = list_hwmon_power_devices(fixture("hwmon"));
  ASSERT_EQ(devices.size(), 3u);  // acpitz has temperatures only
  EXPECT_EQ(devices[0].name, "amdgpu");
  ASSERT_EQ(devices[0].channels.size(), 1u);
  EXPECT_EQ(devices[0].channels[0].label, "PPT");
  EXPECT_EQ(devices[0].channels[0].file.filename(), "power1_average");
  const auto& tpu = devices[1];
  EXPECT_EQ(tpu.name, "tpu_board");
  ASSERT_EQ(tpu.channels.size(), 2u);
  EXPECT_EQ(tpu.channels[0].file.filename(), "power1_input");   // input beats average
  EXPECT_EQ(tpu.channels[1].file.filename(), "energy2_input");  // a counter beats power
  EXPECT_TRUE(tpu.channels[1].is_energy);
  EXPECT_EQ(tpu.channels[1].label, "rail12v");
}

TEST(Hwmon, FindByNameOrFolderAndListTheChoices) {
  EXPECT_EQ(find_hwmon_device("hwmon2", fixture("hwmon")).name, "tpu_board");
  try {
    find_hwmon_device("nvidia", fixture("hwmon"));
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("amdgpu"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("tpu_board"), std::string::npos) << e.what();
  }
}

TEST(Hwmon, ReaderConvertsMicrowattsAndMicrojoules) {
  FixtureCopy f("hwmon");
  HwmonReader r(find_hwmon_device("tpu_board", f.root));
  std::vector<ChannelState> s;
  r.read(10.0, s);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_DOUBLE_EQ(s[0].power_w, 7.5);
  EXPECT_DOUBLE_EQ(s[0].energy_j, 0.0);
  EXPECT_DOUBLE_EQ(s[1].energy_j, 0.0);
  f.write("hwmon2/energy2_input", "3000000\n");  // +2 J in 0.5 s
  f.write("hwmon2/power1_input", "8000000\n");
  r.read(10.5, s);
  EXPECT_DOUBLE_EQ(s[0].power_w, 8.0);
  EXPECT_NEAR(s[0].energy_j, 4.0, 1e-12);  // 8 W held for 0.5 s
  EXPECT_NEAR(s[1].energy_j, 2.0, 1e-12);
  EXPECT_NEAR(s[1].power_w, 4.0, 1e-12);
}

TEST(Hwmon, MalformedFilesAreErrorsNamingTheFile) {
  try {
    HwmonReader r(find_hwmon_device("broken", fixture("hwmon")));
    std::vector<ChannelState> s;
    r.read(0, s);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("power1_input"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("12.5 W"), std::string::npos) << e.what();
  }
  EXPECT_THROW(HwmonSource("broken", fixture("hwmon")), IoError);
  EXPECT_EQ(read_sysfs_uint(fixture("hwmon") / "hwmon1" / "power1_cap"), 220000000u);
}

TEST(ListSources, NamesWhatOpenSourceTakesWithoutOpeningAny) {
  testing::TempDir dev;
  for (const char* name : {"ttyACM1", "ttyACM0", "ttyS0", "null"}) std::ofstream(dev / name) << "";
  OpenOptions o;
  o.powercap_root = fixture("powercap").string();
  o.hwmon_root = fixture("hwmon").string();
  o.dev_root = dev.path().string();
  const std::string acm = (dev / "ttyACM").string();
  EXPECT_EQ(list_sources(o),
            (std::vector<std::string>{"rapl", "hwmon:amdgpu", "hwmon:tpu_board", "hwmon:broken",
                                      "ps3:" + acm + "0", "ps3:" + acm + "1"}));
  // Nothing there: nothing listed, no error.
  o.powercap_root = o.hwmon_root = o.dev_root = (dev / "none").string();
  EXPECT_TRUE(list_sources(o).empty());
}

}  // namespace
}  // namespace tpulab::power
