// Attention-23 and RotaryEmbedding-23 (ops/attention.cc): shapes per Operators.md (3-D and 4-D
// Q/K/V, grouped-query heads, past and present KV cache, the QKᵀ output), MACs and FLOPs by hand,
// and one-line errors naming the node. libonnx 1.12 predates opset 23, so the expected shapes
// are the spec's; each also agrees with ONNX 1.23's own shape inference where that infers one.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "shape_ops_test_util.h"

namespace graphs {
namespace {

using shape_ops_test::attrs;
using shape_ops_test::GraphBuilder;
using V = std::vector<int64_t>;

std::string error_of(GraphBuilder& b) {
  const Status s = b.infer();
  EXPECT_FALSE(s.ok());
  const std::string m = s.ok() ? std::string() : s.error().message();
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n'), 0) << m;
  return m;
}

TEST(AttentionOpsTest, MultiHead4dShapesAndMacsByHand) {
  GraphBuilder b(23);
  b.input("q", DType::kFloat16, {2, 8, 16, 64});
  b.input("k", DType::kFloat16, {2, 8, 16, 64});
  b.input("v", DType::kFloat16, {2, 8, 16, 64});
  b.node("Attention", "attn", {"q", "k", "v"}, {"y", "pk", "pv", "qk"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{2, 8, 16, 64}));
  EXPECT_EQ(b.dims("pk"), (V{2, 8, 16, 64}));
  EXPECT_EQ(b.dims("pv"), (V{2, 8, 16, 64}));
  EXPECT_EQ(b.dims("qk"), (V{2, 8, 16, 16}));
  EXPECT_EQ(b.value("y").type.dtype, DType::kFloat16);
  const OpCost c = b.cost("attn");
  // Q·Kᵀ: 2·8 heads × 16 × 16 scores × 64; P·V the same.
  EXPECT_DOUBLE_EQ(c.macs, 2.0 * 8 * 16 * 16 * 64 * 2);
  // Per score: 1 scale + 5 softmax; no mask, no softcap.
  EXPECT_DOUBLE_EQ(c.flops, 2 * c.macs + 6.0 * 2 * 8 * 16 * 16);
  EXPECT_DOUBLE_EQ(c.bytes_read, 3 * 2.0 * (2 * 8 * 16 * 64));
}

TEST(AttentionOpsTest, GroupedQuery3dWithPastMaskCausalAndSoftcap) {
  // Q [batch 2, seq 4, 6 heads × 4], K [2, 6, 2 heads × 4], V [2, 6, 2 heads × 5], 5 cached
  // positions: T = 11.
  GraphBuilder b(23);
  b.input("q", DType::kFloat32, {2, 4, 24});
  b.input("k", DType::kFloat32, {2, 6, 8});
  b.input("v", DType::kFloat32, {2, 6, 10});
  b.input("mask", DType::kBool, {4, 11});
  b.input("past_k", DType::kFloat32, {2, 2, 5, 4});
  b.input("past_v", DType::kFloat32, {2, 2, 5, 5});
  b.node("Attention", "attn", {"q", "k", "v", "mask", "past_k", "past_v"},
         {"y", "present_k", "present_v", "qk"},
         attrs({{"q_num_heads", int64_t{6}}, {"kv_num_heads", int64_t{2}},
                {"is_causal", int64_t{1}}, {"softcap", 30.0}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{2, 4, 30}));  // 6 heads × v_head_size 5
  EXPECT_EQ(b.dims("present_k"), (V{2, 2, 11, 4}));
  EXPECT_EQ(b.dims("present_v"), (V{2, 2, 11, 5}));
  EXPECT_EQ(b.dims("qk"), (V{2, 6, 4, 11}));
  const OpCost c = b.cost("attn");
  const double scores = 2.0 * 6 * 4 * 11;
  EXPECT_DOUBLE_EQ(c.macs, scores * (4 + 5));
  // Per score: scale 1 + softmax 5 + mask 1 + softcap 3.
  EXPECT_DOUBLE_EQ(c.flops, 2 * c.macs + 10 * scores);
}

TEST(AttentionOpsTest, MultiQueryOneKvHead) {
  GraphBuilder b(23);
  b.input("q", DType::kFloat32, {1, 12, 1, 64});
  b.input("k", DType::kFloat32, {1, 1, 1, 64});
  b.input("v", DType::kFloat32, {1, 1, 1, 64});
  b.input("pk", DType::kFloat32, {1, 1, 127, 64});
  b.input("pv", DType::kFloat32, {1, 1, 127, 64});
  b.node("Attention", "decode", {"q", "k", "v", "", "pk", "pv"}, {"y", "k_out", "v_out"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{1, 12, 1, 64}));
  EXPECT_EQ(b.dims("k_out"), (V{1, 1, 128, 64}));
  EXPECT_DOUBLE_EQ(b.cost("decode").macs, 12.0 * 128 * 128);
}

TEST(AttentionOpsTest, BadHeadsMasksAndCachesNameTheNode) {
  struct Bad {
    V q, k, v;
    Attributes a;
    std::string mask_or_empty;
    V mask;
    bool past_key_only = false;
    std::string expected;
  };
  const std::vector<Bad> cases = {
      {{2, 4, 24}, {2, 6, 8}, {2, 6, 8}, attrs({{"kv_num_heads", int64_t{2}}}), "", {}, false,
       "3-D Q [2,4,24] needs the q_num_heads attribute"},
      {{2, 4, 24}, {2, 6, 8}, {2, 6, 8}, attrs({{"q_num_heads", int64_t{5}}, {"kv_num_heads", int64_t{2}}}),
       "", {}, false, "q_num_heads 5 does not divide the hidden size 24 of Q"},
      {{2, 6, 4, 8}, {2, 4, 6, 8}, {2, 4, 6, 8}, {}, "", {}, false,
       "q_num_heads 6 is not a multiple of kv_num_heads 4"},
      {{2, 6, 4, 8}, {2, 2, 6, 16}, {2, 2, 6, 8}, {}, "", {}, false,
       "head sizes of Q (8) and K (16) differ"},
      {{2, 6, 4, 8}, {2, 2, 6, 8}, {2, 2, 7, 8}, {}, "", {}, false,
       "K has 2 heads × 6 positions but V has 2 × 7"},
      {{2, 6, 4, 8}, {2, 2, 6, 8}, {2, 2, 6, 8}, {}, "mask", {4, 7}, false,
       "attn_mask [4,7] does not broadcast to [2,6,4,6]"},
      {{2, 6, 4, 8}, {2, 2, 6, 8}, {2, 2, 6, 8}, {}, "", {}, true,
       "past_key and past_value must be given together"},
      {{2, 6, 4, 8}, {2, 2, 6, 8}, {2, 2, 6, 8}, attrs({{"qk_matmul_output_mode", int64_t{4}}}),
       "", {}, false, "qk_matmul_output_mode 4 must be 0, 1, 2 or 3"},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.expected);
    GraphBuilder b(23);
    b.input("q", DType::kFloat32, c.q);
    b.input("k", DType::kFloat32, c.k);
    b.input("v", DType::kFloat32, c.v);
    std::vector<std::string> inputs = {"q", "k", "v"};
    if (!c.mask_or_empty.empty()) {
      b.input("mask", DType::kFloat32, c.mask);
      inputs.push_back("mask");
    }
    if (c.past_key_only) {
      b.input("pk", DType::kFloat32, {2, 2, 3, 8});
      inputs = {"q", "k", "v", "", "pk"};
    }
    b.node("Attention", "layer.0.attn", inputs, {"y"}, c.a);
    const std::string m = error_of(b);
    EXPECT_EQ(m.rfind("Attention node 'layer.0.attn'", 0), 0u) << m;
    EXPECT_NE(m.find(c.expected), std::string::npos) << m;
  }
}

TEST(RotaryEmbeddingOpsTest, FullRotation4dShapesAndFlops) {
  GraphBuilder b(23);
  b.input("x", DType::kFloat32, {2, 4, 5, 64});
  b.input("cos", DType::kFloat32, {2, 5, 32});
  b.input("sin", DType::kFloat32, {2, 5, 32});
  b.node("RotaryEmbedding", "rope", {"x", "cos", "sin"}, {"y"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{2, 4, 5, 64}));
  const OpCost c = b.cost("rope");
  EXPECT_DOUBLE_EQ(c.macs, 0);
  EXPECT_DOUBLE_EQ(c.flops, 3.0 * 2 * 4 * 5 * 64);
  // X + one [32] row of cos and of sin per (batch, position).
  EXPECT_DOUBLE_EQ(c.bytes_read, 4.0 * (2 * 4 * 5 * 64 + 2 * (2 * 5 * 32)));
  EXPECT_DOUBLE_EQ(c.bytes_written, 4.0 * 2 * 4 * 5 * 64);
}

TEST(RotaryEmbeddingOpsTest, PartialRotation3dWithPositionIds) {
  GraphBuilder b(23);
  b.input("x", DType::kFloat32, {2, 5, 64});  // 2 heads × 32
  b.weight("cos", DType::kFloat32, {100, 8});
  b.weight("sin", DType::kFloat32, {100, 8});
  b.input("pos", DType::kInt64, {2, 5});
  b.node("RotaryEmbedding", "rope", {"x", "cos", "sin", "pos"}, {"y"},
         attrs({{"num_heads", int64_t{2}}, {"rotary_embedding_dim", int64_t{16}},
                {"interleaved", int64_t{1}}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{2, 5, 64}));
  const OpCost c = b.cost("rope");
  EXPECT_DOUBLE_EQ(c.flops, 3.0 * (2 * 5 * 64) * 16 / 32);  // half of each head rotates
  EXPECT_DOUBLE_EQ(c.bytes_read, 4.0 * 2 * 5 * 64 + 8.0 * 10 + 2 * 4.0 * (2 * 5 * 8));
}

TEST(RotaryEmbeddingOpsTest, BadAttributesAndCachesNameTheNode) {
  struct Bad {
    V x, cos;
    Attributes a;
    std::string expected;
  };
  const std::vector<Bad> cases = {
      {{2, 5, 64}, {2, 5, 32}, {}, "3-D X [2,5,64] needs num_heads ≥ 1"},
      {{2, 4, 5, 64}, {2, 5, 32}, attrs({{"rotary_embedding_dim", int64_t{15}}}),
       "rotary_embedding_dim 15 must be even and at most the head size 64"},
      {{2, 4, 5, 64}, {2, 5, 16}, {}, "cos_cache shape [2,5,16], expected [2,5,32]"},
      {{2, 5, 60}, {2, 5, 32}, attrs({{"num_heads", int64_t{8}}}),
       "num_heads 8 does not divide the hidden size 60"},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.expected);
    GraphBuilder b(23);
    b.input("x", DType::kFloat32, c.x);
    b.input("cos", DType::kFloat32, c.cos);
    b.input("sin", DType::kFloat32, c.cos);
    b.node("RotaryEmbedding", "rope.q", {"x", "cos", "sin"}, {"y"}, c.a);
    const std::string m = error_of(b);
    EXPECT_EQ(m.rfind("RotaryEmbedding node 'rope.q'", 0), 0u) << m;
    EXPECT_NE(m.find(c.expected), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace graphs
