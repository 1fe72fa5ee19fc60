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
//   Expand, Tile, Pad, Resize, Slice, ConstantOfShape, Split, Squeeze, Unsqueeze, OneHot,
//   Unique, NonMaxSuppression and the Reduce* ops whose output shape depends on contents
//   unknown at analysis time get a symbol per undecidable dim ("nonzero_0", numbered across the
//   model), sized by `--dim NAME=N` (DimBindings::named; 0 allowed), else by the op's upper
//   bound (NonZero, Unique: the item count; Compress, TopK, Slice, Split: the axis size;
//   NonMaxSuppression: B·C·min(S, max_output_boxes_per_class)), else an assumed size (the
//   input's dim, 1 for Range and new dims); Graph::data_dependent_dims lists them
//   (analysis/data_dependent.cc has the table);
// - treats a tensor with no elements (an empty `axes` input) as known: empty contents;
// - marks Constant/ConstantOfShape outputs that count as weights (characterize.h,
//   mark_constant_weights).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

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
  /// also be a data-dependent symbol ("nonzero_0") that infer_shapes names (size 0 allowed).
  std::map<std::string, int64_t> named;
  /// Whole shapes of graph inputs by name (`--input-shape NAME=1x3x48x192`), for inputs whose
  /// dims have no name ('?', -1 in the file) or whose rank is not declared: every dim of that
  /// input, sizes ≥ 0 (an empty tensor is a valid input). A static dim must agree; a symbolic
  /// one is bound to the given size (and so is that symbol in every other input).
  std::map<std::string, std::vector<int64_t>> input_shapes;
  /// The branch an estimate takes through an If whose condition is unknown at analysis time:
  /// "then", "else", or "" for the costlier one. A known condition always decides.
  std::string branch;
};

/// Whether `name` has the form of a data-dependent dim's symbol ("nonzero_0", "loop_2": an op's
/// lowercase name with a data-dependent rule, an underscore, a number). Such a dim may be bound
/// to 0 (a NonZero that finds nothing); every other dim is positive.
bool names_data_dependent_dim(const std::string& name);

/// Replaces every symbolic dim of the graph inputs by a size. Errors (kInvalidArgument):
/// a non-positive size; a NAME in `named` that no input uses and that is not shaped like a
/// data-dependent symbol (with a did-you-mean); a symbolic dim that no rule binds ("unbound
/// symbolic dim 'height' of input 'x'; bind it with --dim height=N"); a `branch` other than
/// "", "then" or "else"; for `input_shapes`: a name that is no graph input (with a
/// did-you-mean), a rank other than the input's, a size that contradicts the input's static dim
/// or a symbol's size from --dim or another input, a negative size; an unnamed dim ('?') that
/// no `input_shapes` entry binds ("bind it with --input-shape x=1x3x224x224").
Status bind_dims(Graph& graph, const DimBindings& bindings);

/// Runs each node's shape rule in topological order and stores output types (and small known
/// contents), with control flow and data-dependent dims as above; fills
/// Graph::data_dependent_dims and Graph::notes. Errors: an op with no registration
/// (kUnsupported, naming node, op type, domain and opset), a shape rule's failure (kShapeError
/// with the node's label, "in <body> of <node>" for nodes of a body), a cycle, a data-dependent
/// name in `bindings.named` that the model does not have (kInvalidArgument).
Status infer_shapes(Graph& graph, const DimBindings& bindings = {});

}  // namespace graphs
