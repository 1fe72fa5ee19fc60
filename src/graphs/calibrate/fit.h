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

/// Fits t(w) = overhead_s + w / rate. Errors (kInvalidArgument): fewer than 2 samples, a
/// non-positive or non-finite work or time, or all samples at the same work (rate undetermined).
Result<HockneyFit> fit_hockney(const std::vector<WorkSample>& samples);

}  // namespace graphs
