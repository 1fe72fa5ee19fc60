// Mappers: how one fused kernel runs on a kind of hardware. The mapper is chosen from the
// hardware file's `kind` (data, not code): gpu → GPU mapper; tpu/npu with a `systolic_array` →
// systolic mapper; cpu → CPU mapper; everything else (accelerators without published array dims)
// → roofline.
//
// Common to all (Williams, Waterman, Patterson, "Roofline", CACM 52(4), 2009):
//   compute_s = FLOPs / (peak(precision, unit) × efficiency(unit) × utilization)
//   memory_s  = DRAM bytes / (DRAM bandwidth × efficiency.memory)
//   latency_s = max(compute_s, memory_s) + overhead_s
// utilization = 1 for the roofline mapper.
//
// GPU mapper (wave quantization as in NVIDIA's "Matrix Multiplication Background User's Guide",
// Deep Learning Performance docs: tile and wave quantization):
//   - A GEMM (batch × [M,K]×[K,N], see kernel_work.h) is cut into output tiles Mt × Nt, one per
//     thread block; blocks = batch × ⌈M/Mt⌉ × ⌈N/Nt⌉; when blocks < SMs and K is long, split-K
//     divides K among up to ⌊SMs/blocks⌋ blocks (CUTLASS split-K); waves = ⌈blocks / SMs⌉.
//     utilization = useful MACs / (waves × SMs × Mt × Nt × K/splits) = tile efficiency × wave
//     efficiency. The tile is the one of kGpuTiles giving the lowest max(compute, L2) time
//     (16- and 32-row tiles only for GEMMs whose M fits in one tile row).
//   - L2: tile re-reads (A read once per column of tiles, B once per row of tiles) are served at
//     the L2 bandwidth when the file gives one: l2_s = (A·⌈N/Nt⌉ + B·⌈M/Mt⌉ + C) / L2 bandwidth;
//     memory_s = max(DRAM time, l2_s). Activations a recent kernel wrote that still fit the L2
//     (kernel_work.h, mark_cache_resident_inputs) are read from L2, not DRAM.
//   - Non-GEMM kernels run on the CUDA cores (vector peak); depthwise convs too.
//   - Split-K: the partial sums (fp32, splits × M × N) go through the L2 and a reduction kernel
//     reads them back (CUTLASS/cuBLAS split-K with a separate reduction): its time is added to
//     the GEMM's, so split-K is chosen only where it pays.
//   - Device time per kernel = max(compute, memory, min_kernel_s); the host/device timeline
//     (combine_kernels) adds the launch and the engine's dispatch on the host side
//     (kernel_launch_s + engine host_per_kernel_s × host_cpu_scale, or one graph launch with
//     CUDA graphs) and graph_kernel_launch_s on the device side between kernels.
// Systolic mapper (weight-stationary MXU, Jouppi et al., ISCA 2017; TPU v4 ISCA 2023):
//   - A [K, N] weight is cut into R × C tiles (the array's rows × cols): tiles = batch × ⌈K/R⌉ ×
//     ⌈N/C⌉. Each tile streams the M activation rows through the array in max(M, R) cycles (the
//     next tile's weights load, R cycles, overlapped with streaming — double-buffered weights).
//     Tiles spread over the `count` arrays; when there are fewer tiles than arrays, M is split
//     among the idle arrays. utilization = MACs / (cycles × count × R × C).
//   - Everything else: roofline on the vector unit.
// CPU mapper (cpu_mapper.h): the roofline at the chip's SIMD × FMA peaks, with cache tiers (a
//   kernel whose working set — boundary bytes — fits a cache level with a bandwidth figure is
//   served at that level's bandwidth; cache-aware roofline, Ilic, Pratas, Sousa, IEEE CAL 2014),
//   threading efficiency (a kernel shorter than cores × kCpuParallelGrain_s of one core's time
//   runs on fewer cores: utilization = active cores / cores) and a per-kernel dispatch overhead
//   (kernel_launch_s, or the backend family's measured dispatch_overhead_s; backend.h).
#pragma once

#include <map>
#include <string>

#include "graphs/estimate/cpu_mapper.h"
#include "graphs/estimate/kernel_work.h"
#include "graphs/estimate/roofline.h"
#include "graphs/hardware/hardware_model.h"

namespace graphs {

enum class MapperKind { kRoofline, kCpu, kGpu, kSystolic };
std::string_view to_string(MapperKind kind);

/// The mapper for a target, from its `kind` and whether it has a systolic array.
MapperKind mapper_for(const HardwareModel& hw);

/// GEMM output tiles the GPU mapper chooses among (Mt × Nt): CUTLASS's default tensor-op
/// threadblock shapes for sm80/sm90 (128×256, 128×128, 64×128 and 64×64; CUTLASS
/// `include/cutlass/gemm/device/default_gemm_configuration.h`), plus 16×128 and 32×128 for
/// skinny GEMMs (M ≤ the tile's M: decode steps), the m16n8k16 mma granularity that small-M
/// kernels (cuBLAS, TensorRT-LLM GEMV/skinny kernels) use. A modelling choice, not a hardware
/// figure. `skinny_only`: a candidate only when the whole M fits one tile row.
struct GpuTile {
  int m = 128;
  int n = 128;
  bool skinny_only = false;
};
inline constexpr GpuTile kGpuTiles[] = {{128, 256}, {128, 128}, {64, 128},
                                        {64, 64},   {32, 128, true}, {16, 128, true}};

/// A target resolved at one precision, for estimating many kernels quickly.
struct MapperTarget {
  const HardwareModel* hw = nullptr;
  MapperKind kind = MapperKind::kRoofline;
  double matrix_flops_per_s = 0;  // peak × efficiency.matrix
  double vector_flops_per_s = 0;  // peak × efficiency.vector
  double dram_bytes_per_s = 0;    // bandwidth × efficiency.memory
  double l2_bytes_per_s = 0;      // 0: unknown (no L2 term)
  double l2_capacity_bytes = 0;
  double overhead_s = 0;          // per kernel: launch, or graph replay
  double energy_per_flop_j = 0;
  CpuTarget cpu;                  // kCpu: cores and cache tiers with a bandwidth
  /// kCpu: the backend family's measured op-class time models (HardwareModel::op_class_rates),
  /// then the family they fall back to for classes it lacks (Inductor → torch eager: its
  /// convolutions and GEMMs are aten's extern kernels); null when none.
  const std::map<std::string, OpClassRate>* op_rates = nullptr;
  const std::map<std::string, OpClassRate>* fallback_op_rates = nullptr;
  /// Measured fixed cost of one inference call through the backend (once per model run).
  double call_overhead_s = 0;

  // ---- GPU host/device timeline (kind kGpu; see combine_kernels) ----
  bool timeline = false;             // kGpu: the host issues kernels asynchronously
  bool cuda_graphs = false;          // kernels replayed from one captured graph
  double host_per_kernel_s = 0;      // host time to issue one kernel: launch + engine dispatch
  double device_gap_s = 0;           // device time between two queued kernels
  double graph_launch_s = 0;         // host time of the one graph launch (cuda_graphs)
  double min_kernel_s = 0;           // floor under one kernel's device time
  double inference_overhead_s = 0;   // host time per inference call (engine entry, sync)
  double host_link_bytes_per_s = 0;  // input/output copies over PCIe; 0: none (unified memory)
  std::string engine;                // the engine id the target was resolved for ("" none)
};

/// How the kernels of one inference add up. GPU (timeline): one CUDA stream fed by one host
/// thread, CUDA's asynchronous launch semantics — the host issues kernel i at
/// h_i = h_{i-1} + host_per_kernel_s (all at once, after one graph launch, with CUDA graphs);
/// the device starts it at max(h_i, end_{i-1}) + device_gap_s and runs it for its device time
/// (≥ min_kernel_s). So a small model is host-bound (Σ host) and a large one device-bound
/// (Σ device), with the dependencies in between exact. Then, once per inference:
/// inference_overhead_s (host) and the input/output copies (io_bytes / host_link_bytes_per_s).
///   latency_s = stream end + inference_overhead_s + copy_s (one inference alone);
///   period_s  = max(device busy, host issue + inference_overhead_s, copy_s): the steady-state
///               time per inference when inferences are pipelined (several streams, copies on
///               the copy engines: MLPerf Offline, trtexec throughput).
/// Other mappers: kernels run back to back; latency_s = period_s = Σ kernel latency +
/// call_overhead_s.
struct RunTotals {
  double latency_s = 0;
  double period_s = 0;
  double device_s = 0;         // Σ device time of the kernels, gaps included
  double host_s = 0;           // host issue time of the kernels
  double device_idle_s = 0;    // stream time the device waited for the host
  double inference_overhead_s = 0;
  double copy_s = 0;
  int host_bound_kernels = 0;  // kernels the device waited for the host to issue
};
RunTotals combine_kernels(const MapperTarget& target, const std::vector<const KernelEstimate*>& kernels,
                          double io_bytes);

/// Resolves `hw` at `options.precision`. Error kInvalidArgument when the target has no peak or
/// energy figure at the precision (an int8-only accelerator asked for fp32 says so), or for an
/// unknown mapper or backend name. overhead_s: graph_kernel_launch_s with cuda_graphs, else the
/// backend family's dispatch_overhead_s when the model has one, else kernel_launch_s.
Result<MapperTarget> resolve_target(const HardwareModel& hw, const EstimateOptions& options);

/// One kernel on a resolved target.
KernelEstimate estimate_kernel(const KernelWork& work, const MapperTarget& target);

}  // namespace graphs
