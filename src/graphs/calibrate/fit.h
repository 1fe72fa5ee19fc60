// Curve fits for calibration: how long a kernel of a given size takes on this machine.
//
// The model is Hockney's (R. W. Hockney, "The communication challenge for MPP: Intel Paragon and
// Meiko CS-2", Parallel Computing 20(3), 1994), used for any kernel, not only messages:
//     t(w) = overhead_s + w / rate
// w is the work of one call (FLOPs for compute-bound classes, bytes for memory-bound ones), rate
// the asymptotic throughput (FLOP/s or bytes/s) and overhead_s the fixed cost of a call (dispatch,
// thread wake-up, launch). Hockney's n½ = overhead_s × rate is the work at which half the
// asymptotic rate is reached; efficiency at w relative to a peak P is
//     e(w) = w / (t(w) × P).
//
// The fit minimises the squared *relative* error Σ ((t_i − t(w_i)) / t_i)², a weighted linear least
// squares problem (weights 1/t_i²) with a closed-form 2×2 solution; timings that span decades
// weigh equally. If the unconstrained optimum has a negative overhead, the fit is redone with
// overhead_s = 0 (rate only), so both parameters are physical.
#pragma once

#include <vector>

#include "graphs/common/status.h"

namespace graphs {

/// One measurement: work of one call and its time (e.g. a median over repeats), seconds.
struct WorkSample {
  double work = 0;    // FLOPs or bytes, > 0
  double time_s = 0;  // > 0
};

struct HockneyFit {
  double overhead_s = 0;       // ≥ 0
  double rate = 0;             // work units per second, > 0
  double half_work = 0;        // n½ = overhead_s × rate
  double rms_rel_error = 0;    // sqrt(mean(((t_i − t(w_i)) / t_i)²)) over the samples
  int samples = 0;

  double time_s(double work) const { return overhead_s + work / rate; }
  /// Achieved throughput at `work` (work / time_s(work)).
  double throughput(double work) const { return work / time_s(work); }
};

/// One measurement of a kernel with two kinds of work: FLOPs and bytes moved.
struct ComputeMemorySample {
  double flops = 0;   // ≥ 0
  double bytes = 0;   // ≥ 0
  double time_s = 0;  // > 0
};

/// t(f, b) = overhead_s + f / flops_per_s + b / bytes_per_s: Hockney's fixed cost plus an
/// additive compute and memory term (the additive, "no overlap" form of the roofline; a kernel
/// whose traffic is not hidden behind its arithmetic, e.g. oneDNN's per-call layout reorders of
/// activations, pays both). Its efficiency thus depends on work size (through overhead_s) and on
/// arithmetic intensity f / b (through the two rates). A rate of 0 means the term was dropped
/// (the fit found no dependence on that work: its coefficient would have been negative).
struct ComputeMemoryFit {
  double overhead_s = 0;   // ≥ 0
  double flops_per_s = 0;  // > 0, or 0: no compute term
  double bytes_per_s = 0;  // > 0, or 0: no memory term
  double rms_rel_error = 0;
  int samples = 0;

  double compute_s(double flops) const { return flops_per_s > 0 ? flops / flops_per_s : 0; }
  double memory_s(double bytes) const { return bytes_per_s > 0 ? bytes / bytes_per_s : 0; }
  double time_s(double flops, double bytes) const {
    return overhead_s + compute_s(flops) + memory_s(bytes);
  }
};

/// Fits ComputeMemoryFit by the same weighted least squares as fit_hockney (relative error,
/// weights 1/t²) with every coefficient ≥ 0: the unconstrained 3×3 solution when it is feasible,
/// else the best feasible fit over the subsets of {overhead, compute, memory} (an exact
/// non-negative least squares for three unknowns). Errors (kInvalidArgument): fewer than 3
/// samples, a negative or non-finite figure, a non-positive time, or no sample with work.
Result<ComputeMemoryFit> fit_compute_memory(const std::vector<ComputeMemorySample>& samples);

/// Fits t(w) = overhead_s + w / rate. Errors (kInvalidArgument): fewer than 2 samples, a
/// non-positive or non-finite work or time, or all samples at the same work (rate undetermined).
Result<HockneyFit> fit_hockney(const std::vector<WorkSample>& samples);

}  // namespace graphs
