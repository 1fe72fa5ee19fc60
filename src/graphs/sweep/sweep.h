// Design-space sweeps: models × hardware targets × batch sizes × precisions → one row each, with
// the Pareto front of latency against energy per sample (`graphs sweep`, `graphs compare`).
//
// Speed comes from doing the hardware-independent work once:
//   per (model, batch):                 import or build, bind dims, infer shapes      (load_model)
//   per (model, batch, storage dtype):  characterize, fuse, peak live activations    → KernelTable
//   per (target, precision):            resolve peaks, efficiencies, energy figures  → SweepTarget
//   per configuration:                  one pass over the fused kernels              → SweepRow
// fp32 and tf32 store tensors alike, so they share a KernelTable.
//
// The per-configuration pass runs the estimator's own per-kernel mapper (estimate/mapper.h
// `estimate_kernel`: roofline, GPU tiles/waves/L2, systolic padding) over the cached kernel work
// and sums as `estimate_roofline` does (energy = Σ kernel dynamic energy + P_static·latency;
// memory = weights + peak live activations); what it skips is recomputing the kernel work and
// the liveness per target. A test holds every row against `estimate_roofline` on the same model,
// target and precision (tests/cpp/sweep_test.cc).
//
// Rows are never dropped: a configuration the estimator refuses (the target has no peak at the
// precision, the model cannot be bound at the batch) is a row with `valid == false` and the reason.
//
// Thread safety: the functions are pure; a KernelTable and a SweepTarget are immutable values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graphs/analysis/characterize.h"
#include "graphs/analysis/fusion.h"
#include "graphs/analysis/shape_inference.h"
#include "graphs/common/status.h"
#include "graphs/estimate/kernel_work.h"
#include "graphs/estimate/mapper.h"
#include "graphs/hardware/hardware_model.h"
#include "graphs/ir/graph.h"

namespace graphs {

class HardwareRegistry;

/// What the user asks for. Names are resolved by `resolve_sweep` (unknown → error with a
/// did-you-mean) before any work.
struct SweepRequest {
  std::vector<std::string> models;      // .onnx paths or zoo names; "zoo" = every zoo model
  std::vector<std::string> hardware;    // registry IDs ("ID:MODE" too); "all" = every ID
  std::vector<int64_t> batches{1};      // each ≥ 1
  std::vector<std::string> precisions{"fp32"};  // fp32, tf32, fp16, bf16, fp8, int8
  DimBindings dims;                     // seq_len and named dims; `batch` is replaced per row
};

/// A request with every name resolved, expanded ("zoo", "all") and de-duplicated (first
/// occurrence order kept).
struct ResolvedSweep {
  std::vector<std::string> models;
  std::vector<HardwareModel> hardware;
  /// Parallel to `hardware`: why a target that "all" named cannot be used ("" when it can; e.g.
  /// `host` whose detection failed). Its rows are invalid with this reason.
  std::vector<std::string> hardware_errors;
  std::vector<int64_t> batches;
  std::vector<std::string> precisions;
  DimBindings dims;
};

/// Errors (exit status 2 at the command line): kNotFound for an unknown model (neither an
/// existing file nor a zoo name) or hardware ID, kInvalidArgument for an unknown precision, a
/// batch < 1, or an empty list — each with a did-you-mean where one is close.
Result<ResolvedSweep> resolve_sweep(const SweepRequest& request, const HardwareRegistry& registry);

/// Fused kernels with identical mapper input (class, FLOPs, bytes, L2-resident bytes, GEMM
/// shape) folded into one entry with a count: a transformer's layers repeat the same kernels, so
/// an LLM's hundreds of kernels become a few dozen distinct ones. Summing count × estimate equals
/// summing every kernel's estimate (up to floating-point rounding).
struct KernelSet {
  std::vector<KernelWork> work;    // distinct kernels, first-occurrence order
  std::vector<double> count;       // occurrences of each
  std::vector<std::size_t> order;  // execution order: kernel i is work[order[i]]
};

/// The hardware-independent figures of one model at one batch and storage precision: the mapper
/// input of every fused kernel (estimate/kernel_work.h), and variants of it with the L2-resident
/// input bytes marked for each L2 capacity a GPU target of the sweep has.
struct KernelTable {
  KernelSet kernels_set;                             // residency not marked
  std::vector<double> l2_capacities_bytes;           // parallel to `resident`
  std::vector<KernelSet> resident;
  int kernels = 0;                       // fused kernels (before folding)
  double macs = 0;
  double flops = 0;                      // Σ kernel FLOPs
  double bytes = 0;                      // Σ kernel boundary bytes
  double weight_bytes = 0;               // resident weights (Characterization::weight_bytes)
  double peak_activation_bytes = 0;      // peak_activation_bytes(graph, ch, partition)
  double io_bytes = 0;                   // graph_io_bytes(graph, ch)
  int64_t params = 0;
};

/// Folds identical kernels (see KernelSet).
KernelSet fold_kernels(const std::vector<KernelWork>& work);

/// Builds the table of `partition` (characterized by `ch`); `l2_capacities_bytes` lists the L2
/// capacities to mark residency for (SweepTarget::l2_capacity_bytes of the GPU targets).
KernelTable make_kernel_table(const Graph& graph, const Characterization& ch,
                              const Partition& partition,
                              const std::vector<double>& l2_capacities_bytes = {});

/// One hardware target resolved at one precision through the estimator's own resolution
/// (estimate/mapper.h `resolve_target`). `valid` false with `reason` (the estimator's message)
/// when it refuses the pair. `mapper.hw` points at the HardwareModel passed in: keep it alive.
struct SweepTarget {
  std::string hardware_id;
  std::string precision;
  bool valid = false;
  std::string reason;
  MapperTarget mapper;
  bool l2_residency = false;            // the GPU mapper with an L2 bandwidth: reads can hit L2
  double l2_capacity_bytes = 0;
  double static_power_w = 0;
  double memory_capacity_bytes = 0;     // 0: unknown (always fits)
  double ridge_point_flop_per_byte = 0;
};

SweepTarget resolve_sweep_target(const HardwareModel& hw, const std::string& precision);

/// One configuration's estimate. Times in seconds, energy in joules, memory in bytes.
/// energy_j is one forward pass over the whole batch; per-sample figures divide by the batch.
/// Throughput per watt = throughput ÷ average power = samples per joule.
struct SweepRow {
  int model = 0;        // index into SweepResult::models
  int hardware = 0;     // index into SweepResult::hardware_ids
  int precision = 0;    // index into SweepResult::precisions
  int64_t batch = 1;
  bool valid = true;
  std::string reason;   // why not valid; empty when valid
  double latency_s = 0;
  double compute_s = 0;       // Σ kernel compute times
  double memory_s = 0;        // Σ kernel memory times
  double overhead_s = 0;      // Σ launch overheads
  double throughput_samples_per_s = 0;
  double energy_j = 0;
  double energy_per_sample_j = 0;
  double average_power_w = 0;
  double throughput_samples_per_s_per_w = 0;
  double peak_memory_bytes = 0;
  double memory_capacity_bytes = 0;
  bool fits = true;
  int kernels = 0;
  int compute_bound_kernels = 0;
  double flops = 0;
  double bytes = 0;
  double ridge_point_flop_per_byte = 0;
  bool pareto = false;  // on its model's latency–energy-per-sample front (see mark_pareto)
};

/// The per-configuration pass (no allocation). Fills every figure but the
/// indices and `pareto`.
void estimate_config(const KernelTable& table, const SweepTarget& target, int64_t batch,
                     SweepRow& row);

/// Marks, within each model, the valid rows that fit in memory and that no other such row beats
/// on both latency_s and energy_per_sample_j (ties: neither dominates). O(n log n) per model.
void mark_pareto(std::vector<SweepRow>& rows);

struct SweepResult {
  std::vector<std::string> models;         // display names (zoo name or file stem)
  std::vector<std::string> model_sources;  // as given
  std::vector<std::string> hardware_ids;
  std::vector<std::string> hardware_names;
  std::vector<std::string> precisions;
  int64_t seq_len = 0;
  /// Rows ordered model, batch, hardware, precision (request order within each).
  std::vector<SweepRow> rows;
  double prepare_s = 0;    // loading, inference, characterization, fusion (cached parts)
  double estimate_s = 0;   // target resolution + every configuration's pass + Pareto marking
  int64_t kernel_tables = 0;  // (model, batch, storage) tables built
};

/// Runs the sweep. Errors only for what `resolve_sweep` rejects and for a model file that cannot
/// be read or parsed (kParseError, kIoError); everything else becomes invalid rows.
Result<SweepResult> run_sweep(const ResolvedSweep& sweep);

}  // namespace graphs
