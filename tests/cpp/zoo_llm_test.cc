// Decoder-only LLMs of the zoo (llama.cc, gptj.cc, gpt2.cc's gpt2-xl) against their published
// configs.
//
// Parameters: count_parameters against a formula from the config AND against the published total
// (sum(p.numel() for p in model.parameters()) of the transformers checkpoint). MACs: every MatMul
// and Gemm node's out elements × reduction length, and the op registry's cost rule for the same
// node, against a hand calculation (within 0.5 %). Shapes at batch 1, sequence 128.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "graphs/analysis/characterize.h"
#include "graphs/analysis/shape_inference.h"
#include "graphs/estimate/llm_phases.h"
#include "graphs/ops/op_registry.h"
#include "graphs/zoo/zoo.h"
#include "zoo_test_util.h"

namespace graphs {
namespace {

using testing_util::numel;
using testing_util::prepare_zoo_model;

// MACs of the MatMul/Gemm nodes: from the inferred shapes and from the op registry's cost rules.
void expect_macs(const Graph& g, double hand) {
  double from_shapes = 0, from_rules = 0;
  for (const Node& node : g.nodes) {
    if (node.op_type != "Gemm" && node.op_type != "MatMul") continue;
    const auto out = g.value(node.outputs[0]).type.dims();
    const auto a = g.value(node.inputs[0]).type.dims();
    const bool trans_a = node.op_type == "Gemm" && node.attrs.get_int("transA", 0) != 0;
    from_shapes += numel(out) * static_cast<double>(trans_a ? a.front() : a.back());
    const OpSchema* schema = OpRegistry::global().find(node.domain, node.op_type);
    ASSERT_TRUE(schema && schema->cost) << node.op_type;
    CostContext ctx{node, node.opset, {}, {}, {}};
    for (ValueId v : node.inputs) ctx.inputs.push_back(v == kNoValue ? nullptr : &g.value(v));
    for (ValueId v : node.outputs) ctx.outputs.push_back(v == kNoValue ? nullptr : &g.value(v));
    from_rules += schema->cost(ctx).macs;
  }
  EXPECT_NEAR(from_shapes, hand, 0.005 * hand) << g.name << " MACs from inferred shapes";
  EXPECT_NEAR(from_rules, hand, 0.005 * hand) << g.name << " MACs from cost rules";
}

void expect_logits(const Graph& g, const std::vector<int64_t>& shape) {
  ASSERT_EQ(g.outputs.size(), 1u);
  const Value& v = g.value(g.outputs[0]);
  EXPECT_EQ(v.name, "logits");
  EXPECT_EQ(v.type.dtype, DType::kFloat32);
  EXPECT_EQ(v.type.dims(), shape) << v.type.to_string();
}

// The published config (config.json) of each checkpoint, restated here so that the builder's
// copy is checked against an independent one.
struct Llm {
  std::string name;
  double hidden, layers, heads, kv_heads, ffn, vocab;
  int64_t published_params;
  double experts = 1, active_experts = 1;
};

const std::vector<Llm>& llms() {
  static const std::vector<Llm> kLlms = {
      {"llama-2-7b", 4096, 32, 32, 32, 11008, 32000, 6'738'415'616},
      {"llama-2-13b", 5120, 40, 40, 40, 13824, 32000, 13'015'864'320},
      {"llama-2-70b", 8192, 80, 64, 8, 28672, 32000, 68'976'648'192},
      {"llama-3-8b", 4096, 32, 32, 8, 14336, 128256, 8'030'261'248},
      {"llama-3-70b", 8192, 80, 64, 8, 28672, 128256, 70'553'706'496},
      // Meta-Llama-3.1: the Llama 3 layer shapes (rope_scaling changes no shape).
      {"llama-3.1-8b", 4096, 32, 32, 8, 14336, 128256, 8'030'261'248},
      {"llama-3.1-70b", 8192, 80, 64, 8, 28672, 128256, 70'553'706'496},
      {"mistral-7b", 4096, 32, 32, 8, 14336, 32000, 7'241'732'096},
      {"mixtral-8x7b", 4096, 32, 32, 8, 14336, 32000, 46'702'792'704, 8, 2},
  };
  return kLlms;
}

// 2·h² (q, o) + 2·h·kv_dim (k, v) + experts·3·h·ffn + router h·experts + 2 norms per layer;
// embed_tokens and the untied lm_head vocab·h each, final norm h.
int64_t llm_params_formula(const Llm& m, double experts) {
  const double kv_dim = m.kv_heads * (m.hidden / m.heads);
  const double router = m.experts > 1 ? m.hidden * m.experts : 0;
  const double layer = 2 * m.hidden * m.hidden + 2 * m.hidden * kv_dim +
                       experts * 3 * m.hidden * m.ffn + router + 2 * m.hidden;
  return static_cast<int64_t>(m.layers * layer + 2 * m.vocab * m.hidden + m.hidden);
}

// Prefill MACs at sequence s (batch 1): projections, q·kᵀ and probs·v over the full S×S scores,
// the active experts' FFNs, the router, and the lm_head.
double llm_macs_formula(const Llm& m, double s) {
  const double kv_dim = m.kv_heads * (m.hidden / m.heads);
  const double router = m.experts > 1 ? s * m.hidden * m.experts : 0;
  const double layer = s * (2 * m.hidden * m.hidden + 2 * m.hidden * kv_dim) +
                       2 * s * s * m.hidden + m.active_experts * s * 3 * m.hidden * m.ffn + router;
  return m.layers * layer + s * m.hidden * m.vocab;
}

TEST(ZooLlmTest, LlamaFamilyMatchesPublishedParamsAndHandMacs) {
  for (const Llm& m : llms()) {
    SCOPED_TRACE(m.name);
    Graph g;
    ASSERT_TRUE(prepare_zoo_model(m.name, &g));
    const auto p = count_parameters(g);
    EXPECT_EQ(p.parameters, llm_params_formula(m, m.experts));
    EXPECT_EQ(p.parameters, m.published_params);
    EXPECT_EQ(p.buffers, 0);
    expect_macs(g, llm_macs_formula(m, 128));
    expect_logits(g, {1, 128, static_cast<int64_t>(m.vocab)});
  }
}

TEST(ZooLlmTest, MixtralCountsTotalParamsAndActiveCompute) {
  const Llm& m = llms().back();
  ASSERT_EQ(m.name, "mixtral-8x7b");
  EXPECT_EQ(llm_params_formula(m, m.active_experts), 12'879'925'248);  // active parameters
  Graph g;
  ASSERT_TRUE(prepare_zoo_model(m.name, &g));
  // All 8 experts' weights are initializers; only the 2 active slots' weights are read.
  for (int e = 0; e < 8; ++e) {
    const std::string w = "model.layers.31.block_sparse_moe.experts." + std::to_string(e);
    for (const char* n : {".w1.weight", ".w3.weight", ".w2.weight"}) {
      EXPECT_NE(g.find_value(w + n), kNoValue) << w + n;
    }
  }
  const ValueId w1 = g.find_value("model.layers.0.block_sparse_moe.experts.0.w1.weight");
  ASSERT_NE(w1, kNoValue);
  EXPECT_EQ(g.value(w1).type.dims(), (std::vector<int64_t>{4096, 14336}));
  int topk = 0;
  for (const Node& n : g.nodes) {
    if (n.op_type != "TopK") continue;
    ++topk;
    EXPECT_EQ(g.value(n.outputs[0]).type.dims(), (std::vector<int64_t>{1, 128, 2}));
  }
  EXPECT_EQ(topk, 32);
  auto ch = characterize(g, PrecisionMap{});
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  EXPECT_NEAR(ch->macs, llm_macs_formula(m, 128), 0.005 * llm_macs_formula(m, 128));
  // The active path reads 12.88B of the 46.7B weights; all of them are resident.
  EXPECT_EQ(ch->active_params, llm_params_formula(m, m.active_experts));
  EXPECT_EQ(ch->params, llm_params_formula(m, m.experts));
}

TEST(ZooLlmTest, GqaRepeatsKeyValueHeadsToQueryHeads) {
  Graph g;
  ASSERT_TRUE(prepare_zoo_model("llama-2-70b", &g));
  const ValueId k = g.find_value("model.layers.0.self_attn.k_proj.weight");
  ASSERT_NE(k, kNoValue);
  EXPECT_EQ(g.value(k).type.dims(), (std::vector<int64_t>{8192, 1024}));
  int scores = 0;
  for (const Node& n : g.nodes) {
    if (n.op_type != "MatMul" || n.name.find(".qk") == std::string::npos) continue;
    ++scores;
    EXPECT_EQ(g.value(n.inputs[1]).type.dims(), (std::vector<int64_t>{1, 64, 128, 128}));
    EXPECT_EQ(g.value(n.outputs[0]).type.dims(), (std::vector<int64_t>{1, 64, 128, 128}));
  }
  EXPECT_EQ(scores, 80);
}

TEST(ZooLlmTest, RotaryAndMaskAreComputedNotStored) {
  Graph g;
  ASSERT_TRUE(prepare_zoo_model("llama-3-8b", &g));
  // Every floating initializer with more than one element is a named weight.
  for (ValueId id : g.initializers) {
    const Value& v = g.value(id);
    if (!is_parameter(v)) continue;
    EXPECT_EQ(v.name.substr(v.name.size() - 7), ".weight") << v.name;
  }
  const ValueId cos = g.find_value("model.rotary_emb.cos");
  ASSERT_NE(cos, kNoValue);
  EXPECT_EQ(g.value(cos).type.dims(), (std::vector<int64_t>{128, 128}));
  const ValueId mask = g.find_value("model.causal_mask");
  ASSERT_NE(mask, kNoValue);
  EXPECT_EQ(g.value(mask).type.dtype, DType::kBool);
  EXPECT_EQ(g.value(mask).type.dims(), (std::vector<int64_t>{128, 128}));
}

TEST(ZooLlmTest, OtherBatchAndSequenceBindingsInfer) {
  DimBindings bindings;
  bindings.batch = 2;
  bindings.seq_len = 1;
  const std::vector<std::pair<std::string, int64_t>> models = {
      {"llama-3-8b", 128256}, {"mixtral-8x7b", 32000}, {"gpt2-xl", 50257}, {"gpt-j-6b", 50400}};
  for (const auto& [name, vocab] : models) {
    SCOPED_TRACE(name);
    Graph g;
    ASSERT_TRUE(prepare_zoo_model(name, &g, bindings));
    expect_logits(g, {2, 1, vocab});
  }
}

TEST(ZooLlmTest, Llama31IsItsOwnModelWithLlama3Shapes) {
  for (const auto& [v31, v3] : std::vector<std::pair<std::string, std::string>>{
           {"llama-3.1-8b", "llama-3-8b"}, {"llama-3.1-70b", "llama-3-70b"}}) {
    SCOPED_TRACE(v31);
    EXPECT_NE(zoo_description(v31).find("3.1"), std::string::npos) << zoo_description(v31);
    Graph a, b;
    ASSERT_TRUE(prepare_zoo_model(v31, &a));
    ASSERT_TRUE(prepare_zoo_model(v3, &b));
    EXPECT_EQ(a.name, v31);
    ASSERT_EQ(a.nodes.size(), b.nodes.size());
    ASSERT_EQ(a.initializers.size(), b.initializers.size());
    for (std::size_t i = 0; i < a.initializers.size(); ++i) {
      const Value& x = a.value(a.initializers[i]);
      const Value& y = b.value(b.initializers[i]);
      EXPECT_EQ(x.name, y.name);
      EXPECT_EQ(x.type.dims(), y.type.dims()) << x.name;
    }
  }
}

// EleutherAI/gpt-j-6b as transformers' GPTJForCausalLM. Parameters: the formula from the config
// is transformers' count, 6,050,882,784; the model card's published 6,053,381,344 is the
// mesh-transformer-jax checkpoint's count, whose 8 shards each hold a copy of every LayerNorm
// and fc_out bias and an embedding bias of n_embd (see gptj.cc): the difference is exactly
// 7 extra copies of (ln_1 + fc_out bias) per layer and of ln_f, plus 8 embedding biases.
TEST(ZooLlmTest, GptJ6bMatchesTransformersAndModelCard) {
  Graph g;
  ASSERT_TRUE(prepare_zoo_model("gpt-j-6b", &g));
  const double h = 4096, layers = 28, inner = 4 * h, vocab = 50400, heads = 16, s = 128;
  const double layer = 2 * h + 4 * h * h + (h * inner + inner) + (inner * h + h);
  const double transformers_count = layers * layer + vocab * h + 2 * h + (h * vocab + vocab);
  const auto p = count_parameters(g);
  EXPECT_EQ(p.parameters, static_cast<int64_t>(transformers_count));
  EXPECT_EQ(p.parameters, 6'050'882'784);
  const double shards = 8;
  const double jax_replicas = (shards - 1) * (layers * (2 * h + h) + 2 * h) + shards * h;
  EXPECT_EQ(p.parameters + static_cast<int64_t>(jax_replicas), 6'053'381'344);
  EXPECT_EQ(p.buffers, 0);
  // Prefill MACs at sequence 128: q, k, v, out (4·s·h²), scores and probs·V over 16 heads of 256
  // (2·s²·h), fc_in and fc_out (2·s·h·4h), and the lm_head (s·h·V).
  expect_macs(g, layers * (4 * s * h * h + 2 * s * s * h + 2 * s * h * inner) + s * h * vocab);
  expect_logits(g, {1, 128, 50400});
  // Untied head with bias; no position table; partial rotary on 64 of 256 dims per head.
  EXPECT_NE(g.find_value("lm_head.bias"), kNoValue);
  EXPECT_EQ(g.find_value("transformer.wpe.weight"), kNoValue);
  EXPECT_NE(g.find_value("transformer.h.27.mlp.fc_in.bias"), kNoValue);
  EXPECT_EQ(g.find_value("transformer.h.27.attn.q_proj.bias"), kNoValue);
  const ValueId rot = g.find_value("transformer.h.0.attn.q_proj.rot");
  ASSERT_NE(rot, kNoValue);
  EXPECT_EQ(g.value(rot).type.dims(), (std::vector<int64_t>{1, 128, 16, 64}));
  const ValueId sin = g.find_value("transformer.embed_positions.sin_heads");
  ASSERT_NE(sin, kNoValue);
  EXPECT_EQ(g.value(sin).type.dims(), (std::vector<int64_t>{128, 1, 64}));
  int scores = 0;
  for (const Node& n : g.nodes) {
    if (n.op_type != "MatMul" || !n.name.ends_with(".qk")) continue;
    ++scores;
    EXPECT_EQ(g.value(n.outputs[0]).type.dims(),
              (std::vector<int64_t>{1, static_cast<int64_t>(heads), 128, 128}));
  }
  EXPECT_EQ(scores, 28);
  // Every floating initializer with more than one element is a named weight or bias.
  for (ValueId id : g.initializers) {
    const Value& v = g.value(id);
    if (!is_parameter(v)) continue;
    EXPECT_TRUE(v.name.ends_with(".weight") || v.name.ends_with(".bias")) << v.name;
  }
}

// The LLM phases read layers, heads, KV heads and head_dim from the graph's structure
// (analysis/transformer_facts.h): GPT-J's parallel attention + MLP on one ln_1 and its partial
// rotary still give one attention region per layer.
TEST(ZooLlmTest, GptJ6bFactsFromStructure) {
  DimBindings bindings;
  bindings.seq_len = 1;
  Graph g;
  ASSERT_TRUE(prepare_zoo_model("gpt-j-6b", &g, bindings));
  auto ch = characterize(g, PrecisionMap{});
  ASSERT_TRUE(ch.ok());
  auto facts = llm_facts(g, *ch, "gpt-j-6b");
  ASSERT_TRUE(facts.ok()) << facts.error().message();
  EXPECT_EQ(facts->layers, 28);
  EXPECT_EQ(facts->heads, 16);
  EXPECT_EQ(facts->kv_heads, 16);
  EXPECT_EQ(facts->head_dim, 256);
  EXPECT_EQ(facts->hidden, 4096);
  EXPECT_EQ(facts->vocab, 50400);
  expect_logits(g, {1, 1, 50400});
}

TEST(ZooLlmTest, Gpt2XlMatchesTransformersWithTiedHead) {
  Graph g;
  ASSERT_TRUE(prepare_zoo_model("gpt2-xl", &g));
  const double h = 1600, layers = 48, vocab = 50257, positions = 1024, s = 128;
  // Per layer: 2 LayerNorms, c_attn, attn c_proj, c_fc, mlp c_proj (with biases); wte, wpe, ln_f.
  const double layer = 4 * h + (3 * h * h + 3 * h) + (h * h + h) + 2 * (4 * h * h) + 4 * h + h;
  const auto p = count_parameters(g);
  EXPECT_EQ(p.parameters, static_cast<int64_t>(layers * layer + vocab * h + positions * h + 2 * h));
  EXPECT_EQ(p.parameters, 1'557'611'200);
  EXPECT_EQ(p.buffers, 0);
  expect_macs(g, layers * (12 * s * h * h + 2 * s * s * h) + s * h * vocab);
  expect_logits(g, {1, 128, 50257});
}

TEST(ZooLlmTest, Gpt2StaysUnchanged) {
  Graph g;
  ASSERT_TRUE(prepare_zoo_model("gpt2", &g));
  EXPECT_EQ(g.name, "gpt2");
  EXPECT_EQ(count_parameters(g).parameters, 124'439'808);
  EXPECT_NE(g.find_value("transformer.h.11.attn.c_attn.weight"), kNoValue);
  EXPECT_EQ(g.find_value("transformer.h.12.attn.c_attn.weight"), kNoValue);
  expect_logits(g, {1, 128, 50257});
}

}  // namespace
}  // namespace graphs
