// LLM inference phases: prefill (time to first token) and decode (time per output token) with a
// KV cache, on one target.
//
// Model (the same one LLM-Viewer, Yuan et al. arXiv:2402.16363, and llm-analysis use, with our
// mappers underneath):
// - Prefill = the graph at batch B and sequence S (the prompt) through the estimator:
//   ttft_s = its latency. Prefill writes the KV cache of S tokens.
// - Decode step at context L (tokens already in the cache) = the graph bound at sequence 1 (every
//   projection, norm, MLP and the LM head for one new token per sequence; its attention over the
//   single token stands in for the attention kernels' launches) PLUS, per transformer layer, one
//   attention-over-cache kernel (FlashDecoding-style, one kernel):
//       MACs  = 2 × B × heads × L × head_dim            (q·Kᵀ and p·V)
//       FLOPs = 2 × MACs + 5 × B × heads × L            (softmax: max, subtract, exp, sum, divide)
//       bytes = 2 × B × L × kv_heads × head_dim × kv_bytes          (K and V read)
//             + 2 × B × kv_heads × head_dim × kv_bytes              (the new token's K, V written)
//             + 2 × B × heads × head_dim × act_bytes                (q read, output written)
//   run through the target's mapper as a GEMM of batch B·kv_heads, M = heads/kv_heads (GQA
//   queries sharing a KV head), N = L, K = head_dim, with no launch overhead of its own.
//   tpot_s = decode graph latency + Σ layers attention kernel latency; tokens/s = B / tpot_s.
// - KV cache bytes (all layers) = 2 × layers × B × L × kv_heads × head_dim × kv_bytes.
// - Memory: weights (resident, all experts of an MoE) + KV cache at the context + the phase's peak
//   activations (liveness over its kernels); fits when that is ≤ the device memory.
// Transformer facts (layers, heads, KV heads, head_dim) come from the graph's structure
// (analysis/transformer_facts.h), never from names.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graphs/analysis/characterize.h"
#include "graphs/analysis/fusion.h"
#include "graphs/analysis/transformer_facts.h"
#include "graphs/common/status.h"
#include "graphs/estimate/kernel_work.h"
#include "graphs/estimate/roofline.h"
#include "graphs/hardware/hardware_model.h"
#include "graphs/ir/graph.h"

namespace graphs {

/// prefill: time to first token; decode: time per output token at a context; generate: a static
/// batch generating `output_tokens` after its prompt (ttft + the decode steps as the context
/// grows); serve: continuous batching (analysis/serving.h).
enum class LlmPhase { kPrefill, kDecode, kGenerate, kServe };
std::string_view to_string(LlmPhase phase);
/// True for the phases that run decode steps (decode, generate, serve).
bool phase_decodes(LlmPhase phase);
/// "prefill" | "decode" | "generate" | "serve"; kInvalidArgument with a did-you-mean otherwise.
Result<LlmPhase> parse_llm_phase(const std::string& name);

/// The transformer facts of `graph` (analysis/transformer_facts.h), with the LLM phases' error
/// for a graph without attention. `ch` is the graph's characterization.
Result<LlmFacts> llm_facts(const Graph& graph, const Characterization& ch, const std::string& model);

/// KV cache bytes of all layers: 2 × layers × batch × context × kv_heads × head_dim × kv_bytes.
double kv_cache_bytes(const LlmFacts& facts, int64_t batch, int64_t context, double kv_bytes);

/// The attention-over-cache work of one layer at `context` (see above).
KernelWork decode_attention_work(const LlmFacts& facts, int64_t batch, int64_t context,
                                 double kv_bytes, double act_bytes);

/// One row of the KV-cache table.
struct LlmContextRow {
  int64_t context = 0;          // tokens in the cache
  double kv_cache_bytes = 0;
  double tpot_s = 0;            // decode step at this context
  double memory_bytes = 0;      // weights + KV cache + decode activations
  bool fits = false;
};

struct LlmPhaseEstimate {
  std::string hardware_id;
  LlmPhase phase = LlmPhase::kDecode;
  int64_t batch = 1;
  int64_t prompt_tokens = 0;        // S of the prefill, = the decode context
  std::string kv_precision;
  double kv_bytes_per_element = 0;

  double ttft_s = 0;                // prefill latency
  double prefill_tokens_per_s = 0;  // B × S / ttft_s
  double tpot_s = 0;                // decode step at context = prompt_tokens (decode only)
  double decode_graph_s = 0;        // of tpot_s: the sequence-1 graph
  double decode_attention_s = 0;    // of tpot_s: attention over the cache, all layers
  double decode_tokens_per_s = 0;   // B / tpot_s
  double decode_energy_per_token_j = 0;
  bool decode_memory_bound = false; // the step's memory time exceeds its compute time

  // generate: a static batch of `batch` sequences, `output_tokens` generated after the prompt.
  int64_t output_tokens = 0;
  double generation_s = 0;          // ttft_s + Σ decode steps at contexts prompt … prompt + out − 2
  double mean_tpot_s = 0;           // Σ decode steps / (out − 1)
  double output_tokens_per_s = 0;   // batch × out / generation_s

  double weight_bytes = 0;
  double kv_cache_bytes = 0;        // at the prompt context
  double prefill_activation_bytes = 0;
  double decode_activation_bytes = 0;
  double peak_bytes = 0;            // max over the phases run
  double capacity_bytes = 0;
  bool fits = false;
  std::vector<LlmContextRow> contexts;  // decode only
};

/// Combines the prefill estimate (graph at B, S) and, for the decoding phases, the sequence-1
/// estimate, on one target. `decode` is ignored for the prefill phase; `output_tokens` is used
/// by generate (≥ 1).
///
/// A decode step at context L: when the engine fuses attention (its sequence-1 graph has
/// attention kernels, analysis/fusion.h), each of them is replaced by the attention-over-cache
/// kernel at L and the step goes through the same host/device timeline as the graph
/// (combine_kernels); otherwise the attention-over-cache kernels add their device time to the
/// step's, less the time the device sat idle waiting for the host.
Result<LlmPhaseEstimate> estimate_llm_phase(LlmPhase phase, const LlmFacts& facts, int64_t batch,
                                            int64_t prompt_tokens, const Estimate& prefill,
                                            const Estimate* decode, const HardwareModel& hw,
                                            const EstimateOptions& options, double kv_bytes,
                                            double act_bytes, const std::string& kv_precision,
                                            int64_t output_tokens = 0);

/// Contexts of the KV-cache table: powers of two from 512 to 131072 plus `prompt_tokens`.
std::vector<int64_t> llm_table_contexts(int64_t prompt_tokens);

}  // namespace graphs
