// Binding symbolic dims and inferring every tensor's shape.
//
// Flow: importer → bind_dims (symbolic input dims get sizes) → infer_shapes (each node's shape
// rule from the op registry, in topological order; small known tensors are propagated so
// Shape/Gather/Concat/Reshape chains resolve) → every Value has a static TensorType.
//
// Beyond the op rules, infer_shapes:
// - infers control flow (If, Loop, Scan): each body with its formal inputs typed from the node
//   and its outer-scope values from the enclosing graph, nested to any depth; sets each
//   Subgraph's `runs`: Loop's trip count (input M when known at analysis time, e.g. from a bound
//   dim; else a data-dependent dim "loop_N"), Scan's sequence length, and for If 1 for the
//   branch taken: the one a known condition selects, else DimBindings::branch, else the branch
//   with more FLOPs (characterize.h), with a note. Both branches are inferred; a failure in a
//   branch a known condition rules out is a note, not an error. Loop-carried values whose shape
//   grows per iteration are extrapolated linearly to the last iteration (a note says so);
// - names data-dependent dims instead of refusing: NonZero, Compress, TopK, Range, Reshape,
//   Expand, Tile, Pad, Resize, Slice and ConstantOfShape whose output shape depends on contents
//   unknown at analysis time get a symbol per undecidable dim ("nonzero_0", numbered across the
//   model), sized by `--dim NAME=N` (DimBindings::named), else by the op's upper bound (NonZero:
//   the input's element count; Compress, TopK, Slice: the axis size), else an assumed size (the
//   input's dim, 1 for Range and new dims); Graph::data_dependent_dims lists them;
// - treats a tensor with no elements (an empty `axes` input) as known: empty contents;
// - marks Constant/ConstantOfShape outputs that count as weights (characterize.h,
//   mark_constant_weights).
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
  /// Explicit NAME=VALUE bindings; they take precedence over the two rules above. A name may
  /// also be a data-dependent symbol ("nonzero_0") that infer_shapes names.
  std::map<std::string, int64_t> named;
  /// The branch an estimate takes through an If whose condition is unknown at analysis time:
  /// "then", "else", or "" for the costlier one. A known condition always decides.
  std::string branch;
};

/// Replaces every symbolic dim of the graph inputs by a size. Errors (kInvalidArgument):
/// a non-positive size; a NAME in `named` that no input uses and that is not shaped like a
/// data-dependent symbol (with a did-you-mean); a symbolic dim that no rule binds ("unbound
/// symbolic dim 'height' of input 'x'; bind it with --dim height=N"); a `branch` other than
/// "", "then" or "else".
Status bind_dims(Graph& graph, const DimBindings& bindings);

/// Runs each node's shape rule in topological order and stores output types (and small known
/// contents), with control flow and data-dependent dims as above; fills
/// Graph::data_dependent_dims and Graph::notes. Errors: an op with no registration
/// (kUnsupported, naming node, op type, domain and opset), a shape rule's failure (kShapeError
/// with the node's label, "in <body> of <node>" for nodes of a body), a cycle, a data-dependent
/// name in `bindings.named` that the model does not have (kInvalidArgument).
Status infer_shapes(Graph& graph, const DimBindings& bindings = {});

}  // namespace graphs
