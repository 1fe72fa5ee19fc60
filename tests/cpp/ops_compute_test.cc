// Shape and cost rules of the compute op families (conv, matmul, normalization, pooling,
// reduction) against hand calculations. Each test builds a one-node Graph, runs infer_shapes and
// then the op's cost rule from the registry.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "graphs/analysis/shape_inference.h"
#include "graphs/ir/graph.h"
#include "graphs/ops/op_registry.h"

namespace graphs {
namespace {

// A one-node graph under test: add inputs in order, set attributes, infer, cost.
class OneNode {
 public:
  OneNode(std::string op_type, int opset, std::string name = "n") {
    node_.op_type = std::move(op_type);
    node_.opset = opset;
    node_.name = std::move(name);
  }

  // A graph input (activation fed at run time).
  OneNode& input(const std::string& name, DType dtype, const std::vector<int64_t>& dims) {
    const ValueId id = graph_.add_value(
        {.name = name, .type = TensorType::make(dtype, dims), .kind = ValueKind::kGraphInput});
    graph_.inputs.push_back(id);
    node_.inputs.push_back(id);
    return *this;
  }
  // A stored constant (weights, bias, axes), with contents when given.
  OneNode& weight(const std::string& name, DType dtype, const std::vector<int64_t>& dims,
                  std::optional<ConstData> data = std::nullopt) {
    const ValueId id = graph_.add_value({.name = name,
                                         .type = TensorType::make(dtype, dims),
                                         .kind = ValueKind::kInitializer,
                                         .data = std::move(data)});
    graph_.initializers.push_back(id);
    node_.inputs.push_back(id);
    return *this;
  }
  OneNode& f32(const std::string& name, const std::vector<int64_t>& dims) {
    return input(name, DType::kFloat32, dims);
  }
  OneNode& w32(const std::string& name, const std::vector<int64_t>& dims) {
    return weight(name, DType::kFloat32, dims);
  }
  OneNode& axes(const std::vector<int64_t>& values) {
    return weight("axes", DType::kInt64, {static_cast<int64_t>(values.size())},
                  ConstData::of_ints(values));
  }
  OneNode& absent() {
    node_.inputs.push_back(kNoValue);
    return *this;
  }
  OneNode& attr(const std::string& name, Attribute value) {
    node_.attrs.set(name, std::move(value));
    return *this;
  }

  // Adds `outputs` outputs (all graph outputs), the node, and runs shape inference.
  Status infer(int outputs = 1) {
    for (int i = 0; i < outputs; ++i) {
      const ValueId id = graph_.add_value({.name = "out" + std::to_string(i)});
      graph_.value(id).is_graph_output = true;
      graph_.outputs.push_back(id);
      node_.outputs.push_back(id);
    }
    graph_.add_node(node_);
    return infer_shapes(graph_);
  }

  const TensorType& out(std::size_t i = 0) const {
    return graph_.value(graph_.nodes[0].outputs[i]).type;
  }
  std::vector<int64_t> out_dims(std::size_t i = 0) const { return out(i).dims(); }

  OpCost cost(PrecisionMap precision = {}) const {
    const Node& n = graph_.nodes[0];
    CostContext ctx{n, n.opset, {}, {}, precision};
    for (ValueId v : n.inputs) ctx.inputs.push_back(v == kNoValue ? nullptr : &graph_.value(v));
    for (ValueId v : n.outputs) ctx.outputs.push_back(v == kNoValue ? nullptr : &graph_.value(v));
    const OpSchema* schema = OpRegistry::global().find(n.domain, n.op_type);
    EXPECT_NE(schema, nullptr) << n.op_type;
    return schema ? schema->cost(ctx) : OpCost{};
  }

 private:
  Graph graph_;
  Node node_;
};

using Dims = std::vector<int64_t>;

// Asserts a failed status whose message contains every fragment.
void expect_error(const Status& s, const std::vector<std::string>& fragments) {
  ASSERT_FALSE(s.ok()) << "expected an error";
  for (const auto& f : fragments) {
    EXPECT_NE(s.error().message().find(f), std::string::npos)
        << "'" << f << "' not in: " << s.error().message();
  }
}

// ---------------------------------------------------------------------------------------------
// Conv

TEST(ConvOpsTest, ResNet50StemMatchesHandCount) {
  OneNode n("Conv", 13);
  n.f32("x", {1, 3, 224, 224}).w32("w", {64, 3, 7, 7});
  n.attr("strides", Dims{2, 2}).attr("pads", Dims{3, 3, 3, 3}).attr("kernel_shape", Dims{7, 7});
  ASSERT_TRUE(n.infer().ok());
  EXPECT_EQ(n.out_dims(), (Dims{1, 64, 112, 112}));
  EXPECT_EQ(n.out().dtype, DType::kFloat32);
  const OpCost c = n.cost();
  // 1 × 64 × 112 × 112 × 3 × 7 × 7
  EXPECT_DOUBLE_EQ(c.macs, 118013952.0);
  EXPECT_DOUBLE_EQ(c.flops, 2 * 118013952.0);
  EXPECT_DOUBLE_EQ(c.bytes_read, (3 * 224 * 224 + 64 * 3 * 49) * 4.0);
  EXPECT_DOUBLE_EQ(c.bytes_written, 64 * 112 * 112 * 4.0);
  const OpCost half = n.cost(PrecisionMap{DType::kFloat16});
  EXPECT_DOUBLE_EQ(half.bytes_read, c.bytes_read / 2);
  EXPECT_DOUBLE_EQ(half.macs, c.macs);
}

TEST(ConvOpsTest, DepthwiseWithBiasCountsOneAddPerOutput) {
  OneNode n("Conv", 13);
  n.f32("x", {1, 32, 112, 112}).w32("w", {32, 1, 3, 3}).w32("b", {32});
  n.attr("group", int64_t{32}).attr("pads", Dims{1, 1, 1, 1});
  ASSERT_TRUE(n.infer().ok());
  EXPECT_EQ(n.out_dims(), (Dims{1, 32, 112, 112}));
  const OpCost c = n.cost();
  EXPECT_DOUBLE_EQ(c.macs, 32.0 * 112 * 112 * 9);                 // 3,612,672
  EXPECT_DOUBLE_EQ(c.flops, 2 * 3612672.0 + 32.0 * 112 * 112);    // + bias adds
  EXPECT_DOUBLE_EQ(c.bytes_read, (32 * 112 * 112 + 32 * 9 + 32) * 4.0);
}

TEST(ConvOpsTest, GroupedStridedConv) {
  OneNode n("Conv", 11);
  n.f32("x", {2, 64, 56, 56}).w32("w", {128, 16, 3, 3});
  n.attr("group", int64_t{4}).attr("strides", Dims{2, 2}).attr("pads", Dims{1, 1, 1, 1});
  ASSERT_TRUE(n.infer().ok());
  EXPECT_EQ(n.out_dims(), (Dims{2, 128, 28, 28}));  // floor((56 + 2 − 3) / 2) + 1
  EXPECT_DOUBLE_EQ(n.cost().macs, 2.0 * 128 * 28 * 28 * 16 * 9);
}

TEST(ConvOpsTest, AutoPadSameAndValid) {
  for (const auto& [mode, expected] :
       std::vector<std::pair<std::string, int64_t>>{{"SAME_UPPER", 3}, {"SAME_LOWER", 3},
                                                    {"VALID", 2}, {"NOTSET", 2}}) {
    OneNode n("Conv", 13);
    n.f32("x", {1, 1, 5, 5}).w32("w", {1, 1, 3, 3});
    n.attr("strides", Dims{2, 2}).attr("auto_pad", mode);
    ASSERT_TRUE(n.infer().ok()) << mode;
    EXPECT_EQ(n.out_dims(), (Dims{1, 1, expected, expected})) << mode;
  }
}

TEST(ConvOpsTest, OneAndThreeSpatialDimsWithDilation) {
  OneNode c1("Conv", 13);
  c1.f32("x", {1, 4, 10}).w32("w", {8, 4, 3}).attr("dilations", Dims{2});
  ASSERT_TRUE(c1.infer().ok());
  EXPECT_EQ(c1.out_dims(), (Dims{1, 8, 6}));  // effective kernel 5: 10 − 5 + 1
  EXPECT_DOUBLE_EQ(c1.cost().macs, 8.0 * 6 * 4 * 3);

  OneNode c3("Conv", 13);
  c3.f32("x", {1, 2, 8, 8, 8}).w32("w", {4, 2, 3, 3, 3}).attr("pads", Dims{1, 1, 1, 1, 1, 1});
  ASSERT_TRUE(c3.infer().ok());
  EXPECT_EQ(c3.out_dims(), (Dims{1, 4, 8, 8, 8}));
  EXPECT_DOUBLE_EQ(c3.cost().macs, 4.0 * 512 * 2 * 27);
}

TEST(ConvOpsTest, WrongWeightRankNamesTheNode) {
  OneNode n("Conv", 13, "layer1.0.conv1");
  n.f32("x", {1, 64, 56, 56}).w32("w", {64, 64, 3});
  expect_error(n.infer(), {"Conv node 'layer1.0.conv1': weight rank 3, expected 4"});
}

TEST(ConvOpsTest, ChannelMismatchIsAnError) {
  OneNode n("Conv", 13, "c");
  n.f32("x", {1, 64, 56, 56}).w32("w", {128, 32, 3, 3}).attr("group", int64_t{4});
  expect_error(n.infer(), {"Conv node 'c'", "64 channels", "32 × 4 = 128"});
}

TEST(ConvOpsTest, BadBiasAndOversizedKernelAreErrors) {
  OneNode bias("Conv", 13, "c");
  bias.f32("x", {1, 3, 8, 8}).w32("w", {16, 3, 3, 3}).w32("b", {8});
  expect_error(bias.infer(), {"bias shape [8], expected [16]"});
  OneNode big("Conv", 13, "c");
  big.f32("x", {1, 3, 4, 4}).w32("w", {16, 3, 7, 7});
  expect_error(big.infer(), {"Conv node 'c'", "kernel 7"});
}

TEST(ConvOpsTest, ConvTransposeUpsamplesAndCountsInputSideMacs) {
  OneNode n("ConvTranspose", 11);
  n.f32("x", {1, 16, 14, 14}).w32("w", {16, 8, 4, 4}).w32("b", {8});
  n.attr("strides", Dims{2, 2}).attr("pads", Dims{1, 1, 1, 1});
  ASSERT_TRUE(n.infer().ok());
  EXPECT_EQ(n.out_dims(), (Dims{1, 8, 28, 28}));  // 2 × 13 + 4 − 2
  const OpCost c = n.cost();
  EXPECT_DOUBLE_EQ(c.macs, 16.0 * 14 * 14 * 8 * 16);  // N·C_in·∏in·(C_out/g)·∏k
  EXPECT_DOUBLE_EQ(c.flops, 2 * c.macs + 8.0 * 28 * 28);
}

TEST(ConvOpsTest, ConvTransposeOutputPaddingShapeAndGroups) {
  OneNode pad("ConvTranspose", 11);
  pad.f32("x", {1, 16, 7, 7}).w32("w", {16, 4, 3, 3});
  pad.attr("strides", Dims{2, 2}).attr("pads", Dims{1, 1, 1, 1});
  pad.attr("output_padding", Dims{1, 1}).attr("group", int64_t{2});
  ASSERT_TRUE(pad.infer().ok());
  EXPECT_EQ(pad.out_dims(), (Dims{1, 8, 14, 14}));  // 2 × 6 + 1 + 3 − 2, C_out = 4 × 2
  EXPECT_DOUBLE_EQ(pad.cost().macs, 16.0 * 49 * 4 * 9);

  OneNode shape("ConvTranspose", 11);
  shape.f32("x", {1, 16, 7, 7}).w32("w", {16, 8, 3, 3});
  shape.attr("strides", Dims{2, 2}).attr("output_shape", Dims{15, 15});
  ASSERT_TRUE(shape.infer().ok());
  EXPECT_EQ(shape.out_dims(), (Dims{1, 8, 15, 15}));

  OneNode same("ConvTranspose", 11);
  same.f32("x", {1, 16, 7, 7}).w32("w", {16, 8, 3, 3});
  same.attr("strides", Dims{2, 2}).attr("auto_pad", std::string("SAME_UPPER"));
  ASSERT_TRUE(same.infer().ok());
  EXPECT_EQ(same.out_dims(), (Dims{1, 8, 14, 14}));  // in × stride

  OneNode bad("ConvTranspose", 11, "up");
  bad.f32("x", {1, 16, 7, 7}).w32("w", {8, 8, 3, 3});
  expect_error(bad.infer(), {"ConvTranspose node 'up'", "W.shape[0] = 8"});
}

TEST(ConvOpsTest, QuantizedConvsTypeTheirOutputs) {
  OneNode ci("ConvInteger", 10);
  ci.input("x", DType::kUInt8, {1, 3, 8, 8}).weight("w", DType::kInt8, {4, 3, 3, 3});
  ASSERT_TRUE(ci.infer().ok());
  EXPECT_EQ(ci.out().dtype, DType::kInt32);
  EXPECT_EQ(ci.out_dims(), (Dims{1, 4, 6, 6}));

  OneNode q("QLinearConv", 10);
  q.input("x", DType::kUInt8, {1, 3, 8, 8}).w32("xs", {}).weight("xz", DType::kUInt8, {});
  q.weight("w", DType::kInt8, {4, 3, 3, 3}).w32("ws", {}).weight("wz", DType::kInt8, {});
  q.w32("ys", {}).weight("yz", DType::kUInt8, {});
  ASSERT_TRUE(q.infer().ok());
  EXPECT_EQ(q.out().dtype, DType::kUInt8);
  const double macs = 4.0 * 36 * 27;
  EXPECT_DOUBLE_EQ(q.cost().macs, macs);
  EXPECT_DOUBLE_EQ(q.cost().flops, 2 * macs + 2 * 4.0 * 36);
}

// ---------------------------------------------------------------------------------------------
// MatMul, Gemm, Einsum

TEST(MatMulOpsTest, BatchedBroadcast) {
  OneNode n("MatMul", 13);
  n.f32("a", {2, 1, 4, 8}).f32("b", {3, 8, 5});
  ASSERT_TRUE(n.infer().ok());
  EXPECT_EQ(n.out_dims(), (Dims{2, 3, 4, 5}));
  const OpCost c = n.cost();
  EXPECT_DOUBLE_EQ(c.macs, 2.0 * 3 * 4 * 5 * 8);
  EXPECT_DOUBLE_EQ(c.flops, 2 * c.macs);
  EXPECT_DOUBLE_EQ(c.bytes_read, (64 + 120) * 4.0);
  EXPECT_DOUBLE_EQ(c.bytes_written, 120 * 4.0);
}

TEST(MatMulOpsTest, VectorOperandsArePromotedThenRemoved) {
  OneNode vm("MatMul", 13);
  vm.f32("a", {8}).f32("b", {2, 8, 5});
  ASSERT_TRUE(vm.infer().ok());
  EXPECT_EQ(vm.out_dims(), (Dims{2, 5}));
  EXPECT_DOUBLE_EQ(vm.cost().macs, 2.0 * 5 * 8);

  OneNode mv("MatMul", 13);
  mv.f32("a", {4, 8}).f32("b", {8});
  ASSERT_TRUE(mv.infer().ok());
  EXPECT_EQ(mv.out_dims(), (Dims{4}));

  OneNode dot("MatMul", 13);
  dot.f32("a", {8}).f32("b", {8});
  ASSERT_TRUE(dot.infer().ok());
  EXPECT_EQ(dot.out().rank(), 0);
  EXPECT_DOUBLE_EQ(dot.cost().macs, 8.0);
}

TEST(MatMulOpsTest, InnerDimMismatchNamesTheNode) {
  OneNode n("MatMul", 13, "x");
  n.f32("a", {1, 128, 768}).w32("b", {512, 64});
  expect_error(n.infer(), {"MatMul node 'x': inner dims 768 and 512 differ"});
}

TEST(MatMulOpsTest, GemmTransBLikeBertIntermediate) {
  OneNode n("Gemm", 13);
  n.f32("a", {1, 768}).w32("b", {3072, 768}).w32("c", {3072});
  n.attr("transB", int64_t{1});
  ASSERT_TRUE(n.infer().ok());
  EXPECT_EQ(n.out_dims(), (Dims{1, 3072}));
  const OpCost c = n.cost();
  EXPECT_DOUBLE_EQ(c.macs, 3072.0 * 768);                 // 2,359,296
  EXPECT_DOUBLE_EQ(c.flops, 2 * 3072.0 * 768 + 3072);     // + C add
  EXPECT_DOUBLE_EQ(c.bytes_read, (768 + 3072 * 768 + 3072) * 4.0);
  EXPECT_DOUBLE_EQ(c.bytes_written, 3072 * 4.0);
}

TEST(MatMulOpsTest, GemmAlphaBetaAndTransA) {
  OneNode n("Gemm", 13);
  n.f32("a", {16, 4}).w32("b", {16, 8}).w32("c", {4, 1});
  n.attr("transA", int64_t{1}).attr("alpha", 0.5).attr("beta", 2.0);
  ASSERT_TRUE(n.infer().ok());
  EXPECT_EQ(n.out_dims(), (Dims{4, 8}));
  EXPECT_DOUBLE_EQ(n.cost().flops, 2.0 * 4 * 8 * 16 + 3 * 32.0);  // alpha, C add, beta

  OneNode bad("Gemm", 13, "fc");
  bad.f32("a", {2, 4}).w32("b", {4, 8}).w32("c", {3});
  expect_error(bad.infer(), {"Gemm node 'fc'", "does not broadcast"});
}

TEST(MatMulOpsTest, EinsumAttentionScores) {
  OneNode n("Einsum", 12);
  n.f32("q", {2, 12, 128, 64}).f32("k", {2, 12, 128, 64});
  n.attr("equation", std::string("bhqd,bhkd->bhqk"));
  ASSERT_TRUE(n.infer().ok());
  EXPECT_EQ(n.out_dims(), (Dims{2, 12, 128, 128}));
  const OpCost c = n.cost();
  EXPECT_DOUBLE_EQ(c.macs, 2.0 * 12 * 128 * 128 * 64);  // b·h·q·k·d
  EXPECT_DOUBLE_EQ(c.flops, 2 * c.macs);
}

TEST(MatMulOpsTest, EinsumImplicitEllipsisAndNonContracting) {
  OneNode implicit("Einsum", 12);
  implicit.f32("a", {3, 4}).f32("b", {4, 5}).attr("equation", std::string("ij,jk"));
  ASSERT_TRUE(implicit.infer().ok());
  EXPECT_EQ(implicit.out_dims(), (Dims{3, 5}));
  EXPECT_DOUBLE_EQ(implicit.cost().macs, 60.0);

  OneNode ell("Einsum", 12);
  ell.f32("a", {7, 3, 4}).f32("b", {4, 5}).attr("equation", std::string("...ij, ...jk -> ...ik"));
  ASSERT_TRUE(ell.infer().ok());
  EXPECT_EQ(ell.out_dims(), (Dims{7, 3, 5}));
  EXPECT_DOUBLE_EQ(ell.cost().macs, 7.0 * 3 * 4 * 5);

  OneNode outer("Einsum", 12);
  outer.f32("a", {3}).f32("b", {4}).attr("equation", std::string("i,j->ij"));
  ASSERT_TRUE(outer.infer().ok());
  EXPECT_DOUBLE_EQ(outer.cost().macs, 0.0);
  EXPECT_DOUBLE_EQ(outer.cost().flops, 12.0);

  OneNode transpose("Einsum", 12);
  transpose.f32("a", {3, 4}).attr("equation", std::string("ij->ji"));
  ASSERT_TRUE(transpose.infer().ok());
  EXPECT_EQ(transpose.out_dims(), (Dims{4, 3}));
  EXPECT_DOUBLE_EQ(transpose.cost().flops, 0.0);
}

TEST(MatMulOpsTest, EinsumBadEquationsNameTheNode) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"ij,jk->il", "output label 'l'"},
      {"ij,jk,kl->il", "3 input terms"},
      {"ijk,jk->ik", "rank 2"},
      {"ij,kk->ik", "label 'k' has sizes"},
      {"i2,jk->ik", "unexpected character"},
  };
  for (const auto& [equation, fragment] : cases) {
    OneNode n("Einsum", 12, "e");
    n.f32("a", {3, 4}).f32("b", {4, 5}).attr("equation", equation);
    expect_error(n.infer(), {"Einsum node 'e': bad equation", fragment});
  }
}

TEST(MatMulOpsTest, MatMulIntegerOutputsInt32) {
  OneNode n("MatMulInteger", 10);
  n.input("a", DType::kUInt8, {4, 8}).weight("b", DType::kInt8, {8, 16});
  ASSERT_TRUE(n.infer().ok());
  EXPECT_EQ(n.out().dtype, DType::kInt32);
  EXPECT_EQ(n.out_dims(), (Dims{4, 16}));
  EXPECT_DOUBLE_EQ(n.cost().macs, 4.0 * 8 * 16);
  EXPECT_DOUBLE_EQ(n.cost().bytes_read, 32.0 + 128.0);
}

// ---------------------------------------------------------------------------------------------
// Normalization

TEST(NormOpsTest, LayerNormShapesStatisticsAndFlops) {
  OneNode n("LayerNormalization", 17);
  n.f32("x", {2, 128, 768}).w32("scale", {768}).w32("b", {768});
  ASSERT_TRUE(n.infer(3).ok());
  EXPECT_EQ(n.out_dims(0), (Dims{2, 128, 768}));
  EXPECT_EQ(n.out_dims(1), (Dims{2, 128, 1}));
  EXPECT_EQ(n.out(2).dtype, DType::kFloat32);
  const double elements = 2.0 * 128 * 768;
  EXPECT_DOUBLE_EQ(n.cost().flops, 7 * elements + 4 * 256.0);

  OneNode axis1("LayerNormalization", 17);
  axis1.f32("x", {2, 3, 4}).w32("scale", {3, 4}).attr("axis", int64_t{1});
  ASSERT_TRUE(axis1.infer(2).ok());
  EXPECT_EQ(axis1.out_dims(1), (Dims{2, 1, 1}));
  EXPECT_DOUBLE_EQ(axis1.cost().flops, 6 * 24.0 + 4 * 2.0);  // no B: 6 per element

  OneNode bad("LayerNormalization", 17, "ln");
  bad.f32("x", {2, 3, 4}).w32("scale", {3});
  expect_error(bad.infer(), {"LayerNormalization node 'ln'", "Scale [3] does not broadcast"});
}

TEST(NormOpsTest, BatchNormInferenceAndTraining) {
  OneNode n("BatchNormalization", 15);
  n.f32("x", {1, 64, 112, 112});
  for (const char* p : {"scale", "b", "mean", "var"}) n.w32(p, {64});
  ASSERT_TRUE(n.infer().ok());
  EXPECT_EQ(n.out_dims(), (Dims{1, 64, 112, 112}));
  EXPECT_DOUBLE_EQ(n.cost().flops, 2.0 * 64 * 112 * 112);
  EXPECT_DOUBLE_EQ(n.cost().macs, 0.0);

  OneNode t("BatchNormalization", 15);
  t.f32("x", {2, 8, 4, 4});
  for (const char* p : {"scale", "b", "mean", "var"}) t.w32(p, {8});
  t.attr("training_mode", int64_t{1});
  ASSERT_TRUE(t.infer(3).ok());
  EXPECT_EQ(t.out_dims(2), (Dims{8}));
  EXPECT_DOUBLE_EQ(t.cost().flops, 6.0 * 256);

  OneNode bad("BatchNormalization", 15, "bn1");
  bad.f32("x", {1, 64, 8, 8}).w32("scale", {32});
  for (const char* p : {"b", "mean", "var"}) bad.w32(p, {64});
  expect_error(bad.infer(), {"BatchNormalization node 'bn1'", "scale shape [32], expected [64]"});
}

TEST(NormOpsTest, GroupNormScaleLayoutFollowsOpset) {
  OneNode g18("GroupNormalization", 18);
  g18.f32("x", {2, 32, 8, 8}).w32("scale", {8}).w32("bias", {8}).attr("num_groups", int64_t{8});
  ASSERT_TRUE(g18.infer().ok());
  EXPECT_DOUBLE_EQ(g18.cost().flops, 7 * 4096.0 + 4 * 16.0);

  OneNode g21("GroupNormalization", 21);
  g21.f32("x", {2, 32, 8, 8}).w32("scale", {32}).w32("bias", {32}).attr("num_groups", int64_t{8});
  ASSERT_TRUE(g21.infer().ok());

  OneNode bad("GroupNormalization", 21, "gn");
  bad.f32("x", {2, 32, 8, 8}).w32("scale", {8}).w32("bias", {8}).attr("num_groups", int64_t{8});
  expect_error(bad.infer(), {"GroupNormalization node 'gn'", "expected [32]"});

  OneNode indivisible("GroupNormalization", 18, "gn");
  indivisible.f32("x", {2, 30, 8, 8}).w32("scale", {8}).w32("bias", {8});
  indivisible.attr("num_groups", int64_t{8});
  expect_error(indivisible.infer(), {"num_groups 8 does not divide the 30 channels"});
}

TEST(NormOpsTest, InstanceRmsLpMvnAndLrn) {
  OneNode in("InstanceNormalization", 6);
  in.f32("x", {2, 4, 5, 5}).w32("s", {4}).w32("b", {4});
  ASSERT_TRUE(in.infer().ok());
  EXPECT_DOUBLE_EQ(in.cost().flops, 7 * 200.0 + 4 * 8.0);

  OneNode rms("RMSNormalization", 23);
  rms.f32("x", {1, 16, 4096}).w32("scale", {4096});
  ASSERT_TRUE(rms.infer().ok());
  EXPECT_DOUBLE_EQ(rms.cost().flops, 4 * 65536.0 + 3 * 16.0);

  OneNode lp("LpNormalization", 1);
  lp.f32("x", {3, 10});
  ASSERT_TRUE(lp.infer().ok());
  EXPECT_DOUBLE_EQ(lp.cost().flops, 3 * 30.0 + 3);

  OneNode mvn("MeanVarianceNormalization", 13);
  mvn.f32("x", {2, 3, 4, 4});
  ASSERT_TRUE(mvn.infer().ok());
  EXPECT_DOUBLE_EQ(mvn.cost().flops, 5 * 96.0 + 4 * 3.0);  // groups = channels

  OneNode lrn("LRN", 13);
  lrn.f32("x", {1, 96, 55, 55}).attr("size", int64_t{5});
  ASSERT_TRUE(lrn.infer().ok());
  EXPECT_DOUBLE_EQ(lrn.cost().flops, 10 * 96.0 * 55 * 55);
}

// ---------------------------------------------------------------------------------------------
// Pooling

TEST(PoolOpsTest, ResNetMaxPoolWithIndices) {
  OneNode n("MaxPool", 12);
  n.f32("x", {1, 64, 112, 112});
  n.attr("kernel_shape", Dims{3, 3}).attr("strides", Dims{2, 2}).attr("pads", Dims{1, 1, 1, 1});
  ASSERT_TRUE(n.infer(2).ok());
  EXPECT_EQ(n.out_dims(0), (Dims{1, 64, 56, 56}));  // floor((112 + 2 − 3) / 2) + 1
  EXPECT_EQ(n.out(1).dtype, DType::kInt64);
  EXPECT_EQ(n.out_dims(1), (Dims{1, 64, 56, 56}));
  const OpCost c = n.cost();
  EXPECT_DOUBLE_EQ(c.flops, 64.0 * 56 * 56 * 9);
  EXPECT_DOUBLE_EQ(c.bytes_written, 64.0 * 56 * 56 * (4 + 8));
}

TEST(PoolOpsTest, CeilModeRoundsUpButDropsWindowsInRightPadding) {
  auto pool = [](const Dims& x, int64_t k, int64_t s, int64_t p, int64_t ceil) {
    OneNode n("AveragePool", 19);
    n.f32("x", x).attr("kernel_shape", Dims{k, k}).attr("strides", Dims{s, s});
    n.attr("pads", Dims{p, p, p, p}).attr("ceil_mode", ceil);
    EXPECT_TRUE(n.infer().ok());
    return n.out_dims()[2];
  };
  EXPECT_EQ(pool({1, 1, 6, 6}, 3, 2, 0, 0), 2);
  EXPECT_EQ(pool({1, 1, 6, 6}, 3, 2, 0, 1), 3);
  EXPECT_EQ(pool({1, 1, 112, 112}, 3, 2, 0, 1), 56);  // GoogLeNet pool1: ceil(109 / 2) + 1
  // ceil((9 + 4 − 4) / 4) + 1 = 4, but the 4th window would start at 12 ≥ 9 + 2: PyTorch gives 3.
  EXPECT_EQ(pool({1, 1, 9, 9}, 4, 4, 2, 1), 3);
}

TEST(PoolOpsTest, AveragePoolDilationsFromOpset19) {
  for (const auto& [opset, expected] : std::vector<std::pair<int, int64_t>>{{11, 5}, {19, 3}}) {
    OneNode n("AveragePool", opset);
    n.f32("x", {1, 1, 7, 7}).attr("kernel_shape", Dims{3, 3}).attr("dilations", Dims{2, 2});
    ASSERT_TRUE(n.infer().ok());
    EXPECT_EQ(n.out_dims()[2], expected) << "opset " << opset;
  }
  OneNode avg("AveragePool", 11);
  avg.f32("x", {1, 8, 7, 7}).attr("kernel_shape", Dims{7, 7});
  ASSERT_TRUE(avg.infer().ok());
  EXPECT_DOUBLE_EQ(avg.cost().flops, 8.0 * (49 + 1));
}

TEST(PoolOpsTest, GlobalPoolsAndLpPool) {
  OneNode gap("GlobalAveragePool", 1);
  gap.f32("x", {1, 2048, 7, 7});
  ASSERT_TRUE(gap.infer().ok());
  EXPECT_EQ(gap.out_dims(), (Dims{1, 2048, 1, 1}));
  EXPECT_DOUBLE_EQ(gap.cost().flops, 2048.0 * 49 + 2048);
  EXPECT_EQ(OpRegistry::global().find("", "GlobalAveragePool")->op_class, OpClass::kReduction);

  OneNode lp("LpPool", 18);
  lp.f32("x", {1, 4, 8, 8}).attr("kernel_shape", Dims{2, 2}).attr("strides", Dims{2, 2});
  ASSERT_TRUE(lp.infer().ok());
  EXPECT_EQ(lp.out_dims(), (Dims{1, 4, 4, 4}));
  EXPECT_DOUBLE_EQ(lp.cost().flops, 64.0 * (2 * 4 + 1));
}

TEST(PoolOpsTest, MissingKernelShapeIsAnError) {
  OneNode n("MaxPool", 12, "pool1");
  n.f32("x", {1, 3, 8, 8});
  expect_error(n.infer(), {"MaxPool node 'pool1': attribute kernel_shape is required"});
  OneNode p("MaxPool", 12, "pool1");
  p.f32("x", {1, 3, 8, 8}).attr("kernel_shape", Dims{2, 2}).attr("pads", Dims{1, 1});
  expect_error(p.infer(), {"pads has 2 values, expected 4"});
}

// ---------------------------------------------------------------------------------------------
// Reductions and softmax

TEST(ReductionOpsTest, ReduceMeanAxesAttributeBeforeOpset18) {
  OneNode keep("ReduceMean", 13);
  keep.f32("x", {2, 3, 4}).attr("axes", Dims{1});
  ASSERT_TRUE(keep.infer().ok());
  EXPECT_EQ(keep.out_dims(), (Dims{2, 1, 4}));
  EXPECT_DOUBLE_EQ(keep.cost().flops, 24.0 + 8.0);  // adds + divides

  OneNode drop("ReduceMean", 13);
  drop.f32("x", {2, 3, 4}).attr("axes", Dims{-1, 0}).attr("keepdims", int64_t{0});
  ASSERT_TRUE(drop.infer().ok());
  EXPECT_EQ(drop.out_dims(), (Dims{3}));

  OneNode wrong("ReduceMean", 13, "r");
  wrong.f32("x", {2, 3, 4}).axes({1});
  expect_error(wrong.infer(), {"ReduceMean node 'r'", "attribute before opset 18"});
}

TEST(ReductionOpsTest, ReduceMeanAxesInputFromOpset18) {
  OneNode n("ReduceMean", 18);
  n.f32("x", {2, 3, 4}).axes({1});
  ASSERT_TRUE(n.infer().ok());
  EXPECT_EQ(n.out_dims(), (Dims{2, 1, 4}));
  EXPECT_DOUBLE_EQ(n.cost().bytes_read, 24 * 4.0 + 8.0);  // data + the int64 axes

  OneNode all("ReduceMean", 18);
  all.f32("x", {2, 3, 4});
  ASSERT_TRUE(all.infer().ok());
  EXPECT_EQ(all.out_dims(), (Dims{1, 1, 1}));

  OneNode noop("ReduceMean", 18);
  noop.f32("x", {2, 3, 4}).attr("noop_with_empty_axes", int64_t{1});
  ASSERT_TRUE(noop.infer().ok());
  EXPECT_EQ(noop.out_dims(), (Dims{2, 3, 4}));
  EXPECT_DOUBLE_EQ(noop.cost().flops, 0.0);

  OneNode attr("ReduceMean", 18, "r");
  attr.f32("x", {2, 3, 4}).attr("axes", Dims{1});
  expect_error(attr.infer(), {"'axes' is an input since opset 18"});

  // Axes unknown at analysis time: each kept dim is data-dependent, at most the input's.
  OneNode unknown("ReduceMean", 18, "r");
  unknown.f32("x", {2, 3, 4}).f32("axes", {1});
  ASSERT_TRUE(unknown.infer().ok());
  EXPECT_EQ(unknown.out_dims(), (Dims{2, 3, 4}));

  OneNode twice("ReduceMean", 18, "r");
  twice.f32("x", {2, 3, 4}).axes({1, -2});
  expect_error(twice.infer(), {"twice"});
}

TEST(ReductionOpsTest, ReduceSumTakesAxesInputFromOpset13AndArgMax) {
  OneNode sum("ReduceSum", 13);
  sum.f32("x", {2, 3, 4}).axes({2}).attr("keepdims", int64_t{0});
  ASSERT_TRUE(sum.infer().ok());
  EXPECT_EQ(sum.out_dims(), (Dims{2, 3}));
  EXPECT_DOUBLE_EQ(sum.cost().flops, 24.0);

  OneNode lse("ReduceLogSumExp", 13);
  lse.f32("x", {2, 3, 4}).attr("axes", Dims{2});
  ASSERT_TRUE(lse.infer().ok());
  EXPECT_DOUBLE_EQ(lse.cost().flops, 4 * 24.0 + 2 * 6.0);

  OneNode arg("ArgMax", 13);
  arg.f32("x", {2, 3, 4}).attr("axis", int64_t{1}).attr("keepdims", int64_t{0});
  ASSERT_TRUE(arg.infer().ok());
  EXPECT_EQ(arg.out_dims(), (Dims{2, 4}));
  EXPECT_EQ(arg.out().dtype, DType::kInt64);
  EXPECT_DOUBLE_EQ(arg.cost().flops, 24.0);
}

TEST(SoftmaxOpsTest, DefaultAxisDependsOnOpset) {
  // Opset 11: coerced 2-D at axis 1 → 2 rows of 12. Opset 13: axis −1 → 6 rows of 4.
  for (const auto& [opset, rows] : std::vector<std::pair<int, double>>{{11, 2}, {13, 6}}) {
    OneNode sm("Softmax", opset);
    sm.f32("x", {2, 3, 4});
    ASSERT_TRUE(sm.infer().ok());
    EXPECT_EQ(sm.out_dims(), (Dims{2, 3, 4}));
    EXPECT_DOUBLE_EQ(sm.cost().flops, 5 * 24.0);

    OneNode log("LogSoftmax", opset);
    log.f32("x", {2, 3, 4});
    ASSERT_TRUE(log.infer().ok());
    EXPECT_DOUBLE_EQ(log.cost().flops, 5 * 24.0 + rows) << "opset " << opset;
  }
  EXPECT_EQ(OpRegistry::global().find("", "Hardmax")->op_class, OpClass::kSoftmax);
}

TEST(SoftmaxOpsTest, AxisOutOfRangeNamesTheNode) {
  OneNode n("Softmax", 13, "attn.softmax");
  n.f32("x", {2, 3, 4}).attr("axis", int64_t{3});
  expect_error(n.infer(), {"Softmax node 'attn.softmax'", "axis 3 out of range for rank 3"});
}

}  // namespace
}  // namespace graphs
