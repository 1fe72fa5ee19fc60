#include "graphs/parallel/tp_facts.h"

#include <algorithm>

#include <fmt/format.h>

#include "graphs/analysis/characterize.h"
#include "graphs/analysis/transformer_facts.h"

namespace graphs::tp_detail {

Status read_model_facts(const Graph& g, const Pairing& p, const TpPlanOptions& options,
                        TpPlan& plan) {
  auto ch = characterize(g, PrecisionMap{});
  if (!ch.ok()) return std::move(ch).error();
  auto facts = transformer_facts(g, *ch, plan.model);
  const int64_t given = options.heads;
  if (facts.ok()) {
    plan.transformer_layers = facts->layers;
    plan.heads = facts->heads;
    plan.kv_heads = facts->kv_heads;
    plan.head_dim = facts->head_dim;
    plan.hidden = facts->hidden;
    plan.vocab = facts->vocab;
    if (given > 0 && given != plan.heads) {
      plan.notes.push_back(fmt::format("--heads {} ignored: the graph's attention gives {} heads",
                                       given, plan.heads));
    }
    // The layers are the attention groups the pairing found, when it found any: the attention
    // regions can miss layers of a graph whose masks are computed at run time (dynamic-shape
    // TorchScript exports).
    int64_t attention_groups = 0;
    for (const auto& [row, grp] : p.groups) {
      int64_t d = 0;
      if (grp.kind == TpLayerKind::kLinear &&
          std::any_of(grp.columns.begin(), grp.columns.end(),
                      [&](NodeId c) { return column_heads(p, c, plan, &d) > 0; })) {
        ++attention_groups;
      }
    }
    if (attention_groups > 0 && attention_groups != plan.transformer_layers) {
      plan.notes.push_back(fmt::format("{} attention groups paired, {} attention regions found; "
                                       "{} transformer layers assumed",
                                       attention_groups, plan.transformer_layers,
                                       attention_groups));
      plan.transformer_layers = attention_groups;
    }
    return ok_status();
  }
  if (given <= 0) return ok_status();
  // No attention to read heads from: take the count as given; attention cannot be told apart
  // from the MLP, so a count the world size does not divide refuses the plan.
  if (given % options.world_size != 0) {
    return make_error(ErrorCode::kInvalidArgument, plan.model, ": ", given,
                      " heads not divisible by world size ", options.world_size);
  }
  plan.heads = plan.kv_heads = given;
  int64_t linear_groups = 0;
  for (const auto& [row, grp] : p.groups) {
    if (grp.kind != TpLayerKind::kLinear) continue;
    ++linear_groups;
    if (plan.hidden == 0) plan.hidden = p.weighted[static_cast<std::size_t>(row)]->out;
  }
  plan.transformer_layers = linear_groups / 2;
  plan.head_dim = plan.hidden % given == 0 ? plan.hidden / given : 0;
  plan.notes.push_back(fmt::format(
      "no attention found in the graph: {} heads from --heads, KV heads assumed equal, {} "
      "transformer layers assumed (2 row-parallel groups per layer)",
      given, plan.transformer_layers));
  return ok_status();
}

int64_t column_heads(const Pairing& p, NodeId column, const TpPlan& plan, int64_t* head_dim) {
  const auto it = p.reaches.find(column);
  if (it == p.reaches.end()) return 0;
  if (it->second.heads > 0) {
    *head_dim = it->second.head_dim;
    return it->second.heads;
  }
  const int64_t out = p.weighted[static_cast<std::size_t>(column)]->out;
  const int64_t d = plan.head_dim;
  if (!it->second.attention || d <= 0 || out % d != 0) return 0;
  *head_dim = d;
  // A fused QKV ([q | k | v], GPT-2's c_attn) holds the query heads' whole groups.
  if (out == (plan.heads + 2 * plan.kv_heads) * d) return plan.heads;
  return out / d;
}

}  // namespace graphs::tp_detail
