#include "graphs/parallel/tp_planner.h"

#include "graphs/parallel/tp_facts.h"
#include "graphs/parallel/tp_pairing.h"
#include "graphs/parallel/tp_strategy.h"

namespace graphs {

std::string_view to_string(TpStrategy s) {
  switch (s) {
    case TpStrategy::kColumn: return "column";
    case TpStrategy::kRow: return "row";
    case TpStrategy::kVocab: return "vocab";
    case TpStrategy::kChannel: return "channel";
    case TpStrategy::kReplicate: return "replicate";
  }
  return "replicate";
}

std::string_view to_string(TpLayerKind k) {
  switch (k) {
    case TpLayerKind::kLinear: return "linear";
    case TpLayerKind::kConv: return "conv";
    case TpLayerKind::kBatchNorm: return "batch_norm";
    case TpLayerKind::kEmbedding: return "embedding";
  }
  return "linear";
}

std::string_view to_string(TpCollectiveKind k) {
  return k == TpCollectiveKind::kAllReduce ? "all-reduce" : "all-gather";
}

std::string_view to_string(TpPass p) { return p == TpPass::kForward ? "forward" : "backward"; }

Result<TpPlan> plan_tensor_parallel(const Graph& g, const std::string& model,
                                    const TpPlanOptions& options) {
  if (options.world_size < 1) {
    return make_error(ErrorCode::kInvalidArgument, "--world-size must be >= 1, got ",
                      options.world_size);
  }
  auto order = g.topological_order();
  if (!order.ok()) return std::move(order).error();
  TpPlan plan;
  plan.model = model;
  plan.world_size = options.world_size;
  const tp_detail::Pairing pairing = tp_detail::pair_layers(g, *order);
  GRAPHS_RETURN_IF_ERROR(tp_detail::read_model_facts(g, pairing, options, plan));
  GRAPHS_RETURN_IF_ERROR(tp_detail::decide_strategies(g, pairing, plan));
  return plan;
}

}  // namespace graphs
