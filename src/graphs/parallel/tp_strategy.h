// Internal to parallel/: the strategy half of the tensor-parallel planner (tp_planner.h, file
// comment): which groups, embeddings and heads split at the plan's world size and which stay
// replicated with the reason; the parameters, collectives and split work that follow.
#pragma once

#include "graphs/common/status.h"
#include "graphs/ir/graph.h"
#include "graphs/parallel/tp_pairing.h"
#include "graphs/parallel/tp_planner.h"

namespace graphs::tp_detail {

/// Fills plan.layers, replicated_layers, replicated, the parameter counts, collectives, counts
/// and split_work (plan.world_size and the model facts set). kInvalidArgument when the world
/// size is > 1 and nothing splits, with the first reason ("llama-2-70b: 64 heads not divisible
/// by world size 3").
Status decide_strategies(const Graph& graph, const Pairing& pairing, TpPlan& plan);

}  // namespace graphs::tp_detail
