// Hugging Face transformers decoder-only LLMs of the Llama family (modeling_llama.py,
// modeling_mistral.py, modeling_mixtral.py; eager attention, no KV cache, prefill of the whole
// sequence), one builder parametrised by LlamaConfig, with the published config.json of each
// checkpoint:
//
//   model          hidden layers heads kv_heads  ffn    vocab   rope_theta  params
//   llama-2-7b      4096    32     32     32    11008   32000     1e4     6,738,415,616
//   llama-2-13b     5120    40     40     40    13824   32000     1e4    13,015,864,320
//   llama-2-70b     8192    80     64      8    28672   32000     1e4    68,976,648,192
//   llama-3-8b      4096    32     32      8    14336  128256     5e5     8,030,261,248
//   llama-3-70b     8192    80     64      8    28672  128256     5e5    70,553,706,496
//   llama-3.1-8b    4096    32     32      8    14336  128256     5e5     8,030,261,248
//   llama-3.1-70b   8192    80     64      8    28672  128256     5e5    70,553,706,496
//   mistral-7b      4096    32     32      8    14336   32000     1e4     7,241,732,096
//   mixtral-8x7b    4096    32     32      8    14336   32000     1e6    46,702,792,704 total
//                   (8 experts, top-2)                                  12,879,925,248 active
// All: head_dim = hidden / heads = 128, RMSNorm eps 1e-5, SiLU, untied lm_head, no biases.
// Mistral-7B-v0.1's sliding window (4096) equals the plain causal mask for sequences ≤ 4096 and
// is not modelled.
// Meta-Llama-3.1-8B / -70B (config.json) have the layer shapes of Meta-Llama-3-8B / -70B and are
// built from the same configs under their own names. Their only architectural change is
// rope_scaling {rope_type "llama3", factor 8, low_freq_factor 1, high_freq_factor 4,
// original_max_position_embeddings 8192} (max_position_embeddings 131072), which rescales the
// head_dim/2 inv_freq values once (computed at init in transformers, not per token); the graph
// computes the unscaled inv_freq, which costs the same few ops on [head_dim/2].
// Parameters per layer: 2·h² (q, o) + 2·h·kv_heads·head_dim (k, v) + experts·3·h·ffn (gate, up,
// down) + h·experts (router, MoE only) + 2·h (norms); plus vocab·h twice (embed_tokens,
// lm_head) and h (final norm).
//
// Input: input_ids int64[batch, sequence]. Output: logits float32[batch, sequence, vocab].
//
// Graph, as torch.onnx.export writes it at opset 17:
//   - RMSNorm: x·(1 / sqrt(mean(x², -1) + eps))·weight → Pow, ReduceMean, Add, Sqrt, Reciprocal,
//     Mul, Mul; weight "<module>.weight" [hidden].
//   - Projections: MatMul with the weight stored [in, out] (the exported transpose), no bias.
//   - Rotary embedding (LlamaRotaryEmbedding, default rope type): computed in the graph from the
//     positions, not stored. inv_freq = 1 / theta^(Range(0, head_dim, 2) / head_dim) [head_dim/2],
//     freqs = positions ⊗ inv_freq [S, head_dim/2] (an outer product written as a broadcast Mul),
//     emb = Concat(freqs, freqs), cos/sin = Cos/Sin(emb) [S, head_dim]. In transformers inv_freq
//     is a non-persistent buffer and cos/sin are computed per forward, so none of them is a
//     parameter; computing them here keeps them out of count_parameters (which counts every
//     floating initializer of > 1 element) and their cost is a few ops on [S, head_dim].
//     q·cos + rotate_half(q)·sin with rotate_half = Concat(-x[..., d/2:], x[..., :d/2]).
//   - Causal mask: GreaterOrEqual(Range(S)[:, None], Range(S)[None, :]) bool [S, S], applied as
//     Where(mask, scores, finfo(float32).min) (no mask buffer: Mistral's max positions 32768
//     would make a [32768, 32768] buffer).
//   - GQA (repeat_kv): k and v [B, kv, S, d] → Unsqueeze(2) → Expand [1, 1, heads/kv, 1, 1] →
//     Reshape [B, heads, S, d]; omitted when kv_heads = heads.
//   - MLP (SwiGLU): down(silu(gate(x)) · up(x)), silu = x·Sigmoid(x).
//
// Mixture of experts (MixtralSparseMoeBlock), modelled for costing: the router
// ("block_sparse_moe.gate.weight", [hidden, experts]) runs as MatMul → Softmax → TopK(k=2), and
// the top-2 weights are renormalised (ReduceSum, Div). The data-dependent dispatch (each token to
// its own 2 experts) is not expressible with static shapes, so the graph runs 2 dense "active
// expert slots" over every token: slot j is a full SwiGLU FFN whose output is scaled by the j-th
// routing weight, and the slots are summed. Slot j is drawn with expert j's weights; the weights
// of all 8 experts ("block_sparse_moe.experts.<e>.w1/w2/w3.weight", w1/w3 [hidden, ffn], w2
// [ffn, hidden] in the exported [in, out] layout) are initializers, so count_parameters gives
// the TOTAL 46,702,792,704, while MACs (and the weight bytes the nodes read) are those of the
// ACTIVE path: 2 experts per token (≈ 12.9B active parameters). The weight bytes are therefore
// those of batch-1 decode, where a step reads 2 experts; a large batch touches all 8. Hence
// characterize's `params` (weights the nodes read, shown by `graphs analyze`) is the active
// 12.88B, while count_parameters (every initializer) is the total.
#include <limits>
#include <string>

#include "graphs/zoo/graph_builder.h"
#include "graphs/zoo/zoo.h"

namespace graphs::zoo {
namespace {

struct LlamaConfig {
  const char* name;
  int64_t hidden = 4096;        // hidden_size
  int64_t layers = 32;          // num_hidden_layers
  int64_t heads = 32;           // num_attention_heads
  int64_t kv_heads = 32;        // num_key_value_heads
  int64_t ffn = 11008;          // intermediate_size
  int64_t vocab = 32000;        // vocab_size
  double rope_theta = 10000.0;  // rope_theta
  double rms_eps = 1e-5;        // rms_norm_eps
  int64_t experts = 1;          // num_local_experts (1: dense MLP)
  int64_t experts_per_token = 1;  // num_experts_per_tok
  int64_t head_dim() const { return hidden / heads; }
};

constexpr LlamaConfig kLlama2_7b{.name = "llama-2-7b"};
constexpr LlamaConfig kLlama2_13b{
    .name = "llama-2-13b", .hidden = 5120, .layers = 40, .heads = 40, .kv_heads = 40,
    .ffn = 13824};
constexpr LlamaConfig kLlama2_70b{
    .name = "llama-2-70b", .hidden = 8192, .layers = 80, .heads = 64, .kv_heads = 8,
    .ffn = 28672};
constexpr LlamaConfig kLlama3_8b{.name = "llama-3-8b", .kv_heads = 8, .ffn = 14336,
                                 .vocab = 128256, .rope_theta = 500000.0};
constexpr LlamaConfig kLlama3_70b{
    .name = "llama-3-70b", .hidden = 8192, .layers = 80, .heads = 64, .kv_heads = 8,
    .ffn = 28672, .vocab = 128256, .rope_theta = 500000.0};
// A published config under another checkpoint's name (same layer shapes).
constexpr LlamaConfig renamed(LlamaConfig c, const char* name) {
  c.name = name;
  return c;
}
constexpr LlamaConfig kLlama31_8b = renamed(kLlama3_8b, "llama-3.1-8b");
constexpr LlamaConfig kLlama31_70b = renamed(kLlama3_70b, "llama-3.1-70b");
constexpr LlamaConfig kMistral7b{.name = "mistral-7b", .kv_heads = 8, .ffn = 14336};
constexpr LlamaConfig kMixtral8x7b{.name = "mixtral-8x7b", .kv_heads = 8, .ffn = 14336,
                                   .rope_theta = 1e6, .experts = 8, .experts_per_token = 2};

// Values shared by every layer: rotary cos/sin [S, head_dim] and the causal mask bool [S, S].
struct SharedInputs {
  ValueId cos = kNoValue;
  ValueId sin = kNoValue;
  ValueId causal_mask = kNoValue;
};

ValueId rms_norm(GraphBuilder& b, const std::string& module, ValueId x, int64_t dim,
                 double eps) {
  ValueId v = b.op("Pow", module + ".pow", {x, b.float_scalar(2.0)});
  v = b.op("ReduceMean", module + ".mean", {v},
           attrs({{"axes", Ints{-1}}, {"keepdims", int64_t{1}}}));
  v = b.op("Add", module + ".add", {v, b.float_scalar(eps)});
  v = b.op("Sqrt", module + ".sqrt", {v});
  v = b.op("Reciprocal", module + ".rsqrt", {v});
  v = b.op("Mul", module + ".mul", {x, v});
  return b.op("Mul", module + ".scale", {b.parameter(module + ".weight", {dim}), v});
}

// Bias-free Linear "<module>.weight" [in, out] as MatMul.
ValueId proj(GraphBuilder& b, const std::string& module, ValueId x, int64_t in, int64_t out) {
  return b.matmul_linear(module, x, in, out, module + ".weight", "");
}

// q·cos + rotate_half(q)·sin on [B, heads, S, head_dim].
ValueId apply_rotary(GraphBuilder& b, const std::string& module, ValueId x, int64_t head_dim,
                     const SharedInputs& shared) {
  const int64_t half = head_dim / 2;
  const ValueId x1 = b.op("Slice", module + ".x1", {x, b.ints({0}), b.ints({half}), b.ints({-1})});
  const ValueId x2 =
      b.op("Slice", module + ".x2", {x, b.ints({half}), b.ints({head_dim}), b.ints({-1})});
  const ValueId neg = b.op("Neg", module + ".neg", {x2});
  const ValueId rotated =
      b.op("Concat", module + ".rotate_half", {neg, x1}, attrs({{"axis", int64_t{-1}}}));
  const ValueId a = b.op("Mul", module + ".mul_cos", {x, shared.cos});
  const ValueId c = b.op("Mul", module + ".mul_sin", {rotated, shared.sin});
  return b.op("Add", module + ".add", {a, c});
}

// repeat_kv: [B, kv, S, d] → [B, kv·n_rep, S, d].
ValueId repeat_kv(GraphBuilder& b, const std::string& module, ValueId x, int64_t heads,
                  int64_t n_rep, int64_t head_dim) {
  if (n_rep == 1) return x;
  ValueId y = b.op("Unsqueeze", module + ".unsqueeze", {x, b.ints({2})});
  y = b.op("Expand", module + ".expand", {y, b.ints({1, 1, n_rep, 1, 1})});
  return b.op("Reshape", module + ".reshape", {y, b.ints({0, heads, -1, head_dim})});
}

ValueId self_attention(GraphBuilder& b, const LlamaConfig& c, const std::string& p, ValueId x,
                       const SharedInputs& shared) {
  const int64_t d = c.head_dim(), kv_dim = c.kv_heads * d;
  ValueId q = b.split_heads(p + ".q_proj", proj(b, p + ".q_proj", x, c.hidden, c.hidden), c.heads,
                            d);
  ValueId k = b.split_heads(p + ".k_proj", proj(b, p + ".k_proj", x, c.hidden, kv_dim),
                            c.kv_heads, d);
  ValueId v = b.split_heads(p + ".v_proj", proj(b, p + ".v_proj", x, c.hidden, kv_dim),
                            c.kv_heads, d);
  q = apply_rotary(b, p + ".rotary_q", q, d, shared);
  k = apply_rotary(b, p + ".rotary_k", k, d, shared);
  const int64_t n_rep = c.heads / c.kv_heads;
  k = repeat_kv(b, p + ".repeat_k", k, c.heads, n_rep, d);
  v = repeat_kv(b, p + ".repeat_v", v, c.heads, n_rep, d);
  const ValueId k_t =
      b.op("Transpose", p + ".key_t", {k}, attrs({{"perm", Ints{0, 1, 3, 2}}}));
  ValueId h = b.attention_core(p, q, k_t, v, d, kNoValue, shared.causal_mask);
  h = b.merge_heads(p, h, c.hidden);
  return proj(b, p + ".o_proj", h, c.hidden, c.hidden);
}

// SwiGLU FFN: down(silu(gate(x)) · up(x)) with the given weight names ([in, out] layout).
ValueId swiglu(GraphBuilder& b, const std::string& module, ValueId x, int64_t hidden, int64_t ffn,
               const std::string& gate, const std::string& up, const std::string& down) {
  const ValueId g = b.matmul_linear(module + ".gate", x, hidden, ffn, gate, "");
  const ValueId u = b.matmul_linear(module + ".up", x, hidden, ffn, up, "");
  const ValueId sig = b.op("Sigmoid", module + ".act.sigmoid", {g});
  ValueId h = b.op("Mul", module + ".act.mul", {g, sig});
  h = b.op("Mul", module + ".mul", {h, u});
  return b.matmul_linear(module + ".down", h, ffn, hidden, down, "");
}

// MixtralSparseMoeBlock as 2 dense active-expert slots (see the header comment).
ValueId moe(GraphBuilder& b, const LlamaConfig& c, const std::string& p, ValueId x) {
  ValueId logits = proj(b, p + ".gate", x, c.hidden, c.experts);
  const ValueId probs =
      b.op("Softmax", p + ".routing.softmax", {logits}, attrs({{"axis", int64_t{-1}}}));
  const auto top = b.add_node("TopK", p + ".routing.topk", {probs, b.ints({c.experts_per_token})},
                              attrs({{"axis", int64_t{-1}}}), 2);
  const ValueId total = b.op("ReduceSum", p + ".routing.sum", {top[0], b.ints({-1})},
                             attrs({{"keepdims", int64_t{1}}}));
  const ValueId weights = b.op("Div", p + ".routing.normalize", {top[0], total});
  ValueId out = kNoValue;
  for (int64_t j = 0; j < c.experts_per_token; ++j) {
    const std::string slot = p + ".slot" + std::to_string(j);
    const std::string e = p + ".experts." + std::to_string(j);
    ValueId y = swiglu(b, slot, x, c.hidden, c.ffn, e + ".w1.weight", e + ".w3.weight",
                       e + ".w2.weight");
    const ValueId w = b.op("Slice", slot + ".weight",
                           {weights, b.ints({j}), b.ints({j + 1}), b.ints({-1})});
    y = b.op("Mul", slot + ".scale", {y, w});
    out = out == kNoValue ? y : b.op("Add", p + ".combine", {out, y});
  }
  // The other experts' weights: present for the parameter count, idle in the active path.
  for (int64_t e = c.experts_per_token; e < c.experts; ++e) {
    const std::string n = p + ".experts." + std::to_string(e);
    b.parameter(n + ".w1.weight", {c.hidden, c.ffn});
    b.parameter(n + ".w3.weight", {c.hidden, c.ffn});
    b.parameter(n + ".w2.weight", {c.ffn, c.hidden});
  }
  return out;
}

ValueId decoder_layer(GraphBuilder& b, const LlamaConfig& c, const std::string& p, ValueId x,
                      const SharedInputs& shared) {
  ValueId h = rms_norm(b, p + ".input_layernorm", x, c.hidden, c.rms_eps);
  h = self_attention(b, c, p + ".self_attn", h, shared);
  x = b.op("Add", p + ".add", {x, h});
  h = rms_norm(b, p + ".post_attention_layernorm", x, c.hidden, c.rms_eps);
  if (c.experts > 1) {
    h = moe(b, c, p + ".block_sparse_moe", h);
  } else {
    const std::string m = p + ".mlp";
    h = swiglu(b, m, h, c.hidden, c.ffn, m + ".gate_proj.weight", m + ".up_proj.weight",
               m + ".down_proj.weight");
  }
  return b.op("Add", p + ".add", {x, h});
}

// Rotary cos/sin [S, head_dim] and the causal mask [S, S] from the sequence length.
SharedInputs shared_inputs(GraphBuilder& b, const LlamaConfig& c, ValueId input_ids) {
  const int64_t d = c.head_dim();
  const ValueId ids_shape = b.op("Shape", "model.ids_shape", {input_ids});
  const ValueId seq = b.op("Gather", "model.seq_len", {ids_shape, b.int_scalar(1)},
                           attrs({{"axis", int64_t{0}}}));
  const ValueId positions =
      b.op("Range", "model.position_ids", {b.int_scalar(0), seq, b.int_scalar(1)});

  const std::string r = "model.rotary_emb";
  ValueId inv_freq =
      b.op("Range", r + ".arange", {b.int_scalar(0), b.int_scalar(d), b.int_scalar(2)});
  inv_freq = b.op("Cast", r + ".arange_float", {inv_freq},
                  attrs({{"to", static_cast<int64_t>(DType::kFloat32)}}));
  inv_freq = b.op("Div", r + ".div", {inv_freq, b.float_scalar(static_cast<double>(d))});
  inv_freq = b.op("Pow", r + ".pow", {b.float_scalar(c.rope_theta), inv_freq});
  inv_freq = b.op("Reciprocal", r + ".inv_freq", {inv_freq});
  ValueId pos = b.op("Cast", r + ".positions_float", {positions},
                     attrs({{"to", static_cast<int64_t>(DType::kFloat32)}}));
  pos = b.op("Unsqueeze", r + ".positions_col", {pos, b.ints({1})});
  const ValueId freqs = b.op("Mul", r + ".freqs", {pos, inv_freq});
  const ValueId emb = b.op("Concat", r + ".emb", {freqs, freqs}, attrs({{"axis", int64_t{-1}}}));

  SharedInputs s;
  s.cos = b.op("Cos", r + ".cos", {emb});
  s.sin = b.op("Sin", r + ".sin", {emb});
  const ValueId rows = b.op("Unsqueeze", "model.causal_mask.rows", {positions, b.ints({1})});
  const ValueId cols = b.op("Unsqueeze", "model.causal_mask.cols", {positions, b.ints({0})});
  s.causal_mask = b.op("GreaterOrEqual", "model.causal_mask", {rows, cols});
  return s;
}

Result<Graph> build_llama(const LlamaConfig& c) {
  GraphBuilder b(c.name);
  const ValueId input_ids =
      b.input("input_ids", DType::kInt64, {Dim::symbol("batch"), Dim::symbol("sequence")});
  ValueId x = b.op("Gather", "model.embed_tokens",
                   {b.parameter("model.embed_tokens.weight", {c.vocab, c.hidden}), input_ids},
                   attrs({{"axis", int64_t{0}}}));
  const SharedInputs shared = shared_inputs(b, c, input_ids);
  for (int64_t i = 0; i < c.layers; ++i) {
    x = decoder_layer(b, c, "model.layers." + std::to_string(i), x, shared);
  }
  x = rms_norm(b, "model.norm", x, c.hidden, c.rms_eps);
  const ValueId head = b.parameter("lm_head.weight", {c.hidden, c.vocab});
  b.output(b.add_node("MatMul", "lm_head", {x, head}, {}, 1, {"logits"}).front());
  return b.finish();
}

GRAPHS_REGISTER_ZOO_MODEL("llama-2-7b",
                          "transformers LlamaForCausalLM, Llama-2-7b config (6.74B params)",
                          [] { return build_llama(kLlama2_7b); });
GRAPHS_REGISTER_ZOO_MODEL("llama-2-13b",
                          "transformers LlamaForCausalLM, Llama-2-13b config (13.0B params)",
                          [] { return build_llama(kLlama2_13b); });
GRAPHS_REGISTER_ZOO_MODEL("llama-2-70b",
                          "transformers LlamaForCausalLM, Llama-2-70b config, GQA 64/8 heads "
                          "(69.0B params)",
                          [] { return build_llama(kLlama2_70b); });
GRAPHS_REGISTER_ZOO_MODEL("llama-3-8b",
                          "transformers LlamaForCausalLM, Meta-Llama-3-8B config, GQA 32/8 heads "
                          "(8.03B params)",
                          [] { return build_llama(kLlama3_8b); });
GRAPHS_REGISTER_ZOO_MODEL("llama-3-70b",
                          "transformers LlamaForCausalLM, Meta-Llama-3-70B config, GQA 64/8 heads "
                          "(70.6B params)",
                          [] { return build_llama(kLlama3_70b); });
GRAPHS_REGISTER_ZOO_MODEL("llama-3.1-8b",
                          "transformers LlamaForCausalLM, Meta-Llama-3.1-8B config, GQA 32/8 heads "
                          "(8.03B params; llama3 rope scaling not modelled, same cost)",
                          [] { return build_llama(kLlama31_8b); });
GRAPHS_REGISTER_ZOO_MODEL("llama-3.1-70b",
                          "transformers LlamaForCausalLM, Meta-Llama-3.1-70B config, GQA 64/8 "
                          "heads (70.6B params; llama3 rope scaling not modelled, same cost)",
                          [] { return build_llama(kLlama31_70b); });
GRAPHS_REGISTER_ZOO_MODEL("mistral-7b",
                          "transformers MistralForCausalLM, Mistral-7B-v0.1 config, GQA 32/8 heads "
                          "(7.24B params)",
                          [] { return build_llama(kMistral7b); });
GRAPHS_REGISTER_ZOO_MODEL("mixtral-8x7b",
                          "transformers MixtralForCausalLM, Mixtral-8x7B-v0.1 config, 8 experts "
                          "top-2 as 2 dense active slots (46.7B params total, 12.9B active)",
                          [] { return build_llama(kMixtral8x7b); });

}  // namespace
}  // namespace graphs::zoo
