// Mappers (estimate/mapper.h): GPU tile and wave quantization, systolic-array padding, mapper
// choice from the hardware kind, CUDA graphs, L2 residency, integer-only targets. Expected
// utilizations are hand calculations from the shapes, SM counts and array dimensions.
#include <gtest/gtest.h>

#include <string>

#include "graphs/pipeline/pipeline.h"
#include "graphs/estimate/mapper.h"
#include "graphs/hardware/registry.h"

namespace graphs {
namespace {

const HardwareRegistry& registry() {
  static const HardwareRegistry* r = [] {
    auto loaded = HardwareRegistry::load_default();
    EXPECT_TRUE(loaded.ok()) << loaded.error().message();
    return new HardwareRegistry(loaded.ok() ? std::move(loaded).value() : HardwareRegistry());
  }();
  return *r;
}

HardwareModel get(const std::string& id) {
  auto m = registry().get(id);
  EXPECT_TRUE(m.ok()) << id;
  return m.ok() ? *m : HardwareModel{};
}

KernelWork gemm_work(double m, double n, double k, double bytes_per_element = 2) {
  KernelWork w;
  w.op_class = OpClass::kMatMul;
  w.matrix = true;
  w.macs = m * n * k;
  w.flops = 2 * w.macs;
  w.input_bytes = m * k * bytes_per_element;
  w.weight_bytes = k * n * bytes_per_element;
  w.output_bytes = m * n * bytes_per_element;
  GemmShape g;
  g.m = m;
  g.n = n;
  g.k = k;
  g.a_bytes = w.input_bytes;
  g.b_bytes = w.weight_bytes;
  w.gemm = g;
  return w;
}

MapperTarget target(const HardwareModel& hw, const std::string& precision = "bf16") {
  EstimateOptions o;
  o.precision = precision;
  auto t = resolve_target(hw, o);
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message());
  return t.ok() ? *t : MapperTarget{};
}

TEST(MapperTest, KindSelectsTheMapper) {
  EXPECT_EQ(mapper_for(get("h100-sxm5-80gb")), MapperKind::kGpu);
  EXPECT_EQ(mapper_for(get("jetson-orin-agx-64gb:30w")), MapperKind::kGpu);
  EXPECT_EQ(mapper_for(get("tpu-v4")), MapperKind::kSystolic);
  EXPECT_EQ(mapper_for(get("i7-12700k")), MapperKind::kCpu);
  EXPECT_EQ(mapper_for(get("coral-edge-tpu")), MapperKind::kRoofline);  // no published array dims
}

// 133 blocks of 128×128 on 132 SMs: a second, almost empty wave. The mapper picks the tile with
// the least quantization: 64×64 gives 532 blocks in ⌈532/132⌉ = 5 waves → 532 / 660.
TEST(MapperTest, GpuWaveQuantizationPicksTheLeastWastefulTile) {
  HardwareModel hw = get("h100-sxm5-80gb");
  hw.caches.clear();  // no L2 term: compute alone decides
  const MapperTarget t = target(hw);
  const KernelEstimate k = estimate_kernel(gemm_work(128 * 133, 128, 4096), t);
  EXPECT_EQ(k.tile_m, 64);
  EXPECT_EQ(k.tile_n, 64);
  EXPECT_EQ(k.thread_blocks, 532);
  EXPECT_EQ(k.waves, 5);
  EXPECT_NEAR(k.utilization, 532.0 / 660.0, 1e-12);
  const double flops = 2.0 * 128 * 133 * 128 * 4096;
  EXPECT_NEAR(k.compute_s, flops / (989.4e12 * 0.81 * 532.0 / 660.0), 1e-12);
}

TEST(MapperTest, GpuFullWaveIsFullyUtilized) {
  HardwareModel hw = get("h100-sxm5-80gb");
  hw.caches.clear();
  // 132 tiles of 128×128 fill one wave exactly.
  const KernelEstimate k = estimate_kernel(gemm_work(128 * 12, 128 * 11, 4096), target(hw));
  EXPECT_NEAR(k.utilization, 1.0, 1e-12);
  EXPECT_EQ(k.waves, 1);
}

// Decode-like GEMV (M = 1): DRAM-bound whatever the tile; the mapper keeps the best-utilized one,
// the 16-row skinny tile (15/16 of it idle), with split-K filling the SMs.
TEST(MapperTest, GpuSkinnyGemmIsMemoryBound) {
  const HardwareModel hw = get("h100-sxm5-80gb");  // outlives t, which points at it
  const MapperTarget t = target(hw);
  const KernelEstimate k = estimate_kernel(gemm_work(1, 4096, 4096), t);
  EXPECT_LE(k.tile_m, 64);  // a DRAM-bound GEMV: the tile with the fewest split-K partial sums
  EXPECT_LE(k.utilization, 1.0 / 16 + 1e-12);
  EXPECT_FALSE(k.compute_bound);
  EXPECT_NEAR(k.memory_s, (4096.0 * 4096 * 2 + 2 * 4096 * 2) / (3.35e12 * hw.efficiency.memory),
              1e-9);
}

// Weight-stationary 128×128 MXUs, 8 on a TPU v4 chip. M = 1: each weight tile streams one row in
// max(1, 128) cycles → utilization 1/128. K = 100 pads to 128 → 100/128 with M split over the
// 8 arrays (4096 rows / 8 = 512 cycles ≥ 128).
TEST(MapperTest, SystolicArrayPaddingAndStreaming) {
  const HardwareModel hw = get("tpu-v4");  // outlives t, which points at it
  const MapperTarget t = target(hw);
  EXPECT_NEAR(estimate_kernel(gemm_work(1, 4096, 4096), t).utilization, 1.0 / 128, 1e-12);
  EXPECT_NEAR(estimate_kernel(gemm_work(4096, 128, 100), t).utilization, 100.0 / 128, 1e-12);
  EXPECT_NEAR(estimate_kernel(gemm_work(4096, 4096, 4096), t).utilization, 1.0, 1e-12);
}

TEST(MapperTest, IntegerOnlyAcceleratorRefusesFloat) {
  const HardwareModel coral = get("coral-edge-tpu");
  EXPECT_TRUE(coral.integer_only());
  EstimateOptions o;
  o.precision = "fp32";
  auto t = resolve_target(coral, o);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message().find("integer-only"), std::string::npos) << t.error().message();
  EXPECT_NE(t.error().message().find("--precision int8"), std::string::npos);
  o.precision = "int8";
  EXPECT_TRUE(resolve_target(coral, o).ok());
}

TEST(MapperTest, UnknownMapperSuggests) {
  EstimateOptions o;
  o.mapper = "systolc";
  auto t = resolve_target(get("tpu-v4"), o);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message().find("did you mean systolic"), std::string::npos)
      << t.error().message();
}

Analysis run(const std::string& model, const std::string& hw, bool cuda_graphs,
             const std::string& precision = "fp16") {
  AnalyzeRequest r;
  r.model = model;
  r.hardware = {hw};
  r.precision = precision;
  r.cuda_graphs = cuda_graphs;
  auto a = analyze(r, registry());
  EXPECT_TRUE(a.ok()) << (a.ok() ? "" : a.error().message());
  return a.ok() ? std::move(a).value() : Analysis{};
}

TEST(MapperTest, CudaGraphsRemoveHostLaunches) {
  const Analysis eager = run("resnet50", "h100-sxm5-80gb", false);
  const Analysis graphs = run("resnet50", "h100-sxm5-80gb", true);
  ASSERT_EQ(eager.estimates.size(), 1u);
  const double kernels = static_cast<double>(eager.partition.kernels.size());
  // CUDA graphs: one launch (kernel_launch_s, 4 us) on the host, then the kernels back to back
  // with graph_kernel_launch_s (0.5 us) between them on the device.
  // Plus the input and output copies over the host link (PCIe), once per inference.
  EXPECT_NEAR(graphs.estimates[0].overhead_s, 4e-6 + kernels * 0.5e-6 + graphs.estimates[0].copy_s,
              1e-12);
  EXPECT_GT(graphs.estimates[0].copy_s, 0);
  EXPECT_NEAR(graphs.estimates[0].host_s, 4e-6, 1e-15);
  // Without: the host issues each kernel in 4 us; batch-1 ResNet-50's kernels are shorter, so
  // the device waits for the host on most of them and the run takes about the host's time.
  EXPECT_NEAR(eager.estimates[0].host_s, kernels * 4e-6, 1e-12);
  EXPECT_GT(eager.estimates[0].host_bound_kernels, 0);
  EXPECT_GE(eager.estimates[0].latency_s, eager.estimates[0].host_s);
  // Never slower; faster unless the device is busy longer than the host takes to launch (the
  // fitted kernel floor can make every kernel outlast its launch).
  EXPECT_LE(graphs.estimates[0].latency_s, eager.estimates[0].latency_s);
  EXPECT_EQ(graphs.estimates[0].mapper, "gpu");
}

// ResNet-50 at batch 1 keeps its activations (≤ a few MB each) in the 50 MB L2: DRAM traffic is
// below the kernels' boundary bytes; on a CPU whose file gives no cache bandwidths every byte
// goes to DRAM (the CPU mapper: cpu_mapper_test.cc).
TEST(MapperTest, L2HoldsSmallActivationsOnGpus) {
  const Analysis a = run("resnet50", "h100-sxm5-80gb", false);
  double boundary = 0, dram = 0;
  for (std::size_t i = 0; i < a.partition.kernels.size(); ++i) {
    boundary += a.partition.kernels[i].bytes();
    dram += a.estimates[0].kernels[i].dram_bytes;
  }
  EXPECT_LT(dram, 0.8 * boundary);
  EXPECT_GE(dram, a.characterization.weight_bytes * 0.999);  // weights always come from DRAM
  const Analysis cpu = run("resnet50", "i7-12700k", false, "fp32");
  double cpu_dram = 0;
  for (const auto& k : cpu.estimates[0].kernels) cpu_dram += k.dram_bytes;
  EXPECT_EQ(cpu.estimates[0].mapper, "cpu");
  EXPECT_GT(cpu.estimates[0].matrix_utilization, 0.99);  // only the small FC runs on fewer cores
  EXPECT_GT(cpu_dram, 0);
}

}  // namespace
}  // namespace graphs
