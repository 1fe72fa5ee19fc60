// Hugging Face transformers GPT2LMHeadModel (modeling_gpt2.py, eager attention) with the gpt2
// config: vocab 50257, n_positions 1024, n_embd 768, 12 layers, 12 heads, MLP 3072 with gelu_new
// (tanh approximation), LayerNorm eps 1e-5, lm_head tied to transformer.wte (counted once).
//
// Input: input_ids int64[batch, sequence]. Output: logits float32[batch, sequence, 50257].
// GPT-2's Conv1D layers store their weight as [in, out] and run as MatMul + Add. Position ids are
// Range(0, sequence) as exported. The causal mask is a bool buffer [1, 1, 1024, 1024] (the
// lower-triangular `attn.bias` of older transformers versions), sliced to [1, 1, S, S], selecting
// scores with Where(mask, scores, finfo(float32).min). The lm_head is Gemm(transB=1) on the
// flattened hidden states with the wte weight itself, so the tied weight is one initializer.
// Parameters: 124,439,808.
#include <string>

#include "graphs/zoo/graph_builder.h"
#include "graphs/zoo/zoo.h"

namespace graphs::zoo {
namespace {

constexpr int64_t kVocab = 50257;
constexpr int64_t kPositions = 1024;
constexpr int64_t kHidden = 768;
constexpr int64_t kLayers = 12;
constexpr int64_t kHeads = 12;
constexpr int64_t kHeadDim = kHidden / kHeads;
constexpr int64_t kInner = 4 * kHidden;
constexpr double kLnEps = 1e-5;

// Conv1D(nf=out, nx=in): weight [in, out], bias [out].
ValueId conv1d(GraphBuilder& b, const std::string& module, ValueId x, int64_t in, int64_t out) {
  return b.linear(module, x, in, out);
}

ValueId gpt2_block(GraphBuilder& b, const std::string& p, ValueId x, ValueId causal_mask) {
  // GPT2Attention: c_attn → split(768, dim=2) → heads → causal softmax(q·kᵀ / 8) · v → c_proj.
  ValueId h = b.layer_norm(p + ".ln_1", x, kHidden, kLnEps);
  const std::string a = p + ".attn";
  h = conv1d(b, a + ".c_attn", h, kHidden, 3 * kHidden);
  const auto qkv = b.add_node("Split", a + ".split", {h, b.ints({kHidden, kHidden, kHidden})},
                              attrs({{"axis", int64_t{2}}}), 3);
  const ValueId q = b.split_heads(a + ".query", qkv[0], kHeads, kHeadDim);
  const ValueId k_t = b.split_heads(a + ".key", qkv[1], kHeads, kHeadDim, /*key_transposed=*/true);
  const ValueId v = b.split_heads(a + ".value", qkv[2], kHeads, kHeadDim);
  h = b.attention_core(a, q, k_t, v, kHeadDim, kNoValue, causal_mask);
  h = b.merge_heads(a, h, kHidden);
  h = conv1d(b, a + ".c_proj", h, kHidden, kHidden);
  x = b.op("Add", p + ".add", {h, x});
  // GPT2MLP: c_fc → gelu_new → c_proj.
  h = b.layer_norm(p + ".ln_2", x, kHidden, kLnEps);
  h = conv1d(b, p + ".mlp.c_fc", h, kHidden, kInner);
  h = b.gelu_tanh(p + ".mlp.act", h);
  h = conv1d(b, p + ".mlp.c_proj", h, kInner, kHidden);
  return b.op("Add", p + ".add", {x, h});
}

Result<Graph> build_gpt2() {
  GraphBuilder b("gpt2");
  const ValueId input_ids =
      b.input("input_ids", DType::kInt64, {Dim::symbol("batch"), Dim::symbol("sequence")});

  const ValueId wte = b.parameter("transformer.wte.weight", {kVocab, kHidden});
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
           {b.parameter("transformer.wpe.weight", {kPositions, kHidden}), position_ids},
           attrs({{"axis", int64_t{0}}}));
  x = b.op("Add", "transformer.embeddings.add", {x, positions});

  // causal_mask = bias[:, :, 0:S, 0:S] (no past key/values).
  const ValueId seq = b.dim_of("transformer.seq_len_1d", input_ids, 1);
  const ValueId batch = b.dim_of("transformer.batch_1d", input_ids, 0);
  const ValueId mask_end =
      b.op("Concat", "transformer.causal_mask.ends", {seq, seq}, attrs({{"axis", int64_t{0}}}));
  const ValueId causal_mask = b.op(
      "Slice", "transformer.causal_mask",
      {b.buffer("transformer.causal_mask", {1, 1, kPositions, kPositions}, DType::kBool),
       b.ints({0, 0}), mask_end, b.ints({2, 3})});

  for (int64_t i = 0; i < kLayers; ++i) {
    x = gpt2_block(b, "transformer.h." + std::to_string(i), x, causal_mask);
  }
  x = b.layer_norm("transformer.ln_f", x, kHidden, kLnEps);

  // lm_head (bias=False, weight tied to wte): [B·S, 768] × wteᵀ → [B, S, vocab].
  x = b.op("Reshape", "lm_head.flatten", {x, b.ints({-1, kHidden})});
  x = b.op("Gemm", "lm_head", {x, wte}, attrs({{"alpha", 1.0}, {"transB", int64_t{1}}}));
  const ValueId logits_shape =
      b.op("Concat", "lm_head.shape", {batch, seq, b.ints({kVocab})}, attrs({{"axis", int64_t{0}}}));
  b.output(b.add_node("Reshape", "lm_head.unflatten", {x, logits_shape}, {}, 1, {"logits"}).front());
  return b.finish();
}

GRAPHS_REGISTER_ZOO_MODEL("gpt2",
                          "transformers GPT2LMHeadModel, gpt2 config, lm_head tied to wte "
                          "(124.4M params)",
                          build_gpt2);

}  // namespace
}  // namespace graphs::zoo
