#include "graphs/analysis/fusion.h"

#include <algorithm>
#include <map>
#include <set>

namespace graphs {
namespace {

bool takes_prologue(OpClass c) {
  return c == OpClass::kNormalization || c == OpClass::kReduction || c == OpClass::kSoftmax;
}

double value_bytes(const Value& v, const PrecisionMap& p) {
  const auto n = v.type.numel();
  return n ? static_cast<double>(*n) * dtype_bits(p.map(v)) / 8.0 : 0;
}

double first_output_numel(const Graph& g, const Node& n) {
  for (ValueId v : n.outputs) {
    if (v == kNoValue) continue;
    const auto e = g.value(v).type.numel();
    return e ? static_cast<double>(*e) : 0;
  }
  return 0;
}

// An activation: neither a parameter nor a tensor whose contents are known (a constant).
bool is_activation(const Value& v) {
  return !is_parameter(v) && !v.data && v.kind != ValueKind::kInitializer;
}

// A product of two activations (attention's Q·Kᵀ or P·V), not of an activation and a weight.
bool activation_product(const Graph& g, const Node& n) {
  if (n.op_type != "MatMul" || !(n.domain.empty() || n.domain == "ai.onnx")) return false;
  if (n.inputs.size() < 2 || n.inputs[0] == kNoValue || n.inputs[1] == kNoValue) return false;
  return is_activation(g.value(n.inputs[0])) && is_activation(g.value(n.inputs[1]));
}

// A MatMul/Gemm with a weight operand: the projections bounding an attention region.
bool weight_product(const Graph& g, const Node& n) {
  if (n.op_type != "MatMul" && n.op_type != "Gemm") return false;
  for (ValueId v : n.inputs) {
    if (v != kNoValue && is_parameter(g.value(v))) return true;
  }
  return false;
}

}  // namespace

std::vector<int> attention_regions(const Graph& g, const Characterization& ch,
                                   std::vector<NodeId>* anchors) {
  std::vector<int> region(g.nodes.size(), -1);
  std::vector<std::size_t> position(g.nodes.size(), 0);
  for (std::size_t i = 0; i < ch.order.size(); ++i) position[static_cast<std::size_t>(ch.order[i])] = i;
  int regions = 0;
  for (NodeId pv : ch.order) {
    const Node& node = g.node(pv);
    if (!activation_product(g, node) || region[static_cast<std::size_t>(pv)] >= 0) continue;
    // Backward from P·V, stopping at the projections (weight products) and at values without a
    // producer (graph inputs, constants).
    std::set<NodeId> closure{pv};
    std::set<NodeId> boundary;
    std::vector<NodeId> stack{pv};
    bool has_qk = false;
    while (!stack.empty() && closure.size() < 4096) {
      const NodeId n = stack.back();
      stack.pop_back();
      for (ValueId v : g.node(n).inputs) {
        if (v == kNoValue) continue;
        const NodeId p = g.value(v).producer;
        if (p == kNoNode || closure.count(p) || boundary.count(p)) continue;
        if (weight_product(g, g.node(p))) {
          boundary.insert(p);
          continue;
        }
        if (region[static_cast<std::size_t>(p)] >= 0) continue;
        if (activation_product(g, g.node(p))) has_qk = true;
        closure.insert(p);
        stack.push_back(p);
      }
    }
    if (!has_qk || boundary.empty()) continue;
    // Keep what lies downstream of a projection (shared work such as rotary tables and masks
    // computed once from the positions stays out), in topological order.
    std::vector<NodeId> ordered(closure.begin(), closure.end());
    std::sort(ordered.begin(), ordered.end(), [&](NodeId a, NodeId b) {
      return position[static_cast<std::size_t>(a)] < position[static_cast<std::size_t>(b)];
    });
    std::set<NodeId> kept;
    for (NodeId n : ordered) {
      for (ValueId v : g.node(n).inputs) {
        if (v == kNoValue) continue;
        const NodeId p = g.value(v).producer;
        if (p != kNoNode && (kept.count(p) || boundary.count(p))) {
          kept.insert(n);
          break;
        }
      }
    }
    if (!kept.count(pv)) continue;
    // Every value made inside is used only inside (P·V's own outputs leave).
    bool contained = true;
    for (NodeId n : kept) {
      if (n == pv) continue;
      for (ValueId v : g.node(n).outputs) {
        if (v == kNoValue) continue;
        const Value& val = g.value(v);
        if (val.is_graph_output) contained = false;
        for (NodeId c : val.consumers) {
          if (!kept.count(c)) contained = false;
        }
      }
    }
    if (!contained) continue;
    for (NodeId n : kept) region[static_cast<std::size_t>(n)] = regions;
    if (anchors) anchors->push_back(pv);
    ++regions;
  }
  return region;
}

namespace {

class Partitioner {
 public:
  Partitioner(const Graph& g, const Characterization& ch)
      : g_(g), ch_(ch), kernel_of_node_(g.nodes.size(), -1) {}

  Partition run(bool fuse, const PartitionOptions& options = {}) {
    std::vector<NodeId> anchors;
    std::vector<int> region;
    if (fuse && options.fuse_attention) region = attention_regions(g_, ch_, &anchors);
    for (NodeId id : ch_.order) {
      const NodeStats& s = ch_.nodes[static_cast<std::size_t>(id)];
      if (!region.empty() && region[static_cast<std::size_t>(id)] >= 0) {
        // Attention nodes wait for their P·V, which makes the one kernel of the region.
        const int r = region[static_cast<std::size_t>(id)];
        if (id == anchors[static_cast<std::size_t>(r)]) start_attention(r, region);
        continue;
      }
      if (s.free) continue;
      if (!fuse) {
        start_kernel(id, s.op_class);
      } else if (s.pointwise) {
        if (!join_pointwise(id)) start_kernel(id, OpClass::kElementwise, /*anchored=*/false);
      } else if (!(takes_prologue(s.op_class) && absorb_prologue(id, s.op_class))) {
        start_kernel(id, s.op_class);
      }
    }
    return finish(fuse);
  }

 private:
  struct Work {
    std::vector<NodeId> nodes;
    int anchor_index = 0;
    bool anchored = false;
    bool attention = false;
    OpClass op_class = OpClass::kElementwise;
    double numel = 0;           // iteration space that pointwise nodes must match
    std::set<int> deps;         // kernels this one reads from directly
  };

  // Kernels that really produce `v`, looking through free nodes (views, folded constants).
  std::set<int> producers_of(ValueId v) {
    auto it = memo_.find(v);
    if (it != memo_.end()) return it->second;
    std::set<int> out;
    const NodeId p = g_.value(v).producer;
    if (p != kNoNode) {
      const int k = kernel_of_node_[static_cast<std::size_t>(p)];
      if (k >= 0) {
        out.insert(k);
      } else if (!g_.value(v).data) {
        for (ValueId in : g_.node(p).inputs) {
          if (in == kNoValue) continue;
          auto sub = producers_of(in);
          out.insert(sub.begin(), sub.end());
        }
      }
    }
    // Nodes are placed in topological order, so a producer is final before anyone asks.
    memo_[v] = out;
    return out;
  }

  std::set<int> input_kernels(NodeId id) {
    std::set<int> out;
    for (ValueId v : g_.node(id).inputs) {
      if (v == kNoValue) continue;
      auto p = producers_of(v);
      out.insert(p.begin(), p.end());
    }
    return out;
  }

  // Whether kernel `from` depends, directly or not, on kernel `to`.
  bool reaches(int from, int to) const {
    std::vector<int> stack{from};
    std::set<int> seen;
    while (!stack.empty()) {
      const int k = stack.back();
      stack.pop_back();
      if (k == to) return true;
      if (!seen.insert(k).second) continue;
      for (int d : work_[static_cast<std::size_t>(k)].deps) stack.push_back(d);
    }
    return false;
  }

  bool can_join(int k, const std::set<int>& inputs) const {
    for (int j : inputs) {
      if (j != k && reaches(j, k)) return false;
    }
    return true;
  }

  void add_to(int k, NodeId id, const std::set<int>& inputs) {
    Work& w = work_[static_cast<std::size_t>(k)];
    w.nodes.push_back(id);
    for (int j : inputs) {
      if (j != k) w.deps.insert(j);
    }
    kernel_of_node_[static_cast<std::size_t>(id)] = k;
  }

  void start_kernel(NodeId id, OpClass op_class, bool anchored = true) {
    const auto inputs = input_kernels(id);
    Work w;
    w.anchored = anchored;
    w.op_class = op_class;
    w.numel = first_output_numel(g_, g_.node(id));
    work_.push_back(std::move(w));
    add_to(static_cast<int>(work_.size()) - 1, id, inputs);
  }

  // The kernel of attention region `r`: its non-free nodes in topological order, anchored at
  // P·V; closed to later pointwise work (its output is the attention result).
  void start_attention(int r, const std::vector<int>& region) {
    const int k = static_cast<int>(work_.size());
    Work w;
    w.anchored = true;
    w.attention = true;
    w.op_class = OpClass::kMatMul;
    std::vector<NodeId> members;
    for (NodeId n : ch_.order) {
      if (region[static_cast<std::size_t>(n)] != r) continue;
      for (ValueId v : g_.node(n).outputs) {
        if (v != kNoValue) memo_.erase(v);
      }
      if (ch_.nodes[static_cast<std::size_t>(n)].free) continue;
      members.push_back(n);
      kernel_of_node_[static_cast<std::size_t>(n)] = k;
    }
    work_.push_back(std::move(w));
    for (NodeId n : members) add_to(k, n, input_kernels(n));
    Work& made = work_.back();
    made.anchor_index = static_cast<int>(made.nodes.size()) - 1;
    made.numel = -1;  // nothing joins it
  }

  bool join_pointwise(NodeId id) {
    const auto inputs = input_kernels(id);
    const double numel = first_output_numel(g_, g_.node(id));
    // Latest producer kernel first: a join (residual add) fuses into the later branch.
    for (auto it = inputs.rbegin(); it != inputs.rend(); ++it) {
      const int k = *it;
      if (work_[static_cast<std::size_t>(k)].numel != numel) continue;
      if (!can_join(k, inputs)) continue;
      add_to(k, id, inputs);
      return true;
    }
    return false;
  }

  bool absorb_prologue(NodeId id, OpClass op_class) {
    const Node& node = g_.node(id);
    if (node.inputs.empty() || node.inputs[0] == kNoValue) return false;
    const auto data_producers = producers_of(node.inputs[0]);
    if (data_producers.size() != 1) return false;
    const int k = *data_producers.begin();
    Work& w = work_[static_cast<std::size_t>(k)];
    const auto in_numel = g_.value(node.inputs[0]).type.numel();
    if (w.anchored || !in_numel || w.numel != static_cast<double>(*in_numel)) return false;
    const auto inputs = input_kernels(id);
    if (!can_join(k, inputs)) return false;
    add_to(k, id, inputs);
    w.anchored = true;
    w.anchor_index = static_cast<int>(w.nodes.size()) - 1;
    w.op_class = op_class;
    w.numel = first_output_numel(g_, node);
    return true;
  }

  Partition finish(bool fused) {
    Partition part;
    part.fused = fused;
    part.kernel_of_node = kernel_of_node_;
    const PrecisionMap& prec = ch_.precision;
    for (std::size_t k = 0; k < work_.size(); ++k) {
      const Work& w = work_[k];
      FusedKernel fk;
      fk.id = static_cast<int>(k);
      fk.nodes = w.nodes;
      fk.anchor_index = w.anchor_index;
      fk.op_class = w.op_class;
      fk.attention = w.attention;
      fk.name = g_.node(w.nodes[static_cast<std::size_t>(w.anchor_index)]).name;
      std::map<ValueId, double> read_fraction;  // external input → largest share read by a node
      std::set<ValueId> outputs;
      for (NodeId id : w.nodes) {
        const NodeStats& s = ch_.nodes[static_cast<std::size_t>(id)];
        fk.macs += s.cost.macs;
        fk.flops += s.cost.flops;
        const Node& node = g_.node(id);
        double in_total = 0;
        for (ValueId v : node.inputs) {
          if (v != kNoValue) in_total += value_bytes(g_.value(v), prec);
        }
        const double fraction = in_total > 0 ? std::min(1.0, s.cost.bytes_read / in_total) : 1.0;
        for (ValueId v : node.inputs) {
          if (v == kNoValue || g_.value(v).data) continue;
          const auto prod = producers_of(v);
          if (prod.size() == 1 && *prod.begin() == static_cast<int>(k)) continue;  // internal
          double& f = read_fraction[v];
          f = std::max(f, fraction);
        }
        for (ValueId v : node.outputs) {
          if (v == kNoValue) continue;
          const Value& val = g_.value(v);
          bool escapes = val.is_graph_output;
          for (NodeId c : val.consumers) {
            if (kernel_of_node_[static_cast<std::size_t>(c)] != static_cast<int>(k)) escapes = true;
          }
          if (escapes) outputs.insert(v);
        }
      }
      for (const auto& [v, f] : read_fraction) {
        const Value& val = g_.value(v);
        fk.inputs.push_back(v);
        if (is_parameter(val)) {
          fk.weight_bytes += value_bytes(val, prec) * f;
        } else {
          fk.input_bytes += value_bytes(val, prec) * f;
        }
      }
      for (ValueId v : outputs) {
        fk.outputs.push_back(v);
        fk.output_bytes += value_bytes(g_.value(v), prec);
      }
      part.kernels.push_back(std::move(fk));
    }
    return part;
  }

  const Graph& g_;
  const Characterization& ch_;
  std::vector<int> kernel_of_node_;
  std::vector<Work> work_;
  std::map<ValueId, std::set<int>> memo_;
};

}  // namespace

Partition partition_fused(const Graph& graph, const Characterization& ch,
                          const PartitionOptions& options) {
  return Partitioner(graph, ch).run(true, options);
}

Partition partition_unfused(const Graph& graph, const Characterization& ch) {
  return Partitioner(graph, ch).run(false);
}

}  // namespace graphs
