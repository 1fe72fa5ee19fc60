// Tensor-parallel planner on convolutions (tp_planner.h): ResNet pairs conv1 → bn1 → conv2 and
// keeps what meets the residual stream whole, grouped convs split with whole groups, the
// collectives' bytes and times against hand calculations, and the rule that a plan splitting a
// negligible share of the weights claims no speedup.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "graphs/analysis/shape_inference.h"
#include "graphs/parallel/tp_json.h"
#include "graphs/parallel/tp_planner.h"
#include "graphs/parallel/tp_run.h"
#include "graphs/zoo/graph_builder.h"
#include "zoo_test_util.h"

namespace graphs {
namespace {

using zoo::attrs;
using zoo::GraphBuilder;
using zoo::Ints;

const Graph& zoo_graph(const std::string& name) {
  static std::map<std::string, Graph> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    Graph g;
    DimBindings dims;
    dims.batch = 1;
    EXPECT_TRUE(testing_util::prepare_zoo_model(name, &g, dims));
    it = cache.emplace(name, std::move(g)).first;
  }
  return it->second;
}

TpPlan plan_of(const Graph& g, const std::string& model, int64_t n) {
  TpPlanOptions o;
  o.world_size = n;
  auto plan = plan_tensor_parallel(g, model, o);
  EXPECT_TRUE(plan.ok()) << (plan.ok() ? "" : plan.error().message());
  return plan.ok() ? *plan : TpPlan{};
}

std::map<std::string, TpStrategy> strategies(const TpPlan& p) {
  std::map<std::string, TpStrategy> s;
  for (const TpLayer& l : p.layers) s[l.module] = l.strategy;
  return s;
}

std::map<std::string, std::string> reasons(const TpPlan& p) {
  std::map<std::string, std::string> r;
  for (const TpLayer& l : p.replicated_layers) r[l.module] = l.reason;
  return r;
}

// Input 1×3×16×16 → conv a (3→8, 3×3) → BatchNorm → Relu → conv g (8→8, 3×3, 4 groups) → Relu
// → conv b (8→4, 1×1): one pair with two channel-parallel layers between.
Graph grouped_graph() {
  GraphBuilder b("grouped");
  ValueId x = b.input("x", DType::kFloat32, {Dim::fixed(1), Dim::fixed(3), Dim::fixed(16),
                                             Dim::fixed(16)});
  x = b.conv2d("a", x, 3, 8, 3, 1, 1, 1, true);
  x = b.batch_norm("bn", x, 8);
  x = b.op("Relu", "relu1", {x});
  x = b.conv2d("g", x, 8, 8, 3, 1, 1, 4);
  x = b.op("Relu", "relu2", {x});
  b.output(b.conv2d("b", x, 8, 4, 1, 1, 0));
  Graph g = b.finish();
  EXPECT_TRUE(infer_shapes(g).ok());
  return g;
}

TEST(TpConvTest, Resnet18PairsConv1Bn1Conv2OfEveryBlock) {
  for (int64_t n : {1, 2, 4}) {
    SCOPED_TRACE(n);
    const TpPlan p = plan_of(zoo_graph("resnet18"), "resnet18", n);
    const auto s = strategies(p);
    for (const char* block : {"layer1.0", "layer1.1", "layer2.0", "layer2.1", "layer3.0",
                              "layer3.1", "layer4.0", "layer4.1"}) {
      const std::string b = block;
      EXPECT_EQ(s.at(b + ".conv1"), TpStrategy::kColumn) << b;
      EXPECT_EQ(s.at(b + ".bn1"), TpStrategy::kChannel) << b;
      EXPECT_EQ(s.at(b + ".conv2"), TpStrategy::kRow) << b;
      EXPECT_EQ(s.count(b + ".bn2"), 0u) << b;  // after the all-reduce: whole
    }
    EXPECT_EQ(s.at("fc"), TpStrategy::kColumn);
    EXPECT_EQ(p.conv_pairs, 8);
    EXPECT_EQ(p.row_groups, 8);
    EXPECT_EQ(p.all_reduces, 8);
    EXPECT_EQ(p.all_gathers, 1);
    EXPECT_EQ(p.layers.size(), 25u);
    // The stem and the downsample convs meet the residual stream before another conv.
    const auto r = reasons(p);
    EXPECT_EQ(r.at("conv1"), "its output joins another activation at Add node 'layer1.0.add' "
                             "(a residual connection)");
    EXPECT_NE(r.at("layer2.0.downsample.0").find("residual connection"), std::string::npos);
    EXPECT_NE(r.at("layer4.0.downsample.0").find("residual connection"), std::string::npos);
    EXPECT_EQ(r.size(), 4u);
  }
}

TEST(TpConvTest, Resnet18ShardedParametersByHand) {
  // Per pair: conv1 in·p·9 + conv2 p·p·9 + bn1 2p; fc 512·1000 + 1000.
  int64_t sharded = 512 * 1000 + 1000;
  int64_t in = 64;
  for (int64_t p : {64, 128, 256, 512}) {
    for (int block = 0; block < 2; ++block) {
      sharded += in * p * 9 + p * p * 9 + 2 * p;
      in = p;
    }
  }
  const TpPlan p = plan_of(zoo_graph("resnet18"), "resnet18", 4);
  EXPECT_EQ(p.total_params, 11689512);  // torchvision's count
  EXPECT_EQ(p.sharded_params, sharded);
  EXPECT_EQ(p.replicated_params, 11689512 - sharded);
  EXPECT_EQ(p.params_per_rank(), sharded / 4 + 11689512 - sharded);
  EXPECT_NEAR(p.split_weight_fraction(), static_cast<double>(sharded) / 11689512, 1e-15);
}

TEST(TpConvTest, Resnet18CommunicationByHand) {
  // Batch 4, 2-byte elements, N = 4, 100 GB/s per direction, 1 µs per ring step. Forward: an
  // all-reduce of each row conv's output (2 per stage: p × h × h, h = 56, 28, 14, 7) and an
  // all-gather of the 1000 logits. Backward (training): an all-reduce of each column conv's
  // input and of fc's 512 inputs.
  const TpPlan p = plan_of(zoo_graph("resnet18"), "resnet18", 4);
  HardwareModel hw;
  hw.memory_bytes = 80e9;
  TpAnalysisOptions o;
  o.phase = TpPhase::kTraining;
  o.batch = 4;
  o.bytes_per_element = 2;
  o.single_device_latency_s = 1.0;
  o.interconnect = Interconnect{"link", 100e9, 1e-6};
  const TpAnalysis a = analyze_tensor_parallel(p, hw, o);
  const double bw = 100e9;
  double fwd_bytes = 0, fwd_s = 0;
  const int64_t planes[] = {64, 128, 256, 512}, side[] = {56, 28, 14, 7};
  for (int s = 0; s < 4; ++s) {
    const double payload = 4.0 * static_cast<double>(planes[s] * side[s] * side[s]) * 2;
    fwd_bytes += 2 * 1.5 * payload;
    fwd_s += 2 * (1.5 * payload / bw + 6e-6);
  }
  const double gather = 4.0 * 1000 * 2;
  fwd_bytes += 0.75 * gather;
  fwd_s += 0.75 * gather / bw + 3e-6;
  EXPECT_DOUBLE_EQ(a.comm_forward_bytes_per_rank, fwd_bytes);
  EXPECT_NEAR(a.comm_forward_s, fwd_s, 1e-12);
  const int64_t inputs[] = {64 * 56 * 56, 64 * 56 * 56, 64 * 56 * 56, 128 * 28 * 28,
                            128 * 28 * 28, 256 * 14 * 14, 256 * 14 * 14, 512 * 7 * 7, 512};
  double bwd_bytes = 0;
  for (int64_t e : inputs) bwd_bytes += 1.5 * 4.0 * static_cast<double>(e) * 2;
  EXPECT_DOUBLE_EQ(a.comm_backward_bytes_per_rank, bwd_bytes);
  EXPECT_EQ(a.backward_all_reduces, 9);
  // The largest forward all-reduce: layer1's 64 × 56 × 56.
  EXPECT_DOUBLE_EQ(a.all_reduce_payload_bytes, 4.0 * 64 * 56 * 56 * 2);
  EXPECT_DOUBLE_EQ(a.tokens, 4);  // samples: no token embedding, seq does not count
  ASSERT_FALSE(a.collectives.empty());
  EXPECT_EQ(a.collectives.front().first_module, "layer1.0.conv2");
  EXPECT_EQ(a.collectives.front().count, 2);
}

TEST(TpConvTest, Resnet50BottleneckPairsConv1WithConv2) {
  const TpPlan p = plan_of(zoo_graph("resnet50"), "resnet50", 2);
  const auto s = strategies(p);
  EXPECT_EQ(s.at("layer1.0.conv1"), TpStrategy::kColumn);
  EXPECT_EQ(s.at("layer1.0.bn1"), TpStrategy::kChannel);
  EXPECT_EQ(s.at("layer1.0.conv2"), TpStrategy::kRow);
  EXPECT_EQ(s.count("layer1.0.conv3"), 0u);
  EXPECT_EQ(p.conv_pairs, 16);
  const auto r = reasons(p);
  EXPECT_NE(r.at("layer3.2.conv3").find("residual connection"), std::string::npos);
  EXPECT_EQ(r.at("conv1"), "its output reaches 2 convolutions");  // conv1 and downsample
}

TEST(TpConvTest, GroupedConvSplitsWithWholeGroups) {
  const Graph g = grouped_graph();
  const TpPlan p2 = plan_of(g, "grouped", 2);
  EXPECT_EQ(strategies(p2), (std::map<std::string, TpStrategy>{{"a", TpStrategy::kColumn},
                                                               {"bn", TpStrategy::kChannel},
                                                               {"g", TpStrategy::kChannel},
                                                               {"b", TpStrategy::kRow}}));
  for (const TpLayer& l : p2.layers) {
    if (l.module == "g") EXPECT_EQ(l.groups, 4);
  }
  EXPECT_EQ(p2.replicated_params, 0);  // a's bias and bn's scale and shift split too
  EXPECT_EQ(p2.sharded_params, 3 * 8 * 9 + 8 + 2 * 8 + 8 * 2 * 9 + 8 * 4);
  TpPlanOptions o;
  o.world_size = 8;
  auto p8 = plan_tensor_parallel(g, "grouped", o);
  ASSERT_FALSE(p8.ok());
  EXPECT_EQ(p8.error().message(),
            "grouped: grouped convolution 'g': 4 groups not divisible by world size 8");
}

// Input → conv "stem" (3→1024, 9×9) → Relu → GlobalAveragePool → Flatten → Linear "head"
// (1024→10): only the head splits, 3.96 % of the parameters.
Graph head_only_graph() {
  GraphBuilder b("head-only");
  ValueId x = b.input("x", DType::kFloat32, {Dim::fixed(1), Dim::fixed(3), Dim::fixed(32),
                                             Dim::fixed(32)});
  x = b.conv2d("stem", x, 3, 1024, 9, 1, 4);
  x = b.op("Relu", "relu", {x});
  x = b.op("GlobalAveragePool", "pool", {x});
  x = b.op("Flatten", "flatten", {x}, attrs({{"axis", int64_t{1}}}));
  b.output(b.gemm_linear("head", x, 1024, 10, "logits"));
  Graph g = b.finish();
  EXPECT_TRUE(infer_shapes(g).ok());
  return g;
}

TEST(TpConvTest, NegligibleSplitClaimsNoSpeedup) {
  const Graph g = head_only_graph();
  const TpPlan p = plan_of(g, "head-only", 2);
  ASSERT_EQ(p.layers.size(), 1u);
  EXPECT_EQ(p.layers.front().module, "head");
  EXPECT_EQ(reasons(p).at("stem"), "Flatten node 'flatten' on the way is not channel-local");
  EXPECT_NEAR(p.split_weight_fraction(), 10250.0 / (3 * 1024 * 81 + 10250), 1e-12);
  HardwareModel hw;
  hw.memory_bytes = 1e9;
  TpAnalysisOptions o;
  o.single_device_latency_s = 1.0;
  o.split_work_fraction = 1.0;  // even if every kernel split, the weights say otherwise
  const TpAnalysis a = analyze_tensor_parallel(p, hw, o);
  EXPECT_FALSE(a.speedup_claimed);
  EXPECT_DOUBLE_EQ(a.speedup, 1.0);
  EXPECT_DOUBLE_EQ(a.scaling_efficiency, 0.5);
  EXPECT_DOUBLE_EQ(a.latency_s, a.single_device_latency_s);
  EXPECT_EQ(a.speedup_note, "nothing of weight split: 4.0 % of the parameters (< 5 %); every "
                            "rank runs essentially the whole model, so no speedup is claimed");
  const auto j = nlohmann::json::parse(tp_plan_to_json(p, &a, &o));
  EXPECT_EQ(j["analysis"]["latency"]["speedup"], 1.0);
  EXPECT_EQ(j["analysis"]["latency"]["speedup_claimed"], false);
  EXPECT_NEAR(j["analysis"]["parameters"]["split_weight_fraction"].get<double>(), 0.0396, 1e-4);
}

TEST(TpConvTest, ComputeIsAmdahlOnTheSplitWork) {
  const TpPlan p = plan_of(zoo_graph("resnet18"), "resnet18", 4);
  HardwareModel hw;
  hw.memory_bytes = 1e9;
  TpAnalysisOptions o;
  o.single_device_latency_s = 1.0;
  o.split_work_fraction = 0.5;  // no link: no communication time
  const TpAnalysis a = analyze_tensor_parallel(p, hw, o);
  EXPECT_TRUE(a.speedup_claimed);
  EXPECT_DOUBLE_EQ(a.compute_s, 0.5 + 0.5 / 4);
  EXPECT_DOUBLE_EQ(a.speedup, 1.0 / 0.625);
}

TEST(TpConvTest, SplitWorkFractionFromKernelAnchors) {
  const Graph g = head_only_graph();
  const TpPlan p = plan_of(g, "head-only", 2);
  std::map<std::string, NodeId> id;
  for (NodeId i = 0; i < static_cast<NodeId>(g.nodes.size()); ++i) id[g.node(i).name] = i;
  Partition part;
  Estimate est;
  const std::pair<const char*, double> kernels[] = {{"stem", 3}, {"relu", 1}, {"head", 1}};
  for (const auto& [name, latency_s] : kernels) {
    FusedKernel k;
    k.nodes = {id.at(name)};
    part.kernels.push_back(k);
    KernelEstimate ke;
    ke.latency_s = latency_s;
    est.kernels.push_back(ke);
  }
  est.latency_s = 6;  // 1 s outside kernels (launch overheads, copies): replicated
  EXPECT_DOUBLE_EQ(split_work_fraction(p, part, est), 1.0 / 6);
  est.latency_s = 0;
  EXPECT_DOUBLE_EQ(split_work_fraction(p, part, est), 1.0);
}

TEST(TpConvTest, TransposedLinearWeightsPair) {
  // nn.Linear exported without constant folding: MatMul(x, Transpose(W)), W [out, in].
  GraphBuilder b("mlp");
  ValueId x = b.input("x", DType::kFloat32, {Dim::fixed(2), Dim::fixed(8), Dim::fixed(16)});
  auto linear = [&](const std::string& m, ValueId in, int64_t fin, int64_t fout) {
    ValueId w = b.parameter(m + ".weight", {fout, fin});
    ValueId t = b.op("Transpose", "/" + m + "/Transpose", {w}, attrs({{"perm", Ints{1, 0}}}));
    return b.op("MatMul", "/" + m + "/MatMul", {in, t});
  };
  x = linear("0", x, 16, 64);
  x = b.op("Relu", "/1/Relu", {x});
  b.output(linear("2", x, 64, 16));
  Graph g = b.finish();
  ASSERT_TRUE(infer_shapes(g).ok());
  const TpPlan p = plan_of(g, "mlp", 2);
  ASSERT_EQ(p.layers.size(), 2u);
  EXPECT_EQ(p.layers[0].module, "0");
  EXPECT_EQ(p.layers[0].strategy, TpStrategy::kColumn);
  EXPECT_EQ(p.layers[0].in_features, 16);
  EXPECT_EQ(p.layers[0].out_features, 64);
  EXPECT_EQ(p.layers[1].module, "2");
  EXPECT_EQ(p.layers[1].strategy, TpStrategy::kRow);
  EXPECT_EQ(p.layers[1].in_features, 64);
  EXPECT_FALSE(p.per_token);  // no token embedding: collectives per sample (8 × 16 elements)
  ASSERT_EQ(p.collectives.size(), 2u);
  EXPECT_EQ(p.collectives[0].elements_per_unit, 8 * 16);
}

TEST(TpConvTest, JsonNamesNodesAndChannelLayers) {
  const TpPlan p = plan_of(zoo_graph("resnet18"), "resnet18", 2);
  const auto j = nlohmann::json::parse(tp_plan_to_json(p, nullptr, nullptr));
  EXPECT_EQ(j["schema_version"], kTpPlanSchemaVersion);
  EXPECT_EQ(j["layers"][0],
            (nlohmann::json{{"module", "layer1.0.conv1"}, {"node", "layer1.0.conv1"},
                            {"strategy", "column"}, {"gather_output", false}}));
  EXPECT_EQ(j["layers"][1], (nlohmann::json{{"module", "layer1.0.bn1"}, {"node", "layer1.0.bn1"},
                                            {"strategy", "channel"}}));
  EXPECT_EQ(j["layers"][2]["input_is_parallel"], true);
}

}  // namespace
}  // namespace graphs
