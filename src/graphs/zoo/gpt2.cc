// Hugging Face transformers GPT2LMHeadModel (modeling_gpt2.py, eager attention), one builder
// parametrised by Gpt2Config: vocab 50257, n_positions 1024, MLP 4·n_embd with gelu_new (tanh
// approximation), LayerNorm eps 1e-5, lm_head tied to transformer.wte (counted once).
//   gpt2:    n_embd 768,  12 layers, 12 heads (head_dim 64). Parameters: 124,439,808.
//   gpt2-xl: n_embd 1600, 48 layers, 25 heads (head_dim 64). Parameters: 1,557,611,200.
//
// Input: input_ids int64[batch, sequence]. Output: logits float32[batch, sequence, 50257].
// GPT-2's Conv1D layers store their weight as [in, out] and run as MatMul + Add. Position ids are
// Range(0, sequence) as exported. The causal mask is a bool buffer [1, 1, 1024, 1024] (the
// lower-triangular `attn.bias` of older transformers versions), sliced to [1, 1, S, S], selecting
// scores with Where(mask, scores, finfo(float32).min). The lm_head is Gemm(transB=1) on the
// flattened hidden states with the wte weight itself, so the tied weight is one initializer.
#include <string>

#include "graphs/zoo/graph_builder.h"
#include "graphs/zoo/zoo.h"

namespace graphs::zoo {
namespace {

// The published config fields that differ between GPT-2 sizes (config.json of each checkpoint).
struct Gpt2Config {
  const char* name;
  int64_t vocab = 50257;
  int64_t positions = 1024;  // n_positions
  int64_t hidden = 768;      // n_embd
  int64_t layers = 12;       // n_layer
  int64_t heads = 12;        // n_head
  double ln_eps = 1e-5;      // layer_norm_epsilon
  int64_t head_dim() const { return hidden / heads; }
  int64_t inner() const { return 4 * hidden; }  // n_inner = None → 4·n_embd
};

constexpr Gpt2Config kGpt2{.name = "gpt2"};
constexpr Gpt2Config kGpt2Xl{.name = "gpt2-xl", .hidden = 1600, .layers = 48, .heads = 25};

// Conv1D(nf=out, nx=in): weight [in, out], bias [out].
ValueId conv1d(GraphBuilder& b, const std::string& module, ValueId x, int64_t in, int64_t out) {
  return b.linear(module, x, in, out);
}

ValueId gpt2_block(GraphBuilder& b, const Gpt2Config& c, const std::string& p, ValueId x,
                   ValueId causal_mask) {
  const int64_t hidden = c.hidden, head_dim = c.head_dim();
  // GPT2Attention: c_attn → split(n_embd, dim=2) → heads → causal softmax(q·kᵀ / √d) · v → c_proj.
  ValueId h = b.layer_norm(p + ".ln_1", x, hidden, c.ln_eps);
  const std::string a = p + ".attn";
  h = conv1d(b, a + ".c_attn", h, hidden, 3 * hidden);
  const auto qkv = b.add_node("Split", a + ".split", {h, b.ints({hidden, hidden, hidden})},
                              attrs({{"axis", int64_t{2}}}), 3);
  const ValueId q = b.split_heads(a + ".query", qkv[0], c.heads, head_dim);
  const ValueId k_t = b.split_heads(a + ".key", qkv[1], c.heads, head_dim, /*key_transposed=*/true);
  const ValueId v = b.split_heads(a + ".value", qkv[2], c.heads, head_dim);
  h = b.attention_core(a, q, k_t, v, head_dim, kNoValue, causal_mask);
  h = b.merge_heads(a, h, hidden);
  h = conv1d(b, a + ".c_proj", h, hidden, hidden);
  x = b.op("Add", p + ".add", {h, x});
  // GPT2MLP: c_fc → gelu_new → c_proj.
  h = b.layer_norm(p + ".ln_2", x, hidden, c.ln_eps);
  h = conv1d(b, p + ".mlp.c_fc", h, hidden, c.inner());
  h = b.gelu_tanh(p + ".mlp.act", h);
  h = conv1d(b, p + ".mlp.c_proj", h, c.inner(), hidden);
  return b.op("Add", p + ".add", {x, h});
}

Result<Graph> build_gpt2(const Gpt2Config& c) {
  const int64_t hidden = c.hidden;
  GraphBuilder b(c.name);
  const ValueId input_ids =
      b.input("input_ids", DType::kInt64, {Dim::symbol("batch"), Dim::symbol("sequence")});

  const ValueId wte = b.parameter("transformer.wte.weight", {c.vocab, hidden});
  ValueId x = b.op("Gather", "transformer.wte", {wte, input_ids}, attrs({{"axis", int64_t{0}}}));
  // position_ids = arange(0, S).unsqueeze(0)
  const ValueId ids_shape = b.op("Shape", "transformer.ids_shape", {input_ids});
  const ValueId seq_scalar = b.op("Gather", "transformer.seq_len", {ids_shape, b.int_scalar(1)},
                                  attrs({{"axis", int64_t{0}}}));
  ValueId position_ids =
      b.op("Range", "transformer.position_ids", {b.int_scalar(0), seq_scalar, b.int_scalar(1)});
  position_ids =
      b.op("Unsqueeze", "transformer.position_ids.unsqueeze", {position_ids, b.ints({0})});
  const ValueId positions =
      b.op("Gather", "transformer.wpe",
           {b.parameter("transformer.wpe.weight", {c.positions, hidden}), position_ids},
           attrs({{"axis", int64_t{0}}}));
  x = b.op("Add", "transformer.embeddings.add", {x, positions});

  // causal_mask = bias[:, :, 0:S, 0:S] (no past key/values).
  const ValueId seq = b.dim_of("transformer.seq_len_1d", input_ids, 1);
  const ValueId batch = b.dim_of("transformer.batch_1d", input_ids, 0);
  const ValueId mask_end =
      b.op("Concat", "transformer.causal_mask.ends", {seq, seq}, attrs({{"axis", int64_t{0}}}));
  const ValueId causal_mask = b.op(
      "Slice", "transformer.causal_mask",
      {b.buffer("transformer.causal_mask", {1, 1, c.positions, c.positions}, DType::kBool),
       b.ints({0, 0}), mask_end, b.ints({2, 3})});

  for (int64_t i = 0; i < c.layers; ++i) {
    x = gpt2_block(b, c, "transformer.h." + std::to_string(i), x, causal_mask);
  }
  x = b.layer_norm("transformer.ln_f", x, hidden, c.ln_eps);

  // lm_head (bias=False, weight tied to wte): [B·S, 768] × wteᵀ → [B, S, vocab].
  x = b.op("Reshape", "lm_head.flatten", {x, b.ints({-1, hidden})});
  x = b.op("Gemm", "lm_head", {x, wte}, attrs({{"alpha", 1.0}, {"transB", int64_t{1}}}));
  const ValueId logits_shape =
      b.op("Concat", "lm_head.shape", {batch, seq, b.ints({c.vocab})},
           attrs({{"axis", int64_t{0}}}));
  b.output(
      b.add_node("Reshape", "lm_head.unflatten", {x, logits_shape}, {}, 1, {"logits"}).front());
  return b.finish();
}

GRAPHS_REGISTER_ZOO_MODEL("gpt2",
                          "transformers GPT2LMHeadModel, gpt2 config, lm_head tied to wte "
                          "(124.4M params)",
                          [] { return build_gpt2(kGpt2); });
GRAPHS_REGISTER_ZOO_MODEL("gpt2-xl",
                          "transformers GPT2LMHeadModel, gpt2-xl config (n_embd 1600, 48 layers, "
                          "25 heads), lm_head tied to wte (1.56B params)",
                          [] { return build_gpt2(kGpt2Xl); });

}  // namespace
}  // namespace graphs::zoo
