// `graphs validate --published --fit`: the numbers the FIT part of the published corpus sets.
//
// Only records of groups in the fit part (validation/published/split.yaml) take part; held-out
// records are never read here. Parameters, discovered from the fit records that predict:
//   per hardware target (its base file; power modes share it):
//     efficiency.memory                          in [0.5, 0.95]
//   per die (every target whose file names the same `die`, e.g. the three GA100 parts, fitted
//   together from all their records — parts without records of their own take the value):
//     efficiency.matrix_by_precision.<p>         in [0.2, 0.95], for each precision p it was run
//                                                at (batch-1 LLM decode records excluded: they
//                                                stream weights and say nothing of it)
//     min_kernel_s                               in [0, 10 us]
//   per engine:
//     inference_overhead_s                       in [0, 1 ms]
//     efficiency_scale.memory                    in [0.5, 1] (engines other than the vendor
//                                                libraries tensorrt, tensorrt-llm, triton)
// Objective: Σ |ln(predicted / published)| over the records a parameter touches (the records on
// that target, or through that engine) — robust to single outliers. Method: coordinate descent,
// each parameter tried at multiplicative steps (additive for min_kernel_s) within its bounds,
// passes until no parameter improves. The result lists every parameter before and after, with
// the records that set it, for writing into data/hardware and data/engines as
// "fit: <records>". Nothing is written by this function.
// Not thread-safe (it swaps engine figures in the process-wide engine registry and restores
// them before returning).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "graphs/common/status.h"
#include "graphs/hardware/registry.h"
#include "graphs/validate/published.h"

namespace graphs {

struct FitParameter {
  std::string owner;   // "hardware:h100-sxm5-80gb" | "hardware:a100-pcie-80gb,a100-sxm4-40gb,..." | "engine:tensorrt"
  std::string field;   // "efficiency.memory", "min_kernel_s", "inference_overhead_s", ...
  double before = 0;
  double after = 0;
  std::vector<std::string> records;  // fit records it was set from
};

struct FitResult {
  std::vector<FitParameter> parameters;
  double objective_before = 0;  // Σ |ln(pred/pub)| over the fit records
  double objective_after = 0;
  int records = 0;
  std::vector<PublishedRow> rows_after;  // the fit records predicted with the fitted values
  nlohmann::json to_json() const;
};

/// Fits on the fit part of `corpus` (rule above). `registry` is copied, not changed.
Result<FitResult> fit_published(const PublishedCorpus& corpus, const HardwareRegistry& registry);

std::string render_fit_text(const FitResult& result);

}  // namespace graphs
