#include "graphs/ir/graph.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <queue>
#include <set>

#include "graphs/common/checked_math.h"

namespace graphs {

std::string Dim::to_string() const {
  if (is_static()) return std::to_string(size_);
  if (is_symbolic()) return symbol_;
  return "?";
}

TensorType TensorType::make(DType dtype, const std::vector<int64_t>& dims) {
  TensorType t;
  t.dtype = dtype;
  for (int64_t d : dims) t.shape.push_back(Dim::fixed(d));
  return t;
}

bool TensorType::is_static() const {
  if (!rank_known) return false;
  for (const auto& d : shape) {
    if (!d.is_static()) return false;
  }
  return true;
}

std::optional<int64_t> TensorType::numel() const {
  if (!is_static()) return std::nullopt;
  int64_t n = 1;
  bool overflow = false;
  for (const auto& d : shape) {
    if (d.size() == 0) return 0;
    const auto next = checked_mul(n, d.size());
    overflow = overflow || !next;
    if (next) n = *next;
  }
  return overflow ? kMaxInt64 : n;
}

std::optional<int64_t> TensorType::bytes() const {
  const auto n = numel();
  if (!n) return std::nullopt;
  const int64_t bits = saturating_mul(*n, dtype_bits(dtype));
  return bits / 8 + (bits % 8 != 0 ? 1 : 0);
}

Status check_tensor_size(const TensorType& type, std::string_view what) {
  if (!type.is_static()) return ok_status();
  std::vector<int64_t> sizes = type.dims();
  const auto n = checked_product(sizes);
  const int bits = dtype_bits(type.dtype);
  if (n && checked_mul(*n, std::max(bits, 1))) return ok_status();
  // The true size, for the message: long double holds 10^4932.
  long double elements = 1;
  for (int64_t d : sizes) elements *= static_cast<long double>(d);
  std::string message = fmt::format("{} {} holds {:.3g} elements", what, type.to_string(),
                                    static_cast<double>(elements));
  if (bits > 0) {
    message += fmt::format(" ({:.3g} bytes)", static_cast<double>(elements * bits / 8));
  }
  message += "; graphs counts tensors of at most 2^63 bits (1 EiB)";
  return Error(ErrorCode::kInvalidArgument, std::move(message));
}

std::vector<int64_t> TensorType::dims() const {
  std::vector<int64_t> out;
  out.reserve(shape.size());
  for (const auto& d : shape) out.push_back(d.size());
  return out;
}

std::string TensorType::to_string() const {
  std::string s(dtype_name(dtype));
  if (!rank_known) return s + "[?]";
  s += "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += shape[i].to_string();
  }
  return s + "]";
}

const Attribute* Attributes::find(const std::string& name) const {
  auto it = attrs_.find(name);
  return it == attrs_.end() ? nullptr : &it->second;
}

int64_t Attributes::get_int(const std::string& name, int64_t fallback) const {
  const auto* a = find(name);
  if (!a) return fallback;
  if (const auto* v = std::get_if<int64_t>(a)) return *v;
  if (const auto* v = std::get_if<double>(a)) return static_cast<int64_t>(*v);
  return fallback;
}

double Attributes::get_float(const std::string& name, double fallback) const {
  const auto* a = find(name);
  if (!a) return fallback;
  if (const auto* v = std::get_if<double>(a)) return *v;
  if (const auto* v = std::get_if<int64_t>(a)) return static_cast<double>(*v);
  return fallback;
}

std::string Attributes::get_string(const std::string& name, const std::string& fallback) const {
  const auto* a = find(name);
  if (!a) return fallback;
  if (const auto* v = std::get_if<std::string>(a)) return *v;
  return fallback;
}

std::vector<int64_t> Attributes::get_ints(const std::string& name,
                                          const std::vector<int64_t>& fallback) const {
  const auto* a = find(name);
  if (!a) return fallback;
  if (const auto* v = std::get_if<std::vector<int64_t>>(a)) return *v;
  if (const auto* v = std::get_if<int64_t>(a)) return {*v};
  return fallback;
}

std::vector<double> Attributes::get_floats(const std::string& name,
                                           const std::vector<double>& fallback) const {
  const auto* a = find(name);
  if (!a) return fallback;
  if (const auto* v = std::get_if<std::vector<double>>(a)) return *v;
  if (const auto* v = std::get_if<double>(a)) return {*v};
  return fallback;
}

const TensorAttr* Attributes::get_tensor(const std::string& name) const {
  const auto* a = find(name);
  return a ? std::get_if<TensorAttr>(a) : nullptr;
}

std::string Node::label() const {
  return op_type + " node '" + name + "'";
}

const Subgraph* Node::subgraph(const std::string& attribute) const {
  for (const auto& s : subgraphs) {
    if (s.attribute == attribute) return &s;
  }
  return nullptr;
}

ValueId Graph::add_value(Value value) {
  if (value.name.empty()) {
    do {
      value.name = "_v" + std::to_string(fresh_++);
    } while (by_name_.count(value.name));
  }
  const auto id = static_cast<ValueId>(values.size());
  by_name_[value.name] = id;
  values.push_back(std::move(value));
  return id;
}

NodeId Graph::add_node(Node node) {
  const auto id = static_cast<NodeId>(nodes.size());
  if (node.name.empty()) node.name = node.op_type + "_" + std::to_string(id);
  for (ValueId v : node.inputs) {
    if (v != kNoValue) value(v).consumers.push_back(id);
  }
  for (ValueId v : node.outputs) {
    if (v != kNoValue) value(v).producer = id;
  }
  nodes.push_back(std::move(node));
  return id;
}

ValueId Graph::find_value(const std::string& value_name) const {
  auto it = by_name_.find(value_name);
  return it == by_name_.end() ? kNoValue : it->second;
}

Result<std::vector<NodeId>> Graph::topological_order() const {
  std::vector<int> pending(nodes.size(), 0);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    for (ValueId v : nodes[i].inputs) {
      if (v != kNoValue && value(v).producer != kNoNode) ++pending[i];
    }
  }
  // A node with subgraphs also waits for the producers of the outer-scope values they use.
  std::map<ValueId, std::vector<NodeId>> implicit_consumers;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    std::set<ValueId> used;
    for (const auto& sub : nodes[i].subgraphs) {
      for (const auto& inner : sub.graph.values) {
        if (inner.kind != ValueKind::kOuterScope) continue;
        const ValueId v = find_value(inner.name);
        if (v != kNoValue && value(v).producer != kNoNode && used.insert(v).second) {
          ++pending[i];
          implicit_consumers[v].push_back(static_cast<NodeId>(i));
        }
      }
    }
  }
  // Min-heap on node id keeps file order among ready nodes.
  std::priority_queue<NodeId, std::vector<NodeId>, std::greater<>> ready;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (pending[i] == 0) ready.push(static_cast<NodeId>(i));
  }
  std::vector<NodeId> order;
  order.reserve(nodes.size());
  while (!ready.empty()) {
    const NodeId n = ready.top();
    ready.pop();
    order.push_back(n);
    for (ValueId v : node(n).outputs) {
      if (v == kNoValue) continue;
      for (NodeId c : value(v).consumers) {
        if (--pending[static_cast<std::size_t>(c)] == 0) ready.push(c);
      }
      auto it = implicit_consumers.find(v);
      if (it == implicit_consumers.end()) continue;
      for (NodeId c : it->second) {
        if (--pending[static_cast<std::size_t>(c)] == 0) ready.push(c);
      }
    }
  }
  if (order.size() != nodes.size()) {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (pending[i] > 0) {
        return make_error(ErrorCode::kInvalidArgument, "graph has a cycle through ",
                          nodes[i].label());
      }
    }
  }
  return order;
}

Status Graph::validate() const {
  std::vector<int> producers(values.size(), 0);
  for (const auto& n : nodes) {
    for (ValueId v : n.outputs) {
      if (v == kNoValue) continue;
      if (++producers[static_cast<std::size_t>(v)] > 1) {
        return make_error(ErrorCode::kInvalidArgument, n.label(), ": output '", value(v).name,
                          "' is produced by more than one node");
      }
    }
  }
  for (const auto& n : nodes) {
    for (ValueId v : n.inputs) {
      if (v == kNoValue) continue;
      const auto& val = value(v);
      if (val.kind == ValueKind::kActivation && val.producer == kNoNode) {
        return make_error(ErrorCode::kInvalidArgument, n.label(), ": input '", val.name,
                          "' is not a graph input, an initializer or any node's output");
      }
    }
  }
  for (ValueId v : outputs) {
    const auto& val = value(v);
    if (val.kind == ValueKind::kActivation && val.producer == kNoNode) {
      return make_error(ErrorCode::kInvalidArgument, "graph output '", val.name,
                        "' is not produced by any node");
    }
  }
  auto order = topological_order();
  if (!order.ok()) return std::move(order).error();
  return ok_status();
}

Status Graph::check_value_sizes() const {
  for (ValueId v : inputs) {
    GRAPHS_RETURN_IF_ERROR(check_tensor_size(value(v).type, "graph input '" + value(v).name + "'"));
  }
  for (ValueId v : initializers) {
    GRAPHS_RETURN_IF_ERROR(check_tensor_size(value(v).type, "initializer '" + value(v).name + "'"));
  }
  GRAPHS_ASSIGN_OR_RETURN(const auto order, topological_order());
  for (NodeId id : order) {
    const Node& n = node(id);
    for (const auto& sub : n.subgraphs) {  // a body's values come before the node's outputs
      auto status = sub.graph.check_value_sizes();
      if (!status.ok()) {
        return std::move(status).error().with_context(n.label() + ", " + sub.attribute);
      }
    }
    for (ValueId v : n.outputs) {
      if (v == kNoValue) continue;
      GRAPHS_RETURN_IF_ERROR(
          check_tensor_size(value(v).type, n.label() + ": output '" + value(v).name + "'"));
    }
  }
  return ok_status();
}

std::vector<std::string> Graph::symbolic_dims() const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (ValueId v : inputs) {
    for (const auto& d : value(v).type.shape) {
      if (d.is_symbolic() && seen.insert(d.symbol_name()).second) out.push_back(d.symbol_name());
    }
  }
  return out;
}

}  // namespace graphs
