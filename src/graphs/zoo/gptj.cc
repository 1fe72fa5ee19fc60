// Hugging Face transformers GPTJForCausalLM (modeling_gptj.py, eager attention, no KV cache,
// prefill of the whole sequence) with the EleutherAI/gpt-j-6b config.json: n_layer 28, n_embd
// 4096, n_head 16 (head_dim 256), rotary_dim 64, n_inner None → 4·4096 = 16384, vocab_size 50400,
// n_positions 2048, layer_norm_epsilon 1e-5, activation_function gelu_new, tie_word_embeddings
// false.
//
// Block (GPTJBlock): one LayerNorm ln_1 feeds attention AND MLP in parallel;
// x + attn(ln_1(x)) + mlp(ln_1(x)). Attention: q/k/v/out_proj Linear without bias; MLP fc_in /
// fc_out with bias, gelu_new between. Final ln_f, then lm_head Linear(4096, 50400) WITH bias,
// untied from wte. No position embedding table: rotary only.
//
// Parameters (sum(p.numel() for p in GPTJForCausalLM.parameters())): per layer ln_1 2·h +
// 4·h² (q, k, v, out) + h·4h + 4h (fc_in) + 4h·h + h (fc_out); wte V·h; ln_f 2·h; lm_head V·h + V
// = 6,050,882,784. The model card's "n_parameters 6,053,381,344" is the count of the
// mesh-transformer-jax checkpoint, sharded 8 ways, in which every shard holds its own copy of each
// LayerNorm (ln_1 per layer, ln_f) and of each fc_out bias, and the one-hot embedding has an
// [h] bias per shard: 6,050,882,784 + 7·28·(2h + h) + 7·2h + 8·h = 6,053,381,344 (h = 4096). The
// transformers checkpoint has one copy of each (the embedding bias folded into wte).
//
// Input: input_ids int64[batch, sequence]. Output: logits float32[batch, sequence, 50400].
//
// Graph, as torch.onnx.export writes it at opset 17:
//   - q, k: Linear → Reshape [B, S, 16, 256] (_split_heads with rotary=True: no permute), partial
//     rotary on the first 64 dims (Slice [..., :64] and [..., 64:]), Concat back, then Transpose
//     to [B, 16, S, 256] (k straight to [B, 16, 256, S] for q·kᵀ); v: Reshape + Transpose.
//   - Rotary (GPT-J's interleaved form): sin/cos are computed in the graph from the positions,
//     not stored (in transformers `embed_positions` is a plain tensor attribute, not a parameter):
//     inv_freq = 1 / 10000^(Range(0, 64, 2) / 64) [32], freqs = positions ⊗ inv_freq [S, 32],
//     sin/cos = Sin/Cos(freqs) repeat_interleave'd to [S, 64] (Unsqueeze, Concat, Reshape) and
//     Unsqueeze'd to [S, 1, 64] against [B, S, heads, 64]. x·cos + rotate_every_two(x)·sin with
//     rotate_every_two = stack(-x[..., 1::2], x[..., ::2], -1).flatten(-2) (strided Slices, Neg,
//     Unsqueeze, Concat, Reshape).
//   - Attention: softmax(q·kᵀ / sqrt(256), causal) · v, the causal mask computed as
//     GreaterOrEqual(Range(S)[:, None], Range(S)[None, :]) as in llama.cc (transformers builds it
//     per forward; older versions held a bool [1, 1, 2048, 2048] buffer per layer).
//   - lm_head: MatMul with the weight stored [in, out] + Add of the bias, named "logits".
#include <string>

#include "graphs/zoo/graph_builder.h"
#include "graphs/zoo/zoo.h"

namespace graphs::zoo {
namespace {

// The published config fields (config.json of EleutherAI/gpt-j-6b).
struct GptjConfig {
  const char* name;
  int64_t vocab = 50400;       // vocab_size
  int64_t hidden = 4096;       // n_embd
  int64_t layers = 28;         // n_layer
  int64_t heads = 16;          // n_head
  int64_t rotary_dim = 64;     // rotary_dim
  double ln_eps = 1e-5;        // layer_norm_epsilon
  double rope_base = 10000.0;  // create_sinusoidal_positions
  int64_t head_dim() const { return hidden / heads; }
  int64_t inner() const { return 4 * hidden; }  // n_inner = None → 4·n_embd
};

constexpr GptjConfig kGptj6b{.name = "gpt-j-6b"};

// Values shared by every layer: sin/cos [S, 1, rotary_dim] and the causal mask bool [S, S].
struct SharedInputs {
  ValueId sin = kNoValue;
  ValueId cos = kNoValue;
  ValueId causal_mask = kNoValue;
};

// torch.repeat_interleave(t, 2, dim=-1) on [S, n]: [S, n, 1] twice → [S, n, 2] → [S, 2n].
ValueId repeat_interleave2(GraphBuilder& b, const std::string& module, ValueId t) {
  const ValueId u = b.op("Unsqueeze", module + ".unsqueeze", {t, b.ints({-1})});
  const ValueId c = b.op("Concat", module + ".concat", {u, u}, attrs({{"axis", int64_t{-1}}}));
  return b.op("Reshape", module + ".flatten", {c, b.ints({0, -1})});
}

SharedInputs shared_inputs(GraphBuilder& b, const GptjConfig& c, ValueId input_ids) {
  const int64_t r = c.rotary_dim;
  const ValueId ids_shape = b.op("Shape", "transformer.ids_shape", {input_ids});
  const ValueId seq = b.op("Gather", "transformer.seq_len", {ids_shape, b.int_scalar(1)},
                           attrs({{"axis", int64_t{0}}}));
  const ValueId positions =
      b.op("Range", "transformer.position_ids", {b.int_scalar(0), seq, b.int_scalar(1)});

  // create_sinusoidal_positions, evaluated at the positions in use.
  const std::string e = "transformer.embed_positions";
  ValueId inv_freq =
      b.op("Range", e + ".arange", {b.int_scalar(0), b.int_scalar(r), b.int_scalar(2)});
  inv_freq = b.op("Cast", e + ".arange_float", {inv_freq},
                  attrs({{"to", static_cast<int64_t>(DType::kFloat32)}}));
  inv_freq = b.op("Div", e + ".div", {inv_freq, b.float_scalar(static_cast<double>(r))});
  inv_freq = b.op("Pow", e + ".pow", {b.float_scalar(c.rope_base), inv_freq});
  inv_freq = b.op("Reciprocal", e + ".inv_freq", {inv_freq});
  ValueId pos = b.op("Cast", e + ".positions_float", {positions},
                     attrs({{"to", static_cast<int64_t>(DType::kFloat32)}}));
  pos = b.op("Unsqueeze", e + ".positions_col", {pos, b.ints({1})});
  const ValueId freqs = b.op("Mul", e + ".sinusoid_inp", {pos, inv_freq});  // [S, r/2]

  SharedInputs s;
  // apply_rotary_pos_emb: repeat_interleave(sin[:, :, None, :], 2, 3) → [S, 1, r] here.
  s.sin = repeat_interleave2(b, e + ".sin_interleave", b.op("Sin", e + ".sin", {freqs}));
  s.sin = b.op("Unsqueeze", e + ".sin_heads", {s.sin, b.ints({1})});
  s.cos = repeat_interleave2(b, e + ".cos_interleave", b.op("Cos", e + ".cos", {freqs}));
  s.cos = b.op("Unsqueeze", e + ".cos_heads", {s.cos, b.ints({1})});

  const ValueId rows = b.op("Unsqueeze", "transformer.causal_mask.rows", {positions, b.ints({1})});
  const ValueId cols = b.op("Unsqueeze", "transformer.causal_mask.cols", {positions, b.ints({0})});
  s.causal_mask = b.op("GreaterOrEqual", "transformer.causal_mask", {rows, cols});
  return s;
}

// x·cos + rotate_every_two(x)·sin on x [B, S, heads, r].
ValueId apply_rotary(GraphBuilder& b, const std::string& module, ValueId x, int64_t r,
                     const SharedInputs& shared) {
  const ValueId axis = b.ints({-1}), two = b.ints({2});
  const ValueId even = b.op("Slice", module + ".x1", {x, b.ints({0}), b.ints({r}), axis, two});
  const ValueId odd = b.op("Slice", module + ".x2", {x, b.ints({1}), b.ints({r}), axis, two});
  const ValueId neg = b.op("Neg", module + ".neg", {odd});
  const ValueId a = b.op("Unsqueeze", module + ".stack_a", {neg, axis});
  const ValueId c = b.op("Unsqueeze", module + ".stack_b", {even, axis});
  ValueId rotated = b.op("Concat", module + ".stack", {a, c}, attrs({{"axis", int64_t{-1}}}));
  rotated = b.op("Reshape", module + ".flatten", {rotated, b.ints({0, 0, 0, r})});
  const ValueId with_cos = b.op("Mul", module + ".mul_cos", {x, shared.cos});
  const ValueId with_sin = b.op("Mul", module + ".mul_sin", {rotated, shared.sin});
  return b.op("Add", module + ".add", {with_cos, with_sin});
}

// [B, S, hidden] → [B, S, heads, head_dim] with rotary on the first rotary_dim dims of each head.
ValueId rotary_heads(GraphBuilder& b, const GptjConfig& c, const std::string& module, ValueId x,
                     const SharedInputs& shared) {
  const int64_t d = c.head_dim(), r = c.rotary_dim;
  const ValueId h =
      b.op("Reshape", module + ".split_heads", {x, b.ints({0, 0, c.heads, d})});
  const ValueId rot =
      b.op("Slice", module + ".rot", {h, b.ints({0}), b.ints({r}), b.ints({-1})});
  const ValueId pass =
      b.op("Slice", module + ".pass", {h, b.ints({r}), b.ints({d}), b.ints({-1})});
  const ValueId rotated = apply_rotary(b, module + ".rotary", rot, r, shared);
  return b.op("Concat", module + ".cat", {rotated, pass}, attrs({{"axis", int64_t{-1}}}));
}

ValueId attention(GraphBuilder& b, const GptjConfig& c, const std::string& p, ValueId x,
                  const SharedInputs& shared) {
  const int64_t h = c.hidden, d = c.head_dim();
  auto proj = [&](const std::string& m, ValueId in) {
    return b.matmul_linear(m, in, h, h, m + ".weight", "");
  };
  ValueId q = rotary_heads(b, c, p + ".q_proj", proj(p + ".q_proj", x), shared);
  ValueId k = rotary_heads(b, c, p + ".k_proj", proj(p + ".k_proj", x), shared);
  const ValueId v = b.split_heads(p + ".v_proj", proj(p + ".v_proj", x), c.heads, d);
  q = b.op("Transpose", p + ".query_t", {q}, attrs({{"perm", Ints{0, 2, 1, 3}}}));
  const ValueId k_t = b.op("Transpose", p + ".key_t", {k}, attrs({{"perm", Ints{0, 2, 3, 1}}}));
  ValueId out = b.attention_core(p, q, k_t, v, d, kNoValue, shared.causal_mask);
  out = b.merge_heads(p, out, h);
  return proj(p + ".out_proj", out);
}

ValueId gptj_block(GraphBuilder& b, const GptjConfig& c, const std::string& p, ValueId x,
                   const SharedInputs& shared) {
  const ValueId h = b.layer_norm(p + ".ln_1", x, c.hidden, c.ln_eps);
  const ValueId attn = attention(b, c, p + ".attn", h, shared);
  // GPTJMLP: fc_in → gelu_new → fc_out, on the same ln_1 output.
  ValueId m = b.linear(p + ".mlp.fc_in", h, c.hidden, c.inner());
  m = b.gelu_tanh(p + ".mlp.act", m);
  m = b.linear(p + ".mlp.fc_out", m, c.inner(), c.hidden);
  // attn_output + feed_forward_hidden_states + residual
  const ValueId sum = b.op("Add", p + ".add", {attn, m});
  return b.op("Add", p + ".add", {sum, x});
}

Result<Graph> build_gptj(const GptjConfig& c) {
  GraphBuilder b(c.name);
  const ValueId input_ids =
      b.input("input_ids", DType::kInt64, {Dim::symbol("batch"), Dim::symbol("sequence")});
  ValueId x = b.op("Gather", "transformer.wte",
                   {b.parameter("transformer.wte.weight", {c.vocab, c.hidden}), input_ids},
                   attrs({{"axis", int64_t{0}}}));
  const SharedInputs shared = shared_inputs(b, c, input_ids);
  for (int64_t i = 0; i < c.layers; ++i) {
    x = gptj_block(b, c, "transformer.h." + std::to_string(i), x, shared);
  }
  x = b.layer_norm("transformer.ln_f", x, c.hidden, c.ln_eps);
  // lm_head: Linear(n_embd, vocab) with bias, untied.
  const ValueId logits = b.op("MatMul", "lm_head.matmul",
                              {x, b.parameter("lm_head.weight", {c.hidden, c.vocab})});
  b.output(b.add_node("Add", "lm_head.bias_add", {logits, b.parameter("lm_head.bias", {c.vocab})},
                      {}, 1, {"logits"})
               .front());
  return b.finish();
}

GRAPHS_REGISTER_ZOO_MODEL("gpt-j-6b",
                          "transformers GPTJForCausalLM, EleutherAI/gpt-j-6b config (28 layers, "
                          "n_embd 4096, 16 heads of 256, rotary_dim 64, parallel attention + MLP), "
                          "untied lm_head with bias (6.05B params)",
                          [] { return build_gptj(kGptj6b); });

}  // namespace
}  // namespace graphs::zoo
