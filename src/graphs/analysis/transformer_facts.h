// Transformer facts of a graph — layers, attention heads, KV heads (GQA), head_dim, hidden
// width, vocabulary — read from its structure, never from names: used by the LLM phases
// (estimate/llm_phases.h: KV cache, decode attention) and comparable with the tensor-parallel
// planner's own reading (parallel/tp_planner.h).
//
// Rules: every attention region (analysis/fusion.h attention_regions: the scaled dot-product
// attention between the projections and P·V) is one layer. In the first region, the Q·Kᵀ
// product's query operand [B, heads, S, head_dim] gives heads and head_dim; the projections
// feeding the region (MatMul/Gemm with a weight) give the widths: with separate Q, K, V
// projections kv_heads = the narrowest projection's width / head_dim; with one fused QKV
// projection (GPT-2's c_attn) kv_heads = (width / head_dim − heads) / 2; hidden = a projection's
// input width. vocab = the rows of the largest embedding table (a Gather of a weight).
#pragma once

#include <cstdint>
#include <string>

#include "graphs/analysis/characterize.h"
#include "graphs/common/status.h"
#include "graphs/ir/graph.h"

namespace graphs {

struct LlmFacts {
  int64_t layers = 0;
  int64_t heads = 0;
  int64_t kv_heads = 0;
  int64_t head_dim = 0;
  int64_t hidden = 0;
  int64_t vocab = 0;
};

/// The facts of `graph` (shapes inferred, `ch` its characterization). kInvalidArgument when the
/// graph has no attention ("resnet50 has no attention layers; --phase needs a transformer LLM
/// (e.g. llama-2-7b, gpt2)").
Result<LlmFacts> transformer_facts(const Graph& graph, const Characterization& ch,
                                   const std::string& model);

}  // namespace graphs
