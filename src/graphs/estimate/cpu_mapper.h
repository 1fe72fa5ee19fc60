// CPU mapper: how one kernel runs on a multi-core CPU (MapperKind::kCpu, chosen for kind "cpu").
//
// Compute. The model's peaks are already cores × clock × SIMD lanes × FMA units × 2 (host.cc
// derives them so; CPU hardware files give the same product), so the full-chip rate of a kernel
// is peak(precision, unit) × efficiency(unit), matrix for conv/matmul anchors, vector otherwise.
//
// Memory: cache tiers (the cache-aware roofline: Ilic, Pratas, Sousa, "Cache-aware Roofline
// model: Upgrading the loft", IEEE Computer Architecture Letters 13(1), 2014; the same per-level
// bandwidth ceilings as the ECM model, Treibig & Hager, PPAM 2009). A kernel's working set W is
// its boundary bytes (inputs + weights + outputs, KernelWork::bytes()). Capacity rule: W is
// served by the closest cache level whose capacity (chip total) is ≥ W and that has a bandwidth
// figure (a level without one is skipped: the next level that has one serves it); a W larger
// than every such level streams from DRAM at bandwidth × efficiency.memory. Cache bandwidths are
// achieved figures (STREAM triad, `graphs calibrate`), used as they are. This assumes the data is
// warm in that level (produced by the previous kernel, or re-read by a benchmark loop); a model
// whose weights exceed the last level but whose kernels fit one each is read as warm: optimistic
// for weight-heavy kernels at batch 1. Without cache bandwidths (hardware files rarely publish
// them; `graphs calibrate` measures them for `host`) every byte comes from DRAM, as the roofline.
//
// Threading. Rates above are for all cores working. A kernel runs on
//     active = clamp(t_serial / kCpuParallelGrain_s, 1, cores)
// cores, where t_serial = cores × max(compute at full rate, memory at full rate) is its time on
// one core: a runtime hands a thread work only in chunks of at least one grain (see the
// constant). parallel fraction p = active / cores, stored as KernelEstimate::utilization; both
// the compute and the memory rate scale by p (aggregate cache bandwidth is the sum of per-core
// bandwidths). So latency ≈ max(t_full, min(t_serial, grain)): a small kernel takes its
// serial time or one grain, whichever is less.
//
// Measured op classes (a calibration profile through the backend, calibrate/op_microbench.h).
// When the target holds a time model t(w) = overhead + w / rate for the kernel's calibration
// class (`calibration_class`) through the estimate's backend, that model replaces the peak ×
// efficiency rate and the threading rule, since it was measured with the backend's own threads:
//   flops classes (matmul, conv, depthwise_conv): compute_s = FLOPs / rate + bytes / bytes rate
//                                                 (the compute + memory fit, calibrate/fit.h)
//   bytes classes (elementwise, reduction):       memory_s = max(bytes / rate, tier memory time)
//   overhead_s = max(0, fit overhead − the backend's per-call overhead), the per-call overhead
//   being charged once per model run (Estimate::overhead_s, roofline.cc), not per kernel.
// The memory term of flops classes stays the cache-tier time above.
//
// Overhead: one per-kernel dispatch cost, MapperTarget::overhead_s (kernel_launch_s, or the
// backend family's measured dispatch_overhead_s when the estimate names a backend and the
// calibration profile has a figure for it; estimate/backend.h).
//   latency_s = max(compute_s, memory_s) + overhead_s
//   energy_j  = FLOPs × energy_per_flop + DRAM bytes × energy_per_dram_byte (cache traffic has
//               no energy figure in the hardware files and is not counted)
// Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "graphs/estimate/kernel_work.h"
#include "graphs/estimate/roofline.h"
#include "graphs/hardware/hardware_model.h"

namespace graphs {

struct MapperTarget;

/// The smallest chunk of work a CPU runtime hands to a thread, as one core's time. PyTorch's
/// parallel loops split work in chunks of at least at::internal::GRAIN_SIZE = 32768 elements
/// (aten/src/ATen/Parallel.h); an fp32 elementwise op over 32768 elements moves ~400 KB, about
/// 4–5 µs of one core at per-core cache bandwidth, and oneDNN/OpenMP fork-join barriers cost
/// ~1 µs (EPCC OpenMP micro-benchmarks), so a thread's chunk is a few µs. A modelling constant,
/// not fitted to any model.
inline constexpr double kCpuParallelGrain_s = 5e-6;

/// A cache level the CPU mapper can serve a working set from: one with a bandwidth figure.
struct CpuCacheTier {
  std::string name;                 // "L1", "L2", "L3"
  double capacity_bytes = 0;        // chip total
  double bandwidth_bytes_per_s = 0; // achieved, aggregate over the cores
};

/// What the CPU mapper reads from a hardware model beyond the roofline figures.
struct CpuTarget {
  int cores = 1;
  std::vector<CpuCacheTier> tiers;  // closest first; only levels with a bandwidth
  std::vector<std::string> notes;   // bandwidths raised to a farther level's (below)
};

/// The cores and the cache levels of `hw` that have a bandwidth figure, closest first. A level
/// whose bandwidth is below a farther level's (or DRAM's achieved rate) takes that rate, with a
/// note: data that fits a nearer level fits the farther ones too, so a slower nearer figure can
/// only be a disturbed measurement (a loaded machine during `graphs calibrate`).
CpuTarget resolve_cpu_target(const HardwareModel& hw);

/// The tier serving a working set of `bytes` (capacity rule above), or nullptr for DRAM.
const CpuCacheTier* cpu_serving_tier(const CpuTarget& cpu, double bytes);

/// The calibration class of a kernel (the classes `graphs calibrate` measures): "matmul"
/// (MatMul/Gemm anchors), "conv" (a convolution run as an implicit GEMM, kernel larger than
/// 1×1), "pointwise_conv" (a 1×1 convolution: a plain GEMM, which runtimes often route to other
/// kernels — PyTorch runs 1×1 convolutions single-threaded below batch 16 through its native
/// im2col + GEMM path, not oneDNN, aten/src/ATen/native/Convolution.cpp use_mkldnn),
/// "grouped_conv" (groups > 1 with enough channels per group for a GEMM: ResNeXt, RegNet),
/// "depthwise_conv" (a
/// convolution that is no GEMM: depthwise or narrow grouped), "reduction" (reductions, softmax,
/// normalizations but BatchNormalization), "elementwise" (everything else that moves bytes:
/// pointwise, inference BatchNormalization — a per-channel scale and shift), "pooling"
/// (MaxPool, AveragePool: PyTorch's max pooling also computes indices and runs far below
/// bandwidth), "data_movement" (Transpose, Concat, Slice, Gather…: copies). A profile without
/// the class serves it with the broader one: pointwise_conv and grouped_conv → conv,
/// data_movement and pooling → elementwise.
std::string calibration_class(const KernelWork& work);

/// One kernel on a CPU target (`target.kind` is kCpu; `target.cpu` filled by resolve_target).
KernelEstimate estimate_cpu_kernel(const KernelWork& work, const MapperTarget& target);

}  // namespace graphs
