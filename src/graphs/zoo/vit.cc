// torchvision ViT-B/16 (torchvision/models/vision_transformer.py; Dosovitskiy et al.,
// arXiv:2010.11929): 16x16 patches, 12 layers, 12 heads, hidden 768, MLP 3072, LayerNorm eps 1e-6.
//
// Attention is nn.MultiheadAttention: one packed in-projection (in_proj_weight, stored [768, 2304]
// as the export folds its transpose; in_proj_bias [2304]) split into q, k, v; out_proj Linear.
// The class token is expanded to the batch (Shape → Gather → Concat → Expand), concatenated in
// front of the 196 patch tokens, and read back with Gather(axis 1, index 0) before the head.
//
// Graph: input float32[batch, 3, 224, 224] → output float32[batch, 1000].
// Parameters: 86,567,656 (torchvision docs).
#include <string>

#include "graphs/zoo/graph_builder.h"
#include "graphs/zoo/zoo.h"

namespace graphs::zoo {
namespace {

constexpr int64_t kHidden = 768;
constexpr int64_t kHeads = 12;
constexpr int64_t kHeadDim = kHidden / kHeads;
constexpr int64_t kMlp = 3072;
constexpr int64_t kLayers = 12;
constexpr int64_t kPatch = 16;
constexpr int64_t kImage = 224;
constexpr int64_t kTokens = (kImage / kPatch) * (kImage / kPatch) + 1;  // 196 patches + class
constexpr double kLnEps = 1e-6;

ValueId encoder_block(GraphBuilder& b, const std::string& p, ValueId x) {
  // x = x + self_attention(ln_1(x))
  ValueId h = b.layer_norm(p + ".ln_1", x, kHidden, kLnEps);
  const std::string a = p + ".self_attention";
  h = b.matmul_linear(a + ".in_proj", h, kHidden, 3 * kHidden, a + ".in_proj_weight",
                      a + ".in_proj_bias");
  const auto qkv = b.add_node("Split", a + ".split", {h, b.ints({kHidden, kHidden, kHidden})},
                              attrs({{"axis", int64_t{2}}}), 3);
  const ValueId q = b.split_heads(a + ".q", qkv[0], kHeads, kHeadDim);
  const ValueId k_t = b.split_heads(a + ".k", qkv[1], kHeads, kHeadDim, /*key_transposed=*/true);
  const ValueId v = b.split_heads(a + ".v", qkv[2], kHeads, kHeadDim);
  h = b.attention_core(a, q, k_t, v, kHeadDim);
  h = b.merge_heads(a, h, kHidden);
  h = b.linear(a + ".out_proj", h, kHidden, kHidden);
  x = b.op("Add", p + ".add", {h, x});
  // x = x + mlp(ln_2(x)); mlp = Linear, GELU, Dropout, Linear, Dropout.
  h = b.layer_norm(p + ".ln_2", x, kHidden, kLnEps);
  h = b.linear(p + ".mlp.0", h, kHidden, kMlp);
  h = b.gelu_erf(p + ".mlp.1", h);
  h = b.linear(p + ".mlp.3", h, kMlp, kHidden);
  return b.op("Add", p + ".add", {x, h});
}

Result<Graph> build_vit_b_16() {
  GraphBuilder b("vit_b_16");
  const ValueId input = b.input(
      "input", DType::kFloat32,
      {Dim::symbol("batch"), Dim::fixed(3), Dim::fixed(kImage), Dim::fixed(kImage)});
  // _process_input: conv_proj, reshape(n, hidden, n_h * n_w), permute(0, 2, 1).
  ValueId x = b.conv2d("conv_proj", input, 3, kHidden, kPatch, kPatch, 0, 1, /*bias=*/true);
  x = b.op("Reshape", "reshape", {x, b.ints({0, kHidden, -1})});
  x = b.op("Transpose", "permute", {x}, attrs({{"perm", Ints{0, 2, 1}}}));
  // class_token.expand(n, -1, -1), then cat along the token axis.
  const ValueId batch = b.dim_of("batch_size", input, 0);
  const ValueId expand_shape =
      b.op("Concat", "class_token.shape", {batch, b.ints({1, 1})}, attrs({{"axis", int64_t{0}}}));
  const ValueId cls = b.op("Expand", "class_token.expand",
                           {b.parameter("class_token", {1, 1, kHidden}), expand_shape});
  x = b.op("Concat", "cat", {cls, x}, attrs({{"axis", int64_t{1}}}));
  // Encoder: + pos_embedding, dropout (identity), layers, ln.
  x = b.op("Add", "encoder.pos_add",
           {x, b.parameter("encoder.pos_embedding", {1, kTokens, kHidden})});
  for (int64_t i = 0; i < kLayers; ++i) {
    x = encoder_block(b, "encoder.layers.encoder_layer_" + std::to_string(i), x);
  }
  x = b.layer_norm("encoder.ln", x, kHidden, kLnEps);
  // x[:, 0] → heads.head.
  x = b.op("Gather", "class_token.select", {x, b.int_scalar(0)}, attrs({{"axis", int64_t{1}}}));
  b.output(b.gemm_linear("heads.head", x, kHidden, 1000, "output"));
  return b.finish();
}

GRAPHS_REGISTER_ZOO_MODEL("vit_b_16", "torchvision ViT-B/16 (86.6M params, 17.56 GMACs @224)",
                          build_vit_b_16);

}  // namespace
}  // namespace graphs::zoo
