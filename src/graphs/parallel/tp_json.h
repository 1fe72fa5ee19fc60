// JSON of tensor-parallel plans and suggestions (docs/tp-plan-schema.md).
#pragma once

#include <string>
#include <vector>

#include "graphs/parallel/tp_planner.h"
#include "graphs/parallel/tp_suggest.h"

namespace graphs {

/// plan.json's schema_version (docs/tp-plan-schema.md; 2 added convolutions, "channel" and each
/// entry's "node").
inline constexpr int kTpPlanSchemaVersion = 2;

/// The plan (schema kTpPlanSchemaVersion) plus a top-level "analysis" object when `analysis`
/// and `options` are given (nullptr: the plan alone, as graphs.tp.validate_plan accepts it);
/// pretty-printed JSON text.
std::string tp_plan_to_json(const TpPlan& plan, const TpAnalysis* analysis,
                            const TpAnalysisOptions* options);

/// `graphs tp --suggest --format json`: every candidate (its plan and analysis at the requested
/// batch, or its error), the smallest fit and the best throughput per device with their
/// reasons, and `notes`.
std::string tp_suggestion_to_json(const TpSuggestion& suggestion, const TpAnalysisOptions& options,
                                  const std::string& model, const std::string& hardware_id,
                                  const std::vector<std::string>& notes);

}  // namespace graphs
