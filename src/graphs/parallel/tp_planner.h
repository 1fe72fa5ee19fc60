// Tensor-parallel planner: which linears of a graph split column- or row-parallel across
// `world_size` ranks (Megatron-LM, Shoeybi et al., arXiv:1909.08053), and what that does to
// memory, communication and latency per rank.
//
// Decisions are structural (never from node names; names only report a weight's torch module =
// its initializer name less the last component):
// - A linear is a MatMul/Gemm whose weight input is a rank-2 parameter initializer.
// - Forward from a linear's output through non-linear ops (elementwise, reshape/transpose,
//   attention matmuls between activations, softmax), stopping at linears: when every path ends at
//   one linear R and no path joins the residual stream (an Add/Sub with a same-shape activation
//   that does not derive from the linear), the linear is column-parallel and R row-parallel (one
//   all-reduce per row). Linears sharing R form one group (QKV → o_proj, gate/up → down).
// - A linear whose output reaches a graph output without another linear is an output head (LM
//   head, pooler): column-parallel with gather_output (all-gather of its output). A head tied to
//   the token embedding (same weight) is split with it: each rank's head uses the embedding's
//   vocabulary shard, and the plan lists both modules.
// - Gather on a rank-2 parameter with more rows than columns (a vocabulary table), indexed by a
//   graph input, is the token embedding: vocab-parallel (one all-reduce). Everything else holding
//   parameters is replicated (BERT's 2-row token-type table included).
// - Heads of a column linear: the first Reshape [B, S, F] → [B, S, heads, head_dim] downstream.
// - A group whose heads, KV heads or features a world size does not divide stays replicated, with
//   the reason. When nothing splits at world size > 1, planning fails (kInvalidArgument,
//   "llama-2-70b: 64 heads not divisible by world size 3").
//
// Figures (TpAnalysis), t = N when attention is split, else 1:
// - Weights, gradients, optimizer states per rank: P_rank = sharded/N + replicated parameters.
//   Inference: P_rank · bytes. Training, Adam (Rajbhandari et al., ZeRO, arXiv:1910.02054 §3.1):
//   16-bit mixed precision holds 2 (weights) + 2 (gradients) + 12 (fp32 master weights, momentum,
//   variance) = 16 bytes per parameter; fp32 training 4 + 4 + 8 = 16.
// - Activations per transformer layer, 16-bit (Korthikanti et al., arXiv:2205.05198, §4.2 and
//   Table 2): no recomputation sbh(10 + 24/t + 5as/(ht)); selective recomputation (attention
//   core recomputed) sbh(10 + 24/t); full recomputation 2sbh (the layer input only). Embedding
//   and output-layer activations are not included. Prefill uses the no-recomputation figure as an
//   upper bound (inference keeps less).
// - KV cache (decode): 2 × layers × batch × seq × kv_heads × head_dim × bytes, / t per rank.
// - Workspace per rank: one all-reduce buffer (payload S) + the output heads' local logits
//   (tokens × V/N × bytes when split) + the gathered logits (tokens × V × bytes), V = the heads'
//   output features (a pooler-style head, one row per sequence, is costed per token: an
//   overestimate). CUDA context, library workspaces and allocator fragmentation not counted.
// - Collectives: ring all-reduce moves 2(N−1)/N · S bytes per rank, all-gather (N−1)/N · S (NCCL
//   tests' PERFORMANCE.md); time = bytes / per-direction link bandwidth + 2(N−1) (all-gather:
//   N−1) × link latency. Forward: one all-reduce per row-parallel group and per vocab-parallel
//   embedding, one all-gather per gathered head. Backward (training): one all-reduce of the input
//   gradient per column-parallel group (Megatron's f operator; QKV or gate/up summed locally
//   first) and per split head; row layers and the embedding need none. Payload S = tokens ×
//   hidden × bytes (all-reduce), tokens × V × bytes (logits all-gather).
// - Latency: compute per rank = single-device roofline / N (every kernel split perfectly);
//   training step = 3 × forward (backward ≈ 2 × forward FLOPs; 4 × with full recomputation);
//   decode adds the time to read the rank's KV cache at the roofline's memory bandwidth.
//   Collectives are NOT overlapped with compute (Megatron TP collectives sit on the critical
//   path). Scaling efficiency = T(1) / (N · T(N)).
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
  int64_t all_gathers = 0;  // output heads with gather_output
  int64_t head_features = 0;        // output features of every output head (LM head: vocab)
  int64_t split_head_features = 0;  // of the heads split column-parallel with gather_output
  int64_t row_groups = 0;   // Megatron column → row groups that split
  int64_t vocab_embeddings = 0;
  /// Backward all-reduces of a training step: one per column group and per split head.
  int64_t backward_all_reduces() const { return row_groups + all_gathers; }
};

/// Plans `graph` (shapes inferred and static). Errors: kInvalidArgument for world_size < 1 or a
/// world size that splits nothing.
Result<TpPlan> plan_tensor_parallel(const Graph& graph, const std::string& model,
                                    const TpPlanOptions& options);

// ---- figures --------------------------------------------------------------------------------

/// KV cache bytes of the whole model (all ranks together).
double kv_cache_bytes(int64_t layers, int64_t batch, int64_t seq, int64_t kv_heads,
                      int64_t head_dim, double bytes_per_element);
/// Bytes each rank sends in a ring all-reduce of `payload_bytes`: 2(N−1)/N · S.
double ring_all_reduce_bytes(double payload_bytes, int64_t world_size);
/// Bytes each rank sends in a ring all-gather producing `payload_bytes`: (N−1)/N · S.
double ring_all_gather_bytes(double payload_bytes, int64_t world_size);

enum class TpPhase { kPrefill, kDecode, kTraining };
std::string_view to_string(TpPhase phase);
enum class TpRecompute { kNone, kSelective, kFull };
std::string_view to_string(TpRecompute recompute);

/// Korthikanti et al. activation bytes of one transformer layer at TP degree t (16-bit) with the
/// given recomputation (see the file comment).
double korthikanti_activation_bytes(int64_t seq, int64_t batch, int64_t hidden, int64_t heads,
                                    int64_t t, TpRecompute recompute);
/// Adam optimizer-state bytes per parameter (ZeRO §3.1): 12 in mixed precision (fp32 master
/// weights, momentum, variance), 8 when the weights are fp32 themselves (momentum, variance).
double adam_state_bytes_per_param(double bytes_per_element);

struct TpAnalysisOptions {
  TpPhase phase = TpPhase::kPrefill;  // prefill: seq tokens; decode: one token, seq in the cache
  TpRecompute recompute = TpRecompute::kNone;  // training only
  int64_t batch = 1;
  int64_t seq = 128;
  double bytes_per_element = 2; // weights, gradients, KV cache, activations on the wire
  /// Roofline estimate of the unsplit forward at N = 1 (decode: one token, no KV-cache reads).
  double single_device_latency_s = 0;
  /// The link the collectives run on; nullopt: communication time not estimated.
  std::optional<Interconnect> interconnect;
};

struct TpMemory {
  double weight_bytes = 0;
  double gradient_bytes = 0;    // training only
  double optimizer_bytes = 0;   // training only (Adam)
  double kv_cache_bytes = 0;    // decode only
  double activation_bytes = 0;  // prefill (upper bound) and training (Korthikanti)
  double workspace_bytes = 0;   // all-reduce buffer + logits
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
  double all_gather_payload_bytes = 0;       // gathered logits
  double all_gather_bytes_per_rank = 0;
  double all_gather_s = 0;
  int64_t forward_all_reduces = 0;
  int64_t backward_all_reduces = 0;          // training only
  int64_t all_gathers = 0;
  double comm_forward_bytes_per_rank = 0;
  double comm_forward_s = 0;
  double comm_backward_bytes_per_rank = 0;   // training only
  double comm_backward_s = 0;
  double comm_bytes_per_rank = 0;            // per forward (prefill, decode) or training step
  double comm_s = 0;
  bool interconnect_known = false;
  std::string interconnect_name;
  double interconnect_bandwidth_bytes_per_s = 0;
  double interconnect_latency_s = 0;

  double single_device_latency_s = 0;        // forward (prefill, decode) or step, N = 1
  double compute_s = 0;                      // per rank: single-device compute / N
  double kv_cache_read_s = 0;                // decode: reading this rank's KV cache
  double latency_s = 0;                      // compute + KV read + comm (no overlap)
  double speedup = 0;
  double scaling_efficiency = 0;             // speedup / N
  double tokens = 0;                         // tokens per forward or step
  double tokens_per_s = 0;
  double tokens_per_s_per_device = 0;
};

TpAnalysis analyze_tensor_parallel(const TpPlan& plan, const HardwareModel& hw,
                                   const TpAnalysisOptions& options);

/// The docs/tp-plan-schema.md plan (schema_version 1) plus a top-level "analysis" object when
/// `analysis` and `options` are given (nullptr: the plan alone, as graphs.tp.validate_plan
/// accepts it); pretty-printed JSON text.
std::string tp_plan_to_json(const TpPlan& plan, const TpAnalysis* analysis,
                            const TpAnalysisOptions* options);

}  // namespace graphs
