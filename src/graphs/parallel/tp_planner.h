// Tensor-parallel planner: which linears of a graph split column- or row-parallel across
// `world_size` ranks (Megatron-LM, Shoeybi et al., arXiv:1909.08053), and what that does to
// memory and communication per rank.
//
// Decisions are structural (never from node names; names only report a weight's torch module =
// its initializer name less the last component):
// - A linear is a MatMul/Gemm whose weight input is a rank-2 parameter initializer.
// - Forward from a linear's output through non-linear ops (elementwise, reshape/transpose,
//   attention matmuls between activations, softmax), stopping at linears: when every path ends at
//   one linear R and no path joins the residual stream (an Add/Sub with a same-shape activation
//   that does not derive from the linear), the linear is column-parallel and R row-parallel (one
//   all-reduce per row). Linears sharing R form one group (QKV → o_proj, gate/up → down).
// - A linear whose output reaches a graph output without another linear is the LM head:
//   column-parallel with gather_output (all-gather of the logits).
// - Gather on a rank-2 parameter indexed by a graph input is the token embedding: vocab-parallel
//   (one all-reduce). Everything else holding parameters is replicated.
// - Heads of a column linear: the first Reshape [B, S, F] → [B, S, heads, head_dim] downstream.
// - A group whose heads, KV heads or features a world size does not divide stays replicated, with
//   the reason. When nothing splits at world size > 1, planning fails (kInvalidArgument,
//   "llama-2-70b: 64 heads not divisible by world size 3").
//
// Figures (TpAnalysis) — assumptions stated in each field's comment:
// - Activation memory per transformer layer, 16-bit activations (Korthikanti et al.,
//   arXiv:2205.05198): s·b·h·(10 + 24/t + 5·a·s/(h·t)) bytes.
// - KV cache (decode): 2 × layers × batch × seq × kv_heads × head_dim × bytes, /N per rank.
// - Ring all-reduce moves 2(N−1)/N · S bytes per rank, all-gather (N−1)/N · S (NCCL tests'
//   PERFORMANCE.md); time = bytes / link bandwidth + 2(N−1) (all-gather: N−1) × link latency.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "graphs/common/status.h"
#include "graphs/hardware/hardware_model.h"
#include "graphs/ir/graph.h"

namespace graphs {

enum class TpStrategy { kColumn, kRow, kVocab, kReplicate };
std::string_view to_string(TpStrategy strategy);

/// One module with parameters as the plan sees it.
struct TpLayer {
  std::string module;            // torch module: weight initializer name less ".weight"
  TpStrategy strategy = TpStrategy::kReplicate;
  bool gather_output = false;    // column only
  bool input_is_parallel = true; // row only
  int64_t heads = 0;             // column: attention heads of the projection (0: none)
  /// The group's query projection (most heads, first): the one column whose plan entry carries
  /// "heads", so graphs.tp.convert divides the parent attention's head count once.
  bool heads_owner = false;
  int64_t head_dim = 0;
  int64_t in_features = 0;       // linear: weight's input dim; embedding: hidden
  int64_t out_features = 0;      // linear: weight's output dim; embedding: vocab
  bool lm_head = false;
  bool tied = false;             // weight shared with another module (tied LM head)
  std::string reason;            // replicate: why it could not be split
  NodeId node = kNoNode;
};

struct TpPlanOptions {
  int64_t world_size = 1;
  /// Head count when the graph has no split-heads Reshape to derive it from (0: none); a count
  /// the world size does not divide is an error. Ignored (with a note) when the graph gives one.
  int64_t heads = 0;
};

struct TpPlan {
  std::string model;
  int64_t world_size = 1;
  std::vector<TpLayer> layers;            // split modules, in graph order
  std::vector<TpLayer> replicated_layers; // linears/embeddings left whole, with the reason
  std::vector<std::string> replicated;    // every module holding replicated parameters
  std::vector<std::string> notes;

  // Model facts derived from the graph.
  int64_t transformer_layers = 0;  // attention groups
  int64_t heads = 0;               // query heads
  int64_t kv_heads = 0;
  int64_t head_dim = 0;
  int64_t hidden = 0;
  int64_t vocab = 0;

  // Parameter elements (exact): every rank holds sharded/N + replicated.
  int64_t total_params = 0;
  int64_t sharded_params = 0;
  int64_t replicated_params = 0;
  int64_t params_per_rank() const { return sharded_params / world_size + replicated_params; }

  // Collectives per forward.
  int64_t all_reduces = 0;  // one per row-parallel group + one per vocab-parallel embedding
  int64_t all_gathers = 0;  // LM head with gather_output
};

/// Plans `graph` (shapes inferred and static). Errors: kInvalidArgument for world_size < 1 or a
/// world size that splits nothing.
Result<TpPlan> plan_tensor_parallel(const Graph& graph, const std::string& model,
                                    const TpPlanOptions& options);

// ---- figures --------------------------------------------------------------------------------

/// Korthikanti et al. activation bytes of one transformer layer at TP degree t (16-bit).
double korthikanti_activation_bytes(int64_t seq, int64_t batch, int64_t hidden, int64_t heads,
                                    int64_t t);
/// KV cache bytes of the whole model (all ranks together).
double kv_cache_bytes(int64_t layers, int64_t batch, int64_t seq, int64_t kv_heads,
                      int64_t head_dim, double bytes_per_element);
/// Bytes each rank sends in a ring all-reduce of `payload_bytes`: 2(N−1)/N · S.
double ring_all_reduce_bytes(double payload_bytes, int64_t world_size);
/// Bytes each rank sends in a ring all-gather producing `payload_bytes`: (N−1)/N · S.
double ring_all_gather_bytes(double payload_bytes, int64_t world_size);

struct TpAnalysisOptions {
  bool decode = false;          // false: prefill of seq tokens; true: one token, seq in the cache
  int64_t batch = 1;
  int64_t seq = 128;
  double bytes_per_element = 2; // weights, KV cache and activations on the wire
  double single_device_latency_s = 0;  // roofline estimate of the unsplit forward (N = 1)
};

struct TpMemory {
  double weight_bytes = 0;
  double kv_cache_bytes = 0;    // decode only
  double activation_bytes = 0;  // prefill only (Korthikanti)
  double total_bytes = 0;
};

struct TpAnalysis {
  TpMemory per_rank;            // with TP
  TpMemory single_device;       // N = 1
  double memory_saving = 0;     // 1 − per_rank / single_device (fraction)
  double capacity_bytes = 0;
  bool fits = false;
  bool fits_single_device = false;

  double all_reduce_payload_bytes = 0;       // S
  double all_reduce_bytes_per_rank = 0;      // per all-reduce
  double all_reduce_s = 0;                   // per all-reduce
  double all_gather_bytes_per_rank = 0;      // LM head logits
  double all_gather_s = 0;
  double comm_bytes_per_rank = 0;            // per forward
  double comm_s = 0;                         // per forward
  bool interconnect_known = false;
  double compute_s = 0;                      // single-device estimate / N
  double latency_s = 0;                      // compute + comm (no overlap)
  double single_device_latency_s = 0;
  double speedup = 0;
  double scaling_efficiency = 0;             // speedup / N
};

TpAnalysis analyze_tensor_parallel(const TpPlan& plan, const HardwareModel& hw,
                                   const TpAnalysisOptions& options);

/// The docs/tp-plan-schema.md plan (schema_version 1) plus a top-level "analysis" object when
/// `analysis` and `options` are given (nullptr: the plan alone, as graphs.tp.validate_plan
/// accepts it); pretty-printed JSON text.
std::string tp_plan_to_json(const TpPlan& plan, const TpAnalysis* analysis,
                            const TpAnalysisOptions* options);

}  // namespace graphs
