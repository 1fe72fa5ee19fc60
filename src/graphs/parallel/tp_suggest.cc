#include "graphs/parallel/tp_suggest.h"

#include <map>

#include <fmt/format.h>

namespace graphs {
namespace {

std::string gb(double bytes) { return fmt::format("{:.1f} GiB", bytes / (1024.0 * 1024 * 1024)); }

}  // namespace

Result<TpSuggestion> suggest_world_size(const Graph& graph, const std::string& model,
                                        const HardwareModel& hw, const TpPlanOptions& plan_options,
                                        const TpAnalysisOptions& options,
                                        const TpLatencyFn& latency_at_batch,
                                        const TpSuggestOptions& so) {
  TpSuggestion s;
  std::map<int64_t, double> latency;  // by batch
  auto latency_of = [&](int64_t b) -> Result<double> {
    auto it = latency.find(b);
    if (it != latency.end()) return it->second;
    GRAPHS_ASSIGN_OR_RETURN(double l, latency_at_batch(b));
    latency[b] = l;
    return l;
  };
  for (int64_t n = 1; n <= so.max_world_size; n *= 2) {
    TpCandidate c;
    c.world_size = n;
    TpPlanOptions po = plan_options;
    po.world_size = n;
    auto plan = plan_tensor_parallel(graph, model, po);
    if (!plan.ok()) {
      c.error = plan.error().message();
      s.candidates.push_back(std::move(c));
      continue;
    }
    c.plan = std::move(plan).value();
    TpAnalysisOptions o = options;
    GRAPHS_ASSIGN_OR_RETURN(o.single_device_latency_s, latency_of(o.batch));
    c.at_batch = analyze_tensor_parallel(c.plan, hw, o);
    // Memory does not depend on the latency: find the largest fitting batch first.
    for (int64_t b = 1; b <= so.max_batch; b *= 2) {
      TpAnalysisOptions ob = options;
      ob.batch = b;
      if (!analyze_tensor_parallel(c.plan, hw, ob).fits) break;
      c.max_batch = b;
    }
    if (c.max_batch > 0) {
      TpAnalysisOptions ob = options;
      ob.batch = c.max_batch;
      GRAPHS_ASSIGN_OR_RETURN(ob.single_device_latency_s, latency_of(c.max_batch));
      c.at_max_batch = analyze_tensor_parallel(c.plan, hw, ob);
    }
    s.candidates.push_back(std::move(c));
  }
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
    s.smallest_fit_reason = fmt::format(
        "N={}: {} per rank fits {} at batch {}{}", c.world_size,
        gb(c.at_batch.per_rank.total_bytes), gb(capacity), options.batch, before);
  } else {
    s.smallest_fit_reason = fmt::format("no world size up to {} fits {} per rank at batch {}",
                                        so.max_world_size, gb(capacity), options.batch);
  }
  if (s.best_throughput >= 0) {
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
  } else {
    s.best_throughput_reason = "no world size fits even batch 1";
  }
  return s;
}

}  // namespace graphs
