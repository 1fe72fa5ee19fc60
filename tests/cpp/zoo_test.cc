// Zoo models against published figures and hand calculations.
//
// Parameters: count_parameters (floating initializers with > 1 element, BatchNorm running
// statistics counted apart as buffers) against the PyTorch sum(p.numel() for p in parameters()).
// MACs: every Conv/Gemm/MatMul node's MACs from the inferred shapes (out elements × reduction
// length), and the op registry's cost rule for the same node, against a hand calculation from the
// architecture (within 0.5 %) and torchvision's published "GFLOPS" (MACs, within rounding).
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "graphs/analysis/characterize.h"
#include "graphs/analysis/shape_inference.h"
#include "graphs/ops/op_registry.h"
#include "graphs/zoo/zoo.h"
#include "zoo_test_util.h"

namespace graphs {
namespace {

using testing_util::numel;
using testing_util::prepare_zoo_model;
std::vector<int64_t> dims_of(const Graph& g, ValueId id) { return g.value(id).type.dims(); }


struct MacCount {
  double from_shapes = 0;    // out elements × reduction length, per node
  double from_rules = 0;     // OpSchema::cost(...).macs, per node
  std::vector<std::string> missing_cost_rules;
};

MacCount count_macs(const Graph& g) {
  MacCount count;
  for (const Node& node : g.nodes) {
    if (node.op_type != "Conv" && node.op_type != "Gemm" && node.op_type != "MatMul") continue;
    const auto out = dims_of(g, node.outputs[0]);
    const auto a = dims_of(g, node.inputs[0]);
    const auto b = dims_of(g, node.inputs[1]);
    if (node.op_type == "Conv") {
      count.from_shapes += numel(out) * numel(std::vector<int64_t>(b.begin() + 1, b.end()));
    } else if (node.op_type == "Gemm") {
      const int64_t k = node.attrs.get_int("transA", 0) ? a[0] : a[1];
      count.from_shapes += numel(out) * static_cast<double>(k);
    } else {
      count.from_shapes += numel(out) * static_cast<double>(a.back());
    }
    const OpSchema* schema = OpRegistry::global().find(node.domain, node.op_type);
    if (!schema || !schema->cost) {
      count.missing_cost_rules.push_back(node.op_type);
      continue;
    }
    CostContext ctx{node, node.opset, {}, {}, {}};
    for (ValueId v : node.inputs) ctx.inputs.push_back(v == kNoValue ? nullptr : &g.value(v));
    for (ValueId v : node.outputs) ctx.outputs.push_back(v == kNoValue ? nullptr : &g.value(v));
    count.from_rules += schema->cost(ctx).macs;
  }
  return count;
}

// Checks MACs against the hand value (0.5 %) and, when given, the published figure in GMACs
// rounded to two decimals.
void expect_macs(const Graph& g, double hand, double published_g = 0) {
  const MacCount macs = count_macs(g);
  EXPECT_NEAR(macs.from_shapes, hand, 0.005 * hand) << g.name << " MACs from inferred shapes";
  EXPECT_TRUE(macs.missing_cost_rules.empty())
      << g.name << ": no cost rule for " << macs.missing_cost_rules.front();
  if (macs.missing_cost_rules.empty()) {
    EXPECT_NEAR(macs.from_rules, hand, 0.005 * hand) << g.name << " MACs from cost rules";
  }
  if (published_g > 0) {
    EXPECT_LE(std::abs(macs.from_shapes / 1e9 - published_g), 0.005 + 1e-9)
        << g.name << ": " << macs.from_shapes / 1e9 << " GMACs vs published " << published_g;
  }
}

void expect_output(const Graph& g, std::size_t index, const std::string& name,
                   const std::vector<int64_t>& shape) {
  ASSERT_LT(index, g.outputs.size());
  const Value& v = g.value(g.outputs[index]);
  EXPECT_EQ(v.name, name);
  EXPECT_EQ(v.type.dtype, DType::kFloat32);
  EXPECT_EQ(v.type.dims(), shape) << v.type.to_string();
}

// ---- hand calculations from the architectures -------------------------------------------------

double resnet_hand_macs(const std::vector<int>& blocks, bool bottleneck) {
  double m = 112.0 * 112 * 64 * 3 * 7 * 7;  // conv1
  double hw = 56, in = 64;
  for (std::size_t s = 0; s < blocks.size(); ++s) {
    const double planes = 64 << s;
    for (int i = 0; i < blocks[s]; ++i) {
      const double stride = (i == 0 && s > 0) ? 2 : 1, ho = hw / stride;
      if (bottleneck) {
        const double out = 4 * planes;
        m += hw * hw * in * planes + ho * ho * planes * planes * 9 + ho * ho * planes * out;
        if (i == 0) m += ho * ho * in * out;  // downsample
        in = out;
      } else {
        m += ho * ho * in * planes * 9 + ho * ho * planes * planes * 9;
        if (stride != 1 || in != planes) m += ho * ho * in * planes;
        in = planes;
      }
      hw = ho;
    }
  }
  return m + in * 1000;  // fc
}

double mobilenet_v2_hand_macs() {
  const double settings[][4] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  double m = 112.0 * 112 * 32 * 3 * 9, hw = 112, in = 32;
  for (const auto& s : settings) {
    for (int i = 0; i < s[2]; ++i) {
      const double hidden = in * s[0], ho = hw / (i == 0 ? s[3] : 1);
      if (s[0] != 1) m += hw * hw * in * hidden;  // expand 1x1
      m += ho * ho * hidden * 9 + ho * ho * hidden * s[1];  // depthwise 3x3, project 1x1
      in = s[1];
      hw = ho;
    }
  }
  return m + hw * hw * in * 1280 + 1280.0 * 1000;
}

// Backbone convs of a torchvision ResNeXt (Bottlenecks, `groups` × `width_per_group`) on a
// square `image`, stem to layer4 (no fc).
double resnext_body_hand_macs(double image, const std::vector<int>& blocks, double groups,
                              double width_per_group) {
  const double stem = image / 2;  // conv1 7x7/2
  double m = stem * stem * 64 * 3 * 7 * 7;
  double hw = stem / 2, in = 64;  // maxpool 3x3/2
  for (std::size_t s = 0; s < blocks.size(); ++s) {
    const double planes = 64 << s, width = planes * width_per_group / 64 * groups;
    const double out = 4 * planes;
    for (int i = 0; i < blocks[s]; ++i) {
      const double ho = (i == 0 && s > 0) ? hw / 2 : hw;
      m += hw * hw * in * width +                    // conv1 1x1
           ho * ho * width * (width / groups) * 9 +  // conv2 3x3, grouped
           ho * ho * width * out;                    // conv3 1x1
      if (i == 0) m += ho * ho * in * out;           // downsample
      in = out;
      hw = ho;
    }
  }
  return m;
}

// RetinaNet at 800×800 after the backbone body: FPN laterals and outputs on C3..C5 (100², 50²,
// 25²), P6/P7 (13², 7²), and per level 2 × 4 head convs 256→256 plus the two output convs.
double retinanet_neck_head_hand_macs(double classes) {
  const double levels[] = {100, 50, 25, 13, 7};
  const double c3x3 = 256.0 * 256 * 9;
  double m = 100.0 * 100 * 512 * 256 + 50.0 * 50 * 1024 * 256 + 25.0 * 25 * 2048 * 256;
  for (double s : levels) {
    const double hw = s * s;
    m += hw * c3x3;                                    // layer_blocks (P3-P5), p6, p7
    m += hw * (8 * c3x3 + (9 * classes + 9 * 4) * 256 * 9);  // head
  }
  return m;
}

// RetinaNet parameters as torchvision counts them (sum over model.parameters()) from the
// classifier's published total: its body less fc, less the BatchNorm affine parameters when the
// detector's FrozenBatchNorm2d makes them buffers, plus FPN (3 laterals, 3 outputs, P6, P7 with
// biases) and the shared head.
int64_t retinanet_params(int64_t classifier_params, int64_t bn_channels, bool frozen_bn,
                         int64_t classes) {
  const int64_t c3x3 = 256 * 256 * 9 + 256;
  const int64_t fpn = 256 * (512 + 1024 + 2048) + 3 * 256 + 5 * c3x3;
  const int64_t head = 8 * c3x3 + (9 * classes) * 256 * 9 + 9 * classes + 36 * 256 * 9 + 36;
  return classifier_params - (2048 * 1000 + 1000) - (frozen_bn ? 2 * bn_channels : 0) + fpn +
         head;
}

// One pre-/post-LN transformer layer: QKV, scores, probs·V, output projection, MLP.
double transformer_layer_macs(double s, double h, double heads, double ffn) {
  return 3 * s * h * h + 2 * heads * s * s * (h / heads) + s * h * h + 2 * s * h * ffn;
}

// ---- parameters -------------------------------------------------------------------------------

TEST(ZooTest, Resnet18MatchesTorchvision) {
  Graph g;
  ASSERT_TRUE(prepare_zoo_model("resnet18", &g));
  const auto p = count_parameters(g);
  EXPECT_EQ(p.parameters, 11'689'512);
  EXPECT_EQ(p.buffers, 9'600);  // 2 × 4,800 BatchNorm channels
  expect_macs(g, resnet_hand_macs({2, 2, 2, 2}, false), 1.81);
  expect_output(g, 0, "output", {1, 1000});
}

TEST(ZooTest, Resnet34MatchesTorchvision) {
  Graph g;
  ASSERT_TRUE(prepare_zoo_model("resnet34", &g));
  const auto p = count_parameters(g);
  EXPECT_EQ(p.parameters, 21'797'672);
  EXPECT_EQ(p.buffers, 17'024);  // 2 × 8,512 BatchNorm channels
  expect_macs(g, resnet_hand_macs({3, 4, 6, 3}, false), 3.66);
  expect_output(g, 0, "output", {1, 1000});
}

TEST(ZooTest, Resnet50MatchesTorchvision) {
  Graph g;
  ASSERT_TRUE(prepare_zoo_model("resnet50", &g));
  const auto p = count_parameters(g);
  EXPECT_EQ(p.parameters, 25'557'032);
  EXPECT_EQ(p.buffers, 53'120);  // 2 × 26,560 BatchNorm channels
  expect_macs(g, resnet_hand_macs({3, 4, 6, 3}, true), 4.09);
  expect_output(g, 0, "output", {1, 1000});
}

TEST(ZooTest, MobilenetV2MatchesTorchvision) {
  Graph g;
  ASSERT_TRUE(prepare_zoo_model("mobilenet_v2", &g));
  const auto p = count_parameters(g);
  EXPECT_EQ(p.parameters, 3'504'872);
  EXPECT_EQ(p.buffers, 34'112);  // 2 × 17,056 BatchNorm channels
  expect_macs(g, mobilenet_v2_hand_macs(), 0.30);
  expect_output(g, 0, "output", {1, 1000});
}

TEST(ZooTest, VitB16MatchesTorchvision) {
  Graph g;
  ASSERT_TRUE(prepare_zoo_model("vit_b_16", &g));
  const auto p = count_parameters(g);
  EXPECT_EQ(p.parameters, 86'567'656);
  EXPECT_EQ(p.buffers, 0);
  const double hand = 196.0 * 768 * 3 * 16 * 16 +                        // conv_proj
                      12 * transformer_layer_macs(197, 768, 12, 3072) +  // encoder
                      768.0 * 1000;                                      // head
  expect_macs(g, hand, 17.56);
  expect_output(g, 0, "output", {1, 1000});
}

TEST(ZooTest, BertBaseMatchesTransformers) {
  Graph g;
  ASSERT_TRUE(prepare_zoo_model("bert-base", &g));
  const auto p = count_parameters(g);
  EXPECT_EQ(p.parameters, 109'482'240);
  EXPECT_EQ(p.buffers, 0);
  expect_macs(g, 12 * transformer_layer_macs(128, 768, 12, 3072) + 768.0 * 768);  // + pooler
  expect_output(g, 0, "last_hidden_state", {1, 128, 768});
  expect_output(g, 1, "pooler_output", {1, 768});
}

// bert-large-uncased: the bert-base builder on the published config (24 layers, hidden 1024, 16
// heads, intermediate 4096). Parameters by formula and the published 335,141,888 (BertModel with
// pooler); MACs at sequence 384 (SQuAD, as MLPerf's BERT-large).
TEST(ZooTest, BertLargeMatchesTransformers) {
  DimBindings bindings;
  bindings.seq_len = 384;
  Graph g;
  ASSERT_TRUE(prepare_zoo_model("bert-large", &g, bindings));
  EXPECT_EQ(g.name, "bert-large");
  const double h = 1024, layers = 24, ffn = 4096, vocab = 30522, positions = 512, types = 2;
  const double embeddings = (vocab + positions + types) * h + 2 * h;
  const double layer = 4 * (h * h + h) + (h * ffn + ffn) + (ffn * h + h) + 2 * 2 * h;
  const double pooler = h * h + h;
  const auto p = count_parameters(g);
  EXPECT_EQ(p.parameters, static_cast<int64_t>(embeddings + layers * layer + pooler));
  EXPECT_EQ(p.parameters, 335'141'888);
  EXPECT_EQ(p.buffers, 0);
  expect_macs(g, layers * transformer_layer_macs(384, h, 16, ffn) + h * h);  // + pooler
  expect_output(g, 0, "last_hidden_state", {1, 384, 1024});
  expect_output(g, 1, "pooler_output", {1, 1024});
  const ValueId q = g.find_value("encoder.layer.23.attention.self.query.weight");
  ASSERT_NE(q, kNoValue);
  EXPECT_EQ(dims_of(g, q), (std::vector<int64_t>{1024, 1024}));
  EXPECT_EQ(g.find_value("encoder.layer.24.attention.self.query.weight"), kNoValue);
  // 16 heads of 64 in the scores.
  for (const Node& n : g.nodes) {
    if (n.name != "encoder.layer.0.attention.self.qk") continue;
    EXPECT_EQ(dims_of(g, n.outputs[0]), (std::vector<int64_t>{1, 16, 384, 384}));
  }
}

// The MLPerf Inference RetinaNet (ResNeXt50-32x4d FPN, 264 classes, 800×800). Parameters from
// torchvision's published resnext50_32x4d total (25,028,904) by formula; the same formula
// reproduces torchvision's published retinanet_resnet50_fpn total (34,014,999, FrozenBatchNorm2d,
// 91 classes) from resnet50's 25,557,032. MACs: the hand calculation of the backbone (checked
// against torchvision's resnext50_32x4d 4.23 GMACs at 224), FPN and head.
TEST(ZooTest, RetinaNetMatchesMlperfReference) {
  // The formulas against torchvision's published figures.
  EXPECT_EQ(retinanet_params(25'557'032, 26'560, /*frozen_bn=*/true, 91), 34'014'999);
  const double resnext224 = resnext_body_hand_macs(224, {3, 4, 6, 3}, 32, 4) + 2048.0 * 1000;
  EXPECT_LE(std::abs(resnext224 / 1e9 - 4.23), 0.005 + 1e-9) << resnext224;

  Graph g;
  ASSERT_TRUE(prepare_zoo_model("retinanet", &g));
  const auto p = count_parameters(g);
  const int64_t resnext_bn_channels = 34'112;
  EXPECT_EQ(p.parameters, retinanet_params(25'028'904, resnext_bn_channels, false, 264));
  EXPECT_EQ(p.parameters, 37'128'876);
  EXPECT_EQ(p.buffers, 2 * resnext_bn_channels);
  // The reference's own count (FrozenBatchNorm2d: BatchNorm weight/bias are buffers).
  EXPECT_EQ(p.parameters - 2 * resnext_bn_channels,
            retinanet_params(25'028'904, resnext_bn_channels, true, 264));
  EXPECT_EQ(p.parameters - 2 * resnext_bn_channels, 37'060'652);
  // The body alone is torchvision's resnext50_32x4d less fc.
  int64_t body = 0;
  for (ValueId id : g.initializers) {
    const Value& v = g.value(id);
    if (v.name.rfind("backbone.body.", 0) != 0 || !is_parameter(v)) continue;
    if (v.name.ends_with(".running_mean") || v.name.ends_with(".running_var")) continue;
    body += *v.type.numel();
  }
  EXPECT_EQ(body + 2048 * 1000 + 1000, 25'028'904);

  const double hand =
      resnext_body_hand_macs(800, {3, 4, 6, 3}, 32, 4) + retinanet_neck_head_hand_macs(264);
  expect_macs(g, hand);
  expect_output(g, 0, "cls_logits", {1, 120'087, 264});
  expect_output(g, 1, "bbox_regression", {1, 120'087, 4});
  // Grouped 3x3 convs of the ResNeXt widths; the head weights shared by the five levels.
  const ValueId conv2 = g.find_value("backbone.body.layer4.0.conv2.weight");
  ASSERT_NE(conv2, kNoValue);
  EXPECT_EQ(dims_of(g, conv2), (std::vector<int64_t>{1024, 32, 3, 3}));
  const ValueId cls = g.find_value("head.classification_head.cls_logits.weight");
  ASSERT_NE(cls, kNoValue);
  EXPECT_EQ(dims_of(g, cls), (std::vector<int64_t>{2376, 256, 3, 3}));
  EXPECT_EQ(g.value(cls).consumers.size(), 5u);
  const ValueId p7 = g.find_value("backbone.fpn.extra_blocks.p7");
  ASSERT_NE(p7, kNoValue);
  EXPECT_EQ(dims_of(g, p7), (std::vector<int64_t>{1, 256, 7, 7}));
}

TEST(ZooTest, Gpt2MatchesTransformersWithTiedHead) {
  Graph g;
  ASSERT_TRUE(prepare_zoo_model("gpt2", &g));
  const auto p = count_parameters(g);
  EXPECT_EQ(p.parameters, 124'439'808);
  EXPECT_EQ(p.buffers, 0);
  expect_macs(g, 12 * transformer_layer_macs(128, 768, 12, 3072) + 128.0 * 768 * 50257);
  expect_output(g, 0, "logits", {1, 128, 50257});
}

// ---- structure --------------------------------------------------------------------------------

TEST(ZooTest, OtherBatchAndSequenceBindingsInfer) {
  DimBindings bindings;
  bindings.batch = 2;
  bindings.seq_len = 64;
  Graph g;
  ASSERT_TRUE(prepare_zoo_model("vit_b_16", &g, bindings));
  expect_output(g, 0, "output", {2, 1000});
  ASSERT_TRUE(prepare_zoo_model("bert-base", &g, bindings));
  expect_output(g, 0, "last_hidden_state", {2, 64, 768});
  expect_output(g, 1, "pooler_output", {2, 768});
  ASSERT_TRUE(prepare_zoo_model("gpt2", &g, bindings));
  expect_output(g, 0, "logits", {2, 64, 50257});
  ASSERT_TRUE(prepare_zoo_model("bert-large", &g, bindings));
  expect_output(g, 0, "last_hidden_state", {2, 64, 1024});
  ASSERT_TRUE(prepare_zoo_model("retinanet", &g, bindings));
  expect_output(g, 0, "cls_logits", {2, 120'087, 264});
  expect_output(g, 1, "bbox_regression", {2, 120'087, 4});
}

TEST(ZooTest, GraphsUseOpset17NamedInputsAndUniqueNodeNames) {
  const std::vector<std::string> expected = {
      "bert-base",     "bert-large",   "gpt-j-6b",     "gpt2",         "gpt2-xl",
      "llama-2-13b",   "llama-2-70b",  "llama-2-7b",   "llama-3-70b",  "llama-3-8b",
      "llama-3.1-70b", "llama-3.1-8b", "mistral-7b",   "mixtral-8x7b", "mobilenet_v2",
      "resnet18",      "resnet34",     "resnet50",     "retinanet",    "vit_b_16"};
  EXPECT_EQ(zoo_names(), expected);
  for (const auto& name : zoo_names()) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(is_zoo_name(name));
    EXPECT_FALSE(zoo_description(name).empty());
    auto g = build_zoo_model(name);
    ASSERT_TRUE(g.ok()) << g.error().message();
    EXPECT_TRUE(g->validate().ok());
    EXPECT_EQ(g->opsets.at(""), 17);
    std::set<std::string> node_names;
    for (const Node& n : g->nodes) {
      EXPECT_TRUE(node_names.insert(n.name).second) << "duplicate node name " << n.name;
      EXPECT_EQ(n.opset, 17);
      EXPECT_TRUE(n.domain.empty());
    }
    // Weights have shapes and no contents.
    for (ValueId id : g->initializers) {
      const Value& v = g->value(id);
      if (is_floating(v.type.dtype) && v.type.rank() > 0) EXPECT_FALSE(v.data) << v.name;
    }
    const auto symbols = g->symbolic_dims();
    const std::set<std::string> vision = {"mobilenet_v2", "resnet18", "resnet34", "resnet50",
                                          "retinanet", "vit_b_16"};
    const bool text = vision.count(name) == 0;
    const std::vector<std::string> expected_symbols =
        text ? std::vector<std::string>{"batch", "sequence"} : std::vector<std::string>{"batch"};
    EXPECT_EQ(symbols, expected_symbols);
  }
  auto bert = build_zoo_model("bert-base");
  ASSERT_TRUE(bert.ok());
  ASSERT_EQ(bert->inputs.size(), 3u);
  EXPECT_EQ(bert->value(bert->inputs[0]).name, "input_ids");
  EXPECT_EQ(bert->value(bert->inputs[1]).name, "attention_mask");
  EXPECT_EQ(bert->value(bert->inputs[2]).name, "token_type_ids");
  EXPECT_NE(bert->find_value("encoder.layer.11.attention.self.query.weight"), kNoValue);
}

TEST(ZooTest, UnknownNameSuggestsClosest) {
  EXPECT_FALSE(is_zoo_name("resnet5"));
  auto g = build_zoo_model("resnet5");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(g.error().message().find("unknown zoo model 'resnet5'; did you mean resnet50"),
            std::string::npos)
      << g.error().message();
}

}  // namespace
}  // namespace graphs
