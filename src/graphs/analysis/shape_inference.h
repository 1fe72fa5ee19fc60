// Binding symbolic dims and inferring every tensor's shape.
//
// Flow: importer → bind_dims (symbolic input dims get sizes) → infer_shapes (each node's shape
// rule from the op registry, in topological order; small known tensors are propagated so
// Shape/Gather/Concat/Reshape chains resolve) → every Value has a static TensorType.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "graphs/common/status.h"
#include "graphs/ir/graph.h"

namespace graphs {

/// Requested sizes for symbolic dims.
struct DimBindings {
  /// Size for the leading dim of every graph input whose leading dim is symbolic. Default 1.
  int64_t batch = 1;
  /// Size for the second dim of rank-2+ integer graph inputs (token ids, masks) when symbolic,
  /// and for any symbolic dim whose name contains "seq" or "sequence". Default 128.
  int64_t seq_len = 128;
  /// Explicit NAME=VALUE bindings; they take precedence over the two rules above.
  std::map<std::string, int64_t> named;
};

/// Replaces every symbolic dim of the graph inputs by a size. Errors (kInvalidArgument):
/// a non-positive size; a NAME in `named` that no input uses (with a did-you-mean); a symbolic
/// dim that no rule binds ("unbound symbolic dim 'height' of input 'x'; bind it with
/// --dim height=N").
Status bind_dims(Graph& graph, const DimBindings& bindings);

/// Runs each node's shape rule in topological order and stores output types (and small known
/// contents). Errors: an op with no registration (kUnsupported, naming node, op type, domain and
/// opset), a shape rule's failure (kShapeError with the node's label), a cycle.
Status infer_shapes(Graph& graph);

}  // namespace graphs
