// A hardware target, validated and ready for the estimators.
//
// Hardware numbers are data: they come from one YAML file per target under data/hardware/
// (schema: docs/hardware-schema.md), each number with its source, or — for `host` — are derived
// at run time from what the OS reports about this machine (labelled as derived). Units are in the
// field names: FLOP/s, bytes, bytes/s, seconds, joules, watts.
//
// Peaks are keyed by precision name: "fp64", "fp32", "tf32", "fp16", "bf16", "fp8", "int8",
// "int4". For integer precisions the figure is operations per second (OP/s), counted like FLOPs
// (one multiply-accumulate = 2 ops).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace graphs {

/// One level of the memory hierarchy below DRAM (per chip totals, not per core).
struct CacheLevel {
  std::string name;                   // "L1", "L2", "L3", "SMEM"
  double capacity_bytes = 0;          // total over the chip
  double bandwidth_bytes_per_s = 0;   // aggregate; 0 when unknown
};

/// Fractions of a peak that a well-tuned kernel reaches, per op class (0 < e ≤ 1).
struct Efficiency {
  double matrix = 0.7;       // conv, gemm, matmul on matrix units
  double vector = 0.5;       // elementwise, reductions, norms, softmax, pooling
  double memory = 0.8;       // fraction of DRAM bandwidth reached by streaming kernels
  /// Matrix efficiency at one precision where it differs from `matrix` (int8 and fp8 kernels
  /// reach a smaller fraction of their doubled peak than fp16 ones on most parts).
  std::map<std::string, double> matrix_by_precision;
  /// `matrix_by_precision[precision]` when given, else `matrix`.
  double matrix_at(const std::string& precision) const {
    const auto it = matrix_by_precision.find(precision);
    return it == matrix_by_precision.end() ? matrix : it->second;
  }
};

/// A measured time model of one op class through one backend (calibrate/fit.h):
///   t(w) = overhead_s + w / rate [+ bytes / bytes_per_s],
/// w = FLOPs (work_unit "flops") or bytes ("bytes"); the bytes term (the compute + memory fit of
/// the flops classes) is absent when bytes_per_s is 0, the work term when rate is 0.
/// overhead_s is the fixed cost of one call as measured, including the backend's per-inference
/// call overhead (see HardwareModel::call_overhead_s).
struct OpClassRate {
  double overhead_s = 0;
  double rate = 0;              // FLOP/s or bytes/s; 0: no work term
  std::string work_unit;        // "flops" or "bytes"
  double bytes_per_s = 0;       // flops classes: the memory term's rate; 0: none
};

/// A power mode (Jetson nvpmodel, CPU power limit). Fields that are set replace the base ones.
struct PowerMode {
  std::string name;                               // "15w", "30w", "50w", "maxn"
  std::optional<double> clock_hz;
  std::optional<int> compute_units;               // e.g. TPCs power-gated in low Jetson modes
  std::optional<double> power_w;                  // the mode's power budget
  std::map<std::string, double> matrix_peak_flops_per_s;
  std::map<std::string, double> vector_peak_flops_per_s;
  std::optional<double> memory_bandwidth_bytes_per_s;
};

/// A systolic matrix unit (TPU MXU): `count` arrays of `rows` × `cols` multiply-accumulate cells
/// on the chip. Weight-stationary: a [K, N] weight tile of rows × cols is loaded into an array and
/// the M rows of the activation stream through it (Jouppi et al., "In-Datacenter Performance
/// Analysis of a Tensor Processing Unit", ISCA 2017).
struct SystolicArray {
  int rows = 0;   // reduction (K) dimension of a tile
  int cols = 0;   // output (N) dimension of a tile
  int count = 0;  // arrays on the chip (TPU v4: 2 TensorCores × 4 MXUs = 8)
};

/// The link between devices of this kind (NVLink, ICI), used for collective cost.
struct Interconnect {
  std::string name;                   // "NVLink 4"
  double bandwidth_bytes_per_s = 0;   // per device, per direction
  double latency_s = 0;               // per message; 0 when unknown
};

struct HardwareModel {
  int schema_version = 1;
  std::string id;            // "h100-sxm5-80gb"; with a power mode: "jetson-orin-agx-64gb:30w"
  std::string name;          // "NVIDIA H100 SXM5 80GB"
  std::string vendor;
  std::string kind;          // "gpu", "cpu", "tpu", "npu"
  /// The silicon the part is built on ("GA100", "GH100", "AD102", "Orin"); parts that share
  /// it share the efficiencies and kernel floor a fit sets (graphs validate --published --fit).
  /// "" when the file names none.
  std::string die;
  bool derived = false;      // true for `host`: figures derived from OS facts, not a datasheet

  int compute_units = 0;     // SMs, cores, TensorCores
  double clock_hz = 0;       // boost / max clock used for the peaks

  /// Dense peak throughput of the matrix units (tensor cores, AMX, MXU; on CPUs without a
  /// matrix unit, the SIMD FMA peak) per precision, FLOP/s.
  std::map<std::string, double> matrix_peak_flops_per_s;
  /// Peak of the vector units (CUDA cores, SIMD) per precision, FLOP/s; used for elementwise
  /// and reduction work.
  std::map<std::string, double> vector_peak_flops_per_s;

  double memory_bytes = 0;                  // DRAM/HBM capacity
  double memory_bandwidth_bytes_per_s = 0;  // DRAM/HBM peak
  std::vector<CacheLevel> caches;           // ordered from closest (L1) to farthest

  Efficiency efficiency;
  double kernel_launch_s = 0;   // fixed cost per kernel launch / op dispatch
  /// Cost per kernel when the kernels are replayed from a captured graph (CUDA graphs, an XLA
  /// program): what remains of kernel_launch_s once the host no longer launches each kernel.
  /// nullopt when the file gives no figure.
  std::optional<double> graph_kernel_launch_s;
  /// Shortest time one kernel occupies the device, however little work it has (launch on the
  /// device, block scheduling, tail): a floor under every kernel's device time. 0: no floor.
  double min_kernel_s = 0;
  /// Host-to-device link for input and output copies (PCIe), bytes/s per direction; nullopt
  /// when the device shares the host's memory (Jetson) or the file gives none.
  std::optional<double> host_link_bytes_per_s;
  /// How much slower this target's host CPU issues work than the x86 server host the engines'
  /// per-kernel host costs are given for (data/engines): 1 for a server, > 1 for an embedded
  /// ARM host (Jetson).
  double host_cpu_scale = 1;
  /// Measured per-call dispatch cost by backend family ("torch_eager", "onnxruntime", ...;
  /// estimate/backend.h), from a calibration profile (`host` only); empty otherwise.
  std::map<std::string, double> dispatch_overhead_s;
  /// Measured fixed cost of one inference call by backend family (ONNX Runtime's session.run, a
  /// compiled model's wrapper and guards), paid once per model run; from a calibration profile.
  std::map<std::string, double> call_overhead_s;
  /// Measured op-class time models by backend family → class ("matmul", "conv",
  /// "depthwise_conv", "elementwise", "reduction"; estimate/cpu_mapper.h), from a calibration
  /// profile (`host` only); empty otherwise.
  std::map<std::string, std::map<std::string, OpClassRate>> op_class_rates;
  /// Intra-op threads the calibration profile measured with (its rates hold for that many);
  /// nullopt when no profile was applied.
  std::optional<int> calibration_threads;

  /// Systolic matrix units (TPU-like targets); nullopt for parts without them or unpublished.
  std::optional<SystolicArray> systolic_array;

  /// Energy per FLOP (or OP) at each precision, joules; per DRAM byte, joules.
  std::map<std::string, double> energy_per_flop_j;
  double energy_per_dram_byte_j = 0;
  double static_power_w = 0;    // power drawn regardless of work (idle + leakage)
  double tdp_w = 0;

  std::optional<Interconnect> interconnect;  // none for single-device targets

  std::vector<PowerMode> power_modes;  // empty for most targets
  std::string active_power_mode;       // set when `id` names a mode

  /// Where the model came from: "embedded:h100-sxm5-80gb.yaml", a file path, or "detected".
  std::string origin;

  /// Where each figure comes from: field name (e.g. "matrix_peak_flops_per_s.bf16") → source
  /// (datasheet title and section, paper, or "derived: <how>").
  std::map<std::string, std::string> sources;
  std::vector<std::string> notes;

  /// The cache level named `name` ("L2"), or nullptr.
  const CacheLevel* cache(const std::string& name) const;
  /// True when the part has no floating-point peak at all (an int8-only accelerator such as the
  /// Coral Edge TPU).
  bool integer_only() const;

  /// Matrix peak at `precision`; falls back to the widest precision that the part runs faster
  /// or equal (e.g. tf32 → fp32 when no tf32 entry). nullopt if the precision is unsupported.
  std::optional<double> matrix_peak(const std::string& precision) const;
  std::optional<double> vector_peak(const std::string& precision) const;
  /// Energy per FLOP (OP) at `precision`, joules, with the same fallback as `matrix_peak`.
  std::optional<double> energy_per_flop(const std::string& precision) const;
  /// Ridge point (FLOP per byte) of the matrix roofline at `precision`:
  /// matrix_peak × efficiency.matrix / (bandwidth × efficiency.memory).
  std::optional<double> ridge_point(const std::string& precision) const;
};

}  // namespace graphs
