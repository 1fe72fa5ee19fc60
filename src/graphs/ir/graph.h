// The graph IR: a dataflow graph of ONNX-style operators over typed tensors.
//
// Ownership: a Graph owns its Values and Nodes in two vectors; nodes and values refer to each other
// by index (ValueId, NodeId), never by pointer, so a Graph can be copied and moved freely.
// Thread safety: none; a Graph is built once, then read (analysis passes take `const Graph&`,
// except shape inference and dim binding, which fill in Value types).
//
// Shapes: each Dim is either static (a non-negative size) or symbolic (a name such as "batch").
// A TensorType with `rank_known == false` has unknown rank (shape inference fills it in).
// Small tensors whose contents are known before running (initializers and Constant outputs of
// up to kMaxConstElements elements, results of shape arithmetic) carry their contents in
// `Value::data`, which is what lets Reshape/Slice/Expand shapes be inferred.
//
// Control flow: a Node may carry subgraphs (If's then_branch/else_branch, Loop's and Scan's
// body), each a Graph of its own, owned by value. A subgraph's formal inputs are kGraphInput
// values listed in its `inputs`; a name it uses that an enclosing graph defines is a kOuterScope
// value of the same name (the importer adds one at every level between the use and the
// definition, so each graph only looks one level up). The enclosing graph orders a node after
// the producers of its subgraphs' outer-scope values (`topological_order`). Shape inference
// (analysis/shape_inference.h) fills in subgraph types and each Subgraph's `runs`.
#pragma once

#include <cstdint>
#include <map>
#include <string_view>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "graphs/common/status.h"
#include "graphs/ir/dtype.h"

namespace graphs {

using ValueId = int32_t;
using NodeId = int32_t;
inline constexpr ValueId kNoValue = -1;
inline constexpr NodeId kNoNode = -1;

/// Tensors of at most this many elements have their contents kept in `Value::data` when known.
inline constexpr int64_t kMaxConstElements = 4096;

/// One dimension: a static size or a named symbol.
class Dim {
 public:
  Dim() = default;
  static Dim fixed(int64_t size) { Dim d; d.size_ = size; return d; }
  static Dim symbol(std::string name) { Dim d; d.symbol_ = std::move(name); return d; }

  bool is_static() const { return symbol_.empty() && size_ >= 0; }
  bool is_symbolic() const { return !symbol_.empty(); }
  /// Size of a static dim; -1 for a symbolic or unknown one.
  int64_t size() const { return is_static() ? size_ : -1; }
  const std::string& symbol_name() const { return symbol_; }
  /// "224", or the symbol's name, or "?" for an unknown dim.
  std::string to_string() const;

  bool operator==(const Dim& other) const = default;

 private:
  int64_t size_ = -1;   // -1: unknown (neither static nor named)
  std::string symbol_;  // non-empty: symbolic
};

/// Element type and shape of a tensor.
struct TensorType {
  DType dtype = DType::kUndefined;
  std::vector<Dim> shape;
  bool rank_known = true;

  static TensorType make(DType dtype, const std::vector<int64_t>& dims);

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  bool is_static() const;
  /// Product of the dims (1 for a scalar); nullopt unless every dim is static. Saturates at
  /// INT64_MAX when the product does not fit: `check_tensor_size` refuses such a tensor, and the
  /// pipeline runs `check_value_sizes` after import, binding and inference, so no figure is
  /// ever computed from a saturated count.
  std::optional<int64_t> numel() const;
  /// numel × element bits / 8, rounded up (sub-byte types packed, dtype.h); nullopt unless
  /// static. Saturates like numel.
  std::optional<int64_t> bytes() const;
  /// Static dims as integers; requires is_static().
  std::vector<int64_t> dims() const;
  /// "float32[1,3,224,224]".
  std::string to_string() const;

  bool operator==(const TensorType& other) const = default;
};

/// The most bits one tensor may hold: numel × element bits must fit int64 (2^63 − 1 bits, just
/// under 1 EiB), so that element, bit and byte counts of every tensor are exact int64 figures.
inline constexpr int64_t kMaxTensorBits = INT64_MAX;

/// Error (kInvalidArgument) when a static `type` holds more than kMaxTensorBits bits (for
/// strings and undefined types: more than INT64_MAX elements): "<what> float32[1000000000,
/// 1000000000,1000000000] holds 1e+27 elements (4e+27 bytes); graphs counts tensors of at most
/// 2^63 bits (1 EiB)". `what` names the tensor ("graph input 'x'"). OK for non-static types.
Status check_tensor_size(const TensorType& type, std::string_view what);

/// Known contents of a small tensor, row-major. Integer and bool tensors use `ints`, floating
/// tensors use `floats`; exactly one of the two has `numel` entries.
struct ConstData {
  std::vector<int64_t> ints;
  std::vector<double> floats;
  bool is_float = false;

  static ConstData of_ints(std::vector<int64_t> v) { ConstData c; c.ints = std::move(v); return c; }
  static ConstData of_floats(std::vector<double> v) {
    ConstData c; c.floats = std::move(v); c.is_float = true; return c;
  }
  std::size_t size() const { return is_float ? floats.size() : ints.size(); }
  /// Element i as double / as int64 (floats are truncated toward zero).
  double as_double(std::size_t i) const { return is_float ? floats[i] : static_cast<double>(ints[i]); }
  int64_t as_int(std::size_t i) const { return is_float ? static_cast<int64_t>(floats[i]) : ints[i]; }

  bool operator==(const ConstData& other) const = default;
};

/// A constant tensor held in an attribute (ONNX AttributeProto.t), with its type and contents
/// when small (`data` empty for large tensors, whose bytes are never loaded).
struct TensorAttr {
  TensorType type;
  std::optional<ConstData> data;
  bool operator==(const TensorAttr& other) const = default;
};

/// An attribute value: int, float, string, their lists, or a tensor. Subgraph attributes (GRAPH)
/// are held apart, in Node::subgraphs.
using Attribute = std::variant<int64_t, double, std::string, std::vector<int64_t>,
                               std::vector<double>, std::vector<std::string>, TensorAttr>;

/// Named attributes of a node with typed getters that fall back to a default.
class Attributes {
 public:
  void set(std::string name, Attribute value) { attrs_[std::move(name)] = std::move(value); }
  bool has(const std::string& name) const { return attrs_.count(name) > 0; }
  const Attribute* find(const std::string& name) const;

  int64_t get_int(const std::string& name, int64_t fallback) const;
  double get_float(const std::string& name, double fallback) const;
  std::string get_string(const std::string& name, const std::string& fallback) const;
  /// Ints list; an int attribute reads as a one-element list.
  std::vector<int64_t> get_ints(const std::string& name,
                                const std::vector<int64_t>& fallback = {}) const;
  std::vector<double> get_floats(const std::string& name,
                                 const std::vector<double>& fallback = {}) const;
  const TensorAttr* get_tensor(const std::string& name) const;

  const std::map<std::string, Attribute>& all() const { return attrs_; }

 private:
  std::map<std::string, Attribute> attrs_;
};

enum class ValueKind {
  kActivation,   // produced by a node
  kGraphInput,   // fed by the caller at run time (in a subgraph: a formal input of the body)
  kInitializer,  // a stored constant: weights, biases, shape constants
  kOuterScope,   // subgraphs only: a value of an enclosing graph, referred to by its name
};

struct Value {
  std::string name;
  TensorType type;
  ValueKind kind = ValueKind::kActivation;
  NodeId producer = kNoNode;
  std::vector<NodeId> consumers;  // one entry per use (a node using it twice appears twice)
  bool is_graph_output = false;
  /// Contents when known and small (see kMaxConstElements).
  std::optional<ConstData> data;
  /// Initializers: where the bytes live ("" = inside the model file; else the external file).
  std::string external_location;
  /// A weight held by a Constant (or a ConstantOfShape of a constant shape) rather than an
  /// initializer; set by shape inference (rule in analysis/characterize.h, is_parameter).
  bool constant_weight = false;
};

struct Subgraph;

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;               // "" for the default ONNX domain ("ai.onnx")
  int opset = 0;                    // version of `domain` imported by the model
  std::vector<ValueId> inputs;      // kNoValue for an omitted optional input
  std::vector<ValueId> outputs;     // kNoValue for an omitted optional output
  Attributes attrs;
  /// Control-flow bodies (If: then_branch and else_branch; Loop, Scan: body), in file order.
  std::vector<Subgraph> subgraphs;

  /// "Conv node 'layer1.0.conv1'" — the prefix used for error context.
  std::string label() const;
  /// The subgraph held by attribute `attribute`, or nullptr.
  const Subgraph* subgraph(const std::string& attribute) const;
};

/// A dim whose size depends on tensor contents that are unknown at analysis time (NonZero's
/// count, a Reshape to a computed shape, a Loop's trip count). Shape inference names it
/// ("nonzero_0"), takes its size from a `--dim NAME=N` binding, else from the op's upper bound,
/// else assumes a default, and records it here so reports can say which dims were guessed.
struct DataDependentDim {
  std::string symbol;  // "nonzero_0"
  std::string node;    // label of the node whose output (or trip count) it is
  std::string value;   // the output value's name; "" for a trip count
  int64_t axis = -1;   // axis of `value`; -1 for a trip count
  int64_t size = 0;    // the size the analysis used
  std::string source;  // "bound by --dim", "upper bound", "assumed (no bound)"
};

class Graph {
 public:
  std::string name;
  std::string producer;                 // e.g. "pytorch 2.14.1"
  std::map<std::string, int> opsets;    // domain ("" = ai.onnx) -> version
  std::vector<Value> values;
  std::vector<Node> nodes;
  std::vector<ValueId> inputs;          // graph inputs in order (excluding initializers)
  std::vector<ValueId> outputs;         // graph outputs in order
  std::vector<ValueId> initializers;

  /// Adds a value; its name must be unique (empty names are given a fresh one).
  ValueId add_value(Value value);
  /// Adds a node and wires producer/consumer links of its inputs and outputs.
  NodeId add_node(Node node);
  ValueId find_value(const std::string& name) const;  // kNoValue when absent

  Value& value(ValueId id) { return values[static_cast<std::size_t>(id)]; }
  const Value& value(ValueId id) const { return values[static_cast<std::size_t>(id)]; }
  Node& node(NodeId id) { return nodes[static_cast<std::size_t>(id)]; }
  const Node& node(NodeId id) const { return nodes[static_cast<std::size_t>(id)]; }

  /// Nodes in an order where every producer precedes its consumers (Kahn's algorithm, stable:
  /// ties keep file order). Error naming a node on the cycle if the graph has one.
  Result<std::vector<NodeId>> topological_order() const;

  /// Structural checks: every node input is a graph input, an initializer or some node's output;
  /// each value has at most one producer; no cycles; graph outputs exist. Errors name the node.
  Status validate() const;

  /// `check_tensor_size` of every value with a static type: graph inputs, initializers, then
  /// node by node in topological order the values of its subgraphs (at any depth) and its
  /// outputs, so the first error names the node where a count first overflows ("Relu node 'r':
  /// output 'y' float32[...] holds ..."), or the input or initializer. A cycle is an error.
  Status check_value_sizes() const;

  /// Names of symbolic dims appearing in graph inputs, in first-seen order.
  std::vector<std::string> symbolic_dims() const;

  /// Filled by shape inference (main graph only): data-dependent dims, in the order they were
  /// named, and one line per decision a reader should know of (the If branch an estimate takes).
  std::vector<DataDependentDim> data_dependent_dims;
  std::vector<std::string> notes;

 private:
  std::map<std::string, ValueId> by_name_;
  int64_t fresh_ = 0;
};

/// A control-flow body of a node, by value.
struct Subgraph {
  std::string attribute;  // "then_branch", "else_branch", "body"
  Graph graph;
  /// Executions of the body per execution of its node, as shape inference resolved them: a
  /// Loop's trip count, a Scan's sequence length, 1 for the If branch an estimate takes and 0
  /// for the other. -1 until resolved.
  int64_t runs = -1;
};

}  // namespace graphs
