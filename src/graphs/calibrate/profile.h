// Calibration profile: what `graphs calibrate` measured on this machine, the fits made from it,
// and how it overlays the derived `host` hardware model.
//
// File: JSON, {"schema_version": 1, "kind": "graphs-calibration", ...} (docs/calibration.md),
// stored at $GRAPHS_CALIBRATION_DIR/<fingerprint>.json, default
// ${XDG_CACHE_HOME:-~/.cache}/graphs/calibration/. Raw measurements are kept beside the fits so
// a fit can be redone or audited. A profile applies only to the machine whose fingerprint it
// carries; loading one for another machine is refused.
//
// Memory tiers (memory_tiers): a STREAM triad point whose working set W satisfies
// C(level−1) < W ≤ C(level) / 2 is served by `level` (C = the level's capacity over the chip;
// the ½ leaves room for the other arrays and the code); DRAM takes points with W ≥ 4 × C(last
// cache level). A tier's bandwidth is the median over its points of each point's best rate.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "graphs/calibrate/fit.h"
#include "graphs/calibrate/membench.h"
#include "graphs/common/status.h"
#include "graphs/hardware/hardware_model.h"
#include "graphs/hardware/host.h"

namespace graphs {

inline constexpr int kCalibrationSchemaVersion = 2;  // 2: call_overhead_s, per-backend op classes

/// Bandwidth of one level of the memory hierarchy as measured.
struct MemoryTier {
  std::string level;                   // "L1", "L2", "L3", "DRAM"
  double capacity_bytes = 0;           // chip total; 0 for DRAM
  double bandwidth_bytes_per_s = 0;    // median of the tier's best triad rates
  int points = 0;                      // measurements that fell in the tier
};

/// One timed microbenchmark call: what ran and the median of its calls.
struct MicroSample {
  std::string op;                      // "matmul", "conv2d", "depthwise_conv2d", "add", "sum"...
  std::string shape;                   // human-readable shape, e.g. "512x512x512"
  std::string dtype = "float32";
  double flops = 0;
  double bytes = 0;
  double median_s = 0;                 // median over the timed chunks of the per-call time
  double best_s = 0;                   // fastest chunk's per-call time: what the fit uses
  int calls = 0;
};

/// A Hockney fit for one op class through one backend (calibrate/fit.h).
struct OpClassCalibration {
  std::string op_class;                // "matmul", "conv", "depthwise_conv", "elementwise", "reduction"
  std::string backend;                 // "torch_eager" (oneDNN/MKL through PyTorch), "cxx"
  std::string work_unit;               // "flops" or "bytes": what the fit's rate counts
  HockneyFit fit;                       // t(w) = overhead + w / rate on the work unit
  /// For the flops classes (matmul, conv, depthwise_conv): t = overhead + FLOPs / flops rate +
  /// bytes / bytes rate (calibrate/fit.h), what the estimator uses; nullopt for bytes classes.
  std::optional<ComputeMemoryFit> compute_memory;
  std::vector<MicroSample> samples;
};

struct CalibrationProfile {
  int schema_version = kCalibrationSchemaVersion;
  std::string created_utc;
  std::string graphs_version;
  std::string hardware_fingerprint;
  std::string cpu_model;
  int threads = 0;
  bool quick = false;
  std::vector<BandwidthPoint> memory_points;
  std::vector<MemoryTier> memory_tiers;
  std::vector<OpClassCalibration> op_classes;
  /// Per backend family ("torch_eager", "onnxruntime", ...): fixed cost of one op call, seconds.
  std::map<std::string, double> dispatch_overhead_s;
  /// Per backend family: fixed cost of one inference call (op_microbench.h), seconds.
  std::map<std::string, double> call_overhead_s;
  /// The worker's package versions per backend ("torch_eager" → {"torch": "2.14.1", ...}).
  nlohmann::json backend_versions = nlohmann::json::object();
  std::vector<std::string> notes;
};

/// Stable 16-hex-digit fingerprint (FNV-1a 64) of the facts that change what calibration
/// measures: CPU model, logical CPUs, physical cores, max clock, cache sizes, memory size.
std::string hardware_fingerprint(const HostFacts& facts);

/// Assigns STREAM triad points to cache levels and DRAM (rule in the header comment). Levels
/// with no point are left out and named in `notes` when given.
std::vector<MemoryTier> memory_tiers(const std::vector<BandwidthPoint>& points,
                                     const std::vector<CacheLevel>& caches,
                                     std::vector<std::string>* notes = nullptr);

nlohmann::json to_json(const CalibrationProfile& profile);
/// Errors: kParseError naming `origin` and the field for a missing or mistyped field, or a
/// schema_version this build does not know.
Result<CalibrationProfile> profile_from_json(const nlohmann::json& j, const std::string& origin);

/// Default directory described above.
std::string calibration_dir();
std::string default_profile_path(const std::string& fingerprint);
/// Writes atomically (temporary file + rename). kIoError on failure.
Status save_profile(const CalibrationProfile& profile, const std::string& path);
/// kNotFound when absent, kParseError when malformed.
Result<CalibrationProfile> load_profile(const std::string& path);

/// Overlays measured figures on `host`: DRAM bandwidth (and efficiency.memory = 1, since the
/// figure is already achieved bandwidth), cache-level bandwidths, every op-class fit as
/// host.op_class_rates[backend][class], matrix efficiency from torch eager's matmul fit rate
/// against the matrix peak (capped at 1; used by targets without a class fit) — a class with a
/// compute + memory fit overlays that fit instead of its Hockney one — the per-kernel
/// dispatch and per-call overheads by backend, and torch eager's per-op overhead as
/// kernel_launch_s. When a microbenchmark achieved more FLOP/s than the derived fp32 peak (taken
/// to all cores when fewer threads ran), every peak and the clock are scaled up to it, with a note:
/// the derivation missed a turbo clock. Each overlaid
/// figure's source becomes "measured: graphs calibrate <time> (<what>)". Error
/// kInvalidArgument when the profile's fingerprint is not `fingerprint`.
Status apply_profile(const CalibrationProfile& profile, const std::string& fingerprint,
                     HardwareModel& host);

}  // namespace graphs
