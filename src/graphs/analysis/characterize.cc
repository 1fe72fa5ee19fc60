#include "graphs/analysis/characterize.h"

#include <fmt/format.h>

#include <cmath>
#include <set>
#include <utility>

#include "graphs/common/checked_math.h"

namespace graphs {

double NodeStats::arithmetic_intensity() const {
  const double bytes = cost.bytes_read + cost.bytes_written;
  return bytes > 0 ? cost.flops / bytes : 0;
}

double Characterization::arithmetic_intensity() const {
  const double bytes = bytes_read + bytes_written;
  return bytes > 0 ? flops / bytes : 0;
}

bool is_parameter(const Value& v) {
  if (v.kind != ValueKind::kInitializer && !v.constant_weight) return false;
  const auto n = v.type.numel();
  if (!n) return false;
  if (is_floating(v.type.dtype)) return *n > 1;
  // Quantized weights: 8- and 4-bit integer initializers of rank ≥ 2 (per-channel scales and
  // zero points are rank ≤ 1; token ids and shape constants are int64).
  const DType d = v.type.dtype;
  return (d == DType::kInt8 || d == DType::kUInt8 || d == DType::kInt4 || d == DType::kUInt4) &&
         v.type.rank() >= 2;
}

bool is_running_statistic(const Node& node, std::size_t input) {
  return node.op_type == "BatchNormalization" && node.domain.empty() && (input == 3 || input == 4);
}

namespace {

bool default_domain(const Node& n) { return n.domain.empty() || n.domain == "ai.onnx"; }

// Whether `consumer` reads input `index` as a weight: any input of a conv, matmul or
// normalization op, or the table of a Gather (an embedding).
bool weight_position(const Node& consumer, std::size_t index) {
  if (default_domain(consumer) && consumer.op_type == "Gather") return index == 0;
  const OpSchema* s = OpRegistry::global().find(consumer.domain, consumer.op_type);
  if (!s) return false;
  return s->op_class == OpClass::kConv || s->op_class == OpClass::kMatMul ||
         s->op_class == OpClass::kNormalization;
}

// Every graph of a model, the main one first, then bodies depth-first.
void collect_graphs(const Graph& g, std::vector<const Graph*>& out) {
  out.push_back(&g);
  for (const Node& n : g.nodes) {
    for (const auto& sub : n.subgraphs) collect_graphs(sub.graph, out);
  }
}

}  // namespace

void mark_constant_weights(Graph& graph) {
  for (const Node& node : graph.nodes) {
    if (!default_domain(node)) continue;
    const bool constant = node.op_type == "Constant";
    const bool filled = node.op_type == "ConstantOfShape" && !node.inputs.empty() &&
                        node.inputs[0] != kNoValue && graph.value(node.inputs[0]).data;
    if (!constant && !filled) continue;
    for (ValueId out : node.outputs) {
      if (out == kNoValue) continue;
      Value& v = graph.value(out);
      v.constant_weight = true;  // tentatively, to apply is_parameter's type rule
      bool weight = is_parameter(v);
      v.constant_weight = false;
      if (!weight) continue;
      bool feeds_weight_input = *v.type.numel() > kMaxConstElements;
      for (NodeId c : v.consumers) {
        const Node& consumer = graph.node(c);
        for (std::size_t i = 0; i < consumer.inputs.size(); ++i) {
          if (consumer.inputs[i] == out && weight_position(consumer, i)) feeds_weight_input = true;
        }
      }
      v.constant_weight = feeds_weight_input;
    }
  }
}

Result<ParameterCount> count_parameters_checked(const Graph& graph) {
  std::vector<const Graph*> graphs;
  collect_graphs(graph, graphs);
  ParameterCount count;
  for (const Graph* g : graphs) {
    std::set<ValueId> statistics;
    for (const Node& node : g->nodes) {
      for (std::size_t i = 0; i < node.inputs.size(); ++i) {
        if (node.inputs[i] != kNoValue && is_running_statistic(node, i)) {
          statistics.insert(node.inputs[i]);
        }
      }
    }
    for (std::size_t id = 0; id < g->values.size(); ++id) {
      const Value& v = g->values[id];
      if (!is_parameter(v)) continue;
      const bool buffer = statistics.count(static_cast<ValueId>(id)) > 0;
      auto sum = checked_add(buffer ? count.buffers : count.parameters, *v.type.numel());
      if (!sum) {
        return make_error(ErrorCode::kInvalidArgument, buffer ? "buffers" : "parameters",
                          " up to '", v.name, "': the count does not fit in int64 (more than "
                          "9.2e18)");
      }
      (buffer ? count.buffers : count.parameters) = *sum;
    }
  }
  return count;
}

ParameterCount count_parameters(const Graph& graph) {
  auto count = count_parameters_checked(graph);
  if (count.ok()) return *count;
  return ParameterCount{kMaxInt64, kMaxInt64};
}

namespace {

// A node is free when every output's contents are known at analysis time (constant folding) or
// the op only rewrites metadata.
bool is_free(const Graph& graph, const Node& node, OpClass op_class) {
  if (op_class == OpClass::kShape) return true;
  bool any_output = false;
  for (ValueId v : node.outputs) {
    if (v == kNoValue) continue;
    any_output = true;
    if (!graph.value(v).data) return false;
  }
  return any_output;
}

// The value an outer-scope reference stands for, looked up through the enclosing graphs
// (`scopes`, outermost first); the value itself otherwise.
const Value* definition(const Value* v, const std::vector<const Graph*>& scopes) {
  for (auto it = scopes.rbegin(); it != scopes.rend() && v->kind == ValueKind::kOuterScope; ++it) {
    const ValueId id = (*it)->find_value(v->name);
    if (id != kNoValue) v = &(*it)->value(id);
  }
  return v;
}

// total += n; an error naming `what` when the sum does not fit int64.
Status add_count(int64_t& total, int64_t n, const std::string& what) {
  const auto sum = checked_add(total, n);
  if (!sum) {
    return make_error(ErrorCode::kInvalidArgument, what,
                      ": the count does not fit in int64 (more than 9.2e18)");
  }
  total = *sum;
  return ok_status();
}

// A cost rule's figures must be finite and non-negative (a broken rule, not bad input).
Status check_cost(const Node& node, const OpCost& c) {
  const std::pair<const char*, double> figures[] = {
      {"MACs", c.macs}, {"FLOPs", c.flops}, {"bytes read", c.bytes_read},
      {"bytes written", c.bytes_written}};
  for (const auto& [name, v] : figures) {
    if (!std::isfinite(v) || v < 0) {
      return make_error(ErrorCode::kInternal, node.label(), ": its cost rule gave ", name, " = ",
                        fmt::format("{}", v), " (a bug in graphs; please report it)");
    }
  }
  return ok_status();
}

class Characterizer {
 public:
  explicit Characterizer(const PrecisionMap& precision) : precision_(precision) {}

  // `scopes`: the graphs enclosing `graph`, outermost first (empty for the main graph).
  Result<Characterization> run(const Graph& graph, std::vector<const Graph*> scopes) {
    Characterization ch;
    ch.precision = precision_;
    GRAPHS_ASSIGN_OR_RETURN(ch.order, graph.topological_order());
    ch.nodes.resize(graph.nodes.size());
    for (NodeId id : ch.order) GRAPHS_RETURN_IF_ERROR(add_node(graph, scopes, id, ch));
    if (scopes.empty()) GRAPHS_RETURN_IF_ERROR(add_model_totals(graph, ch));
    return ch;
  }

 private:
  // Node `id`'s stats, and its share of the totals.
  Status add_node(const Graph& graph, const std::vector<const Graph*>& scopes, NodeId id,
                  Characterization& ch) {
    const Node& node = graph.node(id);
    const OpSchema* schema = OpRegistry::global().find(node.domain, node.op_type);
    if (!schema) {
      return make_error(ErrorCode::kInternal, node.label(),
                        ": no op rule (run infer_shapes first)");
    }
    NodeStats& s = ch.nodes[static_cast<std::size_t>(id)];
    s.node = id;
    s.op_class = schema->op_class;
    s.pointwise = schema->pointwise || schema->op_class == OpClass::kElementwise ||
                  schema->op_class == OpClass::kDataMovement;
    s.free = is_free(graph, node, schema->op_class);

    CostContext ctx{node, node.opset, {}, {}, precision_};
    for (ValueId v : node.inputs) ctx.inputs.push_back(v == kNoValue ? nullptr : &graph.value(v));
    for (ValueId v : node.outputs) {
      const Value* val = v == kNoValue ? nullptr : &graph.value(v);
      if (val && !val->type.is_static()) {
        return make_error(ErrorCode::kInternal, node.label(), ": output '", val->name,
                          "' has no static shape");
      }
      ctx.outputs.push_back(val);
    }
    GRAPHS_RETURN_IF_ERROR(add_parameters(node, ctx, scopes, s, ch));
    if (s.free) return ok_status();
    s.cost = schema->cost(ctx);
    GRAPHS_RETURN_IF_ERROR(check_cost(node, s.cost));
    ++ch.compute_nodes;
    auto& cls = ch.by_class[s.op_class];
    ++cls.nodes;
    if (node.subgraphs.empty()) {
      cls.macs += s.cost.macs;
      cls.flops += s.cost.flops;
      cls.bytes += s.cost.bytes_read + s.cost.bytes_written;
    }
    ch.activation_bytes += ctx.output_bytes();
    if (!node.subgraphs.empty()) GRAPHS_RETURN_IF_ERROR(add_bodies(graph, scopes, id, s, ch));
    ch.macs += s.cost.macs;
    ch.flops += s.cost.flops;
    ch.bytes_read += s.cost.bytes_read;
    ch.bytes_written += s.cost.bytes_written;
    return ok_status();
  }

  // The parameters among the node's inputs: the node's, and the model's active ones.
  Status add_parameters(const Node& node, const CostContext& ctx,
                        const std::vector<const Graph*>& scopes, NodeStats& s,
                        Characterization& ch) {
    for (std::size_t i = 0; i < ctx.inputs.size(); ++i) {
      if (!ctx.inputs[i]) continue;
      const Value* in = definition(ctx.inputs[i], scopes);
      if (!is_parameter(*in)) continue;
      // Running statistics are weights in memory but PyTorch buffers, not parameters.
      const int64_t elements = is_running_statistic(node, i) ? 0 : *in->type.numel();
      GRAPHS_RETURN_IF_ERROR(add_count(s.params, elements, node.label() + ": parameters"));
      s.weight_bytes += ctx.bytes(in);
      if (counted_.insert(in).second) {
        GRAPHS_RETURN_IF_ERROR(add_count(ch.active_params, elements, "active parameters"));
        ch.active_weight_bytes += ctx.bytes(in);
      }
    }
    return ok_status();
  }

  // Main graph only: every parameter (bodies included), its bytes, and the graph inputs.
  Status add_model_totals(const Graph& graph, Characterization& ch) {
    GRAPHS_ASSIGN_OR_RETURN(const ParameterCount count, count_parameters_checked(graph));
    ch.params = count.parameters;
    std::vector<const Graph*> graphs;
    collect_graphs(graph, graphs);
    for (const Graph* g : graphs) {
      for (const Value& v : g->values) {
        if (is_parameter(v)) {
          ch.weight_bytes +=
              static_cast<double>(*v.type.numel()) * dtype_bits(precision_.map(v)) / 8.0;
        }
      }
    }
    for (ValueId v : graph.inputs) {
      const auto n = graph.value(v).type.numel();
      if (n) {
        ch.activation_bytes +=
            static_cast<double>(*n) * dtype_bits(precision_.map(graph.value(v).type.dtype)) / 8.0;
      }
    }
    return ok_status();
  }

  // Characterizes the bodies of control-flow node `id` that run and adds their totals × runs.
  Status add_bodies(const Graph& graph, const std::vector<const Graph*>& scopes, NodeId id,
                    NodeStats& s, Characterization& ch) {
    const Node& node = graph.node(id);
    std::vector<const Graph*> inner = scopes;
    inner.push_back(&graph);
    for (const auto& sub : node.subgraphs) {
      if (sub.runs <= 0) continue;
      auto body = run(sub.graph, inner);
      const std::string where = node.label() + ", " + sub.attribute;
      if (!body.ok()) return std::move(body).error().with_context(where);
      const double runs = static_cast<double>(sub.runs);
      s.cost.macs += runs * body->macs;
      s.cost.flops += runs * body->flops;
      s.cost.bytes_read += runs * body->bytes_read;
      s.cost.bytes_written += runs * body->bytes_written;
      // Parameters the body reads that nothing read before (shared set): the node's.
      GRAPHS_RETURN_IF_ERROR(add_count(s.params, body->active_params, where + ": parameters"));
      s.weight_bytes += body->active_weight_bytes;
      GRAPHS_RETURN_IF_ERROR(add_count(ch.active_params, body->active_params, "active parameters"));
      ch.active_weight_bytes += body->active_weight_bytes;
      GRAPHS_RETURN_IF_ERROR(add_runs(ch.compute_nodes, sub.runs, body->compute_nodes, where));
      ch.activation_bytes += runs * body->activation_bytes;
      for (const auto& [cls, t] : body->by_class) {
        auto& c = ch.by_class[cls];
        GRAPHS_RETURN_IF_ERROR(add_runs(c.nodes, sub.runs, t.nodes, where));
        c.macs += runs * t.macs;
        c.flops += runs * t.flops;
        c.bytes += runs * t.bytes;
      }
      ch.bodies.push_back(BodyStats{id, sub.attribute, sub.runs, std::move(body).value()});
    }
    return ok_status();
  }

  // total += runs × count (kernel launches of a body run `runs` times), checked.
  static Status add_runs(int64_t& total, int64_t runs, int64_t count, const std::string& where) {
    const auto product = checked_mul(runs, count);
    if (!product) {
      return make_error(ErrorCode::kInvalidArgument, where, ": ", runs, " runs × ", count,
                        " kernels does not fit in int64 (more than 9.2e18)");
    }
    return add_count(total, *product, where + ": kernel launches");
  }

  PrecisionMap precision_;
  std::set<const Value*> counted_;
};

}  // namespace

Result<Characterization> characterize(const Graph& graph, const PrecisionMap& precision) {
  GRAPHS_RETURN_IF_ERROR(graph.check_value_sizes());
  return Characterizer(precision).run(graph, {});
}

}  // namespace graphs
