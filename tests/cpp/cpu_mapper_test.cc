// CPU mapper (estimate/cpu_mapper.h), backend families (estimate/backend.h) and the calibration
// overlay of `host` (hardware/host.h). Expected times are hand calculations from a synthetic CPU
// whose figures are chosen for easy arithmetic; nothing here is timed or fitted to a model.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "graphs/pipeline/pipeline.h"
#include "graphs/calibrate/profile.h"
#include "graphs/estimate/backend.h"
#include "graphs/estimate/cpu_mapper.h"
#include "graphs/estimate/mapper.h"
#include "graphs/hardware/host.h"
#include "graphs/hardware/registry.h"

namespace graphs {
namespace {

namespace fs = std::filesystem;

// The test binary must never read the user's calibration cache: every test that loads the
// registry would otherwise see whatever `graphs calibrate` left there. Unless the caller chose a
// directory, point GRAPHS_CALIBRATION_DIR at an empty one for the whole process (and the CLI
// processes the tests start, which inherit it).
const bool kCalibrationIsolated = [] {
  if (const char* d = std::getenv("GRAPHS_CALIBRATION_DIR"); d && *d) return false;
  const fs::path dir = fs::temp_directory_path() /
                       ("graphs_test_calibration_empty_" + std::to_string(::getpid()));
  setenv("GRAPHS_CALIBRATION_DIR", dir.string().c_str(), 1);
  return true;
}();

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

bool HasText(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

constexpr double kMiB = 1024.0 * 1024.0;

// 4 cores × 2 GHz × 32 FLOP/cycle (8 fp32 lanes × 2 FMA units × 2) = 256 GFLOP/s; half of it
// reached (128 GFLOP/s). L1 has no bandwidth figure; L2 8 MiB at 400 GB/s, L3 32 MiB at
// 100 GB/s, DRAM 20 GB/s (efficiency 1: an achieved figure).
HardwareModel test_cpu() {
  HardwareModel hw;
  hw.id = "test-cpu";
  hw.name = "Test CPU";
  hw.kind = "cpu";
  hw.compute_units = 4;
  hw.clock_hz = 2e9;
  hw.matrix_peak_flops_per_s = {{"fp32", 256e9}};
  hw.vector_peak_flops_per_s = {{"fp32", 256e9}};
  hw.memory_bytes = 16 * 1024 * kMiB;
  hw.memory_bandwidth_bytes_per_s = 20e9;
  hw.caches = {{"L1", 0.125 * kMiB, 0}, {"L2", 8 * kMiB, 400e9}, {"L3", 32 * kMiB, 100e9}};
  hw.efficiency = {0.5, 0.5, 1.0};
  hw.kernel_launch_s = 3e-6;
  hw.energy_per_flop_j = {{"fp32", 1e-11}};
  hw.energy_per_dram_byte_j = 1e-10;
  hw.static_power_w = 10;
  hw.tdp_w = 100;
  return hw;
}

MapperTarget target(const HardwareModel& hw, const std::string& backend = "") {
  EstimateOptions o;
  o.backend = backend;
  auto t = resolve_target(hw, o);
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message());
  return t.ok() ? *t : MapperTarget{};
}

// A pointwise kernel over `bytes` of boundary traffic (a third read, two thirds... any split:
// the mapper only reads the total), one FLOP per 12 bytes (an fp32 add).
KernelWork stream_work(double bytes) {
  KernelWork w;
  w.op_class = OpClass::kElementwise;
  w.input_bytes = bytes * 2 / 3;
  w.output_bytes = bytes / 3;
  w.flops = bytes / 12;
  return w;
}

TEST(CpuMapperTest, KindCpuSelectsTheCpuMapper) {
  EXPECT_EQ(mapper_for(test_cpu()), MapperKind::kCpu);
  const MapperTarget t = target(test_cpu());
  EXPECT_EQ(t.kind, MapperKind::kCpu);
  EXPECT_EQ(t.cpu.cores, 4);
  ASSERT_EQ(t.cpu.tiers.size(), 2u);  // L1 has no bandwidth: not a tier
  EXPECT_EQ(t.cpu.tiers[0].name, "L2");
  EXPECT_EQ(t.cpu.tiers[1].name, "L3");
  EXPECT_EQ(to_string(MapperKind::kCpu), "cpu");
}

// 4 MiB fits L2 (8 MiB): 4 MiB / 400 GB/s = 10.49 µs, above one grain (5 µs) at full rate, so
// every core works (utilization 1). Nothing comes from DRAM.
TEST(CpuMapperTest, WorkingSetThatFitsL2IsServedAtL2Bandwidth) {
  const KernelWork w = stream_work(4 * kMiB);
  const KernelEstimate k = estimate_kernel(w, target(test_cpu()));
  EXPECT_EQ(k.memory_level, "L2");
  EXPECT_NEAR(k.memory_s, 4 * kMiB / 400e9, 1e-15);
  EXPECT_DOUBLE_EQ(k.utilization, 1.0);
  EXPECT_DOUBLE_EQ(k.dram_bytes, 0);
  EXPECT_DOUBLE_EQ(k.cache_bytes, 4 * kMiB);
  EXPECT_FALSE(k.compute_bound);
  EXPECT_NEAR(k.latency_s, 4 * kMiB / 400e9 + 3e-6, 1e-15);
  // Without an L2 bandwidth the next level with one (L3) serves it: 4 MiB / 100 GB/s.
  HardwareModel no_l2 = test_cpu();
  no_l2.caches[1].bandwidth_bytes_per_s = 0;
  const KernelEstimate l3 = estimate_kernel(w, target(no_l2));
  EXPECT_EQ(l3.memory_level, "L3");
  EXPECT_NEAR(l3.memory_s, 4 * kMiB / 100e9, 1e-15);
}

// A nearer level measured slower than a farther one (a disturbed calibration) takes the farther
// level's rate, with a note: an L2 "at 0.06 GB/s" serves at L3's 100 GB/s; an L3 below DRAM's
// 20 GB/s at 20 GB/s.
TEST(CpuMapperTest, NearerLevelIsNeverSlowerThanAFartherOne) {
  HardwareModel hw = test_cpu();
  hw.caches[1].bandwidth_bytes_per_s = 62.7e6;
  hw.caches[2].bandwidth_bytes_per_s = 5e9;
  const MapperTarget t = target(hw);
  ASSERT_EQ(t.cpu.tiers.size(), 2u);
  EXPECT_DOUBLE_EQ(t.cpu.tiers[1].bandwidth_bytes_per_s, 20e9);
  EXPECT_DOUBLE_EQ(t.cpu.tiers[0].bandwidth_bytes_per_s, 20e9);
  EXPECT_EQ(t.cpu.notes.size(), 2u);
  const KernelEstimate k = estimate_kernel(stream_work(4 * kMiB), t);
  EXPECT_NEAR(k.memory_s, 4 * kMiB / 20e9, 1e-15);
  EXPECT_TRUE(target(test_cpu()).cpu.notes.empty());
}

// Capacity rule: working set ≤ capacity. Exactly L3's 32 MiB is served by L3; 64 MiB exceeds
// every cache and streams from DRAM at 20 GB/s × efficiency.memory 1 = 3.36 ms.
TEST(CpuMapperTest, WorkingSetBeyondL3ComesFromDram) {
  const KernelEstimate at_l3 = estimate_kernel(stream_work(32 * kMiB), target(test_cpu()));
  EXPECT_EQ(at_l3.memory_level, "L3");
  EXPECT_NEAR(at_l3.memory_s, 32 * kMiB / 100e9, 1e-15);

  const KernelEstimate k = estimate_kernel(stream_work(64 * kMiB), target(test_cpu()));
  EXPECT_EQ(k.memory_level, "DRAM");
  EXPECT_NEAR(k.memory_s, 64 * kMiB / 20e9, 1e-12);
  EXPECT_DOUBLE_EQ(k.dram_bytes, 64 * kMiB);
  EXPECT_DOUBLE_EQ(k.cache_bytes, 0);
  // Dynamic energy: FLOPs × 1e-11 J + DRAM bytes × 1e-10 J.
  EXPECT_NEAR(k.energy_j, 64 * kMiB / 12 * 1e-11 + 64 * kMiB * 1e-10, 1e-12);
  // A hardware file without cache bandwidths (the plain roofline's view) reads even 4 MiB from
  // DRAM.
  HardwareModel bare = test_cpu();
  for (auto& c : bare.caches) c.bandwidth_bytes_per_s = 0;
  const KernelEstimate d = estimate_kernel(stream_work(4 * kMiB), target(bare));
  EXPECT_EQ(d.memory_level, "DRAM");
  EXPECT_NEAR(d.memory_s, 4 * kMiB / 20e9, 1e-15);
}

// 256 fp32 adds, 3 KiB: 3072 B / 400 GB/s = 7.68 ns on the whole chip, 30.7 ns on one core,
// far below one grain: one core runs it (utilization 1/4); the 3 µs dispatch dominates.
TEST(CpuMapperTest, TinyKernelIsDominatedByDispatchOverhead) {
  const KernelEstimate k = estimate_kernel(stream_work(3072), target(test_cpu()));
  EXPECT_DOUBLE_EQ(k.utilization, 0.25);
  EXPECT_NEAR(k.memory_s, 4 * 3072 / 400e9, 1e-18);
  EXPECT_DOUBLE_EQ(k.overhead_s, 3e-6);
  EXPECT_GT(k.overhead_s / k.latency_s, 0.98);
}

// A GEMM of 320 kFLOP: 2.5 µs at the full 128 GFLOP/s, 10 µs on one core; two grains of work
// keep 2 of the 4 cores busy: utilization 0.5, compute 5 µs.
TEST(CpuMapperTest, SmallGemmRunsOnFewerCores) {
  KernelWork w;
  w.op_class = OpClass::kMatMul;
  w.matrix = true;
  w.flops = 320e3;
  w.macs = 160e3;
  w.input_bytes = 4096;
  w.weight_bytes = 4096;
  w.output_bytes = 4096;
  const KernelEstimate k = estimate_kernel(w, target(test_cpu()));
  EXPECT_NEAR(k.utilization, 0.5, 1e-12);
  EXPECT_NEAR(k.compute_s, 5e-6, 1e-15);
  EXPECT_TRUE(k.compute_bound);
  // Large enough (100 MFLOP) and the whole chip works at 128 GFLOP/s.
  w.flops = 100e6;
  const KernelEstimate big = estimate_kernel(w, target(test_cpu()));
  EXPECT_DOUBLE_EQ(big.utilization, 1.0);
  EXPECT_NEAR(big.compute_s, 100e6 / 128e9, 1e-15);
}

TEST(CpuMapperTest, BackendPicksPartitionAndDispatchOverhead) {
  HardwareModel hw = test_cpu();
  hw.dispatch_overhead_s = {{"torch_eager", 7e-6}, {"onnxruntime", 1e-6}};
  EXPECT_DOUBLE_EQ(target(hw, "eager").overhead_s, 7e-6);
  EXPECT_DOUBLE_EQ(target(hw, "onnxruntime").overhead_s, 1e-6);
  EXPECT_DOUBLE_EQ(target(hw, "inductor").overhead_s, 3e-6);  // no figure: kernel_launch_s
  EXPECT_DOUBLE_EQ(target(hw, "").overhead_s, 3e-6);
  EXPECT_FALSE(backend_fuses("eager"));
  EXPECT_TRUE(backend_fuses("inductor"));
  EXPECT_TRUE(backend_fuses("onnxruntime"));
  EXPECT_EQ(dispatch_overhead_key("eager"), "torch_eager");
  EstimateOptions bad;
  bad.backend = "eagre";
  auto t = resolve_target(hw, bad);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(HasText(t.error().message(), "did you mean eager"));
}

const HardwareRegistry& registry() {
  static const HardwareRegistry* r = [] {
    auto loaded = HardwareRegistry::load_default();
    EXPECT_TRUE(loaded.ok()) << loaded.error().message();
    return new HardwareRegistry(loaded.ok() ? std::move(loaded).value() : HardwareRegistry());
  }();
  return *r;
}

Analysis analyze_with(const std::string& hardware, const std::string& backend) {
  AnalyzeRequest req;
  req.model = "resnet18";
  req.hardware = {hardware};
  req.backend = backend;
  auto a = analyze(req, registry());
  EXPECT_TRUE(a.ok()) << (a.ok() ? "" : a.error().message());
  return a.ok() ? std::move(a).value() : Analysis{};
}

// Eager runs every op as its own kernel: more kernels, more dispatches, and the bytes a fused
// epilogue keeps on chip (conv → BN → ReLU, residual adds) go through memory. On ResNet-18 it
// can only be slower than the fused prediction, on a datasheet CPU and on this machine.
TEST(CpuMapperTest, EagerPredictsNoFasterThanFusedOnResnet18) {
  for (const std::string hw : {"i7-12700k", "host"}) {
    const Analysis eager = analyze_with(hw, "eager");
    const Analysis fused = analyze_with(hw, "inductor");
    ASSERT_EQ(eager.estimates.size(), 1u);
    ASSERT_EQ(fused.estimates.size(), 1u);
    EXPECT_EQ(eager.estimates[0].mapper, "cpu");
    EXPECT_FALSE(eager.partition.fused);
    EXPECT_TRUE(fused.partition.fused);
    EXPECT_GT(eager.partition.kernels.size(), fused.partition.kernels.size());
    EXPECT_GT(eager.estimates[0].overhead_s, fused.estimates[0].overhead_s);
    EXPECT_GE(eager.estimates[0].latency_s, fused.estimates[0].latency_s) << hw;
    EXPECT_EQ(eager.estimates[0].backend, "eager");
    EXPECT_TRUE(HasText(::testing::PrintToString(eager.estimates[0].notes), "unfused"));
  }
  AnalyzeRequest bad;
  bad.model = "resnet18";
  bad.backend = "tensorrtt";
  auto a = analyze(bad, registry());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code(), ErrorCode::kInvalidArgument);
}

// --- calibration overlay on `host` -----------------------------------------------------------

CalibrationProfile profile_for(const std::string& fingerprint) {
  CalibrationProfile p;
  p.created_utc = "2026-11-23T18:00:00Z";
  p.graphs_version = "test";
  p.hardware_fingerprint = fingerprint;
  p.cpu_model = "test";
  p.threads = 1;
  p.quick = true;
  p.memory_tiers = {{"L2", 1e6, 123.0e9, 2}, {"DRAM", 0, 12.345e9, 3}};
  p.dispatch_overhead_s = {{"torch_eager", 9e-6}};
  return p;
}

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() / (name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

HardwareModel loaded_host(std::vector<std::string>* warnings = nullptr) {
  auto loaded = HardwareRegistry::load_default();
  EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().message());
  if (!loaded.ok()) return {};
  if (warnings) *warnings = loaded->warnings();
  auto host = loaded->get("host");
  EXPECT_TRUE(host.ok());
  return host.ok() ? *host : HardwareModel{};
}

TEST(CpuMapperTest, CalibrationProfileOverlaysHostOnlyForThisMachine) {
  auto facts = read_host_facts("");
  ASSERT_TRUE(facts.ok()) << facts.error().message();
  const std::string fp = hardware_fingerprint(*facts);
  auto derived = detect_host();
  ASSERT_TRUE(derived.ok());
  ASSERT_NE(derived->memory_bandwidth_bytes_per_s, 12.345e9);
  TempDir dir("graphs_cpu_mapper_calibration");
  ScopedEnv env("GRAPHS_CALIBRATION_DIR", dir.path.string());

  // No profile: host as derived, with a note saying so.
  HardwareModel host = loaded_host();
  EXPECT_DOUBLE_EQ(host.memory_bandwidth_bytes_per_s, derived->memory_bandwidth_bytes_per_s);
  EXPECT_TRUE(HasText(::testing::PrintToString(host.notes), "not calibrated"));

  // A profile for another machine: ignored, named in the note.
  ASSERT_TRUE(save_profile(profile_for("0000000000000000"),
                           (dir.path / "0000000000000000.json").string()).ok());
  host = loaded_host();
  EXPECT_DOUBLE_EQ(host.memory_bandwidth_bytes_per_s, derived->memory_bandwidth_bytes_per_s);
  EXPECT_TRUE(HasText(::testing::PrintToString(host.notes), "for other machines"));

  // This machine's profile: DRAM and L2 bandwidths, efficiency.memory, dispatch overheads.
  const std::string path = (dir.path / (fp + ".json")).string();
  ASSERT_TRUE(save_profile(profile_for(fp), path).ok());
  host = loaded_host();
  EXPECT_DOUBLE_EQ(host.memory_bandwidth_bytes_per_s, 12.345e9);
  EXPECT_DOUBLE_EQ(host.efficiency.memory, 1.0);
  EXPECT_TRUE(HasText(host.sources.at("memory_bandwidth_bytes_per_s"), "measured: graphs calibrate"));
  EXPECT_DOUBLE_EQ(host.kernel_launch_s, 9e-6);
  EXPECT_DOUBLE_EQ(host.dispatch_overhead_s.at("torch_eager"), 9e-6);
  if (const CacheLevel* l2 = host.cache("L2")) EXPECT_DOUBLE_EQ(l2->bandwidth_bytes_per_s, 123e9);
  EXPECT_TRUE(HasText(::testing::PrintToString(host.notes), "calibration profile applied"));

  // A file under this machine's name that carries another fingerprint: ignored with a warning.
  // The library prints nothing: the warning is the registry's, for the program to show.
  ASSERT_TRUE(save_profile(profile_for("0000000000000000"), path).ok());
  std::vector<std::string> warnings;
  ::testing::internal::CaptureStderr();
  host = loaded_host(&warnings);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_DOUBLE_EQ(host.memory_bandwidth_bytes_per_s, derived->memory_bandwidth_bytes_per_s);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_TRUE(HasText(warnings[0], "ignoring calibration profile")) << warnings[0];

  // A malformed profile: one warning, host as derived, no failure.
  { std::ofstream(path) << "{\"schema_version\": 1, \"kind\": "; }
  host = loaded_host(&warnings);
  EXPECT_DOUBLE_EQ(host.memory_bandwidth_bytes_per_s, derived->memory_bandwidth_bytes_per_s);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_TRUE(HasText(warnings[0], "ignoring calibration profile")) << warnings[0];
  EXPECT_TRUE(HasText(::testing::PrintToString(host.notes), "ignoring calibration profile"));
}

// Calibration classes as `graphs calibrate` measures them.
TEST(CpuMapperTest, CalibrationClassOfKernels) {
  KernelWork w;
  w.op_class = OpClass::kConv;
  w.gemm = GemmShape{};
  w.gemm->kernel_elems = 9;
  EXPECT_EQ(calibration_class(w), "conv");
  w.gemm->kernel_elems = 1;
  EXPECT_EQ(calibration_class(w), "pointwise_conv");
  w.gemm->batch = 13;  // groups
  EXPECT_EQ(calibration_class(w), "grouped_conv");
  w.gemm.reset();  // depthwise: no GEMM
  EXPECT_EQ(calibration_class(w), "depthwise_conv");
  w.op_class = OpClass::kMatMul;
  EXPECT_EQ(calibration_class(w), "matmul");
  for (OpClass c : {OpClass::kSoftmax, OpClass::kReduction, OpClass::kNormalization}) {
    w.op_class = c;
    EXPECT_EQ(calibration_class(w), "reduction");
  }
  w.op_class = OpClass::kDataMovement;
  EXPECT_EQ(calibration_class(w), "data_movement");
  w.op_class = OpClass::kPooling;
  EXPECT_EQ(calibration_class(w), "pooling");
  for (OpClass c : {OpClass::kElementwise}) {
    w.op_class = c;
    EXPECT_EQ(calibration_class(w), "elementwise");
  }
  w.op_class = OpClass::kNormalization;
  w.anchor_op = "BatchNormalization";
  EXPECT_EQ(calibration_class(w), "elementwise");
  w.anchor_op = "LayerNormalization";
  EXPECT_EQ(calibration_class(w), "reduction");
}

// A measured conv rate of 50 GFLOP/s with a 30 µs fitted overhead through ONNX Runtime, whose
// per-call overhead is 10 µs: a 100 MFLOP conv takes 2 ms + (30 − 10) µs, whatever the peaks;
// the 10 µs is charged once per model run.
TEST(CpuMapperTest, MeasuredOpClassRateReplacesPeakAndThreading) {
  HardwareModel hw = test_cpu();
  hw.op_class_rates["onnxruntime"]["conv"] = {30e-6, 50e9, "flops"};
  hw.call_overhead_s["onnxruntime"] = 10e-6;
  KernelWork w;
  w.op_class = OpClass::kConv;
  w.matrix = true;
  w.gemm = GemmShape{};
  w.flops = 100e6;
  w.input_bytes = w.weight_bytes = w.output_bytes = 1024;
  const MapperTarget t = target(hw, "onnxruntime");
  EXPECT_DOUBLE_EQ(t.call_overhead_s, 10e-6);
  const KernelEstimate k = estimate_kernel(w, t);
  EXPECT_DOUBLE_EQ(k.utilization, 1.0);
  EXPECT_NEAR(k.compute_s, 2e-3, 1e-15);
  EXPECT_NEAR(k.overhead_s, 20e-6, 1e-15);
  EXPECT_NEAR(k.latency_s, 2e-3 + 20e-6, 1e-15);
  // Without a rate for the backend: the peak × efficiency path (128 GFLOP/s) and the dispatch.
  const KernelEstimate plain = estimate_kernel(w, target(hw, "eager"));
  EXPECT_NEAR(plain.compute_s, 100e6 / 128e9, 1e-15);
  EXPECT_DOUBLE_EQ(plain.overhead_s, 3e-6);
}

// A bytes class: the slower of the measured rate and the cache tier serves the kernel. 4 MiB
// fits L2 (400 GB/s: 10.5 µs); at a measured 40 GB/s it takes 104.9 µs.
TEST(CpuMapperTest, MeasuredBytesRateIsAFloorOverTheCacheTier) {
  HardwareModel hw = test_cpu();
  hw.op_class_rates["torch_eager"]["elementwise"] = {2e-6, 40e9, "bytes"};
  const KernelWork w = stream_work(4 * kMiB);
  const KernelEstimate k = estimate_kernel(w, target(hw, "eager"));
  EXPECT_NEAR(k.memory_s, 4 * kMiB / 40e9, 1e-15);
  EXPECT_NEAR(k.overhead_s, 2e-6, 1e-15);  // eager has no per-call overhead
  hw.op_class_rates["torch_eager"]["elementwise"].rate = 4000e9;  // faster than L2: L2 rules
  const KernelEstimate fast = estimate_kernel(w, target(hw, "eager"));
  EXPECT_NEAR(fast.memory_s, 4 * kMiB / 400e9, 1e-15);
}

// Inductor's convolutions and GEMMs are aten's extern kernels: without its own conv figure it
// uses torch eager's, while its own elementwise figure wins over eager's.
TEST(CpuMapperTest, InductorFallsBackToEagerRatesForExternKernels) {
  HardwareModel hw = test_cpu();
  hw.op_class_rates["torch_eager"]["conv"] = {0, 50e9, "flops"};
  hw.op_class_rates["torch_eager"]["elementwise"] = {0, 10e9, "bytes"};
  hw.op_class_rates["torch_inductor"]["elementwise"] = {0, 20e9, "bytes"};
  const MapperTarget t = target(hw, "inductor");
  KernelWork conv;
  conv.op_class = OpClass::kConv;
  conv.matrix = true;
  conv.gemm = GemmShape{};
  conv.flops = 1e9;
  EXPECT_NEAR(estimate_kernel(conv, t).compute_s, 1e9 / 50e9, 1e-15);
  const KernelWork add = stream_work(64 * kMiB);  // DRAM (20 GB/s) is slower than both
  EXPECT_NEAR(estimate_kernel(add, t).memory_s, 64 * kMiB / 20e9, 1e-12);
  const KernelWork small = stream_work(1 * kMiB);  // L2: 400 GB/s; the measured 20 GB/s rules
  EXPECT_NEAR(estimate_kernel(small, t).memory_s, 1 * kMiB / 20e9, 1e-15);
  // ONNX Runtime never borrows torch's figures.
  EXPECT_EQ(target(hw, "onnxruntime").fallback_op_rates, nullptr);
}

// A profile without the finer class serves it with the broader one.
TEST(CpuMapperTest, MissingFinerClassUsesTheBroaderOne) {
  HardwareModel hw = test_cpu();
  hw.op_class_rates["onnxruntime"]["conv"] = {0, 50e9, "flops"};
  hw.op_class_rates["onnxruntime"]["elementwise"] = {0, 10e9, "bytes"};
  KernelWork grouped;
  grouped.op_class = OpClass::kConv;
  grouped.matrix = true;
  grouped.gemm = GemmShape{};
  grouped.gemm->batch = 4;
  grouped.flops = 1e9;
  const MapperTarget t = target(hw, "onnxruntime");
  EXPECT_NEAR(estimate_kernel(grouped, t).compute_s, 1e9 / 50e9, 1e-15);
  KernelWork copy = stream_work(64 * kMiB);
  copy.op_class = OpClass::kDataMovement;
  EXPECT_NEAR(estimate_kernel(copy, t).memory_s, 64 * kMiB / 10e9, 1e-12);
}

}  // namespace
}  // namespace graphs
