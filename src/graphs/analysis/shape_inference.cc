#include "graphs/analysis/shape_inference.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "graphs/analysis/characterize.h"
#include "graphs/analysis/shape_inference_internal.h"
#include "graphs/common/suggest.h"
#include "graphs/ops/op_registry.h"

namespace graphs {
namespace {

bool is_seq_name(const std::string& name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("seq") != std::string::npos || lower.find("sequence") != std::string::npos;
}

// A tensor with no elements has known contents: none. (An empty `axes` input is a list.)
void know_empty(Value& v) {
  if (v.data || !v.type.is_static()) return;
  const auto n = v.type.numel();
  if (!n || *n != 0) return;
  v.data = is_floating(v.type.dtype) ? ConstData::of_floats({}) : ConstData::of_ints({});
}

Error unknown_op_error(const Node& node, const OpRegistry& registry) {
  const std::string domain = node.domain.empty() ? "ai.onnx" : node.domain;
  std::string msg = node.label() + ": unknown op '" + node.op_type + "' (domain " + domain +
                    ", opset " + std::to_string(node.opset) + ")";
  const auto close = suggest(node.op_type, registry.names(), 3);
  if (!close.empty()) {
    msg += "; similar supported ops: ";
    for (std::size_t i = 0; i < close.size(); ++i) msg += (i ? ", " : "") + close[i];
  }
  return Error(ErrorCode::kUnsupported, msg);
}

}  // namespace

namespace detail {

std::string InferSession::new_symbol(const std::string& op_type) {
  std::string prefix;
  for (char c : op_type) prefix += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return prefix + "_" + std::to_string(next_index_[prefix]++);
}

std::optional<int64_t> InferSession::user_size(const std::string& symbol) const {
  auto it = bindings_.named.find(symbol);
  if (it == bindings_.named.end()) return std::nullopt;
  return it->second;
}

std::string InferSession::where() const {
  std::string s;
  for (const auto& scope : scopes_) s += scope + ": ";
  return s;
}

int64_t InferSession::resolve(DataDependentDim dim, std::optional<int64_t> upper_bound,
                              int64_t assumed) {
  dim.node = where() + dim.node;
  if (auto user = user_size(dim.symbol)) {
    dim.size = *user;
    dim.source = "bound by --dim";
  } else if (upper_bound) {
    dim.size = *upper_bound;
    dim.source = "upper bound";
  } else {
    dim.size = assumed;
    dim.source = "assumed (no bound)";
  }
  const int64_t size = dim.size;
  dims_.push_back(std::move(dim));
  return size;
}

void InferSession::record(DataDependentDim dim) {
  dim.node = where() + dim.node;
  dims_.push_back(std::move(dim));
}

void InferSession::rollback(const Mark& m) {
  dims_.resize(std::min(dims_.size(), m.dims));
  notes_.resize(std::min(notes_.size(), m.notes));
  next_index_ = m.next_index;
}

bool is_data_dependent_symbol(const std::string& name) {
  const auto us = name.rfind('_');
  if (us == std::string::npos || us == 0 || us + 1 >= name.size()) return false;
  for (std::size_t i = us + 1; i < name.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(name[i]))) return false;
  }
  const std::string prefix = name.substr(0, us);
  return prefix == "loop" || has_data_dependent_rule(prefix);
}

Status InferSession::infer_graph(Graph& graph, const Graph* outer) {
  if (outer != nullptr) {
    for (Value& v : graph.values) {
      if (v.kind != ValueKind::kOuterScope) continue;
      const ValueId src = outer->find_value(v.name);
      if (src == kNoValue) {
        return make_error(ErrorCode::kInvalidArgument, "outer-scope value '", v.name,
                          "' is not defined by the enclosing graph");
      }
      const Value& from = outer->value(src);
      v.type = from.type;
      v.data = from.data;
    }
  }
  for (ValueId id : graph.inputs) know_empty(graph.value(id));
  for (ValueId id : graph.initializers) know_empty(graph.value(id));

  GRAPHS_ASSIGN_OR_RETURN(const auto order, graph.topological_order());
  const auto& registry = OpRegistry::global();
  for (NodeId id : order) {
    const Node& node = graph.node(id);
    const OpSchema* schema = registry.find(node.domain, node.op_type);
    if (!schema) return unknown_op_error(node, registry);

    Result<std::vector<InferredOutput>> outputs = std::vector<InferredOutput>{};
    if (!node.subgraphs.empty()) {
      outputs = infer_control_flow(*this, graph, id);
    } else {
      InferContext ctx{node, node.opset, {}};
      for (ValueId v : node.inputs) {
        ctx.inputs.push_back(v == kNoValue ? nullptr : &graph.value(v));
      }
      outputs = schema->infer(ctx);
      // Only a failure for want of contents hands over: any other error in the inputs stands.
      if (!outputs.ok() && is_contents_error(outputs.error())) {
        if (auto fallback = infer_data_dependent(*this, graph, ctx)) outputs = std::move(*fallback);
      }
    }
    if (!outputs.ok()) return std::move(outputs).error();
    // Optional outputs a rule does not produce stay untyped only if unused.
    for (std::size_t i = 0; i < node.outputs.size(); ++i) {
      const ValueId out = node.outputs[i];
      if (out == kNoValue) continue;
      if (i >= outputs->size()) {
        Value& v = graph.value(out);
        if (!v.consumers.empty() || v.is_graph_output) {
          return make_error(ErrorCode::kUnsupported, node.label(), ": output ", i, " ('", v.name,
                            "') is used but this op's rule does not produce it");
        }
        continue;
      }
      auto& inferred = (*outputs)[i];
      Value& v = graph.value(out);
      v.type = std::move(inferred.type);
      if (inferred.data && static_cast<int64_t>(inferred.data->size()) <= kMaxConstElements) {
        v.data = std::move(inferred.data);
      }
      if (!v.type.is_static()) {
        return make_error(ErrorCode::kShapeError, node.label(), ": could not infer a static shape "
                          "for output '", v.name, "' (got ", v.type.to_string(), ")");
      }
      // Refused here, at the node that makes it, so no later rule multiplies a wrapped count.
      GRAPHS_RETURN_IF_ERROR(
          check_tensor_size(v.type, node.label() + ": output '" + v.name + "'"));
      know_empty(v);
    }
  }
  mark_constant_weights(graph);
  return ok_status();
}

}  // namespace detail

namespace {

// "x=Nx3xNxN": the --input-shape an input needs, its unnamed dims as N.
std::string input_shape_hint(const Value& v) {
  std::string dims;
  for (const Dim& d : v.type.shape) {
    dims += (dims.empty() ? "" : "x") + (d.is_static() ? std::to_string(d.size()) : "N");
  }
  return "--input-shape " + v.name + "=" + (dims.empty() ? "D0xD1x..." : dims);
}

std::string dims_text(const std::vector<int64_t>& dims) {
  std::string s;
  for (int64_t d : dims) s += (s.empty() ? "" : "x") + std::to_string(d);
  return s;
}

// Sizes given to symbols so far and who gave them ("--dim N=3", "--input-shape x").
struct SymbolSizes {
  std::map<std::string, int64_t> size;
  std::map<std::string, std::string> by;
};

// Applies one --input-shape entry to its graph input: checks rank and static dims, records the
// sizes it gives symbolic dims, then fixes every dim of the input.
Status apply_input_shape(Graph& graph, const std::string& name, const std::vector<int64_t>& dims,
                         SymbolSizes& symbols) {
  std::vector<std::string> names;
  ValueId found = kNoValue;
  for (ValueId id : graph.inputs) {
    names.push_back(graph.value(id).name);
    if (graph.value(id).name == name) found = id;
  }
  if (found == kNoValue) {
    return Error(ErrorCode::kInvalidArgument,
                 "--input-shape: " + unknown_name_message("input", name, names));
  }
  Value& v = graph.value(found);
  const std::string flag = "--input-shape " + name + "=" + dims_text(dims);
  for (int64_t d : dims) {
    GRAPHS_CHECK_OR_RETURN(d >= 0, ErrorCode::kInvalidArgument, flag, ": sizes must be 0 or more");
  }
  if (v.type.rank_known && v.type.shape.size() != dims.size()) {
    return make_error(ErrorCode::kInvalidArgument, flag, ": input '", name, "' has rank ",
                      v.type.shape.size(), " (", v.type.to_string(), "), ", dims.size(),
                      " dims given");
  }
  for (std::size_t i = 0; v.type.rank_known && i < dims.size(); ++i) {
    const Dim& d = v.type.shape[i];
    if (d.is_static() && d.size() != dims[i]) {
      return make_error(ErrorCode::kInvalidArgument, flag, ": dim ", i, " of input '", name,
                        "' is ", d.size(), " in the model (", v.type.to_string(), ")");
    }
    if (!d.is_symbolic()) continue;
    auto it = symbols.size.find(d.symbol_name());
    if (it != symbols.size.end() && it->second != dims[i]) {
      return make_error(ErrorCode::kInvalidArgument, flag, ": dim ", i, " ('", d.symbol_name(),
                        "') is ", dims[i], " here but ", it->second, " by ",
                        symbols.by[d.symbol_name()]);
    }
    symbols.size[d.symbol_name()] = dims[i];
    symbols.by[d.symbol_name()] = "--input-shape " + name;
  }
  v.type.shape.clear();
  for (int64_t d : dims) v.type.shape.push_back(Dim::fixed(d));
  v.type.rank_known = true;
  return ok_status();
}

// Checks --dim sizes and names; a name must be an input's symbolic dim or a data-dependent one.
Status check_named(const Graph& graph, const DimBindings& b) {
  const auto symbols = graph.symbolic_dims();
  for (const auto& [name, size] : b.named) {
    const bool data_dependent = detail::is_data_dependent_symbol(name);
    GRAPHS_CHECK_OR_RETURN(size > 0 || (data_dependent && size == 0),
                           ErrorCode::kInvalidArgument, "dim ", name,
                           " must be a positive integer, got ", size);
    // A data-dependent symbol is only named during inference; infer_shapes checks those.
    if (std::find(symbols.begin(), symbols.end(), name) == symbols.end() &&
        !detail::is_data_dependent_symbol(name)) {
      return Error(ErrorCode::kInvalidArgument,
                   unknown_name_message("symbolic dim", name, symbols) +
                       " (the model's inputs have no dim of that name)");
    }
  }
  return ok_status();
}

// The batch and sequence-length rules for symbols nothing named.
void apply_default_rules(const Graph& graph, const DimBindings& b,
                         std::map<std::string, int64_t>& resolved) {
  for (ValueId id : graph.inputs) {
    const Value& v = graph.value(id);
    for (std::size_t i = 0; i < v.type.shape.size(); ++i) {
      const Dim& d = v.type.shape[i];
      if (!d.is_symbolic() || resolved.count(d.symbol_name())) continue;
      if (i == 0) {
        resolved[d.symbol_name()] = b.batch;
      } else if (is_seq_name(d.symbol_name()) ||
                 (i == 1 && (is_integer(v.type.dtype) || v.type.dtype == DType::kBool))) {
        resolved[d.symbol_name()] = b.seq_len;
      }
    }
  }
}

}  // namespace

bool names_data_dependent_dim(const std::string& name) {
  return detail::is_data_dependent_symbol(name);
}

Status bind_dims(Graph& graph, const DimBindings& b) {
  GRAPHS_CHECK_OR_RETURN(b.batch > 0, ErrorCode::kInvalidArgument,
                         "batch must be a positive integer, got ", b.batch);
  GRAPHS_CHECK_OR_RETURN(b.seq_len > 0, ErrorCode::kInvalidArgument,
                         "sequence length must be a positive integer, got ", b.seq_len);
  GRAPHS_CHECK_OR_RETURN(b.branch.empty() || b.branch == "then" || b.branch == "else",
                         ErrorCode::kInvalidArgument, "branch must be 'then' or 'else', got '",
                         b.branch, "'");
  GRAPHS_RETURN_IF_ERROR(check_named(graph, b));
  // Resolve each symbol once so that a symbol shared by several inputs gets one size.
  SymbolSizes symbols;
  for (const auto& [name, size] : b.named) {
    symbols.size[name] = size;
    symbols.by[name] = "--dim " + name + "=" + std::to_string(size);
  }
  for (const auto& [name, dims] : b.input_shapes) {
    GRAPHS_RETURN_IF_ERROR(apply_input_shape(graph, name, dims, symbols));
  }
  std::map<std::string, int64_t> resolved = symbols.size;
  apply_default_rules(graph, b, resolved);
  for (ValueId id : graph.inputs) {
    Value& v = graph.value(id);
    if (!v.type.rank_known) {
      return make_error(ErrorCode::kInvalidArgument, "input '", v.name,
                        "' has unknown rank; the model must declare its input shapes, or give "
                        "it with ", input_shape_hint(v));
    }
    for (std::size_t i = 0; i < v.type.shape.size(); ++i) {
      Dim& d = v.type.shape[i];
      if (d.is_static()) continue;
      if (d.is_symbolic()) {
        auto it = resolved.find(d.symbol_name());
        if (it == resolved.end()) {
          // The importer names a dim the file leaves unnamed '<input>_dim<i>'.
          const bool unnamed = d.symbol_name() == v.name + "_dim" + std::to_string(i);
          return make_error(ErrorCode::kInvalidArgument, "unbound symbolic dim '", d.symbol_name(),
                            "' of input '", v.name, "'; bind it with --dim ", d.symbol_name(),
                            "=N", unnamed ? " or give the input's shape with " +
                                                input_shape_hint(v)
                                          : std::string());
        }
        d = Dim::fixed(it->second);
      } else {
        return make_error(ErrorCode::kInvalidArgument, "input '", v.name, "' (",
                          v.type.to_string(), ") has a dim with neither size nor name; give "
                          "its shape with ", input_shape_hint(v));
      }
    }
  }
  return ok_status();
}

Status infer_shapes(Graph& graph, const DimBindings& bindings) {
  detail::InferSession session(bindings);
  GRAPHS_RETURN_IF_ERROR(session.infer_graph(graph, nullptr));
  graph.data_dependent_dims = session.dims();
  graph.notes = session.notes();
  // A --dim for a data-dependent symbol the model does not have is a typo, not a no-op.
  std::vector<std::string> named;
  for (const auto& d : graph.data_dependent_dims) named.push_back(d.symbol);
  for (const auto& entry : bindings.named) {
    const std::string& name = entry.first;
    if (!detail::is_data_dependent_symbol(name)) continue;
    if (std::find(named.begin(), named.end(), name) != named.end()) continue;
    return Error(ErrorCode::kInvalidArgument,
                 unknown_name_message("data-dependent dim", name, named) +
                     " (--dim names a dim the analysis could not decide)");
  }
  return ok_status();
}

}  // namespace graphs
