// The GPU mechanisms of estimate/mapper.h and kernel_work.h against hand calculations:
// leading dims of a Linear folded into M, the floor under a kernel's device time, the split-K
// reduction, and the host/device timeline (asynchronous launches on one stream).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graphs/analysis/characterize.h"
#include "graphs/analysis/fusion.h"
#include "graphs/analysis/shape_inference.h"
#include "graphs/estimate/kernel_work.h"
#include "graphs/estimate/mapper.h"
#include "graphs/hardware/registry.h"
#include "graphs/zoo/graph_builder.h"
#include "registry_util.h"

namespace graphs {
namespace {

HardwareModel h100() {
  auto m = testing_util::default_registry().get("h100-sxm5-80gb");
  EXPECT_TRUE(m.ok());
  return *m;
}

// Batch-8 decode: x [8, 1, 4096] × W [4096, 4096] is one GEMM of M = 8 (a Linear), not 8
// GEMMs of M = 1; the attention product [8, 32, 1, 128] × [8, 32, 128, 64] keeps its batch.
TEST(GpuKernelWorkTest, LinearFoldsLeadingDimsIntoM) {
  zoo::GraphBuilder b("fold");
  const ValueId x = b.input("x", DType::kFloat16, {Dim::fixed(8), Dim::fixed(1), Dim::fixed(4096)});
  const ValueId w = b.parameter("w", {4096, 4096}, DType::kFloat16);
  const ValueId y = b.op("MatMul", "linear", {x, w});
  const ValueId q = b.input("q", DType::kFloat16,
                            {Dim::fixed(8), Dim::fixed(32), Dim::fixed(1), Dim::fixed(128)});
  const ValueId k = b.input("k", DType::kFloat16,
                            {Dim::fixed(8), Dim::fixed(32), Dim::fixed(128), Dim::fixed(64)});
  const ValueId s = b.op("MatMul", "scores", {q, k});
  b.output(y);
  b.output(s);
  Graph g = b.finish();
  ASSERT_TRUE(infer_shapes(g).ok());
  const PrecisionMap p;
  const auto linear = gemm_shape(g, g.node(0), p);
  ASSERT_TRUE(linear.has_value());
  EXPECT_EQ(linear->batch, 1);
  EXPECT_EQ(linear->m, 8);
  EXPECT_EQ(linear->n, 4096);
  EXPECT_EQ(linear->k, 4096);
  const auto scores = gemm_shape(g, g.node(1), p);
  ASSERT_TRUE(scores.has_value());
  EXPECT_EQ(scores->batch, 8 * 32);
  EXPECT_EQ(scores->m, 1);
  EXPECT_EQ(scores->n, 64);
  EXPECT_EQ(scores->k, 128);
}

KernelWork vector_work(double bytes) {
  KernelWork w;
  w.op_class = OpClass::kElementwise;
  w.flops = bytes / 4;
  w.input_bytes = bytes / 2;
  w.output_bytes = bytes / 2;
  return w;
}

// A 1 KiB elementwise kernel needs 1024 / (3.35e12 × memory efficiency) ≈ 0.4 ns; its device
// time is the floor instead.
TEST(GpuMapperTest, KernelFloorHoldsTinyKernels) {
  HardwareModel hw = h100();
  hw.min_kernel_s = 2.5e-6;
  EstimateOptions o;
  o.precision = "fp16";
  auto t = resolve_target(hw, o);
  ASSERT_TRUE(t.ok());
  const KernelEstimate tiny = estimate_kernel(vector_work(1024), *t);
  EXPECT_NEAR(tiny.device_s, 2.5e-6, 1e-15);
  EXPECT_NEAR(tiny.latency_s, 2.5e-6 + *hw.graph_kernel_launch_s, 1e-15);
  const KernelEstimate big = estimate_kernel(vector_work(1e9), *t);  // 1 GB: far above the floor
  EXPECT_NEAR(big.device_s, big.memory_s, 1e-15);
  EXPECT_GT(big.device_s, 1e-4);
}

// Split-K: [128 × 65536] × [65536 × 128] has 1 tile of 128×128 and a long K; the mapper splits
// K, and the reduction kernel reads splits × 128 × 128 fp32 partial sums through the L2 and
// writes the output.
TEST(GpuMapperTest, SplitKPaysItsReduction) {
  HardwareModel hw = h100();
  hw.min_kernel_s = 2e-6;
  EstimateOptions o;
  o.precision = "fp16";
  auto t = resolve_target(hw, o);
  ASSERT_TRUE(t.ok());
  KernelWork w;
  w.op_class = OpClass::kMatMul;
  w.matrix = true;
  const double m = 128, n = 128, k = 65536;
  w.macs = m * n * k;
  w.flops = 2 * w.macs;
  w.input_bytes = m * k * 2;
  w.weight_bytes = k * n * 2;
  w.output_bytes = m * n * 2;
  GemmShape g{1, m, n, k, w.input_bytes, w.weight_bytes, 0};
  w.gemm = g;
  const KernelEstimate e = estimate_kernel(w, *t);
  ASSERT_GT(e.split_k, 1);
  const double reduce_bytes = e.split_k * m * n * 4 + w.output_bytes;
  const double l2 = hw.cache("L2")->bandwidth_bytes_per_s;
  const double reduce_s = std::max(2e-6, reduce_bytes / l2) + *hw.graph_kernel_launch_s;
  EXPECT_NEAR(e.device_s, std::max({e.compute_s, e.memory_s, 2e-6}) + reduce_s, 1e-15);
}

MapperTarget timeline_target(bool cuda_graphs) {
  MapperTarget t;
  t.kind = MapperKind::kGpu;
  t.timeline = true;
  t.cuda_graphs = cuda_graphs;
  t.host_per_kernel_s = cuda_graphs ? 0 : 4e-6;
  t.graph_launch_s = cuda_graphs ? 4e-6 : 0;
  t.device_gap_s = 0.5e-6;
  t.inference_overhead_s = 10e-6;
  t.host_link_bytes_per_s = 25e9;
  return t;
}

std::vector<KernelEstimate> kernels_of(const std::vector<double>& device_s, double gap) {
  std::vector<KernelEstimate> out;
  for (double d : device_s) {
    KernelEstimate k;
    k.device_s = d;
    k.latency_s = d + gap;
    out.push_back(k);
  }
  return out;
}

// Four kernels of 1, 10, 1 and 1 us; the host issues one every 4 us, the device needs 0.5 us
// between kernels. By hand:
//   k1 issued at 4 → runs 4 … 5.5        (the device waited 4 us)
//   k2 issued at 8 → runs 8 … 18.5       (waited 2.5 us)
//   k3 issued at 12, device busy → 18.5 … 20
//   k4 issued at 16, device busy → 20 … 21.5
// Stream end 21.5 us; + 10 us per inference + 1 MB / 25 GB/s = 40 us of copies → 71.5 us.
// Pipelined, the longest of device (15 us), host (16 + 10 us) and copies (40 us): 40 us.
TEST(GpuTimelineTest, HostAndDeviceOverlapAsHandComputed) {
  const MapperTarget t = timeline_target(false);
  const auto ks = kernels_of({1e-6, 10e-6, 1e-6, 1e-6}, 0.5e-6);
  std::vector<const KernelEstimate*> order;
  for (const auto& k : ks) order.push_back(&k);
  const RunTotals r = combine_kernels(t, order, 1e6);
  EXPECT_NEAR(r.host_s, 16e-6, 1e-15);
  EXPECT_NEAR(r.device_s, 15e-6, 1e-15);
  EXPECT_NEAR(r.device_idle_s, 6.5e-6, 1e-15);
  EXPECT_EQ(r.host_bound_kernels, 2);
  EXPECT_NEAR(r.copy_s, 40e-6, 1e-15);
  EXPECT_NEAR(r.latency_s, 71.5e-6, 1e-15);
  EXPECT_NEAR(r.period_s, 40e-6, 1e-15);
}

// With a CUDA graph the host launches once (4 us) and the device then runs the kernels back to
// back: 4 + 15 = 19 us, + 10 us per inference; no copies when the target has no host link.
TEST(GpuTimelineTest, CudaGraphLaunchesOnce) {
  MapperTarget t = timeline_target(true);
  t.host_link_bytes_per_s = 0;
  const auto ks = kernels_of({1e-6, 10e-6, 1e-6, 1e-6}, 0.5e-6);
  std::vector<const KernelEstimate*> order;
  for (const auto& k : ks) order.push_back(&k);
  const RunTotals r = combine_kernels(t, order, 1e6);
  EXPECT_NEAR(r.host_s, 4e-6, 1e-15);
  EXPECT_EQ(r.host_bound_kernels, 1);
  EXPECT_NEAR(r.latency_s, 29e-6, 1e-15);
  EXPECT_NEAR(r.period_s, 15e-6, 1e-15);
}

// A device-bound stream: kernels of 100 us each, the host far ahead; the host's time hides.
TEST(GpuTimelineTest, LargeKernelsAreDeviceBound) {
  MapperTarget t = timeline_target(false);
  t.inference_overhead_s = 0;
  t.host_link_bytes_per_s = 0;
  const auto ks = kernels_of({100e-6, 100e-6, 100e-6}, 0.5e-6);
  std::vector<const KernelEstimate*> order;
  for (const auto& k : ks) order.push_back(&k);
  const RunTotals r = combine_kernels(t, order, 0);
  // First kernel waits for its launch (4 us), the rest run back to back.
  EXPECT_NEAR(r.latency_s, 4e-6 + 3 * 100.5e-6, 1e-15);
  EXPECT_EQ(r.host_bound_kernels, 1);
}

}  // namespace
}  // namespace graphs
