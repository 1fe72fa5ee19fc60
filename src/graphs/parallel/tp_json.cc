#include "graphs/parallel/tp_json.h"

#include <nlohmann/json.hpp>

namespace graphs {
namespace {

using nlohmann::json;

json layer_json(const TpLayer& l) {
  json e;
  e["module"] = l.module;
  e["node"] = l.node_name;
  e["strategy"] = std::string(to_string(l.strategy));
  if (l.strategy == TpStrategy::kColumn) e["gather_output"] = l.gather_output;
  if (l.strategy == TpStrategy::kRow) e["input_is_parallel"] = l.input_is_parallel;
  if (l.heads_owner) e["heads"] = l.heads;
  return e;
}

json memory_json(const TpMemory& m) {
  return json{{"weight_bytes", m.weight_bytes},         {"gradient_bytes", m.gradient_bytes},
              {"optimizer_bytes", m.optimizer_bytes},   {"kv_cache_bytes", m.kv_cache_bytes},
              {"activation_bytes", m.activation_bytes}, {"workspace_bytes", m.workspace_bytes},
              {"total_bytes", m.total_bytes}};
}

json communication_json(const TpAnalysis& a) {
  json collectives = json::array();
  for (const TpCollectiveCost& k : a.collectives) {
    collectives.push_back({{"kind", std::string(to_string(k.kind))},
                           {"pass", std::string(to_string(k.pass))},
                           {"count", k.count},
                           {"first_module", k.first_module},
                           {"payload_bytes", k.payload_bytes},
                           {"bytes_per_rank", k.bytes_per_rank},
                           {"time_s", k.time_s}});
  }
  return {{"interconnect", a.interconnect_name},
          {"interconnect_bandwidth_bytes_per_s", a.interconnect_bandwidth_bytes_per_s},
          {"interconnect_latency_s", a.interconnect_latency_s},
          {"interconnect_known", a.interconnect_known},
          {"all_reduces", a.forward_all_reduces},
          {"backward_all_reduces", a.backward_all_reduces},
          {"all_gathers", a.all_gathers},
          {"collectives", collectives},
          {"all_reduce_payload_bytes", a.all_reduce_payload_bytes},
          {"all_reduce_bytes_per_rank", a.all_reduce_bytes_per_rank},
          {"all_reduce_s", a.all_reduce_s},
          {"all_gather_payload_bytes", a.all_gather_payload_bytes},
          {"all_gather_bytes_per_rank", a.all_gather_bytes_per_rank},
          {"all_gather_s", a.all_gather_s},
          {"forward_bytes_per_rank", a.comm_forward_bytes_per_rank},
          {"forward_s", a.comm_forward_s},
          {"backward_bytes_per_rank", a.comm_backward_bytes_per_rank},
          {"backward_s", a.comm_backward_s},
          {"bytes_per_rank", a.comm_bytes_per_rank},
          {"time_s", a.comm_s}};
}

json analysis_json(const TpPlan& plan, const TpAnalysis& a, const TpAnalysisOptions& o) {
  json an;
  an["phase"] = std::string(to_string(o.phase));
  if (o.phase == TpPhase::kTraining) an["recompute"] = std::string(to_string(o.recompute));
  an["batch"] = o.batch;
  an["seq_len"] = o.seq;
  an["bytes_per_element"] = o.bytes_per_element;
  an["model_facts"] = {{"transformer_layers", plan.transformer_layers}, {"heads", plan.heads},
                       {"kv_heads", plan.kv_heads}, {"head_dim", plan.head_dim},
                       {"hidden", plan.hidden}, {"vocab", plan.vocab}};
  an["parameters"] = {{"total", plan.total_params},
                      {"sharded", plan.sharded_params},
                      {"replicated", plan.replicated_params},
                      {"per_rank", plan.params_per_rank()},
                      {"split_weight_fraction", plan.split_weight_fraction()}};
  an["memory"] = {{"per_rank", memory_json(a.per_rank)},
                  {"single_device", memory_json(a.single_device)},
                  {"saving_fraction", a.memory_saving},
                  {"capacity_bytes", a.capacity_bytes},
                  {"fits", a.fits},
                  {"fits_single_device", a.fits_single_device}};
  an["communication"] = communication_json(a);
  an["latency"] = {{"per", o.phase == TpPhase::kTraining ? "training step" : "forward"},
                   {"single_device_s", a.single_device_latency_s},
                   {"split_work_fraction", a.split_work_fraction},
                   {"compute_per_rank_s", a.compute_s},
                   {"kv_cache_read_s", a.kv_cache_read_s},
                   {"comm_s", a.comm_s},
                   {"total_s", a.latency_s},
                   {"speedup", a.speedup},
                   {"speedup_claimed", a.speedup_claimed},
                   {"speedup_note", a.speedup_note},
                   {"scaling_efficiency", a.scaling_efficiency},
                   {"tokens", a.tokens},
                   {"tokens_per_s", a.tokens_per_s},
                   {"tokens_per_s_per_device", a.tokens_per_s_per_device}};
  json kept = json::array();
  for (const TpLayer& l : plan.replicated_layers) {
    kept.push_back({{"module", l.module}, {"node", l.node_name},
                    {"kind", std::string(to_string(l.kind))}, {"reason", l.reason}});
  }
  an["replicated_layers"] = kept;
  return an;
}

json plan_json(const TpPlan& plan, const TpAnalysis* a, const TpAnalysisOptions* o) {
  json j;
  j["schema_version"] = kTpPlanSchemaVersion;
  j["world_size"] = plan.world_size;
  j["model"] = plan.model;
  json layers = json::array();
  for (const TpLayer& l : plan.layers) layers.push_back(layer_json(l));
  j["layers"] = layers;
  j["replicated"] = plan.replicated;
  j["notes"] = plan.notes;
  if (a != nullptr && o != nullptr) j["analysis"] = analysis_json(plan, *a, *o);
  return j;
}

}  // namespace

std::string tp_plan_to_json(const TpPlan& plan, const TpAnalysis* a, const TpAnalysisOptions* o) {
  return plan_json(plan, a, o).dump(2) + "\n";
}

std::string tp_suggestion_to_json(const TpSuggestion& s, const TpAnalysisOptions& o,
                                  const std::string& model, const std::string& hardware_id,
                                  const std::vector<std::string>& notes) {
  json j;
  j["model"] = model;
  j["hardware"] = hardware_id;
  j["phase"] = std::string(to_string(o.phase));
  j["batch"] = o.batch;
  j["seq_len"] = o.seq;
  j["candidates"] = json::array();
  for (const TpCandidate& c : s.candidates) {
    json e = {{"world_size", c.world_size}};
    if (!c.error.empty()) {
      e["error"] = c.error;
    } else {
      e["plan"] = plan_json(c.plan, &c.at_batch, &o);
      e["max_batch"] = c.max_batch;
      e["tokens_per_s_per_device_at_max_batch"] = c.at_max_batch.tokens_per_s_per_device;
    }
    j["candidates"].push_back(e);
  }
  auto world_size_at = [&](int i) {
    return i < 0 ? json(nullptr) : json(s.candidates[static_cast<std::size_t>(i)].world_size);
  };
  j["smallest_fit"] = {{"world_size", world_size_at(s.smallest_fit)},
                       {"reason", s.smallest_fit_reason}};
  j["best_throughput_per_device"] = {{"world_size", world_size_at(s.best_throughput)},
                                     {"reason", s.best_throughput_reason}};
  j["notes"] = notes;
  return j.dump(2) + "\n";
}

}  // namespace graphs
