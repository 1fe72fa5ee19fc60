// Figures of a tensor-parallel plan: memory per rank, collectives and latency (the formulas and
// their sources in tp_planner.h).
#include <algorithm>

#include <fmt/format.h>

#include "graphs/parallel/tp_planner.h"

namespace graphs {

std::string_view to_string(TpPhase p) {
  switch (p) {
    case TpPhase::kPrefill: return "prefill";
    case TpPhase::kDecode: return "decode";
    case TpPhase::kTraining: return "training";
  }
  return "prefill";
}

std::string_view to_string(TpRecompute r) {
  switch (r) {
    case TpRecompute::kNone: return "none";
    case TpRecompute::kSelective: return "selective";
    case TpRecompute::kFull: return "full";
  }
  return "none";
}

double korthikanti_activation_bytes(int64_t seq, int64_t batch, int64_t hidden, int64_t heads,
                                    int64_t t, TpRecompute recompute) {
  const double s = static_cast<double>(seq), b = static_cast<double>(batch),
               h = static_cast<double>(hidden), a = static_cast<double>(heads),
               tt = static_cast<double>(t);
  switch (recompute) {
    case TpRecompute::kFull: return 2.0 * s * b * h;
    case TpRecompute::kSelective: return s * b * h * (10.0 + 24.0 / tt);
    case TpRecompute::kNone: break;
  }
  return s * b * h * (10.0 + 24.0 / tt + 5.0 * a * s / (h * tt));
}

double adam_state_bytes_per_param(double bytes_per_element) {
  return bytes_per_element >= 4 ? 8.0 : 12.0;
}

double kv_cache_bytes(int64_t layers, int64_t batch, int64_t seq, int64_t kv_heads,
                      int64_t head_dim, double bytes_per_element) {
  return 2.0 * static_cast<double>(layers) * static_cast<double>(batch) *
         static_cast<double>(seq) * static_cast<double>(kv_heads) *
         static_cast<double>(head_dim) * bytes_per_element;
}

double ring_all_reduce_bytes(double payload_bytes, int64_t n) {
  return 2.0 * static_cast<double>(n - 1) / static_cast<double>(n) * payload_bytes;
}

double ring_all_gather_bytes(double payload_bytes, int64_t n) {
  return static_cast<double>(n - 1) / static_cast<double>(n) * payload_bytes;
}

namespace {

// Memory of one rank holding `params` parameters, with activation/KV/workspace divided by `t`
// (attention split) and the head's logits by `head_split`.
TpMemory memory_of(const TpPlan& plan, const TpAnalysisOptions& o, double params, int64_t t,
                   int64_t n, bool head_split, double payload_bytes, double units) {
  TpMemory m;
  const double bpe = o.bytes_per_element;
  m.weight_bytes = params * bpe;
  if (o.phase == TpPhase::kTraining) {
    m.gradient_bytes = params * bpe;
    m.optimizer_bytes = params * adam_state_bytes_per_param(bpe);
  }
  if (o.phase == TpPhase::kDecode) {
    m.kv_cache_bytes = kv_cache_bytes(plan.transformer_layers, o.batch, o.seq, plan.kv_heads,
                                      plan.head_dim, bpe) /
                       static_cast<double>(t);
  } else if (plan.heads > 0) {
    const TpRecompute r = o.phase == TpPhase::kTraining ? o.recompute : TpRecompute::kNone;
    m.activation_bytes = static_cast<double>(plan.transformer_layers) *
                         korthikanti_activation_bytes(o.seq, o.batch, plan.hidden, plan.heads,
                                                      t, r);
  }
  const double logits = units * static_cast<double>(plan.head_features) * bpe;
  const double split_logits = units * static_cast<double>(plan.split_head_features) * bpe;
  m.workspace_bytes = payload_bytes + logits;
  if (head_split) m.workspace_bytes += split_logits / static_cast<double>(n);
  m.total_bytes = m.weight_bytes + m.gradient_bytes + m.optimizer_bytes + m.kv_cache_bytes +
                  m.activation_bytes + m.workspace_bytes;
  return m;
}

// The plan's collectives at `units` tokens (or samples), identical ones counted together; the
// forward and backward totals.
void cost_collectives(const TpPlan& plan, const TpAnalysisOptions& o, double units,
                      TpAnalysis& a) {
  const int64_t n = plan.world_size;
  const bool training = o.phase == TpPhase::kTraining;
  for (const TpCollective& c : plan.collectives) {
    if (c.pass == TpPass::kBackward && !training) continue;
    const double payload = units * static_cast<double>(c.elements_per_unit) * o.bytes_per_element;
    auto same = [&](const TpCollectiveCost& k) {
      return k.kind == c.kind && k.pass == c.pass && k.payload_bytes == payload;
    };
    auto it = std::find_if(a.collectives.begin(), a.collectives.end(), same);
    if (it == a.collectives.end()) {
      TpCollectiveCost k{c.kind, c.pass, 0, c.module, payload, 0, 0};
      const bool reduce = c.kind == TpCollectiveKind::kAllReduce;
      k.bytes_per_rank = reduce ? ring_all_reduce_bytes(payload, n)
                                : ring_all_gather_bytes(payload, n);
      if (a.interconnect_known) {
        const double steps = (reduce ? 2.0 : 1.0) * static_cast<double>(n - 1);
        k.time_s = k.bytes_per_rank / a.interconnect_bandwidth_bytes_per_s +
                   steps * a.interconnect_latency_s;
      }
      a.collectives.push_back(k);
      it = a.collectives.end() - 1;
    }
    ++it->count;
  }
  for (const TpCollectiveCost& k : a.collectives) {
    const double count = static_cast<double>(k.count);
    const bool forward = k.pass == TpPass::kForward;
    (forward ? a.comm_forward_bytes_per_rank : a.comm_backward_bytes_per_rank) +=
        count * k.bytes_per_rank;
    (forward ? a.comm_forward_s : a.comm_backward_s) += count * k.time_s;
    if (!forward) continue;
    const bool reduce = k.kind == TpCollectiveKind::kAllReduce;
    double& largest = reduce ? a.all_reduce_payload_bytes : a.all_gather_payload_bytes;
    if (k.payload_bytes <= largest) continue;
    largest = k.payload_bytes;
    (reduce ? a.all_reduce_bytes_per_rank : a.all_gather_bytes_per_rank) = k.bytes_per_rank;
    (reduce ? a.all_reduce_s : a.all_gather_s) = k.time_s;
  }
  a.comm_bytes_per_rank = a.comm_forward_bytes_per_rank + a.comm_backward_bytes_per_rank;
  a.comm_s = a.comm_forward_s + a.comm_backward_s;
}

// Compute (Amdahl on the split work), KV-cache reads, speedup and throughput.
void cost_latency(const TpPlan& plan, const HardwareModel& hw, const TpAnalysisOptions& o,
                  TpAnalysis& a) {
  const double nn = static_cast<double>(plan.world_size);
  const bool decode = o.phase == TpPhase::kDecode;
  const double passes = o.phase == TpPhase::kTraining
                            ? (o.recompute == TpRecompute::kFull ? 4.0 : 3.0)
                            : 1.0;  // forward equivalents
  const double bw_mem = hw.memory_bandwidth_bytes_per_s * hw.efficiency.memory;
  const double kv_read_1 = decode && bw_mem > 0 ? a.single_device.kv_cache_bytes / bw_mem : 0.0;
  a.kv_cache_read_s = decode && bw_mem > 0 ? a.per_rank.kv_cache_bytes / bw_mem : 0.0;
  const double f = std::clamp(o.split_work_fraction, 0.0, 1.0);
  a.split_work_fraction = f;
  a.split_weight_fraction = plan.split_weight_fraction();
  a.single_device_latency_s = passes * o.single_device_latency_s + kv_read_1;
  a.compute_s = passes * o.single_device_latency_s * ((1.0 - f) + f / nn);
  a.latency_s = a.compute_s + a.kv_cache_read_s + a.comm_s;
  a.speedup = a.latency_s > 0 ? a.single_device_latency_s / a.latency_s : 0.0;
  if (plan.world_size > 1 && a.split_weight_fraction < kTpNegligibleSplitShare) {
    a.speedup_claimed = false;
    a.speedup = 1.0;
    a.latency_s = a.single_device_latency_s;
    a.speedup_note = fmt::format(
        "nothing of weight split: {:.1f} % of the parameters (< {:.0f} %); every rank runs "
        "essentially the whole model, so no speedup is claimed",
        100 * a.split_weight_fraction, 100 * kTpNegligibleSplitShare);
  }
  a.scaling_efficiency = a.speedup / nn;
  a.tokens_per_s = a.latency_s > 0 ? a.tokens / a.latency_s : 0.0;
  a.tokens_per_s_per_device = a.tokens_per_s / nn;
}

}  // namespace

TpAnalysis analyze_tensor_parallel(const TpPlan& plan, const HardwareModel& hw,
                                   const TpAnalysisOptions& o) {
  TpAnalysis a;
  const int64_t n = plan.world_size;
  const bool decode = o.phase == TpPhase::kDecode;
  const bool attention_split = std::any_of(plan.layers.begin(), plan.layers.end(),
                                           [](const TpLayer& l) { return l.heads > 0; });
  const int64_t t = attention_split ? n : 1;
  a.tokens = static_cast<double>(o.batch) *
             (plan.per_token && !decode ? static_cast<double>(o.seq) : 1.0);
  a.interconnect_known = o.interconnect.has_value() && o.interconnect->bandwidth_bytes_per_s > 0;
  if (o.interconnect) {
    a.interconnect_name = o.interconnect->name;
    a.interconnect_bandwidth_bytes_per_s = o.interconnect->bandwidth_bytes_per_s;
    a.interconnect_latency_s = o.interconnect->latency_s;
  }
  a.forward_all_reduces = plan.all_reduces;
  a.all_gathers = plan.all_gathers;
  a.backward_all_reduces = o.phase == TpPhase::kTraining ? plan.backward_all_reduces() : 0;
  cost_collectives(plan, o, a.tokens, a);

  a.single_device = memory_of(plan, o, static_cast<double>(plan.total_params), 1, 1, false, 0,
                              a.tokens);
  a.per_rank = memory_of(plan, o, static_cast<double>(plan.params_per_rank()), t, n,
                         plan.all_gathers > 0 && n > 1, n > 1 ? a.all_reduce_payload_bytes : 0,
                         a.tokens);
  a.memory_saving = a.single_device.total_bytes > 0
                        ? 1.0 - a.per_rank.total_bytes / a.single_device.total_bytes
                        : 0.0;
  a.capacity_bytes = hw.memory_bytes;
  a.fits = a.per_rank.total_bytes <= hw.memory_bytes;
  a.fits_single_device = a.single_device.total_bytes <= hw.memory_bytes;
  cost_latency(plan, hw, o, a);
  return a;
}

}  // namespace graphs
