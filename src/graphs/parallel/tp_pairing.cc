#include "graphs/parallel/tp_pairing.h"

#include <deque>
#include <fmt/format.h>

#include "graphs/analysis/characterize.h"

namespace graphs::tp_detail {
namespace {

bool is_weight(const Value& w) {
  return w.kind == ValueKind::kInitializer && is_parameter(w);
}

bool is_activation(const Value& v) { return v.kind != ValueKind::kInitializer && !v.data; }

// A scalar operand: a constant with one element.
bool is_scalar_constant(const Value& v) {
  return !is_activation(v) && v.type.is_static() && v.type.numel() == 1;
}

// Ops that act on each channel alone (any layout keeping the channel dim), with no parameters
// of their own.
bool channel_local_unary(const Node& n) {
  static const std::set<std::string> kOps = {
      "Relu",     "LeakyRelu", "Elu",     "Selu",    "Sigmoid", "HardSigmoid", "HardSwish",
      "Tanh",     "Gelu",      "Softplus", "Mish",   "Erf",     "Identity",    "Dropout",
      "Cast",     "Clip",      "MaxPool", "AveragePool", "Neg", "Abs",         "Sqrt",
      "Exp",      "GlobalAveragePool", "GlobalMaxPool"};
  return n.domain.empty() && kOps.count(n.op_type) > 0;
}

// Shape and Size read a tensor's dims, not its data: what follows them carries no part of the
// activation (the TorchScript exporter's dynamic reshapes take their sizes from Shape).
bool reads_dims_only(const Node& n) {
  return n.domain.empty() && (n.op_type == "Shape" || n.op_type == "Size");
}

bool binary_arithmetic(const Node& n) {
  return n.domain.empty() &&
         (n.op_type == "Add" || n.op_type == "Sub" || n.op_type == "Mul" || n.op_type == "Div");
}

void find_heads(const Graph& g, const Node& n, const Value& in, Reach& r) {
  if (r.heads != 0 || n.op_type != "Reshape" || n.outputs.empty()) return;
  const TensorType& out = g.value(n.outputs[0]).type;
  if (in.type.is_static() && out.is_static() && in.type.rank() == 3 && out.rank() == 4) {
    const auto i = in.type.dims(), o = out.dims();
    if (o[2] * o[3] == i[2] && o[1] == i[1]) r.heads = o[2], r.head_dim = o[3];
  }
}

Reach linear_reach(const Graph& g, NodeId start, const std::vector<std::optional<Weighted>>& w) {
  Reach r;
  std::set<ValueId> reached;
  std::deque<ValueId> queue;
  for (ValueId v : g.node(start).outputs) {
    if (v != kNoValue) queue.push_back(v), reached.insert(v);
  }
  std::vector<NodeId> joins;
  while (!queue.empty()) {
    const Value& val = g.value(queue.front());
    queue.pop_front();
    if (val.is_graph_output) r.graph_output = true;
    for (NodeId c : val.consumers) {
      if (w[static_cast<std::size_t>(c)]) {
        if (w[static_cast<std::size_t>(c)]->kind == TpLayerKind::kLinear) {
          r.linears.insert(c);
        } else {
          r.reaches_conv = true;
        }
        continue;
      }
      const Node& n = g.node(c);
      if (reads_dims_only(n) || !r.region.insert(c).second) continue;
      if (n.op_type == "Add" || n.op_type == "Sub") joins.push_back(c);
      if (n.op_type == "MatMul" && n.inputs.size() == 2 && n.inputs[0] != kNoValue &&
          n.inputs[1] != kNoValue && is_activation(g.value(n.inputs[0])) &&
          is_activation(g.value(n.inputs[1]))) {
        r.attention = true;
      }
      find_heads(g, n, val, r);
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
      if (in == kNoValue || reached.count(in) || !is_activation(g.value(in))) continue;
      if (g.value(in).type == out) r.residual_join = true;
    }
  }
  return r;
}

// Why consumer `c` of the reached value `v` ends a channel-parallel region ("" when it does
// not); adds it to the region or the partners.
std::string conv_step(const Graph& g, NodeId c, ValueId v, const std::optional<Weighted>& w,
                      ConvReach& r, bool& traverse) {
  const Node& n = g.node(c);
  traverse = false;
  if (w) {
    const bool data_input = !n.inputs.empty() && n.inputs[0] == v;
    if (w->kind != TpLayerKind::kConv || !data_input || w->weight_rank != 4) {
      return fmt::format("its output reaches {} node '{}', not a 2-D convolution", n.op_type,
                         n.name);
    }
    if (w->groups == 1) {
      r.partners.insert(c);
      return "";
    }
    r.channel_layers.push_back(c);  // grouped: channel-parallel with whole groups per rank
  } else if (n.op_type == "BatchNormalization" && n.domain.empty()) {
    if (n.inputs[0] != v) return fmt::format("it feeds a parameter of '{}'", n.name);
    r.channel_layers.push_back(c);
  } else if (!channel_local_unary(n) && !binary_arithmetic(n)) {
    return fmt::format("{} node '{}' on the way is not channel-local", n.op_type, n.name);
  }
  r.region.insert(c);
  traverse = true;
  return "";
}

ConvReach conv_reach(const Graph& g, NodeId start, const std::vector<std::optional<Weighted>>& w) {
  ConvReach r;
  std::set<ValueId> reached;
  std::deque<ValueId> queue;
  for (ValueId v : g.node(start).outputs) {
    if (v != kNoValue) queue.push_back(v), reached.insert(v);
  }
  // The first reason found on the way; the residual join below takes precedence (it is the
  // reason a ResNet shortcut conv stays whole), so the walk goes on past blockers.
  std::string blocked;
  while (!queue.empty()) {
    const ValueId v = queue.front();
    queue.pop_front();
    if (g.value(v).is_graph_output && blocked.empty()) blocked = "its output reaches a graph output";
    for (NodeId c : g.value(v).consumers) {
      if (r.region.count(c) || r.partners.count(c) || reads_dims_only(g.node(c))) continue;
      bool traverse = false;
      std::string why = conv_step(g, c, v, w[static_cast<std::size_t>(c)], r, traverse);
      if (blocked.empty()) blocked = std::move(why);
      if (!traverse) continue;
      for (ValueId o : g.node(c).outputs) {
        if (o != kNoValue && reached.insert(o).second) queue.push_back(o);
      }
    }
  }
  // Every operand of the region's arithmetic derives from the conv or is a scalar: a join with
  // anything else (the residual stream) would meet a split tensor with a whole one.
  for (NodeId c : r.region) {
    const Node& n = g.node(c);
    if (!binary_arithmetic(n) && n.op_type != "Clip") continue;
    for (std::size_t i = 0; i < n.inputs.size(); ++i) {
      const ValueId in = n.inputs[i];
      if (in == kNoValue || reached.count(in) || is_scalar_constant(g.value(in))) continue;
      r.blocked = is_activation(g.value(in))
                      ? fmt::format("its output joins another activation at {} node '{}' (a "
                                    "residual connection)",
                                    n.op_type, n.name)
                      : fmt::format("{} node '{}' takes a per-channel constant", n.op_type,
                                    n.name);
      return r;
    }
  }
  if (!blocked.empty()) {
    r.blocked = std::move(blocked);
  } else if (r.partners.size() != 1) {
    r.blocked = r.partners.empty() ? "no row-parallel convolution downstream"
                                   : fmt::format("its output reaches {} convolutions",
                                                 r.partners.size());
  }
  return r;
}

void pair_linear(const Graph& g, NodeId id, Pairing& p, std::map<NodeId, NodeId>& column_of) {
  Reach r = linear_reach(g, id, p.weighted);
  if (r.residual_join) {
    p.unpaired[id] = "output joins the residual stream before another linear";
  } else if (r.reaches_conv) {
    p.unpaired[id] = "output reaches a convolution";
  } else if (r.linears.empty() && r.graph_output) {
    p.heads.push_back(id);
  } else if (r.linears.size() == 1 && !column_of.count(*r.linears.begin())) {
    const NodeId row = *r.linears.begin();
    Group& grp = p.groups[row];
    grp.row = row;
    grp.columns.push_back(id);
    grp.region.insert(r.region.begin(), r.region.end());
    column_of[id] = row;
  } else {
    p.unpaired[id] = r.linears.empty()
                         ? "no row-parallel partner downstream"
                         : fmt::format("output reaches {} linears", r.linears.size());
  }
  p.reaches[id] = std::move(r);
}

void pair_conv(const Graph& g, NodeId id, const Weighted& w, Pairing& p,
               std::set<NodeId>& taken) {
  if (w.weight_rank != 4) {
    p.unpaired[id] = fmt::format("only 2-D convolutions split (weight rank {})", w.weight_rank);
    return;
  }
  if (w.groups != 1) {
    p.unpaired[id] = fmt::format("grouped convolution (groups {}) outside a column → row pair",
                                 w.groups);
    return;
  }
  ConvReach r = conv_reach(g, id, p.weighted);
  if (r.blocked.empty() && p.groups.count(*r.partners.begin())) {
    r.blocked = "its row partner is already paired";
  }
  if (!r.blocked.empty()) {
    p.unpaired[id] = std::move(r.blocked);
    return;
  }
  const NodeId row = *r.partners.begin();
  Group& grp = p.groups[row];
  grp.kind = TpLayerKind::kConv;
  grp.row = row;
  grp.columns = {id};
  grp.channel_layers = std::move(r.channel_layers);
  grp.region = std::move(r.region);
  taken.insert(row);
  for (NodeId c : grp.channel_layers) taken.insert(c);
}

}  // namespace

std::optional<Weighted> weighted_layer(const Graph& g, NodeId id) {
  const Node& n = g.node(id);
  const bool linear = n.op_type == "MatMul" || n.op_type == "Gemm";
  if (!n.domain.empty() || (!linear && n.op_type != "Conv") || n.inputs.size() < 2) return {};
  if (n.inputs[0] == kNoValue || n.inputs[1] == kNoValue) return {};
  if (!is_activation(g.value(n.inputs[0]))) return {};
  Weighted w;
  w.weight = n.inputs[1];
  const NodeId producer = g.value(w.weight).producer;
  if (linear && producer != kNoNode && g.node(producer).op_type == "Transpose") {
    const Node& t = g.node(producer);
    const auto perm = t.attrs.get_ints("perm", {1, 0});
    if (t.inputs.empty() || t.inputs[0] == kNoValue || perm != std::vector<int64_t>{1, 0}) return {};
    w.transpose = producer;
    w.weight = t.inputs[0];
  }
  const Value& weight = g.value(w.weight);
  if (!is_weight(weight) || !weight.type.is_static()) return {};
  const auto d = weight.type.dims();
  w.weight_rank = static_cast<int64_t>(d.size());
  if (linear) {
    if (d.size() != 2) return {};
    const bool trans_b = (n.op_type == "Gemm" && n.attrs.get_int("transB", 0) != 0) !=
                         (w.transpose != kNoNode);
    w.in = trans_b ? d[1] : d[0];
    w.out = trans_b ? d[0] : d[1];
    return w;
  }
  if (d.size() < 3) return {};
  w.kind = TpLayerKind::kConv;
  w.groups = n.attrs.get_int("group", 1);
  w.out = d[0];
  w.in = d[1] * w.groups;
  return w;
}

Pairing pair_layers(const Graph& g, const std::vector<NodeId>& order) {
  Pairing p;
  p.weighted.resize(g.nodes.size());
  for (NodeId id : order) p.weighted[static_cast<std::size_t>(id)] = weighted_layer(g, id);
  std::map<NodeId, NodeId> column_of;
  std::set<NodeId> taken;  // rows and channel layers of a group
  for (NodeId id : order) {
    const auto& w = p.weighted[static_cast<std::size_t>(id)];
    if (!w || taken.count(id) || p.groups.count(id)) continue;
    if (w->kind == TpLayerKind::kLinear) {
      pair_linear(g, id, p, column_of);
    } else {
      pair_conv(g, id, *w, p, taken);
    }
  }
  return p;
}

int64_t elements_per_unit(const Graph& g, ValueId v, bool per_token) {
  if (v == kNoValue || !g.value(v).type.is_static()) return 0;
  const auto d = g.value(v).type.dims();
  if (d.empty()) return 0;
  if (per_token) return d.back();
  int64_t n = 1;
  for (std::size_t i = 1; i < d.size(); ++i) n *= d[i];
  return n;
}

}  // namespace graphs::tp_detail
