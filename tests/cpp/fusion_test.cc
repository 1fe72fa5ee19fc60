#include <gtest/gtest.h>

#include "graphs/analysis/characterize.h"
#include "graphs/analysis/fusion.h"
#include "graphs/analysis/shape_inference.h"
#include "graphs/estimate/roofline.h"
#include "graphs/zoo/graph_builder.h"

namespace graphs {
namespace {

using zoo::GraphBuilder;

struct Analyzed {
  Graph graph;
  Characterization ch;
};

Analyzed analyze(Graph g) {
  EXPECT_TRUE(bind_dims(g, DimBindings{}).ok());
  auto s = infer_shapes(g);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message());
  auto ch = characterize(g, PrecisionMap{});
  EXPECT_TRUE(ch.ok());
  return {std::move(g), std::move(*ch)};
}

std::vector<std::string> op_types(const Graph& g, const FusedKernel& k) {
  std::vector<std::string> out;
  for (NodeId n : k.nodes) out.push_back(g.node(n).op_type);
  return out;
}

// conv → bn → relu → conv → bn → add(residual from the input) → relu: a ResNet basic block.
Graph basic_block() {
  GraphBuilder b("block");
  const ValueId x = b.input("x", DType::kFloat32, {Dim::fixed(1), Dim::fixed(8), Dim::fixed(16),
                                                    Dim::fixed(16)});
  ValueId y = b.conv2d("conv1", x, 8, 8, 3, 1, 1);
  y = b.batch_norm("bn1", y, 8);
  y = b.op("Relu", "relu1", {y});
  y = b.conv2d("conv2", y, 8, 8, 3, 1, 1);
  y = b.batch_norm("bn2", y, 8);
  y = b.op("Add", "add", {y, x});
  y = b.op("Relu", "relu2", {y});
  b.output(y);
  return b.finish();
}

TEST(FusionTest, ConvBatchNormReluAndResidualEpilogue) {
  auto a = analyze(basic_block());
  const Partition p = partition_fused(a.graph, a.ch);
  ASSERT_EQ(p.kernels.size(), 2u);
  EXPECT_EQ(op_types(a.graph, p.kernels[0]),
            (std::vector<std::string>{"Conv", "BatchNormalization", "Relu"}));
  EXPECT_EQ(op_types(a.graph, p.kernels[1]),
            (std::vector<std::string>{"Conv", "BatchNormalization", "Add", "Relu"}));
  // Kernel 0 reads x and its weights and writes relu1 only: conv1 and bn1 outputs stay inside.
  const double act = 1 * 8 * 16 * 16 * 4;
  EXPECT_DOUBLE_EQ(p.kernels[0].input_bytes, act);
  EXPECT_DOUBLE_EQ(p.kernels[0].output_bytes, act);
  EXPECT_DOUBLE_EQ(p.kernels[0].weight_bytes, (8 * 8 * 3 * 3 + 4 * 8) * 4.0);
  // Kernel 1 reads relu1 and x (the residual), writes the graph output.
  EXPECT_DOUBLE_EQ(p.kernels[1].input_bytes, 2 * act);
  EXPECT_DOUBLE_EQ(p.kernels[1].output_bytes, act);
  EXPECT_EQ(p.kernels[0].op_class, OpClass::kConv);
}

TEST(FusionTest, UnfusedIsOneKernelPerNode) {
  auto a = analyze(basic_block());
  const Partition p = partition_unfused(a.graph, a.ch);
  EXPECT_EQ(p.kernels.size(), 7u);
  double bytes = 0;
  for (const auto& k : p.kernels) bytes += k.bytes();
  EXPECT_DOUBLE_EQ(bytes, a.ch.bytes_read + a.ch.bytes_written);
}

TEST(FusionTest, PointwisePrologueJoinsLayerNormAndForksStayOneKernel) {
  GraphBuilder b("ln");
  const ValueId x = b.input("x", DType::kFloat32, {Dim::fixed(2), Dim::fixed(4), Dim::fixed(16)});
  const ValueId r = b.op("Relu", "relu", {x});
  const ValueId s = b.op("Sigmoid", "sig", {r});
  const ValueId t = b.op("Tanh", "tanh", {r});
  const ValueId sum = b.op("Add", "sum", {s, t});
  const ValueId ln = b.layer_norm("ln", sum, 16, 1e-5);
  const ValueId w = b.parameter("proj.weight", {16, 8});
  const ValueId mm = b.op("MatMul", "proj", {ln, w});
  b.output(mm);
  auto a = analyze(b.finish());
  const Partition p = partition_fused(a.graph, a.ch);
  ASSERT_EQ(p.kernels.size(), 2u);
  EXPECT_EQ(op_types(a.graph, p.kernels[0]),
            (std::vector<std::string>{"Relu", "Sigmoid", "Tanh", "Add", "LayerNormalization"}));
  EXPECT_EQ(p.kernels[0].op_class, OpClass::kNormalization);
  EXPECT_EQ(op_types(a.graph, p.kernels[1]), (std::vector<std::string>{"MatMul"}));
}

TEST(FusionTest, JoinThatWouldFormACycleStartsANewKernel) {
  // a = relu(x); m = matmul(a, w) (new kernel, depends on a's kernel); z = add(a, m).
  // z may join m's kernel (latest) but must not join a's kernel: that kernel would then both
  // feed and consume the matmul.
  GraphBuilder b("cycle");
  const ValueId x = b.input("x", DType::kFloat32, {Dim::fixed(4), Dim::fixed(4)});
  const ValueId a = b.op("Relu", "relu", {x});
  const ValueId w = b.parameter("w", {4, 4});
  const ValueId m = b.op("MatMul", "mm", {a, w});
  const ValueId z = b.op("Add", "add", {a, m});
  b.output(z);
  auto an = analyze(b.finish());
  const Partition p = partition_fused(an.graph, an.ch);
  ASSERT_EQ(p.kernels.size(), 2u);
  EXPECT_EQ(op_types(an.graph, p.kernels[1]), (std::vector<std::string>{"MatMul", "Add"}));
}

TEST(RooflineTest, LatencyIsMaxOfComputeAndMemoryPlusLaunch) {
  auto a = analyze(basic_block());
  const Partition p = partition_fused(a.graph, a.ch);
  HardwareModel hw;
  hw.id = "toy";
  hw.matrix_peak_flops_per_s = {{"fp32", 1e12}};
  hw.vector_peak_flops_per_s = {{"fp32", 1e11}};
  hw.memory_bandwidth_bytes_per_s = 1e10;
  hw.efficiency = {0.5, 0.5, 0.5};
  hw.kernel_launch_s = 1e-6;
  hw.energy_per_flop_j = {{"fp32", 1e-12}};
  hw.energy_per_dram_byte_j = 1e-11;
  hw.static_power_w = 10;
  hw.memory_bytes = 1e9;
  auto e = estimate_roofline(a.graph, a.ch, p, hw, {});
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->kernels.size(), 2u);
  const auto& k0 = p.kernels[0];
  const double compute = k0.flops / (1e12 * 0.5);
  const double memory = k0.bytes() / (1e10 * 0.5);
  EXPECT_DOUBLE_EQ(e->kernels[0].latency_s, std::max(compute, memory) + 1e-6);
  double dynamic = 0;
  for (const auto& k : p.kernels) dynamic += k.flops * 1e-12 + k.bytes() * 1e-11;
  EXPECT_DOUBLE_EQ(e->energy_j, dynamic + 10 * e->latency_s);
  EXPECT_DOUBLE_EQ(e->ridge_point_flop_per_byte, 1e12 * 0.5 / (1e10 * 0.5));
  auto bad = estimate_roofline(a.graph, a.ch, p, hw, {.precision = "int8"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("toy has no int8 peak"), std::string::npos);
}

TEST(RooflineTest, PeakActivationMemoryByLiveness) {
  // x → relu → sigmoid → out, unfused: x (live to kernel 0), relu out (0..1), sigmoid out (1..end).
  GraphBuilder b("chain");
  const ValueId x = b.input("x", DType::kFloat32, {Dim::fixed(256)});
  const ValueId r = b.op("Relu", "relu", {x});
  const ValueId s = b.op("Sigmoid", "sig", {r});
  b.output(s);
  auto a = analyze(b.finish());
  const Partition unfused = partition_unfused(a.graph, a.ch);
  EXPECT_DOUBLE_EQ(peak_activation_bytes(a.graph, a.ch, unfused), 2 * 1024);
  const Partition fused = partition_fused(a.graph, a.ch);
  ASSERT_EQ(fused.kernels.size(), 1u);
  EXPECT_DOUBLE_EQ(peak_activation_bytes(a.graph, a.ch, fused), 2 * 1024);
}

}  // namespace
}  // namespace graphs
