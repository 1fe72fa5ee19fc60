#include "graphs/parallel/tp_run.h"

#include <algorithm>

#include <fmt/format.h>

#include "graphs/hardware/interconnect_registry.h"

namespace graphs {
namespace {

std::vector<std::string> model_notes(const TpAnalysisOptions& o, const HardwareModel& hw,
                                     bool link) {
  std::vector<std::string> notes;
  notes.push_back(
      "compute per rank = T(1) x ((1 - f) + f / N): f, the share of the single-device roofline "
      "time in kernels the plan splits, runs N times faster, the rest (replicated layers, norms, "
      "residual adds) does not; collectives not overlapped with compute (they sit on the "
      "critical path in Megatron TP)");
  if (o.phase == TpPhase::kDecode) {
    notes.push_back("decode: one token per sequence; the roofline forward has no attention over "
                    "the cache, so the time to read this rank's KV cache at the memory roofline "
                    "is added");
  } else if (o.phase == TpPhase::kTraining) {
    notes.push_back(fmt::format(
        "training: weights + gradients + Adam states = 16 B/param in mixed precision (ZeRO, "
        "arXiv:1910.02054); activations Korthikanti et al. (arXiv:2205.05198), recompute {}, no "
        "sequence parallelism; step = {} x forward; data-parallel gradient all-reduce not "
        "counted (TP only)",
        to_string(o.recompute), o.recompute == TpRecompute::kFull ? 4 : 3));
  } else {
    notes.push_back("activation memory: Korthikanti et al. (arXiv:2205.05198) "
                    "sbh(10 + 24/t + 5as/(ht)) per transformer layer, 16-bit activations, as "
                    "stored for a backward pass (an upper bound for inference); not modelled "
                    "for models without transformer layers");
  }
  if (!link) {
    notes.push_back(hw.id + " has no interconnect: communication time not estimated; pass "
                            "--interconnect ID");
  }
  return notes;
}

}  // namespace

double split_work_fraction(const TpPlan& plan, const Partition& partition,
                           const Estimate& estimate) {
  if (estimate.latency_s <= 0) return 1.0;
  double split_s = 0;
  const std::size_t n = std::min(partition.kernels.size(), estimate.kernels.size());
  for (std::size_t i = 0; i < n; ++i) {
    const FusedKernel& k = partition.kernels[i];
    if (k.nodes.empty()) continue;
    const auto anchor = static_cast<std::size_t>(k.nodes[static_cast<std::size_t>(k.anchor_index)]);
    if (anchor < plan.split_work.size() && plan.split_work[anchor]) {
      split_s += estimate.kernels[i].latency_s;
    }
  }
  return std::clamp(split_s / estimate.latency_s, 0.0, 1.0);
}

Result<std::optional<Interconnect>> resolve_interconnect(const HardwareModel& hw,
                                                         const std::string& id,
                                                         std::string* note) {
  if (id.empty()) {
    if (hw.interconnect) {
      *note = fmt::format("interconnect: {}'s own ({}, from its hardware file)", hw.id,
                          hw.interconnect->name);
    }
    return hw.interconnect;
  }
  GRAPHS_ASSIGN_OR_RETURN(InterconnectRegistry links, InterconnectRegistry::load_default());
  auto l = links.get(id);
  if (!l.ok()) return std::move(l).error().with_context("--interconnect");
  *note = fmt::format("interconnect: {} ({}; bandwidth: {})", l->id, l->origin,
                      l->sources.at("bandwidth_bytes_per_s"));
  return std::optional<Interconnect>(l->to_interconnect());
}

Result<TpResult> run_tensor_parallel(const Graph& graph, const std::string& model,
                                     const HardwareModel& hw, const Partition& partition,
                                     const Estimate& estimate, const TpRequest& request,
                                     const TpLatencyFn& latency_at_batch) {
  TpResult r;
  r.options = request.analysis;
  r.options.single_device_latency_s = estimate.latency_s;
  std::string link_note;
  GRAPHS_ASSIGN_OR_RETURN(r.options.interconnect,
                          resolve_interconnect(hw, request.interconnect, &link_note));
  if (!link_note.empty()) r.notes.push_back(link_note);
  for (std::string& n : model_notes(r.options, hw, r.options.interconnect.has_value())) {
    r.notes.push_back(std::move(n));
  }
  TpPlanOptions po;
  po.world_size = request.suggest ? 1 : request.world_size;
  po.heads = request.heads;
  if (request.suggest) {
    auto split = [&](const TpPlan& p) { return split_work_fraction(p, partition, estimate); };
    GRAPHS_ASSIGN_OR_RETURN(TpSuggestion s,
                            suggest_world_size(graph, model, hw, po, r.options, latency_at_batch,
                                               TpSuggestOptions{}, split));
    r.suggestion = std::move(s);
    return r;
  }
  GRAPHS_ASSIGN_OR_RETURN(r.plan, plan_tensor_parallel(graph, model, po));
  r.options.split_work_fraction = split_work_fraction(r.plan, partition, estimate);
  r.analysis = analyze_tensor_parallel(r.plan, hw, r.options);
  if (!r.analysis.speedup_claimed) r.notes.push_back(r.analysis.speedup_note);
  for (const std::string& n : r.notes) r.plan.notes.push_back(n);
  return r;
}

}  // namespace graphs
