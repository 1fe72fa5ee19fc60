#include "graphs/parallel/tp_planner.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "graphs/analysis/characterize.h"

namespace graphs {
namespace {

bool is_linear(const Graph& g, const Node& n) {
  if ((n.op_type != "MatMul" && n.op_type != "Gemm") || n.inputs.size() < 2) return false;
  if (n.inputs[1] == kNoValue || n.inputs[0] == kNoValue) return false;
  const Value& w = g.value(n.inputs[1]);
  if (w.kind != ValueKind::kInitializer || !is_parameter(w) || w.type.rank() != 2) return false;
  return g.value(n.inputs[0]).kind != ValueKind::kInitializer;
}

std::string module_of(const std::string& weight_name) {
  const auto dot = weight_name.rfind('.');
  return dot == std::string::npos ? weight_name : weight_name.substr(0, dot);
}

// What lies downstream of a linear, up to the next linears.
struct Reach {
  std::set<NodeId> linears;
  bool graph_output = false;
  bool residual_join = false;
  int64_t heads = 0;
  int64_t head_dim = 0;
};

Reach reach_from(const Graph& g, NodeId start, const std::vector<bool>& linear) {
  Reach r;
  std::set<ValueId> reached;
  std::set<NodeId> visited;
  std::deque<ValueId> queue;
  for (ValueId v : g.node(start).outputs) {
    if (v != kNoValue) queue.push_back(v), reached.insert(v);
  }
  std::vector<NodeId> joins;
  while (!queue.empty()) {
    const ValueId v = queue.front();
    queue.pop_front();
    const Value& val = g.value(v);
    if (val.is_graph_output) r.graph_output = true;
    for (NodeId c : val.consumers) {
      if (linear[static_cast<std::size_t>(c)]) {
        r.linears.insert(c);
        continue;
      }
      if (!visited.insert(c).second) continue;
      const Node& n = g.node(c);
      if (n.op_type == "Add" || n.op_type == "Sub") joins.push_back(c);
      if (r.heads == 0 && n.op_type == "Reshape" && !n.outputs.empty()) {
        const TensorType& in = val.type;
        const TensorType& out = g.value(n.outputs[0]).type;
        if (in.is_static() && out.is_static() && in.rank() == 3 && out.rank() == 4) {
          const auto i = in.dims(), o = out.dims();
          if (o[2] * o[3] == i[2] && o[1] == i[1]) r.heads = o[2], r.head_dim = o[3];
        }
      }
      for (ValueId o : n.outputs) {
        if (o != kNoValue && reached.insert(o).second) queue.push_back(o);
      }
    }
  }
  // A join with a same-shape activation that does not derive from the linear: the residual
  // stream, which a split output cannot join.
  for (NodeId j : joins) {
    const Node& n = g.node(j);
    const TensorType& out = g.value(n.outputs[0]).type;
    for (ValueId in : n.inputs) {
      if (in == kNoValue || reached.count(in)) continue;
      const Value& v = g.value(in);
      if (v.kind == ValueKind::kInitializer || v.data) continue;
      if (v.type == out) r.residual_join = true;
    }
  }
  return r;
}

struct Group {
  std::vector<NodeId> columns;
  NodeId row = kNoNode;
};

}  // namespace

std::string_view to_string(TpStrategy s) {
  switch (s) {
    case TpStrategy::kColumn: return "column";
    case TpStrategy::kRow: return "row";
    case TpStrategy::kVocab: return "vocab";
    case TpStrategy::kReplicate: return "replicate";
  }
  return "replicate";
}

Result<TpPlan> plan_tensor_parallel(const Graph& g, const std::string& model,
                                    const TpPlanOptions& options) {
  const int64_t n_ranks = options.world_size;
  if (n_ranks < 1) {
    return make_error(ErrorCode::kInvalidArgument, "--world-size must be >= 1, got ", n_ranks);
  }
  auto order = g.topological_order();
  if (!order.ok()) return std::move(order).error();
  TpPlan plan;
  plan.model = model;
  plan.world_size = n_ranks;

  std::vector<bool> linear(g.nodes.size(), false);
  for (NodeId id : *order) linear[static_cast<std::size_t>(id)] = is_linear(g, g.node(id));

  auto make_linear = [&](NodeId id) {
    const Node& n = g.node(id);
    const Value& w = g.value(n.inputs[1]);
    const auto d = w.type.dims();
    const bool trans_b = n.op_type == "Gemm" && n.attrs.get_int("transB", 0) != 0;
    TpLayer l;
    l.node = id;
    l.module = module_of(w.name);
    l.in_features = trans_b ? d[1] : d[0];
    l.out_features = trans_b ? d[0] : d[1];
    return l;
  };

  // Megatron pairing.
  std::map<NodeId, Group> groups;         // by row linear
  std::map<NodeId, NodeId> column_of;     // column linear → its group's row
  std::map<NodeId, Reach> reaches;
  std::vector<NodeId> heads_nodes, unpaired;
  std::set<NodeId> assigned_row;
  for (NodeId id : *order) {
    if (!linear[static_cast<std::size_t>(id)] || assigned_row.count(id)) continue;
    Reach r = reach_from(g, id, linear);
    reaches[id] = r;
    if (r.residual_join) {
      unpaired.push_back(id);
    } else if (r.linears.empty() && r.graph_output) {
      heads_nodes.push_back(id);
    } else if (r.linears.size() == 1 && !column_of.count(*r.linears.begin())) {
      const NodeId row = *r.linears.begin();
      groups[row].row = row;
      groups[row].columns.push_back(id);
      column_of[id] = row;
      assigned_row.insert(row);
    } else {
      unpaired.push_back(id);
    }
  }

  // Model facts from the attention groups.
  int64_t fallback_heads = options.heads;
  for (auto& [row, grp] : groups) {
    int64_t q_heads = 0, d = 0, features = 0;
    for (NodeId c : grp.columns) {
      const Reach& r = reaches[c];
      if (r.heads > q_heads) q_heads = r.heads, d = r.head_dim;
      features += make_linear(c).out_features;
    }
    if (q_heads == 0) continue;
    ++plan.transformer_layers;
    if (plan.heads == 0) {
      plan.heads = q_heads;
      plan.head_dim = d;
      plan.hidden = make_linear(row).out_features;
      plan.kv_heads = (features - q_heads * d) / 2 / d;
    }
  }
  if (plan.heads == 0 && fallback_heads > 0) {
    // No split-heads Reshape: take the head count as given; attention cannot be told apart from
    // the MLP, so a count the world size does not divide refuses the plan.
    if (fallback_heads % n_ranks != 0) {
      return make_error(ErrorCode::kInvalidArgument, model, ": ", fallback_heads,
                        " heads not divisible by world size ", n_ranks);
    }
    plan.heads = plan.kv_heads = fallback_heads;
    plan.transformer_layers = static_cast<int64_t>(groups.size()) / 2;
    for (auto& [row, grp] : groups) {
      plan.hidden = make_linear(row).out_features;
      break;
    }
    plan.head_dim = plan.hidden % fallback_heads == 0 ? plan.hidden / fallback_heads : 0;
    plan.notes.push_back(fmt::format(
        "no split-heads Reshape in the graph: {} heads from --heads, KV heads assumed equal, "
        "{} transformer layers assumed (2 row-parallel groups per layer)",
        fallback_heads, plan.transformer_layers));
  } else if (fallback_heads > 0 && fallback_heads != plan.heads) {
    plan.notes.push_back(fmt::format("--heads {} ignored: the graph's Reshape gives {} heads",
                                     fallback_heads, plan.heads));
  }

  std::set<ValueId> sharded_values, row_weights;
  std::string first_reason, first_heads_reason;
  auto fail = [&](const std::string& reason) {
    if (first_reason.empty()) first_reason = reason;
    if (first_heads_reason.empty() && reason.find("heads not divisible") != std::string::npos) {
      first_heads_reason = reason;
    }
  };
  auto bias_of = [&](NodeId id) -> ValueId {
    const Node& n = g.node(id);
    const int64_t out = make_linear(id).out_features;
    auto is_bias = [&](ValueId v) {
      if (v == kNoValue) return false;
      const Value& b = g.value(v);
      return b.kind == ValueKind::kInitializer && is_parameter(b) && b.type.is_static() &&
             b.type.numel() == out;
    };
    if (n.op_type == "Gemm" && n.inputs.size() > 2 && is_bias(n.inputs[2])) return n.inputs[2];
    for (NodeId c : g.value(n.outputs[0]).consumers) {
      const Node& a = g.node(c);
      if (a.op_type != "Add") continue;
      for (ValueId v : a.inputs) {
        if (is_bias(v)) return v;
      }
    }
    return kNoValue;
  };

  // Split entries, keyed by node for graph order.
  std::map<NodeId, TpLayer> split, kept;
  for (auto& [row, grp] : groups) {
    std::vector<TpLayer> cols;
    int64_t q_heads = 0;
    for (NodeId c : grp.columns) q_heads = std::max(q_heads, reaches[c].heads);
    std::string reason;
    bool owner_taken = false;
    for (NodeId c : grp.columns) {
      TpLayer l = make_linear(c);
      l.strategy = TpStrategy::kColumn;
      l.heads = reaches[c].heads;
      l.head_dim = reaches[c].head_dim;
      if (l.heads > 0 && l.heads == q_heads && !owner_taken) l.heads_owner = owner_taken = true;
      const std::string& weight = g.value(g.node(c).inputs[1]).name;
      if (reason.empty() && !weight.ends_with(".weight")) {
        // The plan addresses modules; a weight that is not "<module>.weight" (MultiheadAttention's
        // packed in_proj_weight) belongs to no Linear that a v1 plan can split.
        reason = fmt::format("weight '{}' is not a Linear's '.weight'; plan.json v1 cannot split "
                             "it",
                             weight);
      }
      if (reason.empty() && l.heads > 0 && l.heads % n_ranks != 0) {
        reason = fmt::format("{} {}heads not divisible by world size {}", l.heads,
                             l.heads < q_heads ? "KV " : "", n_ranks);
      }
      if (reason.empty() && l.out_features % n_ranks != 0) {
        reason = fmt::format("{} output features not divisible by world size {}",
                             l.out_features, n_ranks);
      }
      cols.push_back(l);
    }
    TpLayer r = make_linear(row);
    r.strategy = TpStrategy::kRow;
    if (reason.empty() && r.in_features % n_ranks != 0) {
      reason = fmt::format("{} input features not divisible by world size {}", r.in_features,
                           n_ranks);
    }
    cols.push_back(r);
    for (TpLayer& l : cols) {
      if (reason.empty()) {
        const ValueId w = g.node(l.node).inputs[1];
        sharded_values.insert(w);
        if (l.strategy == TpStrategy::kColumn) {
          const ValueId b = bias_of(l.node);
          if (b != kNoValue) sharded_values.insert(b);
        }
        split[l.node] = l;
      } else {
        l.strategy = TpStrategy::kReplicate;
        l.reason = reason;
        kept[l.node] = l;
      }
    }
    if (reason.empty()) {
      ++plan.all_reduces;
      ++plan.row_groups;
    } else {
      fail(reason);
    }
  }

  // Embeddings: Gather on a rank-2 parameter indexed by a graph input.
  std::map<ValueId, bool> vocab_split;  // embedding weight → split
  for (NodeId id : *order) {
    const Node& n = g.node(id);
    if (n.op_type != "Gather" || n.inputs.size() < 2 || n.attrs.get_int("axis", 0) != 0) continue;
    const Value& w = g.value(n.inputs[0]);
    if (w.kind != ValueKind::kInitializer || !is_parameter(w) || w.type.rank() != 2) continue;
    if (g.value(n.inputs[1]).kind != ValueKind::kGraphInput) continue;
    if (w.type.dims()[0] <= w.type.dims()[1]) continue;  // not a vocabulary (token types)
    TpLayer l;
    l.node = id;
    l.module = module_of(w.name);
    l.out_features = w.type.dims()[0];
    l.in_features = w.type.dims()[1];
    if (plan.vocab == 0) plan.vocab = l.out_features;
    if (plan.hidden == 0) plan.hidden = l.in_features;
    if (l.out_features % n_ranks == 0 && w.name.ends_with(".weight")) {
      l.strategy = TpStrategy::kVocab;
      sharded_values.insert(n.inputs[0]);
      vocab_split[n.inputs[0]] = true;
      split[id] = l;
      ++plan.all_reduces;
      ++plan.vocab_embeddings;
    } else {
      l.strategy = TpStrategy::kReplicate;
      l.reason = !w.name.ends_with(".weight")
                     ? fmt::format("weight '{}' is not an nn.Embedding's '.weight'", w.name)
                     : fmt::format("vocabulary {} not divisible by world size {} (Megatron pads "
                                   "it to a multiple; not modelled)",
                                   l.out_features, n_ranks);
      vocab_split[n.inputs[0]] = false;
      kept[id] = l;
      fail(l.reason);
    }
  }

  // LM heads: column-parallel, logits gathered.
  for (NodeId id : heads_nodes) {
    TpLayer l = make_linear(id);
    plan.head_features += l.out_features;
    l.lm_head = true;
    const ValueId w = g.node(id).inputs[1];
    if (plan.vocab == 0) plan.vocab = l.out_features;
    auto tied = vocab_split.find(w);
    if (tied != vocab_split.end()) {
      l.tied = true;
      if (tied->second) {
        ++plan.all_gathers;
        const std::string embedding = l.module;
        l.module = g.node(id).name;  // the head's own module; its weight is the embedding's
        l.strategy = TpStrategy::kColumn;
        l.gather_output = true;
        split[id] = l;
        plan.split_head_features += l.out_features;
        plan.notes.push_back(fmt::format(
            "LM head '{}' is tied to the vocab-parallel embedding '{}': each rank computes the "
            "logits of its vocabulary shard with the embedding's shard (column-parallel on "
            "vocab), gathered by one all-gather; the shared weight is counted once",
            l.module, embedding));
      } else {
        l.strategy = TpStrategy::kReplicate;
        l.reason = fmt::format("LM head tied to the replicated embedding '{}'", l.module);
        l.module = g.node(id).name;  // the shared weight's module is the embedding
        kept[id] = l;
      }
      continue;
    }
    if (l.out_features % n_ranks != 0) {
      l.strategy = TpStrategy::kReplicate;
      l.reason = fmt::format("{} output features not divisible by world size {}",
                             l.out_features, n_ranks);
      kept[id] = l;
      fail(l.reason);
      continue;
    }
    l.strategy = TpStrategy::kColumn;
    l.gather_output = true;
    sharded_values.insert(w);
    const ValueId b = bias_of(id);
    if (b != kNoValue) sharded_values.insert(b);
    split[id] = l;
    ++plan.all_gathers;
    plan.split_head_features += l.out_features;
    plan.notes.push_back(fmt::format(
        "output head '{}': column-parallel with gather_output (its output features split "
        "across ranks, one all-gather)",
        l.module));
  }
  for (NodeId id : unpaired) {
    TpLayer l = make_linear(id);
    const Reach& r = reaches[id];
    l.reason = r.residual_join ? "output joins the residual stream before another linear"
               : r.linears.empty()
                   ? "no row-parallel partner downstream"
                   : fmt::format("output reaches {} linears", r.linears.size());
    kept[id] = l;
  }

  for (auto& [id, l] : split) plan.layers.push_back(l);
  for (auto& [id, l] : kept) plan.replicated_layers.push_back(l);

  // Parameters: exact element counts of sharded and replicated tensors.
  std::set<std::string> split_modules;
  for (const TpLayer& l : plan.layers) split_modules.insert(l.module);
  std::set<std::string> seen;
  for (ValueId id : g.initializers) {
    const Value& v = g.value(id);
    if (!is_parameter(v)) continue;
    bool statistic = false;
    for (NodeId c : v.consumers) {
      const Node& n = g.node(c);
      for (std::size_t i = 0; i < n.inputs.size(); ++i) {
        if (n.inputs[i] == id && is_running_statistic(n, i)) statistic = true;
      }
    }
    if (statistic) continue;
    const int64_t numel = v.type.numel().value_or(0);
    plan.total_params += numel;
    if (sharded_values.count(id)) {
      plan.sharded_params += numel;
      continue;
    }
    plan.replicated_params += numel;
    const std::string m = module_of(v.name);
    if (!split_modules.count(m) && seen.insert(m).second) plan.replicated.push_back(m);
  }

  if (n_ranks > 1 && plan.sharded_params == 0) {
    const std::string& why = !first_heads_reason.empty() ? first_heads_reason : first_reason;
    return make_error(ErrorCode::kInvalidArgument, model, ": ",
                      why.empty() ? "no linear layer or embedding to split" : why);
  }
  if (n_ranks > 1 && !plan.replicated_layers.empty()) {
    plan.notes.push_back(fmt::format("{} linear/embedding modules stay replicated (see reasons)",
                                     plan.replicated_layers.size()));
  }
  return plan;
}

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
                   int64_t n, bool head_split, double payload_bytes, double tokens) {
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
  const double logits = tokens * static_cast<double>(plan.head_features) * bpe;
  const double split_logits = tokens * static_cast<double>(plan.split_head_features) * bpe;
  m.workspace_bytes = payload_bytes + logits;
  if (head_split) m.workspace_bytes += split_logits / static_cast<double>(n);
  m.total_bytes = m.weight_bytes + m.gradient_bytes + m.optimizer_bytes + m.kv_cache_bytes +
                  m.activation_bytes + m.workspace_bytes;
  return m;
}

}  // namespace

TpAnalysis analyze_tensor_parallel(const TpPlan& plan, const HardwareModel& hw,
                                   const TpAnalysisOptions& o) {
  TpAnalysis a;
  const int64_t n = plan.world_size;
  const double nn = static_cast<double>(n);
  const double bpe = o.bytes_per_element;
  const bool training = o.phase == TpPhase::kTraining, decode = o.phase == TpPhase::kDecode;
  const bool attention_split = std::any_of(plan.layers.begin(), plan.layers.end(),
                                           [](const TpLayer& l) { return l.heads > 0; });
  const int64_t t = attention_split ? n : 1;
  a.tokens = static_cast<double>(o.batch) * (decode ? 1.0 : static_cast<double>(o.seq));
  a.all_reduce_payload_bytes = a.tokens * static_cast<double>(plan.hidden) * bpe;
  a.all_gather_payload_bytes = a.tokens * static_cast<double>(plan.split_head_features) * bpe;

  const bool head_split = plan.all_gathers > 0;
  a.single_device = memory_of(plan, o, static_cast<double>(plan.total_params), 1, 1, false, 0,
                              a.tokens);
  a.per_rank = memory_of(plan, o, static_cast<double>(plan.params_per_rank()), t, n,
                         head_split && n > 1, n > 1 ? a.all_reduce_payload_bytes : 0, a.tokens);
  a.memory_saving = a.single_device.total_bytes > 0
                        ? 1.0 - a.per_rank.total_bytes / a.single_device.total_bytes
                        : 0.0;
  a.capacity_bytes = hw.memory_bytes;
  a.fits = a.per_rank.total_bytes <= hw.memory_bytes;
  a.fits_single_device = a.single_device.total_bytes <= hw.memory_bytes;

  a.interconnect_known = o.interconnect.has_value() && o.interconnect->bandwidth_bytes_per_s > 0;
  if (o.interconnect) {
    a.interconnect_name = o.interconnect->name;
    a.interconnect_bandwidth_bytes_per_s = o.interconnect->bandwidth_bytes_per_s;
    a.interconnect_latency_s = o.interconnect->latency_s;
  }
  a.forward_all_reduces = plan.all_reduces;
  a.all_gathers = plan.all_gathers;
  a.backward_all_reduces = training ? plan.backward_all_reduces() : 0;
  if (n > 1) {
    a.all_reduce_bytes_per_rank = ring_all_reduce_bytes(a.all_reduce_payload_bytes, n);
    if (plan.all_gathers > 0) {
      a.all_gather_bytes_per_rank = ring_all_gather_bytes(a.all_gather_payload_bytes, n);
    }
    if (a.interconnect_known) {
      const double bw = o.interconnect->bandwidth_bytes_per_s;
      const double lat = o.interconnect->latency_s;
      a.all_reduce_s = a.all_reduce_bytes_per_rank / bw + 2.0 * (nn - 1) * lat;
      if (plan.all_gathers > 0) a.all_gather_s = a.all_gather_bytes_per_rank / bw + (nn - 1) * lat;
    }
    a.comm_forward_bytes_per_rank =
        static_cast<double>(a.forward_all_reduces) * a.all_reduce_bytes_per_rank +
        static_cast<double>(a.all_gathers) * a.all_gather_bytes_per_rank;
    a.comm_forward_s = static_cast<double>(a.forward_all_reduces) * a.all_reduce_s +
                       static_cast<double>(a.all_gathers) * a.all_gather_s;
    a.comm_backward_bytes_per_rank =
        static_cast<double>(a.backward_all_reduces) * a.all_reduce_bytes_per_rank;
    a.comm_backward_s = static_cast<double>(a.backward_all_reduces) * a.all_reduce_s;
  }
  a.comm_bytes_per_rank = a.comm_forward_bytes_per_rank + a.comm_backward_bytes_per_rank;
  a.comm_s = a.comm_forward_s + a.comm_backward_s;

  const double passes =
      training ? (o.recompute == TpRecompute::kFull ? 4.0 : 3.0) : 1.0;  // forward equivalents
  const double bw_mem = hw.memory_bandwidth_bytes_per_s * hw.efficiency.memory;
  const double kv_read_1 =
      decode && bw_mem > 0 ? a.single_device.kv_cache_bytes / bw_mem : 0.0;  // N = 1
  a.kv_cache_read_s = decode && bw_mem > 0 ? a.per_rank.kv_cache_bytes / bw_mem : 0.0;
  a.single_device_latency_s = passes * o.single_device_latency_s + kv_read_1;
  a.compute_s = passes * o.single_device_latency_s / nn;
  a.latency_s = a.compute_s + a.kv_cache_read_s + a.comm_s;
  a.speedup = a.latency_s > 0 ? a.single_device_latency_s / a.latency_s : 0.0;
  a.scaling_efficiency = a.speedup / nn;
  a.tokens_per_s = a.latency_s > 0 ? a.tokens / a.latency_s : 0.0;
  a.tokens_per_s_per_device = a.tokens_per_s / nn;
  return a;
}

std::string tp_plan_to_json(const TpPlan& plan, const TpAnalysis* a, const TpAnalysisOptions* o) {
  using nlohmann::json;
  json j;
  j["schema_version"] = 1;
  j["world_size"] = plan.world_size;
  j["model"] = plan.model;
  json layers = json::array();
  for (const TpLayer& l : plan.layers) {
    json e;
    e["module"] = l.module;
    e["strategy"] = std::string(to_string(l.strategy));
    if (l.strategy == TpStrategy::kColumn) e["gather_output"] = l.gather_output;
    if (l.strategy == TpStrategy::kRow) e["input_is_parallel"] = l.input_is_parallel;
    if (l.heads_owner) e["heads"] = l.heads;
    layers.push_back(e);
  }
  j["layers"] = layers;
  j["replicated"] = plan.replicated;
  j["notes"] = plan.notes;
  if (a != nullptr && o != nullptr) {
    json an;
    an["phase"] = std::string(to_string(o->phase));
    if (o->phase == TpPhase::kTraining) an["recompute"] = std::string(to_string(o->recompute));
    an["batch"] = o->batch;
    an["seq_len"] = o->seq;
    an["bytes_per_element"] = o->bytes_per_element;
    an["model_facts"] = {{"transformer_layers", plan.transformer_layers},
                         {"heads", plan.heads},
                         {"kv_heads", plan.kv_heads},
                         {"head_dim", plan.head_dim},
                         {"hidden", plan.hidden},
                         {"vocab", plan.vocab}};
    an["parameters"] = {{"total", plan.total_params},
                        {"sharded", plan.sharded_params},
                        {"replicated", plan.replicated_params},
                        {"per_rank", plan.params_per_rank()}};
    auto mem = [](const TpMemory& m) {
      return json{{"weight_bytes", m.weight_bytes},
                  {"gradient_bytes", m.gradient_bytes},
                  {"optimizer_bytes", m.optimizer_bytes},
                  {"kv_cache_bytes", m.kv_cache_bytes},
                  {"activation_bytes", m.activation_bytes},
                  {"workspace_bytes", m.workspace_bytes},
                  {"total_bytes", m.total_bytes}};
    };
    an["memory"] = {{"per_rank", mem(a->per_rank)},
                    {"single_device", mem(a->single_device)},
                    {"saving_fraction", a->memory_saving},
                    {"capacity_bytes", a->capacity_bytes},
                    {"fits", a->fits},
                    {"fits_single_device", a->fits_single_device}};
    an["communication"] = {
        {"interconnect", a->interconnect_name},
        {"interconnect_bandwidth_bytes_per_s", a->interconnect_bandwidth_bytes_per_s},
        {"interconnect_latency_s", a->interconnect_latency_s},
        {"interconnect_known", a->interconnect_known},
        {"all_reduces", a->forward_all_reduces},
        {"backward_all_reduces", a->backward_all_reduces},
        {"all_gathers", a->all_gathers},
        {"all_reduce_payload_bytes", a->all_reduce_payload_bytes},
        {"all_reduce_bytes_per_rank", a->all_reduce_bytes_per_rank},
        {"all_reduce_s", a->all_reduce_s},
        {"all_gather_payload_bytes", a->all_gather_payload_bytes},
        {"all_gather_bytes_per_rank", a->all_gather_bytes_per_rank},
        {"all_gather_s", a->all_gather_s},
        {"forward_bytes_per_rank", a->comm_forward_bytes_per_rank},
        {"forward_s", a->comm_forward_s},
        {"backward_bytes_per_rank", a->comm_backward_bytes_per_rank},
        {"backward_s", a->comm_backward_s},
        {"bytes_per_rank", a->comm_bytes_per_rank},
        {"time_s", a->comm_s}};
    an["latency"] = {{"per", o->phase == TpPhase::kTraining ? "training step" : "forward"},
                     {"single_device_s", a->single_device_latency_s},
                     {"compute_per_rank_s", a->compute_s},
                     {"kv_cache_read_s", a->kv_cache_read_s},
                     {"comm_s", a->comm_s},
                     {"total_s", a->latency_s},
                     {"speedup", a->speedup},
                     {"scaling_efficiency", a->scaling_efficiency},
                     {"tokens", a->tokens},
                     {"tokens_per_s", a->tokens_per_s},
                     {"tokens_per_s_per_device", a->tokens_per_s_per_device}};
    json kept = json::array();
    for (const TpLayer& l : plan.replicated_layers) {
      kept.push_back({{"module", l.module}, {"reason", l.reason}});
    }
    an["replicated_layers"] = kept;
    j["analysis"] = an;
  }
  return j.dump(2) + "\n";
}

}  // namespace graphs
