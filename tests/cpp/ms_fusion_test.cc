// ONNX Runtime's transformer optimizer output (tools/make_ms_fusion_fixtures.py, generated into
// the cache folder named by GRAPHS_MS_FUSION_DIR, never committed): tiny BERT,
// GPT-2 and Llama exports fused into com.microsoft ops, and hand-built contrib-op graphs.
// Differential: every graph output's shape against the one ONNX Runtime produced
// (expected.json), and the MACs of each fused graph against its unfused export (within 1 %).
// Then hand counts of the fused ops' rules on small graphs.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "graphs/analysis/characterize.h"
#include "graphs/pipeline/pipeline.h"
#include "shape_ops_test_util.h"

namespace graphs {
namespace {

using shape_ops_test::attrs;
using shape_ops_test::GraphBuilder;
using V = std::vector<int64_t>;

// The fixtures folder, or "" when GRAPHS_MS_FUSION_DIR is unset (the tests that need it skip,
// unless GRAPHS_REQUIRE_MODELS=1, as scripts/test.sh sets: then they fail).
std::string fixture_dir() {
  const char* dir = std::getenv("GRAPHS_MS_FUSION_DIR");
  return dir && *dir ? std::string(dir) : std::string();
}

bool models_required() {
  const char* req = std::getenv("GRAPHS_REQUIRE_MODELS");
  return req && std::string(req) == "1";
}

std::string fixture(const std::string& name) { return fixture_dir() + "/" + name; }

// In a test body: skip (or fail, when models are required) without the generated fixtures.
#define REQUIRE_MS_FUSION_FIXTURES()                                                          \
  do {                                                                                        \
    if (fixture_dir().empty()) {                                                              \
      if (models_required()) FAIL() << "GRAPHS_MS_FUSION_DIR unset (tools/make_ms_fusion_fixtures.py)"; \
      GTEST_SKIP() << "GRAPHS_MS_FUSION_DIR unset: run tools/make_ms_fusion_fixtures.py";     \
    }                                                                                         \
  } while (0)

nlohmann::json expected_table() {
  std::ifstream in(fixture("expected.json"));
  EXPECT_TRUE(in.good()) << "missing " << fixture("expected.json");
  return in.good() ? nlohmann::json::parse(in) : nlohmann::json::object();
}

DimBindings bindings_of(const nlohmann::json& entry) {
  DimBindings b;
  for (const auto& [name, size] : entry.at("dims").items()) b.named[name] = size.get<int64_t>();
  b.batch = b.named.count("batch") ? b.named["batch"] : 1;
  return b;
}

struct Loaded {
  LoadedModel model;
  Characterization ch;
};

Loaded load(const std::string& name, const DimBindings& dims) {
  auto m = load_model(fixture(name), dims);
  EXPECT_TRUE(m.ok()) << name << ": " << (m.ok() ? "" : m.error().message());
  if (!m.ok()) return {};
  auto ch = characterize(m->graph, PrecisionMap{});
  EXPECT_TRUE(ch.ok()) << name << ": " << (ch.ok() ? "" : ch.error().message());
  return {std::move(m).value(), ch.ok() ? std::move(ch).value() : Characterization{}};
}

TEST(MsFusionTest, OptimizerOutputsMatchOnnxRuntimeShapesAndTheExportsMacs) {
  REQUIRE_MS_FUSION_FIXTURES();
  const auto table = expected_table();
  ASSERT_GE(table.size(), 5u);
  for (const auto& [name, entry] : table.items()) {
    SCOPED_TRACE(name);
    const DimBindings dims = bindings_of(entry);
    const Loaded fused = load(name, dims);
    const Graph& g = fused.model.graph;
    ASSERT_FALSE(g.nodes.empty());
    // Every com.microsoft op the optimizer wrote is in the graph we analysed.
    std::set<std::string> ops;
    for (const Node& n : g.nodes) ops.insert(n.op_type);
    for (const auto& op : entry.at("ops")) EXPECT_TRUE(ops.count(op.get<std::string>())) << op;
    // Output shapes: ONNX Runtime's.
    for (const auto& [output, shape] : entry.at("outputs").items()) {
      const ValueId id = g.find_value(output);
      ASSERT_NE(id, kNoValue) << output;
      EXPECT_EQ(g.value(id).type.dims(), shape.get<V>()) << output;
    }
    EXPECT_GT(fused.ch.macs, 0);
    // MACs: the fused graph counts what its unfused export counts.
    if (entry.contains("reference")) {
      const Loaded reference = load(entry.at("reference").get<std::string>(), dims);
      EXPECT_NEAR(fused.ch.macs, reference.ch.macs, 0.01 * reference.ch.macs);
      EXPECT_GT(reference.ch.macs, 0);
    }
  }
}

// BERT at batch 2, seq 16, hidden 64, 4 heads, FFN 64, 2 layers: per layer the QKV projection
// 2·16·64·192, Q·Kᵀ and P·V 2·4·16·16·(16 + 16), the output projection 2·16·64·64 and the FFN
// 2·(2·16·64·64).
TEST(MsFusionTest, FusedBertMacsByHand) {
  REQUIRE_MS_FUSION_FIXTURES();
  const Loaded bert = load("bert_opt.onnx", bindings_of(expected_table().at("bert_opt.onnx")));
  const double layer = 2.0 * 16 * 64 * 192 + 2.0 * 4 * 16 * 16 * 32 + 2.0 * 16 * 64 * 64 +
                       2 * (2.0 * 16 * 64 * 64);
  EXPECT_EQ(bert.ch.macs, 2 * layer);
}

// ---- the rules, by hand --------------------------------------------------------------------

OpCost cost_of(GraphBuilder& b, const std::string& node) {
  EXPECT_TRUE(b.infer().ok());
  return b.cost(node);
}

TEST(MsFusionTest, AttentionWithPastAndUnidirectionalMask) {
  GraphBuilder b(17);
  b.g.opsets["com.microsoft"] = 1;
  b.input("x", DType::kFloat32, {1, 4, 32});
  b.weight("w", DType::kFloat32, {32, 96});
  b.weight("bias", DType::kFloat32, {96});
  b.input("past", DType::kFloat32, {2, 1, 2, 6, 16});
  const NodeId n = b.node("Attention", "attn", {"x", "w", "bias", "", "past"}, {"y", "present"},
                          attrs({{"num_heads", int64_t{2}}, {"unidirectional", int64_t{1}}}), 1);
  b.g.node(n).domain = "com.microsoft";
  const OpCost c = cost_of(b, "attn");
  EXPECT_EQ(b.dims("y"), (V{1, 4, 32}));
  EXPECT_EQ(b.dims("present"), (V{2, 1, 2, 10, 16}));
  // Projection 4·32·96; scores 1·2·4·10 (span = past 6 + 4), each 16 + 16 MACs.
  const double scores = 2 * 4 * 10;
  EXPECT_EQ(c.macs, 4 * 32 * 96 + scores * 32);
  EXPECT_EQ(c.flops, 2 * c.macs + scores * 7 + 4 * 96);  // scale, softmax 5, mask; bias adds
}

TEST(MsFusionTest, GroupQueryAttentionPresentAndMacs) {
  GraphBuilder b(17);
  b.input("q", DType::kFloat32, {1, 3, 64});
  b.input("k", DType::kFloat32, {1, 3, 32});
  b.input("v", DType::kFloat32, {1, 3, 32});
  b.input("pk", DType::kFloat32, {1, 2, 5, 16});
  b.input("pv", DType::kFloat32, {1, 2, 5, 16});
  b.input("seqlens", DType::kInt32, {1});
  b.ints("total", {}, {8}, DType::kInt32);
  const NodeId n = b.node("GroupQueryAttention", "gqa", {"q", "k", "v", "pk", "pv", "seqlens", "total"},
                          {"y", "present_k", "present_v"},
                          attrs({{"num_heads", int64_t{4}}, {"kv_num_heads", int64_t{2}}}), 1);
  b.g.node(n).domain = "com.microsoft";
  const OpCost c = cost_of(b, "gqa");
  EXPECT_EQ(b.dims("y"), (V{1, 3, 64}));
  EXPECT_EQ(b.dims("present_k"), (V{1, 2, 8, 16}));
  const double scores = 4 * 3 * 8;  // every query head over the 8 positions
  EXPECT_EQ(c.macs, scores * 32);
  EXPECT_EQ(c.flops, 2 * c.macs + scores * 7);  // causal by default
}

TEST(MsFusionTest, MultiHeadAttentionPackedQkvAndProjectedCrossKv) {
  GraphBuilder b(17);
  b.input("qkv", DType::kFloat32, {2, 5, 4, 3, 8});
  NodeId n = b.node("MultiHeadAttention", "packed", {"qkv"}, {"y"},
                    attrs({{"num_heads", int64_t{4}}}), 1);
  b.g.node(n).domain = "com.microsoft";
  b.input("q", DType::kFloat32, {2, 5, 32});
  b.input("k", DType::kFloat32, {2, 4, 7, 8});
  b.input("v", DType::kFloat32, {2, 4, 7, 8});
  n = b.node("MultiHeadAttention", "cross", {"q", "k", "v"}, {"z"},
             attrs({{"num_heads", int64_t{4}}}), 1);
  b.g.node(n).domain = "com.microsoft";
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{2, 5, 32}));
  EXPECT_EQ(b.dims("z"), (V{2, 5, 32}));
  EXPECT_EQ(b.cost("packed").macs, 2.0 * 4 * 5 * 5 * 16);
  EXPECT_EQ(b.cost("cross").macs, 2.0 * 4 * 5 * 7 * 16);
}

TEST(MsFusionTest, NormalizationsAndActivationsByHand) {
  GraphBuilder b(17);
  b.input("x", DType::kFloat32, {2, 3, 8});
  b.input("skip", DType::kFloat32, {2, 3, 8});
  b.weight("gamma", DType::kFloat32, {8});
  b.weight("beta", DType::kFloat32, {8});
  b.weight("bias", DType::kFloat32, {8});
  b.weight("bias16", DType::kFloat32, {16});
  b.input("wide", DType::kFloat32, {2, 3, 16});
  const std::vector<std::pair<std::string, NodeId>> nodes = {
      {"sln", b.node("SkipLayerNormalization", "sln", {"x", "skip", "gamma", "beta", "bias"},
                     {"s1", "", "", "sum"}, {}, 1)},
      {"ssln", b.node("SkipSimplifiedLayerNormalization", "ssln", {"x", "skip", "gamma"}, {"s2"},
                      {}, 1)},
      {"bsg", b.node("BiasSplitGelu", "bsg", {"wide", "bias16"}, {"s3"}, {}, 1)},
      {"badd", b.node("BiasAdd", "badd", {"x", "bias", "skip"}, {"s4"}, {}, 1)},
      {"quick", b.node("QuickGelu", "quick", {"x"}, {"s5"}, {}, 1)},
  };
  for (const auto& [name, id] : nodes) b.g.node(id).domain = "com.microsoft";
  b.node("SimplifiedLayerNormalization", "rms", {"x", "gamma"}, {"s6"}, {}, 1);
  ASSERT_TRUE(b.infer().ok());
  const double e = 2 * 3 * 8, rows = 2 * 3;
  EXPECT_EQ(b.dims("sum"), (V{2, 3, 8}));
  EXPECT_EQ(b.cost("sln").flops, 2 * e + 7 * e + 4 * rows);
  EXPECT_EQ(b.cost("ssln").flops, e + 4 * e + 3 * rows);
  EXPECT_EQ(b.dims("s3"), (V{2, 3, 8}));
  EXPECT_EQ(b.cost("bsg").flops, 8 * e);
  EXPECT_EQ(b.cost("badd").flops, 2 * e);
  EXPECT_EQ(b.cost("quick").flops, 6 * e);
  EXPECT_EQ(b.cost("rms").flops, 4 * e + 3 * rows);
}

TEST(MsFusionTest, BadShapesNameTheNode) {
  GraphBuilder b(17);
  b.input("x", DType::kFloat32, {2, 3, 15});
  b.weight("bias", DType::kFloat32, {15});
  const NodeId n = b.node("BiasSplitGelu", "odd", {"x", "bias"}, {"y"}, {}, 1);
  b.g.node(n).domain = "com.microsoft";
  const Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("BiasSplitGelu node 'odd'"), std::string::npos)
      << s.error().message();
}

// MatMulNBitsQuantizer's 4-bit embedding: an int4 table [128, 64] (one parameter per weight)
// with a float scale per 32-wide block ([128, 2], parameters too, as for MatMulNBits), gathered by
// 2·16 ids; its MatMulNBits projection 2·16·64·64.
TEST(MsFusionTest, GatherBlockQuantizedFromTheQuantizer) {
  REQUIRE_MS_FUSION_FIXTURES();
  const Loaded q = load("gather_nbits.onnx", bindings_of(expected_table().at("gather_nbits.onnx")));
  const Graph& g = q.model.graph;
  int found = 0;
  for (NodeId i = 0; i < static_cast<NodeId>(g.nodes.size()); ++i) {
    if (g.node(i).op_type != "GatherBlockQuantized") continue;
    ++found;
    EXPECT_EQ(g.value(g.node(i).outputs[0]).type.dims(), (V{2, 16, 64}));
    EXPECT_EQ(q.ch.nodes[static_cast<std::size_t>(i)].cost.flops, 2.0 * 2 * 16 * 64);
    EXPECT_EQ(q.ch.nodes[static_cast<std::size_t>(i)].params, 128 * 64 + 128 * 2);
  }
  EXPECT_EQ(found, 1);
  EXPECT_EQ(q.ch.macs, 2.0 * 16 * 64 * 64);
}

// uint8 data packs 8/bits values a byte along the last dim: [100, 16] bytes at 4 bits is a
// [100, 32] table; gather axis 0 by ids [3, 5] gives [3, 5, 32] of the scales' type.
TEST(MsFusionTest, GatherBlockQuantizedUnpacksUint8Rows) {
  GraphBuilder b(17);
  b.weight("data", DType::kUInt8, {100, 16});
  b.input("ids", DType::kInt64, {3, 5});
  b.weight("scales", DType::kFloat16, {100, 2});
  const NodeId n = b.node("GatherBlockQuantized", "gbq", {"data", "ids", "scales"}, {"y"},
                          attrs({{"bits", int64_t{4}}, {"block_size", int64_t{16}}}), 1);
  b.g.node(n).domain = "com.microsoft";
  const OpCost c = cost_of(b, "gbq");
  EXPECT_EQ(b.dims("y"), (V{3, 5, 32}));
  EXPECT_EQ(b.value("y").type.dtype, DType::kFloat16);
  const double elements = 3 * 5 * 32;
  EXPECT_EQ(c.flops, 2 * elements);
  // Packed rows (half a byte each), one fp16 scale per 16 values, the int64 ids; output fp16.
  EXPECT_EQ(c.bytes_read, elements / 2 + elements / 16 * 2 + 15 * 8);
  EXPECT_EQ(c.bytes_written, elements * 2);
}

}  // namespace
}  // namespace graphs
