// `graphs tp MODEL`: the plan (or, with suggest, the world-size search) and its figures for a
// model already analysed on one target, in one call: the CLI parses, analyses (pipeline),
// calls run_tensor_parallel and renders.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "graphs/analysis/fusion.h"
#include "graphs/common/status.h"
#include "graphs/estimate/roofline.h"
#include "graphs/hardware/hardware_model.h"
#include "graphs/ir/graph.h"
#include "graphs/parallel/tp_planner.h"
#include "graphs/parallel/tp_suggest.h"

namespace graphs {

struct TpRequest {
  int64_t world_size = 0;         // ignored with suggest
  bool suggest = false;
  int64_t heads = 0;              // TpPlanOptions::heads
  std::string interconnect;       // data/interconnect ID; "": the hardware's own link
  /// Phase, recomputation, batch, seq and bytes per element; the single-device latency and the
  /// split-work share are filled from the estimate, the link from `interconnect`.
  TpAnalysisOptions analysis;
};

struct TpResult {
  TpAnalysisOptions options;            // as resolved (latency, split work, link)
  TpPlan plan;                          // without suggest
  TpAnalysis analysis;                  // without suggest
  std::optional<TpSuggestion> suggestion;
  /// Assumptions behind the figures (link, compute model, phase); without suggest also appended
  /// to plan.notes.
  std::vector<std::string> notes;
};

/// Share of `estimate.latency_s` in kernels whose anchor node the plan splits
/// (TpPlan::split_work); `estimate.kernels` parallel to `partition.kernels`. 1 when the estimate
/// has no latency.
double split_work_fraction(const TpPlan& plan, const Partition& partition,
                           const Estimate& estimate);

/// The link collectives run on: `id` from data/interconnect (kNotFound with a did-you-mean,
/// context "--interconnect"), else the hardware's own (nullopt for a single-device target);
/// `note` says which and from where.
Result<std::optional<Interconnect>> resolve_interconnect(const HardwareModel& hw,
                                                         const std::string& id,
                                                         std::string* note);

/// Plans `graph` (analysed at request.analysis.batch on `hw`: `partition` and `estimate`) at
/// request.world_size, or searches the world sizes with `suggest` (latency_at_batch gives the
/// single-device latency at other batches). Errors: the planner's (kInvalidArgument), the
/// interconnect's.
Result<TpResult> run_tensor_parallel(const Graph& graph, const std::string& model,
                                     const HardwareModel& hw, const Partition& partition,
                                     const Estimate& estimate, const TpRequest& request,
                                     const TpLatencyFn& latency_at_batch);

}  // namespace graphs
