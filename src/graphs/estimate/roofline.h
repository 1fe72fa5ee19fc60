// The estimator: each fused kernel through the target's mapper (estimate/mapper.h: roofline,
// GPU with wave quantization and L2, systolic array), energy, and peak memory by liveness.
//
// Roofline per kernel k (Williams, Waterman, Patterson, "Roofline", CACM 52(4), 2009):
//   compute_s = FLOPs_k / (peak(precision, unit) × efficiency(unit))
//       unit = matrix for conv/matmul kernels, vector otherwise
//   memory_s  = bytes_k / (DRAM bandwidth × efficiency.memory)
//       bytes_k = the kernel's boundary bytes (Partition: inputs, weights, outputs)
//   latency_s = max(compute_s, memory_s) + kernel_launch_s
// The GPU and systolic mappers refine compute_s by a utilization (tiles, waves, array padding)
// and memory_s by the L2; the CPU mapper by threading and cache tiers; see mapper.h.
// Energy = Σ FLOPs × energy_per_flop_j(precision) + Σ bytes × energy_per_dram_byte_j
//          + static_power_w × latency_s.
// Peak memory = weights + peak of live activations over the kernel execution order (a tensor
// lives from its producing kernel to its last consuming kernel; views share their source's
// storage; graph inputs live from the start, graph outputs to the end) + workspace.
// All figures come from the HardwareModel (data/hardware, with sources).
#pragma once

#include <string>
#include <vector>

#include "graphs/analysis/characterize.h"
#include "graphs/analysis/fusion.h"
#include "graphs/common/status.h"
#include "graphs/hardware/hardware_model.h"

namespace graphs {

struct EstimateOptions {
  std::string precision = "fp32";  // a HardwareModel peak key: fp32, tf32, fp16, bf16, fp8, int8
  double workspace_bytes = 0;      // extra scratch memory (not modelled yet: 0)
  /// Kernels replayed from a captured graph (CUDA graphs, torch.compile mode="reduce-overhead"):
  /// the per-kernel overhead is the target's graph_kernel_launch_s instead of kernel_launch_s.
  bool cuda_graphs = false;
  /// "auto" (from the hardware's kind), "roofline", "cpu", "gpu" or "systolic".
  std::string mapper = "auto";
  /// The conversion family the prediction is for (estimate/backend.h): "" (a graph compiler's
  /// fused kernels, the default), "eager" (one kernel per op, torch dispatch per op),
  /// "inductor", "onnxruntime", "openvino". Picks the per-kernel dispatch overhead when the
  /// target has a measured one for the family; the partition is picked by the caller
  /// (partition_for_backend).
  std::string backend;
};

struct KernelEstimate {
  int kernel = 0;
  double compute_s = 0;
  double memory_s = 0;
  double overhead_s = 0;  // serial overhead (CPU, roofline, systolic) or host issue time (GPU)
  double device_s = 0;    // max(compute_s, memory_s, min_kernel_s) + split-K reduction
  /// The kernel's share of the latency: device_s + overhead_s when kernels run back to back;
  /// device_s + the device-side gap on the GPU timeline (mapper.h combine_kernels).
  double latency_s = 0;
  bool compute_bound = false;
  double energy_j = 0;  // dynamic energy only
  /// Fraction of the matrix peak the kernel's shape can use (tile × wave quantization on GPUs,
  /// array padding on systolic arrays); 1 for vector kernels and the roofline mapper.
  double utilization = 1;
  int thread_blocks = 0;       // GPU GEMMs: blocks launched (0 otherwise)
  int waves = 0;               // GPU GEMMs: ⌈blocks / SMs⌉
  int tile_m = 0, tile_n = 0;  // GPU GEMMs: the output tile chosen
  int split_k = 1;             // GPU GEMMs: K split over this many blocks (then a reduction)
  bool attention = false;      // a fused attention kernel
  double dram_bytes = 0;       // bytes from/to DRAM (boundary bytes less L2-resident inputs)
  double l2_bytes = 0;         // bytes served by the L2 (GPU mapper; 0 when not modelled)
  double cache_bytes = 0;      // CPU mapper: bytes served by a cache level (the whole working set)
  std::string memory_level;    // CPU mapper: the level serving the working set ("L2", "DRAM")
};

struct MemoryEstimate {
  double weight_bytes = 0;
  double peak_activation_bytes = 0;
  double workspace_bytes = 0;
  double peak_bytes = 0;      // weight + peak activation + workspace
  double capacity_bytes = 0;  // device memory
  bool fits = true;
};

struct Estimate {
  std::string hardware_id;
  std::string hardware_name;
  std::string precision;
  std::string mapper;          // "roofline", "cpu", "gpu", "systolic"
  std::string backend;         // EstimateOptions::backend ("" = fused kernels)
  bool cuda_graphs = false;
  /// One inference alone, end to end (mapper.h combine_kernels: on GPUs the host/device
  /// timeline, the per-inference overhead and the input/output copies).
  double latency_s = 0;
  /// Steady-state time per inference when inferences are pipelined (throughput = batch /
  /// period_s); = latency_s off the GPU timeline.
  double period_s = 0;
  double compute_s = 0;        // Σ kernel compute times
  double memory_s = 0;         // Σ kernel memory times
  double overhead_s = 0;       // latency_s − Σ kernel device time: launches, waits, per-call cost
  double device_s = 0;         // Σ kernel device occupancy (GPU timeline: gaps included)
  double host_s = 0;           // GPU timeline: host time issuing the kernels
  double device_idle_s = 0;    // GPU timeline: time the device waited for the host
  double inference_overhead_s = 0;  // per inference call (engine entry, synchronisation)
  double copy_s = 0;           // input/output copies over the host link
  int host_bound_kernels = 0;  // GPU timeline: kernels the device waited for
  double dynamic_energy_j = 0;
  double static_energy_j = 0;
  double energy_j = 0;
  int compute_bound_kernels = 0;
  int memory_bound_kernels = 0;
  double matrix_peak_flops_per_s = 0;  // at the precision, before efficiency
  double vector_peak_flops_per_s = 0;
  double memory_bandwidth_bytes_per_s = 0;
  double ridge_point_flop_per_byte = 0;
  double matrix_utilization = 1;  // FLOP-weighted mean utilization of matrix kernels
  MemoryEstimate memory;
  std::vector<KernelEstimate> kernels;  // parallel to Partition::kernels
  std::vector<std::string> notes;       // modelling caveats for this target
};

/// Error kInvalidArgument when the hardware has no peak, or no energy per FLOP, at the precision
/// ("i7-12700k has no fp8 peak; it supports fp32, fp16, ...") or the mapper name is unknown.
Result<Estimate> estimate_roofline(const Graph& graph, const Characterization& ch,
                                   const Partition& partition, const HardwareModel& hw,
                                   const EstimateOptions& options);

/// Bytes of live activations at each kernel step of `partition` (rule above): entry i is the
/// storage live while kernel i runs, entry n (one past the last kernel) what stays live after it
/// (graph outputs). n + 1 entries.
std::vector<double> live_activation_bytes(const Graph& graph, const Characterization& ch,
                                          const Partition& partition);

/// Bytes of the graph's inputs and outputs at their costing dtypes: what crosses the host link
/// per inference on a discrete accelerator.
double graph_io_bytes(const Graph& graph, const Characterization& ch);

/// Peak bytes of live activations over `partition`'s execution order (see above).
double peak_activation_bytes(const Graph& graph, const Characterization& ch,
                             const Partition& partition);

}  // namespace graphs
