// Internal to parallel/: the model facts of a tensor-parallel plan (layers, heads, KV heads,
// head_dim, hidden, vocab) from analysis/transformer_facts.h, and the heads of each column
// projection that the split must keep whole.
#pragma once

#include <cstdint>
#include <string>

#include "graphs/common/status.h"
#include "graphs/ir/graph.h"
#include "graphs/parallel/tp_pairing.h"
#include "graphs/parallel/tp_planner.h"

namespace graphs::tp_detail {

/// Fills plan.transformer_layers, heads, kv_heads, head_dim, hidden, vocab from
/// transformer_facts. A graph without attention takes `options.heads` when given (KV heads
/// equal, 2 row-parallel groups per layer, with a note); a count the world size does not divide
/// is then kInvalidArgument ("<model>: 7 heads not divisible by world size 2"). A given count
/// that the graph contradicts is ignored with a note.
Status read_model_facts(const Graph& graph, const Pairing& pairing, const TpPlanOptions& options,
                        TpPlan& plan);

/// Heads of column linear `column` (0: not an attention projection): the split-heads Reshape
/// downstream, else — when its group passes attention and the plan knows head_dim — its output
/// features / head_dim.
int64_t column_heads(const Pairing& pairing, NodeId column, const TpPlan& plan, int64_t* head_dim);

}  // namespace graphs::tp_detail
