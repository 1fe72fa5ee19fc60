#include "graphs/analysis/shape_inference.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "graphs/common/suggest.h"
#include "graphs/ops/op_registry.h"

namespace graphs {
namespace {

bool is_seq_name(const std::string& name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("seq") != std::string::npos || lower.find("sequence") != std::string::npos;
}

}  // namespace

Status bind_dims(Graph& graph, const DimBindings& b) {
  GRAPHS_CHECK_OR_RETURN(b.batch > 0, ErrorCode::kInvalidArgument,
                         "batch must be a positive integer, got ", b.batch);
  GRAPHS_CHECK_OR_RETURN(b.seq_len > 0, ErrorCode::kInvalidArgument,
                         "sequence length must be a positive integer, got ", b.seq_len);
  const auto symbols = graph.symbolic_dims();
  for (const auto& [name, size] : b.named) {
    GRAPHS_CHECK_OR_RETURN(size > 0, ErrorCode::kInvalidArgument, "dim ", name,
                           " must be a positive integer, got ", size);
    if (std::find(symbols.begin(), symbols.end(), name) == symbols.end()) {
      return Error(ErrorCode::kInvalidArgument,
                   unknown_name_message("symbolic dim", name, symbols) +
                       " (the model's inputs have no dim of that name)");
    }
  }
  // Resolve each symbol once so that a symbol shared by several inputs gets one size.
  std::map<std::string, int64_t> resolved(b.named.begin(), b.named.end());
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
  for (ValueId id : graph.inputs) {
    Value& v = graph.value(id);
    if (!v.type.rank_known) {
      return make_error(ErrorCode::kInvalidArgument, "input '", v.name,
                        "' has unknown rank; the model must declare its input shapes");
    }
    for (auto& d : v.type.shape) {
      if (d.is_static()) continue;
      if (d.is_symbolic()) {
        auto it = resolved.find(d.symbol_name());
        if (it == resolved.end()) {
          return make_error(ErrorCode::kInvalidArgument, "unbound symbolic dim '", d.symbol_name(),
                            "' of input '", v.name, "'; bind it with --dim ", d.symbol_name(),
                            "=N");
        }
        d = Dim::fixed(it->second);
      } else {
        return make_error(ErrorCode::kInvalidArgument, "input '", v.name,
                          "' has a dim with neither size nor name; the model must name it or "
                          "give it a size");
      }
    }
  }
  return ok_status();
}

Status infer_shapes(Graph& graph) {
  GRAPHS_ASSIGN_OR_RETURN(const auto order, graph.topological_order());
  const auto& registry = OpRegistry::global();
  for (NodeId id : order) {
    const Node& node = graph.node(id);
    const OpSchema* schema = registry.find(node.domain, node.op_type);
    if (!schema) {
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
    InferContext ctx{node, node.opset, {}};
    for (ValueId v : node.inputs) {
      ctx.inputs.push_back(v == kNoValue ? nullptr : &graph.value(v));
    }
    auto outputs = schema->infer(ctx);
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
    }
  }
  return ok_status();
}

}  // namespace graphs
