#include "graphs/calibrate/profile.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace graphs {
namespace {

BandwidthPoint triad(double ws, double rate) {
  BandwidthPoint p;
  p.kernel = "triad";
  p.working_set_bytes = ws;
  p.threads = 2;
  p.best_bytes_per_s = rate;
  p.median_bytes_per_s = rate * 0.95;
  p.repeats = 3;
  p.passes_per_repeat = 10;
  return p;
}

CalibrationProfile sample_profile() {
  CalibrationProfile p;
  p.created_utc = "2026-11-23T17:30:00Z";
  p.graphs_version = "0.1.0";
  p.hardware_fingerprint = "0123456789abcdef";
  p.cpu_model = "Test CPU";
  p.threads = 2;
  p.quick = true;
  p.memory_points = {triad(16e3, 200e9), triad(48e3, 190e9), triad(512e3, 90e9),
                     triad(64e6, 20e9), triad(256e6, 18e9)};
  OpClassCalibration mm;
  mm.op_class = "matmul";
  mm.backend = "torch_eager";
  mm.work_unit = "flops";
  mm.fit = {5e-6, 1e11, 5e5, 0.03, 4};
  mm.samples = {{"matmul", "256x256x256", "float32", 2 * 256.0 * 256 * 256, 3 * 4 * 65536.0,
                 4e-4, 3.9e-4, 100}};
  p.op_classes = {mm};
  p.dispatch_overhead_s = {{"torch_eager", 4e-6}, {"onnxruntime", 3e-7}};
  p.call_overhead_s = {{"torch_eager", 0}, {"onnxruntime", 6e-6}};
  p.backend_versions = {{"torch_eager", {{"torch", "2.14.1"}}}};
  p.notes = {"quick mode"};
  return p;
}

std::vector<CacheLevel> caches() {
  return {{"L1", 96e3, 0}, {"L2", 2.5e6, 0}, {"L3", 32e6, 0}};
}

TEST(CalibrateProfileTest, TiersFollowCacheCapacities) {
  std::vector<std::string> notes;
  auto tiers = memory_tiers(sample_profile().memory_points, caches(), &notes);
  // 16 KB and 48 KB ≤ 48 KB (half of L1) → L1; 512 KB → L2; no point in (2.5 MB, 16 MB] → no L3;
  // 256 MB ≥ 4 × 32 MB → DRAM (64 MB is not).
  ASSERT_EQ(tiers.size(), 3u);
  EXPECT_EQ(tiers[0].level, "L1");
  EXPECT_EQ(tiers[0].points, 2);
  EXPECT_DOUBLE_EQ(tiers[0].bandwidth_bytes_per_s, 195e9);
  EXPECT_EQ(tiers[1].level, "L2");
  EXPECT_DOUBLE_EQ(tiers[1].bandwidth_bytes_per_s, 90e9);
  EXPECT_EQ(tiers[2].level, "DRAM");
  EXPECT_EQ(tiers[2].points, 1);
  EXPECT_DOUBLE_EQ(tiers[2].bandwidth_bytes_per_s, 18e9);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("L3"), std::string::npos);
}

TEST(CalibrateProfileTest, FileRoundTrip) {
  auto p = sample_profile();
  p.memory_tiers = memory_tiers(p.memory_points, caches());
  const auto dir = std::filesystem::temp_directory_path() / "graphs_calibration_test";
  const auto path = (dir / "profile.json").string();
  ASSERT_TRUE(save_profile(p, path).ok());
  auto back = load_profile(path);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(to_json(*back), to_json(p));
  EXPECT_EQ(back->op_classes.at(0).samples.at(0).shape, "256x256x256");
  EXPECT_DOUBLE_EQ(back->dispatch_overhead_s.at("torch_eager"), 4e-6);
}

TEST(CalibrateProfileTest, SchemaErrorsNameTheField) {
  auto j = to_json(sample_profile());
  j["schema_version"] = 99;
  auto e = profile_from_json(j, "p.json");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code(), ErrorCode::kParseError);
  EXPECT_NE(e.error().message().find("schema_version 99"), std::string::npos);

  j = to_json(sample_profile());
  j["memory_points"][0].erase("best_bytes_per_s");
  e = profile_from_json(j, "p.json");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message().find("memory_points[].best_bytes_per_s"), std::string::npos)
      << e.error().message();

  j = to_json(sample_profile());
  j["threads"] = "two";
  e = profile_from_json(j, "p.json");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message().find("wrong type"), std::string::npos);

  EXPECT_EQ(load_profile("/nonexistent/x.json").error().code(), ErrorCode::kNotFound);
}

TEST(CalibrateProfileTest, OverlaysHostAndRefusesOtherMachines) {
  auto p = sample_profile();
  p.memory_tiers = memory_tiers(p.memory_points, caches());
  HardwareModel host;
  host.id = "host";
  host.matrix_peak_flops_per_s = {{"fp32", 4e11}};
  host.vector_peak_flops_per_s = {{"fp32", 4e11}};
  host.memory_bandwidth_bytes_per_s = 50e9;
  host.caches = caches();
  EXPECT_FALSE(apply_profile(p, "ffffffffffffffff", host).ok());
  EXPECT_DOUBLE_EQ(host.memory_bandwidth_bytes_per_s, 50e9);  // untouched on refusal

  ASSERT_TRUE(apply_profile(p, p.hardware_fingerprint, host).ok());
  EXPECT_DOUBLE_EQ(host.memory_bandwidth_bytes_per_s, 18e9);
  EXPECT_DOUBLE_EQ(host.efficiency.memory, 1.0);
  EXPECT_DOUBLE_EQ(host.caches[0].bandwidth_bytes_per_s, 195e9);
  EXPECT_DOUBLE_EQ(host.efficiency.matrix, 0.25);  // 1e11 / 4e11
  EXPECT_DOUBLE_EQ(host.kernel_launch_s, 4e-6);
  // Every op-class fit lands in op_class_rates under its backend; overheads by backend.
  ASSERT_TRUE(host.op_class_rates.count("torch_eager"));
  const OpClassRate& mm = host.op_class_rates.at("torch_eager").at("matmul");
  EXPECT_DOUBLE_EQ(mm.rate, 1e11);
  EXPECT_DOUBLE_EQ(mm.overhead_s, 5e-6);
  EXPECT_EQ(mm.work_unit, "flops");
  EXPECT_DOUBLE_EQ(host.dispatch_overhead_s.at("onnxruntime"), 3e-7);
  EXPECT_DOUBLE_EQ(host.call_overhead_s.at("onnxruntime"), 6e-6);
  EXPECT_EQ(host.calibration_threads, 2);
  EXPECT_NE(host.sources.at("op_class_rates.torch_eager.matmul").find("Hockney"), std::string::npos);
  EXPECT_NE(host.sources.at("memory_bandwidth_bytes_per_s").find("measured"), std::string::npos);
}

// 256³ GEMM in 0.1 ms on 1 thread = 335.5 GFLOP/s, 671 GFLOP/s taken to 2 cores: above the
// derived 400 GFLOP/s, so every peak scales by 671/400 and efficiency uses the new peak.
TEST(CalibrateProfileTest, MeasuredRateAboveThePeakRaisesIt) {
  auto p = sample_profile();
  p.threads = 1;
  p.op_classes[0].samples[0].best_s = 1e-4;
  HardwareModel host;
  host.id = "host";
  host.compute_units = 2;
  host.clock_hz = 2e9;
  host.matrix_peak_flops_per_s = {{"fp32", 4e11}, {"bf16", 8e11}};
  host.vector_peak_flops_per_s = {{"fp32", 4e11}};
  ASSERT_TRUE(apply_profile(p, p.hardware_fingerprint, host).ok());
  const double factor = 2 * (2 * 256.0 * 256 * 256 / 1e-4) / 4e11;
  EXPECT_NEAR(host.matrix_peak_flops_per_s.at("fp32"), 4e11 * factor, 1);
  EXPECT_NEAR(host.matrix_peak_flops_per_s.at("bf16"), 8e11 * factor, 1);
  EXPECT_NEAR(host.clock_hz, 2e9 * factor, 1e-3);
  EXPECT_NEAR(host.efficiency.matrix, 1e11 / (4e11 * factor), 1e-12);
  EXPECT_NE(host.sources.at("clock_hz").find("turbo"), std::string::npos);
}

TEST(CalibrateProfileTest, FingerprintIsStableAndSensitive) {
  HostFacts a;
  a.cpu.model_name = "CPU X";
  a.logical_cpus = 2;
  a.memory_bytes = 24.0 * (1 << 30);
  HostFacts b = a;
  EXPECT_EQ(hardware_fingerprint(a), hardware_fingerprint(b));
  EXPECT_EQ(hardware_fingerprint(a).size(), 16u);
  b.logical_cpus = 4;
  EXPECT_NE(hardware_fingerprint(a), hardware_fingerprint(b));
}

}  // namespace
}  // namespace graphs
