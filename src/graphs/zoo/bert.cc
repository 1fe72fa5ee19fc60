// Hugging Face transformers BertModel (modeling_bert.py, eager attention) with the
// bert-base-uncased config: vocab 30522, hidden 768, 12 layers, 12 heads, intermediate 3072 (exact
// GELU), max positions 512, type vocab 2, LayerNorm eps 1e-12, with the pooler (dense + tanh on
// the first token).
//
// Inputs: input_ids, attention_mask, token_type_ids: int64[batch, sequence].
// Outputs: last_hidden_state float32[batch, sequence, 768], pooler_output float32[batch, 768].
// Position ids are the position_ids buffer (int64 [1, 512]) sliced to the sequence length; the
// attention mask is extended as (1 - mask[:, None, None, :]) · finfo(float32).min and added to
// the scores. Parameters: 109,482,240.
#include <limits>
#include <string>

#include "graphs/zoo/graph_builder.h"
#include "graphs/zoo/zoo.h"

namespace graphs::zoo {
namespace {

constexpr int64_t kVocab = 30522;
constexpr int64_t kHidden = 768;
constexpr int64_t kLayers = 12;
constexpr int64_t kHeads = 12;
constexpr int64_t kHeadDim = kHidden / kHeads;
constexpr int64_t kIntermediate = 3072;
constexpr int64_t kMaxPositions = 512;
constexpr int64_t kTypeVocab = 2;
constexpr double kLnEps = 1e-12;

ValueId bert_layer(GraphBuilder& b, const std::string& p, ValueId x, ValueId mask,
                   const std::string& output_name) {
  // BertSelfAttention: query/key/value Linear, split heads, scores / sqrt(d) + mask, softmax.
  const std::string s = p + ".attention.self";
  const ValueId q = b.split_heads(s + ".query", b.linear(s + ".query", x, kHidden, kHidden),
                                  kHeads, kHeadDim);
  const ValueId k_t = b.split_heads(s + ".key", b.linear(s + ".key", x, kHidden, kHidden),
                                    kHeads, kHeadDim, /*key_transposed=*/true);
  const ValueId v = b.split_heads(s + ".value", b.linear(s + ".value", x, kHidden, kHidden),
                                  kHeads, kHeadDim);
  ValueId h = b.attention_core(s, q, k_t, v, kHeadDim, /*add_mask=*/mask);
  h = b.merge_heads(s, h, kHidden);
  // BertSelfOutput: dense, dropout, LayerNorm(h + x).
  const std::string o = p + ".attention.output";
  h = b.linear(o + ".dense", h, kHidden, kHidden);
  h = b.op("Add", o + ".add", {h, x});
  const ValueId attn = b.layer_norm(o + ".LayerNorm", h, kHidden, kLnEps);
  // BertIntermediate (dense + GELU) and BertOutput (dense, dropout, LayerNorm(h + attn)).
  h = b.linear(p + ".intermediate.dense", attn, kHidden, kIntermediate);
  h = b.gelu_erf(p + ".intermediate.intermediate_act_fn", h);
  h = b.linear(p + ".output.dense", h, kIntermediate, kHidden);
  h = b.op("Add", p + ".output.add", {h, attn});
  return b.layer_norm(p + ".output.LayerNorm", h, kHidden, kLnEps, output_name);
}

Result<Graph> build_bert_base() {
  GraphBuilder b("bert-base");
  const std::vector<Dim> ids_shape = {Dim::symbol("batch"), Dim::symbol("sequence")};
  const ValueId input_ids = b.input("input_ids", DType::kInt64, ids_shape);
  const ValueId attention_mask = b.input("attention_mask", DType::kInt64, ids_shape);
  const ValueId token_type_ids = b.input("token_type_ids", DType::kInt64, ids_shape);

  // BertEmbeddings: word + token_type + position, LayerNorm, dropout.
  const std::string e = "embeddings";
  ValueId x = b.op("Gather", e + ".word_embeddings",
                   {b.parameter(e + ".word_embeddings.weight", {kVocab, kHidden}), input_ids},
                   attrs({{"axis", int64_t{0}}}));
  const ValueId types =
      b.op("Gather", e + ".token_type_embeddings",
           {b.parameter(e + ".token_type_embeddings.weight", {kTypeVocab, kHidden}),
            token_type_ids},
           attrs({{"axis", int64_t{0}}}));
  x = b.op("Add", e + ".add", {x, types});
  const ValueId seq = b.dim_of(e + ".seq_len", input_ids, 1);
  const ValueId position_ids =
      b.op("Slice", e + ".position_ids",
           {b.buffer(e + ".position_ids", {1, kMaxPositions}, DType::kInt64), b.ints({0}), seq,
            b.ints({1})});
  const ValueId positions =
      b.op("Gather", e + ".position_embeddings",
           {b.parameter(e + ".position_embeddings.weight", {kMaxPositions, kHidden}),
            position_ids},
           attrs({{"axis", int64_t{0}}}));
  x = b.op("Add", e + ".add", {x, positions});
  x = b.layer_norm(e + ".LayerNorm", x, kHidden, kLnEps);

  // get_extended_attention_mask: [B, S] → [B, 1, 1, S], (1 - m) · finfo(float32).min.
  ValueId mask = b.op("Unsqueeze", "extended_attention_mask.unsqueeze",
                      {attention_mask, b.ints({1, 2})});
  mask = b.op("Cast", "extended_attention_mask.cast", {mask},
              attrs({{"to", static_cast<int64_t>(DType::kFloat32)}}));
  mask = b.op("Sub", "extended_attention_mask.invert", {b.float_scalar(1.0), mask});
  mask = b.op("Mul", "extended_attention_mask.scale",
              {mask, b.float_scalar(std::numeric_limits<float>::lowest())});

  for (int64_t i = 0; i < kLayers; ++i) {
    x = bert_layer(b, "encoder.layer." + std::to_string(i), x, mask,
                   i + 1 == kLayers ? "last_hidden_state" : "");
  }
  b.output(x);

  // BertPooler: dense(hidden_states[:, 0]) → tanh.
  ValueId pooled =
      b.op("Gather", "pooler.first_token", {x, b.int_scalar(0)}, attrs({{"axis", int64_t{1}}}));
  pooled = b.gemm_linear("pooler.dense", pooled, kHidden, kHidden);
  b.output(b.add_node("Tanh", "pooler.activation", {pooled}, {}, 1, {"pooler_output"}).front());
  return b.finish();
}

GRAPHS_REGISTER_ZOO_MODEL("bert-base",
                          "transformers BertModel, bert-base-uncased config, with pooler "
                          "(109.5M params)",
                          build_bert_base);

}  // namespace
}  // namespace graphs::zoo
