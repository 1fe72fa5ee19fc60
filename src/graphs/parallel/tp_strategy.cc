#include "graphs/parallel/tp_strategy.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "graphs/analysis/characterize.h"
#include "graphs/parallel/tp_facts.h"
#include "graphs/parallel/tp_modules.h"

namespace graphs::tp_detail {
namespace {

class StrategyBuilder {
 public:
  StrategyBuilder(const Graph& g, const Pairing& p, TpPlan& plan)
      : g_(g), p_(p), plan_(plan), n_(plan.world_size) {
    plan_.split_work.assign(g.nodes.size(), false);
  }

  void find_embeddings();
  void split_group(const Group& grp);
  void split_head(NodeId id);
  void keep_unpaired();
  Status finish();

 private:
  TpLayer layer_of(NodeId id, std::string* reason) const;
  ValueId bias_of(NodeId id) const;
  void check_member(const TpLayer& l, int64_t q_heads, std::string* reason) const;
  void shard(const TpLayer& l);
  void add_collective(TpCollectiveKind kind, TpPass pass, const std::string& module, ValueId v);
  void fail(const std::string& reason);
  void mark(NodeId id) { plan_.split_work[static_cast<std::size_t>(id)] = true; }

  const Graph& g_;
  const Pairing& p_;
  TpPlan& plan_;
  const int64_t n_;
  std::set<ValueId> sharded_;
  std::map<NodeId, TpLayer> split_, kept_;       // by node: graph order
  std::map<ValueId, bool> vocab_split_;          // embedding table → split
  std::vector<NodeId> embeddings_;
  std::string first_reason_, first_heads_reason_;
};

TpLayer StrategyBuilder::layer_of(NodeId id, std::string* reason) const {
  const Node& n = g_.node(id);
  TpLayer l;
  l.node = id;
  l.node_name = n.name;
  ValueId weight = n.inputs.size() > 1 ? n.inputs[1] : kNoValue;
  if (const auto& w = p_.weighted[static_cast<std::size_t>(id)]) {
    l.kind = w->kind;
    l.in_features = w->in;
    l.out_features = w->out;
    l.groups = w->groups;
    weight = w->weight;
  } else {  // BatchNormalization: the scale is the module's weight
    l.kind = TpLayerKind::kBatchNorm;
    l.in_features = l.out_features = g_.value(weight).type.numel().value_or(0);
  }
  auto module = module_of_weight(n, g_.value(weight));
  if (module.ok()) {
    l.module = *module;
  } else {
    l.module = module_of_node(n);
    if (reason != nullptr && reason->empty()) *reason = module.error().message();
  }
  return l;
}

// A bias parameter of `id` to split with its output: Gemm's or Conv's third input, else a
// parameter of the output's size added right after (MatMul + Add).
ValueId StrategyBuilder::bias_of(NodeId id) const {
  const Node& n = g_.node(id);
  const auto& w = p_.weighted[static_cast<std::size_t>(id)];
  const int64_t out = w ? w->out : 0;
  auto is_bias = [&](ValueId v) {
    if (v == kNoValue) return false;
    const Value& b = g_.value(v);
    return b.kind == ValueKind::kInitializer && is_parameter(b) && b.type.is_static() &&
           b.type.numel() == out;
  };
  if ((n.op_type == "Gemm" || n.op_type == "Conv") && n.inputs.size() > 2 && is_bias(n.inputs[2])) {
    return n.inputs[2];
  }
  if (n.op_type != "MatMul") return kNoValue;
  for (NodeId c : g_.value(n.outputs[0]).consumers) {
    const Node& a = g_.node(c);
    if (a.op_type != "Add") continue;
    for (ValueId v : a.inputs) {
      if (is_bias(v)) return v;
    }
  }
  return kNoValue;
}

void StrategyBuilder::check_member(const TpLayer& l, int64_t q_heads, std::string* reason) const {
  if (!reason->empty()) return;
  if (l.heads > 0 && l.heads % n_ != 0) {
    *reason = fmt::format("{} {}heads not divisible by world size {}", l.heads,
                          l.heads < q_heads ? "KV " : "", n_);
  } else if (l.strategy == TpStrategy::kRow && l.in_features % n_ != 0) {
    *reason = fmt::format("{} input {} not divisible by world size {}", l.in_features,
                          l.kind == TpLayerKind::kConv ? "channels" : "features", n_);
  } else if (l.strategy == TpStrategy::kChannel && l.kind == TpLayerKind::kConv &&
             l.groups % n_ != 0) {
    *reason = fmt::format("grouped convolution '{}': {} groups not divisible by world size {}",
                          l.module, l.groups, n_);
  } else if (l.strategy != TpStrategy::kRow && l.out_features % n_ != 0) {
    *reason = fmt::format("{} output {} not divisible by world size {}", l.out_features,
                          l.kind == TpLayerKind::kLinear ? "features" : "channels", n_);
  }
}

void StrategyBuilder::shard(const TpLayer& l) {
  const Node& n = g_.node(l.node);
  if (l.kind == TpLayerKind::kBatchNorm) {
    sharded_.insert(n.inputs[1]);
    if (n.inputs.size() > 2 && n.inputs[2] != kNoValue) sharded_.insert(n.inputs[2]);
  } else {
    const auto& w = p_.weighted[static_cast<std::size_t>(l.node)];
    sharded_.insert(w->weight);
    if (w->transpose != kNoNode) mark(w->transpose);
    if (l.strategy != TpStrategy::kRow) {
      const ValueId b = bias_of(l.node);
      if (b != kNoValue) sharded_.insert(b);
    }
  }
  mark(l.node);
  split_[l.node] = l;
}

void StrategyBuilder::add_collective(TpCollectiveKind kind, TpPass pass, const std::string& module,
                                     ValueId v) {
  plan_.collectives.push_back(
      TpCollective{kind, pass, module, elements_per_unit(g_, v, plan_.per_token)});
}

void StrategyBuilder::fail(const std::string& reason) {
  if (first_reason_.empty()) first_reason_ = reason;
  if (first_heads_reason_.empty() && reason.find("heads not divisible") != std::string::npos) {
    first_heads_reason_ = reason;
  }
}

void StrategyBuilder::split_group(const Group& grp) {
  std::string reason;
  std::vector<TpLayer> members;
  int64_t q_heads = 0;
  for (NodeId c : grp.columns) {
    int64_t d = 0;
    q_heads = std::max(q_heads, grp.kind == TpLayerKind::kLinear
                                    ? column_heads(p_, c, plan_, &d) : 0);
  }
  bool owner_taken = false;
  for (NodeId c : grp.columns) {
    TpLayer l = layer_of(c, &reason);
    l.strategy = TpStrategy::kColumn;
    if (grp.kind == TpLayerKind::kLinear) l.heads = column_heads(p_, c, plan_, &l.head_dim);
    if (l.heads > 0 && l.heads == q_heads && !owner_taken) l.heads_owner = owner_taken = true;
    check_member(l, q_heads, &reason);
    members.push_back(l);
  }
  for (NodeId c : grp.channel_layers) {
    TpLayer l = layer_of(c, &reason);
    l.strategy = TpStrategy::kChannel;
    check_member(l, 0, &reason);
    members.push_back(l);
  }
  TpLayer row = layer_of(grp.row, &reason);
  row.strategy = TpStrategy::kRow;
  check_member(row, 0, &reason);
  members.push_back(row);
  if (!reason.empty()) {
    fail(reason);
    for (TpLayer& l : members) {
      if (l.kind == TpLayerKind::kBatchNorm) continue;
      l.strategy = TpStrategy::kReplicate;
      l.reason = reason;
      kept_[l.node] = l;
    }
    return;
  }
  for (const TpLayer& l : members) shard(l);
  for (NodeId r : grp.region) mark(r);
  ++plan_.all_reduces;
  ++plan_.row_groups;
  if (grp.kind == TpLayerKind::kConv) ++plan_.conv_pairs;
  add_collective(TpCollectiveKind::kAllReduce, TpPass::kForward, row.module,
                 g_.node(grp.row).outputs[0]);
  add_collective(TpCollectiveKind::kAllReduce, TpPass::kBackward, members.front().module,
                 g_.node(grp.columns.front()).inputs[0]);
}

// Token ids: a graph input, possibly reshaped or cast on the way (GPT-2's view(-1, seq)).
bool token_ids(const Graph& g, ValueId v) {
  for (int depth = 0; depth < 8 && v != kNoValue; ++depth) {
    const Value& val = g.value(v);
    if (val.kind == ValueKind::kGraphInput) return true;
    if (val.producer == kNoNode) return false;
    const Node& p = g.node(val.producer);
    static const std::set<std::string> kShapeOnly = {"Reshape", "Squeeze", "Unsqueeze", "Cast",
                                                     "Identity", "Flatten"};
    if (!p.domain.empty() || !kShapeOnly.count(p.op_type) || p.inputs.empty()) return false;
    v = p.inputs[0];
  }
  return false;
}

// Gather on a rank-2 parameter with more rows than columns, indexed by token ids.
void StrategyBuilder::find_embeddings() {
  for (NodeId id = 0; id < static_cast<NodeId>(g_.nodes.size()); ++id) {
    const Node& n = g_.node(id);
    if (n.op_type != "Gather" || n.inputs.size() < 2 || n.attrs.get_int("axis", 0) != 0) continue;
    if (n.inputs[0] == kNoValue || n.inputs[1] == kNoValue) continue;
    const Value& w = g_.value(n.inputs[0]);
    if (w.kind != ValueKind::kInitializer || !is_parameter(w) || w.type.rank() != 2) continue;
    if (!token_ids(g_, n.inputs[1])) continue;
    if (w.type.dims()[0] <= w.type.dims()[1]) continue;  // not a vocabulary (token types)
    embeddings_.push_back(id);
    plan_.per_token = true;
  }
  for (NodeId id : embeddings_) {
    const Node& n = g_.node(id);
    TpLayer l;
    l.node = id;
    l.node_name = n.name;
    l.kind = TpLayerKind::kEmbedding;
    const auto d = g_.value(n.inputs[0]).type.dims();
    l.out_features = d[0];
    l.in_features = d[1];
    if (plan_.vocab == 0) plan_.vocab = l.out_features;
    if (plan_.hidden == 0) plan_.hidden = l.in_features;
    auto module = module_of_weight(n, g_.value(n.inputs[0]));
    l.module = module.ok() ? *module : module_of_node(n);
    if (module.ok() && l.out_features % n_ == 0) {
      l.strategy = TpStrategy::kVocab;
      sharded_.insert(n.inputs[0]);
      vocab_split_[n.inputs[0]] = true;
      mark(id);
      split_[id] = l;
      ++plan_.all_reduces;
      ++plan_.vocab_embeddings;
      add_collective(TpCollectiveKind::kAllReduce, TpPass::kForward, l.module, n.outputs[0]);
      continue;
    }
    l.reason = !module.ok() ? module.error().message()
                            : fmt::format("vocabulary {} not divisible by world size {} "
                                          "(Megatron pads it to a multiple; not modelled)",
                                          l.out_features, n_);
    vocab_split_[n.inputs[0]] = false;
    kept_[id] = l;
    fail(l.reason);
  }
}

// An output head: column-parallel with its output gathered; tied to the embedding, with it.
void StrategyBuilder::split_head(NodeId id) {
  std::string reason;
  TpLayer l = layer_of(id, &reason);
  const Node& node = g_.node(id);
  plan_.head_features += l.out_features;
  l.lm_head = true;
  if (plan_.vocab == 0 && plan_.per_token) plan_.vocab = l.out_features;
  const ValueId w = p_.weighted[static_cast<std::size_t>(id)]->weight;
  const auto tied = vocab_split_.find(w);
  const bool shared = std::any_of(g_.value(w).consumers.begin(), g_.value(w).consumers.end(),
                                  [&](NodeId c) { return g_.node(c).op_type == "Gather"; });
  if (tied == vocab_split_.end() && shared) {
    l.tied = true;
    l.reason = fmt::format("weight shared with an embedding ('{}') that is not a token "
                           "embedding the plan can split",
                           l.module);
    l.module = module_of_node(node);
    kept_[id] = l;
    return;
  }
  if (tied != vocab_split_.end()) {
    l.tied = true;
    const std::string embedding = l.module;
    l.module = module_of_node(node);  // the head's own module; its weight is the embedding's
    if (!tied->second) {
      l.reason = fmt::format("LM head tied to the replicated embedding '{}'", embedding);
      kept_[id] = l;
      return;
    }
    plan_.notes.push_back(fmt::format(
        "LM head '{}' is tied to the vocab-parallel embedding '{}': each rank computes the "
        "logits of its vocabulary shard with the embedding's shard (column-parallel on vocab), "
        "gathered by one all-gather; the shared weight is counted once",
        l.module, embedding));
    reason.clear();
  } else if (reason.empty() && l.out_features % n_ != 0) {
    reason = fmt::format("{} output features not divisible by world size {}", l.out_features, n_);
  }
  if (!reason.empty()) {
    l.reason = reason;
    kept_[id] = l;
    fail(reason);
    return;
  }
  l.strategy = TpStrategy::kColumn;
  l.gather_output = true;
  shard(l);
  ++plan_.all_gathers;
  plan_.split_head_features += l.out_features;
  add_collective(TpCollectiveKind::kAllGather, TpPass::kForward, l.module, node.outputs[0]);
  add_collective(TpCollectiveKind::kAllReduce, TpPass::kBackward, l.module, node.inputs[0]);
  if (!l.tied) {
    plan_.notes.push_back(fmt::format(
        "output head '{}': column-parallel with gather_output (its output features split "
        "across ranks, one all-gather)",
        l.module));
  }
}

void StrategyBuilder::keep_unpaired() {
  for (const auto& [id, why] : p_.unpaired) {
    TpLayer l = layer_of(id, nullptr);
    l.reason = why;
    kept_[id] = l;
  }
}

Status StrategyBuilder::finish() {
  for (auto& [id, l] : split_) plan_.layers.push_back(l);
  for (auto& [id, l] : kept_) plan_.replicated_layers.push_back(l);
  std::set<std::string> split_modules, seen;
  for (const TpLayer& l : plan_.layers) split_modules.insert(l.module);
  int64_t unnamed = 0;
  for (ValueId id : g_.initializers) {
    const Value& v = g_.value(id);
    if (!is_parameter(v)) continue;
    bool statistic = false;
    for (NodeId c : v.consumers) {
      const Node& n = g_.node(c);
      for (std::size_t i = 0; i < n.inputs.size(); ++i) {
        if (n.inputs[i] == id && is_running_statistic(n, i)) statistic = true;
      }
    }
    if (statistic) continue;
    const int64_t numel = v.type.numel().value_or(0);
    plan_.total_params += numel;
    if (sharded_.count(id)) {
      plan_.sharded_params += numel;
      continue;
    }
    plan_.replicated_params += numel;
    const auto m = module_of_parameter(g_, id);
    if (!m) ++unnamed;
    if (m && !split_modules.count(*m) && seen.insert(*m).second) plan_.replicated.push_back(*m);
  }
  if (unnamed > 0) {
    plan_.notes.push_back(fmt::format("{} replicated parameters name no torch module (left out "
                                      "of \"replicated\")",
                                      unnamed));
  }
  if (n_ > 1 && plan_.sharded_params == 0) {
    const std::string& why = !first_heads_reason_.empty() ? first_heads_reason_ : first_reason_;
    return make_error(ErrorCode::kInvalidArgument, plan_.model, ": ",
                      why.empty() ? "no linear, convolution or embedding to split" : why);
  }
  if (n_ > 1 && !plan_.replicated_layers.empty()) {
    plan_.notes.push_back(fmt::format(
        "{} linear/convolution/embedding modules stay replicated (see reasons)",
        plan_.replicated_layers.size()));
  }
  return ok_status();
}

}  // namespace

Status decide_strategies(const Graph& g, const Pairing& p, TpPlan& plan) {
  StrategyBuilder b(g, p, plan);
  b.find_embeddings();
  for (const auto& [row, grp] : p.groups) b.split_group(grp);
  for (NodeId id : p.heads) b.split_head(id);
  b.keep_unpaired();
  return b.finish();
}

}  // namespace graphs::tp_detail
