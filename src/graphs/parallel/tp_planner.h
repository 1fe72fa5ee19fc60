// Tensor-parallel planner: which linears and convolutions of a graph split column- or
// row-parallel across `world_size` ranks (Megatron-LM, Shoeybi et al., arXiv:1909.08053), and
// what that does to memory, communication and latency per rank.
//
// Decisions are structural, never from node names. Names only say which torch module a layer is
// (tp_modules.h: "<module>.weight", else the TorchScript exporter's node scope).
// - A linear is a MatMul/Gemm whose weight input is a rank-2 parameter initializer, directly or
//   through a Transpose (nn.Linear exported without constant folding).
// - Linears, Megatron: forward from a linear's output through non-weighted ops (elementwise,
//   reshape/transpose, attention matmuls between activations, softmax; not through Shape or
//   Size, which read dims only), stopping at linears and convolutions: when every path ends at one linear R and no path joins the residual stream (an
//   Add/Sub with a same-shape activation that does not derive from the linear), the linear is
//   column-parallel and R row-parallel (one all-reduce per row). Linears sharing R form one
//   group (QKV → o_proj, gate/up → down).
// - Convolutions (2-D, weight [C_out, C_in/groups, kh, kw]), the same pairing on channels: from
//   a conv with groups 1, forward through channel-local ops only (BatchNormalization, pointwise
//   activations, Max/AveragePool, grouped and depthwise convs, arithmetic with scalars or between
//   two values both derived from the conv); when every path ends at one conv R with groups 1,
//   the first conv is column-parallel (output channels split, input replicated), R row-parallel
//   (input channels split, all-reduce of its output, bias added after), and what lies between is
//   channel-parallel: BatchNorm's per-channel parameters and statistics split, a grouped conv
//   keeps whole groups per rank (groups / N each; a world size that does not divide the groups
//   replicates the pair). Anything else on the way — a join with an activation not derived from
//   the first conv (the residual Add of ResNet), Concat, Flatten, a graph output, a linear —
//   leaves the conv replicated, with the reason. So no pair crosses a residual Add: the row
//   conv's all-reduce makes its output whole before the Add. Pairs are taken in graph order (a
//   conv that is a row is not a column too): in a ResNet-50 bottleneck conv1 → conv2 pair and
//   conv3 stays whole. Grouped convs outside a pair stay replicated.
// - A linear whose output reaches a graph output without another linear is an output head (LM
//   head, pooler, classifier): column-parallel with gather_output (all-gather of its output). A
//   head tied to the token embedding (same weight) is split with it: each rank's head uses the
//   embedding's vocabulary shard, and the plan lists both modules.
// - Gather on a rank-2 parameter with more rows than columns (a vocabulary table), indexed by a
//   graph input, is the token embedding: vocab-parallel (one all-reduce). Everything else holding
//   parameters is replicated (BERT's 2-row token-type table included).
// - Heads of a column linear: the first Reshape [B, S, F] → [B, S, heads, head_dim] downstream.
//   Model facts (layers, heads, KV heads, head_dim, hidden, vocab) come from
//   analysis/transformer_facts.h.
// - A group whose heads, KV heads, features or channels a world size does not divide stays
//   replicated, with the reason. When nothing splits at world size > 1, planning fails
//   (kInvalidArgument, "llama-2-70b: 64 heads not divisible by world size 3").
//
// Figures (TpAnalysis), t = N when attention is split, else 1:
// - Weights, gradients, optimizer states per rank: P_rank = sharded/N + replicated parameters.
//   Inference: P_rank · bytes. Training, Adam (Rajbhandari et al., ZeRO, arXiv:1910.02054 §3.1):
//   16-bit mixed precision holds 2 (weights) + 2 (gradients) + 12 (fp32 master weights, momentum,
//   variance) = 16 bytes per parameter; fp32 training 4 + 4 + 8 = 16.
// - Activations per transformer layer, 16-bit (Korthikanti et al., arXiv:2205.05198, §4.2 and
//   Table 2): no recomputation sbh(10 + 24/t + 5as/(ht)); selective recomputation (attention
//   core recomputed) sbh(10 + 24/t); full recomputation 2sbh (the layer input only). Embedding
//   and output-layer activations are not included; models without transformer layers get none
//   (not modelled). Prefill uses the no-recomputation figure as an upper bound.
// - KV cache (decode): 2 × layers × batch × seq × kv_heads × head_dim × bytes, / t per rank.
// - Workspace per rank: one buffer of the largest all-reduce + the output heads' local logits
//   (units × V/N × bytes when split) + the gathered logits (units × V × bytes), V = the heads'
//   output features. CUDA context, library workspaces and allocator fragmentation not counted.
// - Collectives (TpPlan::collectives), each with the tensor it moves: ring all-reduce moves
//   2(N−1)/N · S bytes per rank, all-gather (N−1)/N · S (NCCL tests' PERFORMANCE.md); time =
//   bytes / per-direction link bandwidth + 2(N−1) (all-gather: N−1) × link latency. Forward: one
//   all-reduce per row-parallel group (payload: the row layer's output) and per vocab-parallel
//   embedding, one all-gather per gathered head (its output). Backward (training): one all-reduce
//   of the input gradient per column-parallel group (Megatron's f operator; QKV or gate/up summed
//   locally first; payload: the column layer's input) and per split head. Payload S = units ×
//   elements per unit × bytes; a unit is a token (tokens = batch × seq, decode: batch) in models
//   with a token embedding, else a sample (elements per unit = the tensor's size less its batch
//   dim: a conv's C × H × W).
// - Latency (Amdahl): per rank, the split work (TpPlan::split_work: split layers and everything
//   between a column and its row; TpAnalysisOptions::split_work_fraction of the single-device
//   time) runs in 1/N of the time, the rest (replicated layers, norms, residual adds) whole:
//   compute = T(1) · ((1 − f) + f / N); training step = 3 × forward (backward ≈ 2 × forward
//   FLOPs; 4 × with full recomputation); decode adds the time to read the rank's KV cache at the
//   roofline's memory bandwidth. Collectives are NOT overlapped with compute (Megatron TP
//   collectives sit on the critical path). Scaling efficiency = T(1) / (N · T(N)).
// - A plan that splits less than kTpNegligibleSplitShare of the parameters claims no speedup:
//   speedup 1 (each rank still runs essentially the whole model), with a note saying so.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "graphs/common/status.h"
#include "graphs/hardware/hardware_model.h"
#include "graphs/ir/graph.h"

namespace graphs {

enum class TpStrategy { kColumn, kRow, kVocab, kChannel, kReplicate };
std::string_view to_string(TpStrategy strategy);

/// What kind of torch module a plan entry is: nn.Linear (or HF Conv1D), nn.Conv2d,
/// nn.BatchNorm2d, nn.Embedding.
enum class TpLayerKind { kLinear, kConv, kBatchNorm, kEmbedding };
std::string_view to_string(TpLayerKind kind);

/// One module with parameters as the plan sees it.
struct TpLayer {
  std::string module;            // torch module path (tp_modules.h)
  std::string node_name;         // the graph node the decision was made on
  TpLayerKind kind = TpLayerKind::kLinear;
  TpStrategy strategy = TpStrategy::kReplicate;
  bool gather_output = false;    // column only
  bool input_is_parallel = true; // row only
  int64_t heads = 0;             // column: attention heads of the projection (0: none)
  /// The group's query projection (most heads, first): the one column whose plan entry carries
  /// "heads", so graphs.tp.convert divides the parent attention's head count once.
  bool heads_owner = false;
  int64_t head_dim = 0;
  int64_t in_features = 0;       // linear: weight's input dim; conv: in channels; embedding: hidden
  int64_t out_features = 0;      // linear: output dim; conv, batch norm: channels; embedding: vocab
  int64_t groups = 1;            // conv
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

enum class TpCollectiveKind { kAllReduce, kAllGather };
enum class TpPass { kForward, kBackward };
std::string_view to_string(TpCollectiveKind kind);
std::string_view to_string(TpPass pass);

/// One collective of a forward (or, kBackward, of the backward pass in training).
struct TpCollective {
  TpCollectiveKind kind = TpCollectiveKind::kAllReduce;
  TpPass pass = TpPass::kForward;
  std::string module;             // the layer it follows (forward) or precedes (backward)
  /// Elements of the tensor moved per unit (TpPlan::per_token: per token, else per sample).
  int64_t elements_per_unit = 0;
};

/// Share of the parameters below which a plan claims no speedup (a policy, not a measurement:
/// 5 % leaves each rank running 95 % of the weights' work).
inline constexpr double kTpNegligibleSplitShare = 0.05;

struct TpPlan {
  std::string model;
  int64_t world_size = 1;
  std::vector<TpLayer> layers;            // split modules, in graph order
  std::vector<TpLayer> replicated_layers; // linears/convs/embeddings left whole, with the reason
  std::vector<std::string> replicated;    // every module holding replicated parameters
  std::vector<std::string> notes;

  // Model facts derived from the graph.
  int64_t transformer_layers = 0;  // attention layers
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
  /// sharded / total (0 for a graph without parameters).
  double split_weight_fraction() const {
    return total_params > 0
               ? static_cast<double>(sharded_params) / static_cast<double>(total_params)
               : 0.0;
  }

  // Collectives.
  bool per_token = false;   // the graph has a token embedding: collectives scale with tokens
  std::vector<TpCollective> collectives;
  int64_t all_reduces = 0;  // forward: one per row-parallel group + one per vocab embedding
  int64_t all_gathers = 0;  // output heads with gather_output
  int64_t head_features = 0;        // output features of every output head (LM head: vocab)
  int64_t split_head_features = 0;  // of the heads split column-parallel with gather_output
  int64_t row_groups = 0;   // column → row groups that split (linears and convs)
  int64_t conv_pairs = 0;   // of which convolution pairs
  int64_t vocab_embeddings = 0;
  /// Backward all-reduces of a training step: one per column group and per split head.
  int64_t backward_all_reduces() const { return row_groups + all_gathers; }

  /// Per node of the graph: true when each rank does 1/N of its work (split layers and the
  /// nodes between a column and its row).
  std::vector<bool> split_work;
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
  /// Share of single_device_latency_s spent in split work (tp_run.h split_work_fraction), in
  /// [0, 1]; 1: every kernel splits perfectly.
  double split_work_fraction = 1;
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

/// Collectives of one kind, pass and payload (identical ones counted together).
struct TpCollectiveCost {
  TpCollectiveKind kind = TpCollectiveKind::kAllReduce;
  TpPass pass = TpPass::kForward;
  int64_t count = 0;
  std::string first_module;     // the first layer with this collective
  double payload_bytes = 0;     // S of one
  double bytes_per_rank = 0;    // ring bytes each rank sends, one collective
  double time_s = 0;            // one collective (0 when the link is unknown)
};

struct TpAnalysis {
  TpMemory per_rank;            // with TP
  TpMemory single_device;       // N = 1
  double memory_saving = 0;     // 1 − per_rank / single_device (fraction)
  double capacity_bytes = 0;
  bool fits = false;
  bool fits_single_device = false;

  std::vector<TpCollectiveCost> collectives;  // in first-use order
  double all_reduce_payload_bytes = 0;       // S of the largest forward all-reduce
  double all_reduce_bytes_per_rank = 0;      // of that all-reduce
  double all_reduce_s = 0;                   // of that all-reduce
  double all_gather_payload_bytes = 0;       // of the largest all-gather (gathered logits)
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

  double split_weight_fraction = 0;          // TpPlan::split_weight_fraction
  double split_work_fraction = 0;            // TpAnalysisOptions::split_work_fraction
  double single_device_latency_s = 0;        // forward (prefill, decode) or step, N = 1
  double compute_s = 0;                      // per rank: T(1) · ((1 − f) + f / N)
  double kv_cache_read_s = 0;                // decode: reading this rank's KV cache
  double latency_s = 0;                      // compute + KV read + comm (no overlap)
  double speedup = 0;
  /// False when the plan splits less than kTpNegligibleSplitShare of the parameters: speedup
  /// is then 1 and speedup_note says why.
  bool speedup_claimed = true;
  std::string speedup_note;
  double scaling_efficiency = 0;             // speedup / N
  /// Tokens per forward or step; samples for a graph without a token embedding.
  double tokens = 0;
  double tokens_per_s = 0;
  double tokens_per_s_per_device = 0;
};

TpAnalysis analyze_tensor_parallel(const TpPlan& plan, const HardwareModel& hw,
                                   const TpAnalysisOptions& options);

}  // namespace graphs
