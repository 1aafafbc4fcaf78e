// Runs the calibration on the published latencies, prints the report and holds it to the goal:
// mean absolute percentage error <= 15 %, every point within 35 %.
#include "device/edgetpu/calibration.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

#include "common/error.h"
#include "common/table.h"
#include "testing/testing.h"

namespace tpulab::device {
namespace {

void print(const CalibrationReport& r, const std::string& title) {
  TextTable t({"model", "input", "platform", "source", "published ms", "predicted ms", "error %"});
  t.right_align({1, 4, 5, 6});
  for (const auto& row : r.rows)
    t.add({row.point.model, std::to_string(row.point.input), row.point.platform, row.point.source,
           fmt::format("{:.2f}", row.point.published_ms), fmt::format("{:.2f}", row.predicted_ms),
           fmt::format("{:+.1f}", 100 * row.error)});
  std::cout << title << "\n"
            << t.str()
            << fmt::format("MAPE {:.2f} %, worst {:.2f} %\n", 100 * r.mape, 100 * r.max_abs_error);
}

CalibrationSet reference() {
  return read_calibration_set((testing::shared_dir() / "reference").string());
}

TEST(Calibration, FitMeetsTheGoal) {
  TPULAB_REQUIRE_SHARED();
  CalibrationSet set = reference();
  ASSERT_EQ(set.points.size(), 32u);  // 10 x (usb3, devboard) + 4 x (usb3, devboard, usb2)
  Calibrator cal(set);
  CalibrationReport r = cal.fit(builtin_profile());
  print(r, "fitted now");
  EXPECT_LE(r.mape, 0.15);
  EXPECT_LE(r.max_abs_error, 0.35);
  // The fit improves on (or equals) what it started from.
  EXPECT_LE(r.log_rms, cal.evaluate(builtin_profile()).log_rms + 1e-6);
  // Fitted values stay physical.
  EXPECT_LE(r.profile.chip.mac_efficiency, 1.0);
  EXPECT_LT(r.profile.links.at("usb2").effective_mb_s, r.profile.links.at("usb3").effective_mb_s);
}

TEST(Calibration, TheProfileInTheRepoMeetsTheGoal) {
  TPULAB_REQUIRE_SHARED();
  CalibrationReport r = Calibrator(reference()).evaluate(builtin_profile());
  print(r, "src/device/platforms/calibrated_profile.toml");
  EXPECT_LE(r.mape, 0.15);
  EXPECT_LE(r.max_abs_error, 0.35);
}

TEST(Calibration, MissingOrBrokenDataIsAClearError) {
  EXPECT_THROW(read_calibration_set("/nonexistent"), IoError);
  testing::TempDir dir;
  std::string bad =
      "model,input,desktop_cpu_ms,usb3_ms,embedded_cpu_ms,devboard_ms\nvgg16,224,1,x,1,1\n";
  testing::write_bytes(dir / "coral_benchmarks.csv", std::vector<uint8_t>(bad.begin(), bad.end()));
  EXPECT_THROW(read_calibration_set(dir.path().string()), ModelError);
}

}  // namespace
}  // namespace tpulab::device
