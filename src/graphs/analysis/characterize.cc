#include "graphs/analysis/characterize.h"

#include <set>

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
  if (v.kind != ValueKind::kInitializer) return false;
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

ParameterCount count_parameters(const Graph& graph) {
  std::set<ValueId> statistics;
  for (const Node& node : graph.nodes) {
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      if (node.inputs[i] != kNoValue && is_running_statistic(node, i)) {
        statistics.insert(node.inputs[i]);
      }
    }
  }
  ParameterCount count;
  for (ValueId id : std::set<ValueId>(graph.initializers.begin(), graph.initializers.end())) {
    const Value& v = graph.value(id);
    if (!is_parameter(v)) continue;
    (statistics.count(id) ? count.buffers : count.parameters) += *v.type.numel();
  }
  return count;
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

}  // namespace

Result<Characterization> characterize(const Graph& graph, const PrecisionMap& precision) {
  Characterization ch;
  ch.precision = precision;
  GRAPHS_ASSIGN_OR_RETURN(ch.order, graph.topological_order());
  ch.nodes.resize(graph.nodes.size());
  const auto& registry = OpRegistry::global();

  std::set<ValueId> counted_params;
  for (NodeId id : ch.order) {
    const Node& node = graph.node(id);
    const OpSchema* schema = registry.find(node.domain, node.op_type);
    if (!schema) {
      return make_error(ErrorCode::kInternal, node.label(), ": no op rule (run infer_shapes first)");
    }
    NodeStats& s = ch.nodes[static_cast<std::size_t>(id)];
    s.node = id;
    s.op_class = schema->op_class;
    s.pointwise = schema->pointwise || schema->op_class == OpClass::kElementwise ||
                  schema->op_class == OpClass::kDataMovement;
    s.free = is_free(graph, node, schema->op_class);

    CostContext ctx{node, node.opset, {}, {}, precision};
    for (ValueId v : node.inputs) ctx.inputs.push_back(v == kNoValue ? nullptr : &graph.value(v));
    for (ValueId v : node.outputs) {
      const Value* val = v == kNoValue ? nullptr : &graph.value(v);
      if (val && !val->type.is_static()) {
        return make_error(ErrorCode::kInternal, node.label(), ": output '", val->name,
                          "' has no static shape");
      }
      ctx.outputs.push_back(val);
    }
    for (std::size_t i = 0; i < ctx.inputs.size(); ++i) {
      const Value* in = ctx.inputs[i];
      if (!in || !is_parameter(*in)) continue;
      // Running statistics are weights in memory but PyTorch buffers, not parameters.
      const int64_t elements = is_running_statistic(node, i) ? 0 : *in->type.numel();
      s.params += elements;
      s.weight_bytes += ctx.bytes(in);
      const ValueId vid = node.inputs[i];
      if (counted_params.insert(vid).second) {
        ch.active_params += elements;
        ch.active_weight_bytes += ctx.bytes(in);
      }
    }
    if (s.free) continue;
    s.cost = schema->cost(ctx);
    ++ch.compute_nodes;
    ch.macs += s.cost.macs;
    ch.flops += s.cost.flops;
    ch.bytes_read += s.cost.bytes_read;
    ch.bytes_written += s.cost.bytes_written;
    ch.activation_bytes += ctx.output_bytes();
    auto& cls = ch.by_class[s.op_class];
    ++cls.nodes;
    cls.macs += s.cost.macs;
    cls.flops += s.cost.flops;
    cls.bytes += s.cost.bytes_read + s.cost.bytes_written;
  }
  ch.params = count_parameters(graph).parameters;
  for (ValueId id : std::set<ValueId>(graph.initializers.begin(), graph.initializers.end())) {
    const Value& v = graph.value(id);
    if (is_parameter(v)) {
      ch.weight_bytes += static_cast<double>(*v.type.numel()) * dtype_bits(precision.map(v)) / 8.0;
    }
  }
  for (ValueId v : graph.inputs) {
    const auto b = graph.value(v).type.numel();
    if (b) ch.activation_bytes += static_cast<double>(*b) *
                                  dtype_bits(precision.map(graph.value(v).type.dtype)) / 8.0;
  }
  return ch;
}

}  // namespace graphs
