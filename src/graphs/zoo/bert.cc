// Hugging Face transformers BertModel (modeling_bert.py, eager attention) with the pooler (dense +
// tanh on the first token), one builder parametrised by BertConfig, with the published
// config.json of each checkpoint:
//
//   model       hidden layers heads intermediate  params (BertModel with pooler)
//   bert-base     768    12     12      3072       109,482,240  (bert-base-uncased)
//   bert-large   1024    24     16      4096       335,141,888  (bert-large-uncased)
// All: vocab 30522, max positions 512, type vocab 2, exact GELU, LayerNorm eps 1e-12,
// head_dim = hidden / heads = 64.
// Parameters: embeddings (vocab + positions + types)·hidden + LayerNorm 2·hidden; per layer
// 4·(hidden² + hidden) (query, key, value, attention output) + 2·hidden·intermediate +
// intermediate + hidden (intermediate, output) + 2 LayerNorms 4·hidden; pooler hidden² + hidden.
//
// Inputs: input_ids, attention_mask, token_type_ids: int64[batch, sequence].
// Outputs: last_hidden_state float32[batch, sequence, hidden], pooler_output float32[batch,
// hidden]. Position ids are the position_ids buffer (int64 [1, 512]) sliced to the sequence
// length; the attention mask is extended as (1 - mask[:, None, None, :]) · finfo(float32).min and
// added to the scores.
#include <limits>
#include <string>

#include "graphs/zoo/graph_builder.h"
#include "graphs/zoo/zoo.h"

namespace graphs::zoo {
namespace {

// The published config fields (config.json of each checkpoint).
struct BertConfig {
  const char* name;
  int64_t vocab = 30522;          // vocab_size
  int64_t hidden = 768;           // hidden_size
  int64_t layers = 12;            // num_hidden_layers
  int64_t heads = 12;             // num_attention_heads
  int64_t intermediate = 3072;    // intermediate_size
  int64_t max_positions = 512;    // max_position_embeddings
  int64_t type_vocab = 2;         // type_vocab_size
  double ln_eps = 1e-12;          // layer_norm_eps
  int64_t head_dim() const { return hidden / heads; }
};

constexpr BertConfig kBertBase{.name = "bert-base"};
constexpr BertConfig kBertLarge{
    .name = "bert-large", .hidden = 1024, .layers = 24, .heads = 16, .intermediate = 4096};

ValueId bert_layer(GraphBuilder& b, const BertConfig& c, const std::string& p, ValueId x,
                   ValueId mask, const std::string& output_name) {
  const int64_t hidden = c.hidden, heads = c.heads, head_dim = c.head_dim();
  // BertSelfAttention: query/key/value Linear, split heads, scores / sqrt(d) + mask, softmax.
  const std::string s = p + ".attention.self";
  const ValueId q = b.split_heads(s + ".query", b.linear(s + ".query", x, hidden, hidden),
                                  heads, head_dim);
  const ValueId k_t = b.split_heads(s + ".key", b.linear(s + ".key", x, hidden, hidden), heads,
                                    head_dim, /*key_transposed=*/true);
  const ValueId v = b.split_heads(s + ".value", b.linear(s + ".value", x, hidden, hidden),
                                  heads, head_dim);
  ValueId h = b.attention_core(s, q, k_t, v, head_dim, /*add_mask=*/mask);
  h = b.merge_heads(s, h, hidden);
  // BertSelfOutput: dense, dropout, LayerNorm(h + x).
  const std::string o = p + ".attention.output";
  h = b.linear(o + ".dense", h, hidden, hidden);
  h = b.op("Add", o + ".add", {h, x});
  const ValueId attn = b.layer_norm(o + ".LayerNorm", h, hidden, c.ln_eps);
  // BertIntermediate (dense + GELU) and BertOutput (dense, dropout, LayerNorm(h + attn)).
  h = b.linear(p + ".intermediate.dense", attn, hidden, c.intermediate);
  h = b.gelu_erf(p + ".intermediate.intermediate_act_fn", h);
  h = b.linear(p + ".output.dense", h, c.intermediate, hidden);
  h = b.op("Add", p + ".output.add", {h, attn});
  return b.layer_norm(p + ".output.LayerNorm", h, hidden, c.ln_eps, output_name);
}

Result<Graph> build_bert(const BertConfig& c) {
  const int64_t hidden = c.hidden;
  GraphBuilder b(c.name);
  const std::vector<Dim> ids_shape = {Dim::symbol("batch"), Dim::symbol("sequence")};
  const ValueId input_ids = b.input("input_ids", DType::kInt64, ids_shape);
  const ValueId attention_mask = b.input("attention_mask", DType::kInt64, ids_shape);
  const ValueId token_type_ids = b.input("token_type_ids", DType::kInt64, ids_shape);

  // BertEmbeddings: word + token_type + position, LayerNorm, dropout.
  const std::string e = "embeddings";
  ValueId x = b.op("Gather", e + ".word_embeddings",
                   {b.parameter(e + ".word_embeddings.weight", {c.vocab, hidden}), input_ids},
                   attrs({{"axis", int64_t{0}}}));
  const ValueId types =
      b.op("Gather", e + ".token_type_embeddings",
           {b.parameter(e + ".token_type_embeddings.weight", {c.type_vocab, hidden}),
            token_type_ids},
           attrs({{"axis", int64_t{0}}}));
  x = b.op("Add", e + ".add", {x, types});
  const ValueId seq = b.dim_of(e + ".seq_len", input_ids, 1);
  const ValueId position_ids =
      b.op("Slice", e + ".position_ids",
           {b.buffer(e + ".position_ids", {1, c.max_positions}, DType::kInt64), b.ints({0}), seq,
            b.ints({1})});
  const ValueId positions =
      b.op("Gather", e + ".position_embeddings",
           {b.parameter(e + ".position_embeddings.weight", {c.max_positions, hidden}),
            position_ids},
           attrs({{"axis", int64_t{0}}}));
  x = b.op("Add", e + ".add", {x, positions});
  x = b.layer_norm(e + ".LayerNorm", x, hidden, c.ln_eps);

  // get_extended_attention_mask: [B, S] → [B, 1, 1, S], (1 - m) · finfo(float32).min.
  ValueId mask = b.op("Unsqueeze", "extended_attention_mask.unsqueeze",
                      {attention_mask, b.ints({1, 2})});
  mask = b.op("Cast", "extended_attention_mask.cast", {mask},
              attrs({{"to", static_cast<int64_t>(DType::kFloat32)}}));
  mask = b.op("Sub", "extended_attention_mask.invert", {b.float_scalar(1.0), mask});
  mask = b.op("Mul", "extended_attention_mask.scale",
              {mask, b.float_scalar(std::numeric_limits<float>::lowest())});

  for (int64_t i = 0; i < c.layers; ++i) {
    x = bert_layer(b, c, "encoder.layer." + std::to_string(i), x, mask,
                   i + 1 == c.layers ? "last_hidden_state" : "");
  }
  b.output(x);

  // BertPooler: dense(hidden_states[:, 0]) → tanh.
  ValueId pooled =
      b.op("Gather", "pooler.first_token", {x, b.int_scalar(0)}, attrs({{"axis", int64_t{1}}}));
  pooled = b.gemm_linear("pooler.dense", pooled, hidden, hidden);
  b.output(b.add_node("Tanh", "pooler.activation", {pooled}, {}, 1, {"pooler_output"}).front());
  return b.finish();
}

GRAPHS_REGISTER_ZOO_MODEL("bert-base",
                          "transformers BertModel, bert-base-uncased config, with pooler "
                          "(109.5M params)",
                          [] { return build_bert(kBertBase); });
GRAPHS_REGISTER_ZOO_MODEL("bert-large",
                          "transformers BertModel, bert-large-uncased config (24 layers, hidden "
                          "1024, 16 heads), with pooler (335.1M params)",
                          [] { return build_bert(kBertLarge); });

}  // namespace
}  // namespace graphs::zoo
