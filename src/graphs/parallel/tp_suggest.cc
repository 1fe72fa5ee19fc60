#include "graphs/parallel/tp_suggest.h"

#include <map>

#include <fmt/format.h>

namespace graphs {
namespace {

std::string gb(double bytes) { return fmt::format("{:.1f} GiB", bytes / (1024.0 * 1024 * 1024)); }

// The single-device latency by batch, each asked for once.
class LatencyCache {
 public:
  explicit LatencyCache(const TpLatencyFn& fn) : fn_(fn) {}
  Result<double> at(int64_t batch) {
    auto it = by_batch_.find(batch);
    if (it != by_batch_.end()) return it->second;
    GRAPHS_ASSIGN_OR_RETURN(double l, fn_(batch));
    by_batch_[batch] = l;
    return l;
  }

 private:
  const TpLatencyFn& fn_;
  std::map<int64_t, double> by_batch_;
};

// Plans world size n and costs it at the requested batch and at the largest batch that fits.
Result<TpCandidate> candidate(const Graph& graph, const std::string& model,
                              const HardwareModel& hw, TpPlanOptions po,
                              const TpAnalysisOptions& options, LatencyCache& latency,
                              const TpSuggestOptions& so, const TpSplitWorkFn& split_work,
                              int64_t n) {
  TpCandidate c;
  c.world_size = n;
  po.world_size = n;
  auto plan = plan_tensor_parallel(graph, model, po);
  if (!plan.ok()) {
    c.error = plan.error().message();
    return c;
  }
  c.plan = std::move(plan).value();
  TpAnalysisOptions o = options;
  if (split_work) o.split_work_fraction = split_work(c.plan);
  GRAPHS_ASSIGN_OR_RETURN(o.single_device_latency_s, latency.at(o.batch));
  c.at_batch = analyze_tensor_parallel(c.plan, hw, o);
  // Memory does not depend on the latency: find the largest fitting batch first.
  for (int64_t b = 1; b <= so.max_batch; b *= 2) {
    TpAnalysisOptions ob = o;
    ob.batch = b;
    if (!analyze_tensor_parallel(c.plan, hw, ob).fits) break;
    c.max_batch = b;
  }
  if (c.max_batch > 0) {
    TpAnalysisOptions ob = o;
    ob.batch = c.max_batch;
    GRAPHS_ASSIGN_OR_RETURN(ob.single_device_latency_s, latency.at(c.max_batch));
    c.at_max_batch = analyze_tensor_parallel(c.plan, hw, ob);
  }
  return c;
}

void choose(TpSuggestion& s) {
  for (std::size_t i = 0; i < s.candidates.size(); ++i) {
    const TpCandidate& c = s.candidates[i];
    if (!c.error.empty()) continue;
    if (s.smallest_fit < 0 && c.at_batch.fits) s.smallest_fit = static_cast<int>(i);
    if (c.max_batch > 0 &&
        (s.best_throughput < 0 ||
         c.at_max_batch.tokens_per_s_per_device >
             s.candidates[static_cast<std::size_t>(s.best_throughput)]
                 .at_max_batch.tokens_per_s_per_device)) {
      s.best_throughput = static_cast<int>(i);
    }
  }
}

void explain(TpSuggestion& s, const HardwareModel& hw, int64_t batch, int64_t max_world_size) {
  const double capacity = hw.memory_bytes;
  if (s.smallest_fit >= 0) {
    const TpCandidate& c = s.candidates[static_cast<std::size_t>(s.smallest_fit)];
    std::string before;
    for (const TpCandidate& p : s.candidates) {
      if (p.world_size >= c.world_size) break;
      before += p.error.empty()
                    ? fmt::format("; N={} needs {} per rank", p.world_size,
                                  gb(p.at_batch.per_rank.total_bytes))
                    : fmt::format("; N={} cannot be planned ({})", p.world_size, p.error);
    }
    s.smallest_fit_reason =
        fmt::format("N={}: {} per rank fits {} at batch {}{}", c.world_size,
                    gb(c.at_batch.per_rank.total_bytes), gb(capacity), batch, before);
  } else {
    s.smallest_fit_reason = fmt::format("no world size up to {} fits {} per rank at batch {}",
                                        max_world_size, gb(capacity), batch);
  }
  if (s.best_throughput < 0) {
    s.best_throughput_reason = "no world size fits even batch 1";
    return;
  }
  const TpCandidate& c = s.candidates[static_cast<std::size_t>(s.best_throughput)];
  std::string others;
  for (const TpCandidate& p : s.candidates) {
    if (p.world_size == c.world_size || p.max_batch == 0) continue;
    others += fmt::format("{}N={}: {:.0f}", others.empty() ? "" : ", ", p.world_size,
                          p.at_max_batch.tokens_per_s_per_device);
  }
  s.best_throughput_reason = fmt::format(
      "N={}: {:.0f} tokens/s per device at batch {} (the largest power of two that fits: {} per "
      "rank of {}; scaling efficiency {:.0f} %){}",
      c.world_size, c.at_max_batch.tokens_per_s_per_device, c.max_batch,
      gb(c.at_max_batch.per_rank.total_bytes), gb(capacity),
      100 * c.at_max_batch.scaling_efficiency,
      others.empty() ? "" : "; others: " + others + " tokens/s per device");
}

}  // namespace

Result<TpSuggestion> suggest_world_size(const Graph& graph, const std::string& model,
                                        const HardwareModel& hw, const TpPlanOptions& plan_options,
                                        const TpAnalysisOptions& options,
                                        const TpLatencyFn& latency_at_batch,
                                        const TpSuggestOptions& so,
                                        const TpSplitWorkFn& split_work) {
  TpSuggestion s;
  LatencyCache latency(latency_at_batch);
  for (int64_t n = 1; n <= so.max_world_size; n *= 2) {
    GRAPHS_ASSIGN_OR_RETURN(TpCandidate c, candidate(graph, model, hw, plan_options, options,
                                                     latency, so, split_work, n));
    s.candidates.push_back(std::move(c));
  }
  choose(s);
  explain(s, hw, options.batch, so.max_world_size);
  return s;
}

}  // namespace graphs
