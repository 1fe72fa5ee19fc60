// Characterization: per node and in total, parameters, MACs, FLOPs, bytes and arithmetic
// intensity, from the op registry's cost rules on a graph whose shapes are inferred.
//
// Conventions (docs/conventions.md):
// - A parameter is an element of a floating-point initializer with more than one element
//   (scalars are constants, not parameters), or of an 8-/4-bit integer initializer of rank ≥ 2
//   (a quantized weight). A shared initializer counts once in the totals. A weight held by a
//   Constant node (or a ConstantOfShape of a constant shape) instead of an initializer counts the
//   same way when it feeds a conv, matmul or normalization node or Gather's data (an embedding
//   table), or when it has more than kMaxConstElements elements (mark_constant_weights).
// - Control flow: a node with subgraphs (If, Loop, Scan) costs its bodies' totals × their runs
//   (Subgraph::runs: trip count, sequence length, 1 for the If branch taken, 0 for the other);
//   each body is characterized on its own (Characterization::bodies) and its by-class totals are
//   merged × runs. Parameters in bodies (their initializers, or outer values they read) count
//   like any other.
//   BatchNormalization's input_mean and input_var are running statistics (PyTorch buffers): they
//   count as weight bytes but not as parameters.
// - MACs come from conv, gemm, matmul and attention products; FLOPs = 2 × MACs + the per-element
//   FLOPs each op's rule documents.
// - Bytes are at each tensor's dtype after the precision map (`--precision`): floating tensors take
//   the requested precision, integer tensors keep theirs.
// - A node whose outputs are all known at analysis time (shape arithmetic on constants) and a
//   metadata-only op (OpClass::kShape: Reshape, Squeeze, Shape, …) is "free": it launches no kernel
//   and costs nothing.
// - Arithmetic intensity = FLOPs / (bytes read + bytes written), FLOP per byte.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "graphs/common/status.h"
#include "graphs/ir/graph.h"
#include "graphs/ops/op_registry.h"

namespace graphs {

struct NodeStats {
  NodeId node = kNoNode;
  OpClass op_class = OpClass::kOther;
  bool pointwise = false;     // elementwise, data movement, or OpSchema::pointwise
  bool free = false;          // folded at analysis time or metadata-only
  OpCost cost;                // MACs, FLOPs, bytes (zero when free)
  int64_t params = 0;         // parameter elements among its inputs
  double weight_bytes = 0;    // bytes of parameter inputs at the costing precision
  double arithmetic_intensity() const;
};

struct ClassTotals {
  int64_t nodes = 0;
  double macs = 0;
  double flops = 0;
  double bytes = 0;  // read + written
};

struct BodyStats;

struct Characterization {
  std::vector<NodeStats> nodes;       // indexed by NodeId
  std::vector<NodeId> order;          // topological order
  PrecisionMap precision;

  int64_t params = 0;                 // parameter elements of every initializer (count_parameters)
  double weight_bytes = 0;            // bytes of every parameter (resident weights)
  int64_t active_params = 0;          // unique parameter elements some node reads per inference
  double active_weight_bytes = 0;     // their bytes (differs from weight_bytes for MoE graphs,
                                      // whose inactive experts' weights no node reads)
  double macs = 0;
  double flops = 0;
  double bytes_read = 0;              // Σ over nodes: every op as its own kernel
  double bytes_written = 0;
  double activation_bytes = 0;        // Σ bytes of graph inputs and non-free node outputs
  int64_t compute_nodes = 0;          // nodes that are not free
  std::map<OpClass, ClassTotals> by_class;
  /// The bodies that run (runs > 0), in node order; their totals × runs are already in the
  /// figures above and in their node's NodeStats.
  std::vector<BodyStats> bodies;

  double arithmetic_intensity() const;  // flops / (bytes_read + bytes_written)
};

/// A control-flow body's own characterization (per run; nested bodies inside it).
struct BodyStats {
  NodeId node = kNoNode;     // the If/Loop/Scan node in the enclosing graph
  std::string attribute;     // "then_branch", "body", …
  int64_t runs = 0;
  Characterization ch;
};

/// True when `v` counts as a parameter (see the conventions above).
bool is_parameter(const Value& v);

/// Sets Value::constant_weight on the Constant/ConstantOfShape outputs of `graph` that count as
/// weights (the rule above; needs inferred shapes). Called by infer_shapes.
void mark_constant_weights(Graph& graph);

/// True when input `input` of `node` is a running statistic (BatchNormalization's input_mean or
/// input_var): a PyTorch buffer, not a parameter.
bool is_running_statistic(const Node& node, std::size_t input);

/// Parameters against buffers among a graph's initializers (and constant weights, subgraphs
/// included), as PyTorch's
/// sum(p.numel() for p in model.parameters()) counts them: parameters per `is_parameter`, less
/// the running statistics, which count as buffers. An initializer used several times (tied
/// weights) counts once.
struct ParameterCount {
  int64_t parameters = 0;  // elements
  int64_t buffers = 0;     // elements of floating running statistics
};
/// Saturates at INT64_MAX when a sum does not fit int64 (count_parameters_checked says so).
ParameterCount count_parameters(const Graph& graph);
/// count_parameters, with an error (kInvalidArgument) naming the value at which a sum stops
/// fitting int64.
Result<ParameterCount> count_parameters_checked(const Graph& graph);

/// Requires inferred, static shapes (run infer_shapes first). Counts are exact: element and
/// parameter counts are int64 and checked, never wrapped.
/// Errors: kInvalidArgument when a tensor holds more than kMaxTensorBits bits
/// (Graph::check_value_sizes, naming the node) or an int64 sum (parameters, kernel launches of a
/// body × its runs) does not fit; kInternal if a node's op is unregistered, a shape is not static,
/// or a cost rule gives a negative, NaN or infinite figure (naming the node).
Result<Characterization> characterize(const Graph& graph, const PrecisionMap& precision);

}  // namespace graphs
