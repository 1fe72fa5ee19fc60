// `graphs tp --suggest`: which tensor-parallel world size to use for a model on a device.
//
// Candidates N = 1, 2, 4, … up to `max_world_size` (64). Each is planned (tp_planner.h); a world
// size that the model's heads or features do not divide is listed with the reason and skipped.
// For each planned N:
// - at the requested batch: the per-rank memory and whether it fits;
// - the largest batch (powers of two up to `max_batch`) whose per-rank memory fits, and the
//   throughput per device there: tokens per forward (or training step) / latency / N, the
//   latency from `latency_at_batch(b)` (the single-device roofline forward at batch b) through
//   analyze_tensor_parallel — so larger N buys memory for a larger batch (KV cache, activations)
//   and pays in per-layer collectives. Each plan's split-work share (`split_work`) is taken at
//   the requested batch and kept at the others.
// Answers: the smallest N that fits at the requested batch, and the N with the best throughput
// per device (ties: the smaller N), each with a one-line reason.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "graphs/common/status.h"
#include "graphs/hardware/hardware_model.h"
#include "graphs/ir/graph.h"
#include "graphs/parallel/tp_planner.h"

namespace graphs {

struct TpSuggestOptions {
  int64_t max_world_size = 64;
  int64_t max_batch = 1024;
};

struct TpCandidate {
  int64_t world_size = 1;
  std::string error;        // why it could not be planned ("" when planned)
  TpPlan plan;
  TpAnalysis at_batch;      // at the requested batch
  int64_t max_batch = 0;    // largest fitting batch (0: none fits)
  TpAnalysis at_max_batch;  // at max_batch (when > 0)
};

struct TpSuggestion {
  std::vector<TpCandidate> candidates;
  int smallest_fit = -1;     // index into candidates, -1 when none fits
  int best_throughput = -1;  // index into candidates, -1 when none fits
  std::string smallest_fit_reason;
  std::string best_throughput_reason;
};

/// Single-device roofline forward latency at a batch size (seconds); an error stops the search.
using TpLatencyFn = std::function<Result<double>(int64_t batch)>;
/// The share of the single-device time a plan splits (TpAnalysisOptions::split_work_fraction);
/// plans at different N split different layers. Empty: options.split_work_fraction for all.
using TpSplitWorkFn = std::function<double(const TpPlan& plan)>;

Result<TpSuggestion> suggest_world_size(const Graph& graph, const std::string& model,
                                        const HardwareModel& hw, const TpPlanOptions& plan_options,
                                        const TpAnalysisOptions& options,
                                        const TpLatencyFn& latency_at_batch,
                                        const TpSuggestOptions& suggest_options = {},
                                        const TpSplitWorkFn& split_work = {});

}  // namespace graphs
