// The calibration procedure of `graphs calibrate`: measures this machine — memory bandwidth over
// working sets from L1 to DRAM (STREAM copy and triad, C++; membench.h), then op-class
// microbenchmarks through each measuring backend in a worker process (GEMM, conv, depthwise
// conv, elementwise, softmax, per-call and per-kernel overheads; op_microbench.h) and their fits
// (fit.h) — into a CalibrationProfile (profile.h). A backend that cannot run (package missing,
// worker crash) is a note in the profile, not a failure.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "graphs/calibrate/profile.h"
#include "graphs/common/status.h"

namespace graphs {

/// The backends calibrate measures op classes through, in calibration order: the registered
/// families' calibration_backend names (backends/backend_family.h): torch, onnxruntime, inductor.
const std::vector<std::string>& calibrate_backends();

struct CalibrateSettings {
  bool quick = false;  // fewer working sets and repeats
  int threads = 0;     // 0: every logical CPU
  /// Calibration backends (BackendFamily::calibration_backend); default: every one.
  std::vector<std::string> backends = calibrate_backends();
  std::string python;  // workers' interpreter ("" = bench's default lookup)
  bool no_memory = false;
};

/// Progress lines for the user (the library prints nothing).
using CalibrateProgress = std::function<void(const std::string& line)>;

/// Runs the procedure. Settings are checked before anything runs: an unknown backend is
/// kInvalidArgument with a did-you-mean; no worker interpreter is the bench's error.
Result<CalibrationProfile> run_calibration(const CalibrateSettings& settings,
                                           const CalibrateProgress& progress = {});

/// Of `backends` (calibrate's names), those with no op-class fit in `profile`: they failed.
std::vector<std::string> failed_backends(const CalibrationProfile& profile,
                                         const std::vector<std::string>& backends);

/// The profile as text: memory tiers, op-class fits, overheads, notes, and where it was written.
std::string render_calibration_text(const CalibrationProfile& profile, const std::string& path);

}  // namespace graphs
