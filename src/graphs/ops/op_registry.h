// The op registry: one registration per operator, holding its shape rule and its cost rule.
//
// A family of ops lives in one file (ops/elementwise.cc, ops/conv.cc, ...) and registers each op
// with GRAPHS_REGISTER_OP at static-initialisation time; the core links all ops/*.cc as an OBJECT
// library so every registration is present. Nothing else keeps a list of ops.
//
// Shape rule: given the node, its opset and its input Values (types and, for small tensors, known
// contents), return each output's TensorType and, when it can be computed at analysis time, the
// output's contents (ConstData) — this is how Shape→Gather→Concat→Reshape chains resolve.
// Shape rules run on fully static input shapes (dims are bound before inference).
//
// Cost rule: given static input and output types, return MACs, FLOPs and bytes. Counting
// conventions (docs/conventions.md): MACs for conv, gemm, matmul and attention products;
// FLOPs = 2 × MACs + the documented per-element FLOPs of every other op; bytes at each tensor's
// dtype as seen through the precision mapping of CostContext::bytes.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "graphs/common/status.h"
#include "graphs/ir/graph.h"

namespace graphs {

/// Coarse class of an op: what the partitioner and the estimators key on.
enum class OpClass {
  kConv,          // Conv, ConvTranspose (MACs)
  kMatMul,        // Gemm, MatMul, attention products, Einsum (MACs)
  kNormalization, // BatchNorm, LayerNorm, GroupNorm, InstanceNorm, RMSNorm
  kReduction,     // ReduceMean/Sum/Max…, ArgMax, GlobalAveragePool, Softmax-like reductions
  kSoftmax,       // Softmax, LogSoftmax
  kPooling,       // MaxPool, AveragePool, LpPool
  kElementwise,   // unary/binary/ternary pointwise math, activations, Cast, Where, Clip
  kDataMovement,  // copies data: Transpose, Concat, Slice, Gather, Pad, Resize, Split, Expand, Tile
  kShape,         // metadata only, no kernel: Shape, Reshape, Flatten, Squeeze, Unsqueeze, Identity,
                  // Constant, Dropout (inference), Size, Range on constants
  kOther,
};

std::string_view to_string(OpClass c);

/// What a shape rule sees.
struct InferContext {
  const Node& node;
  int opset;                             // version of the node's domain
  std::vector<const Value*> inputs;      // nullptr for an omitted optional input

  std::size_t num_inputs() const { return inputs.size(); }
  /// Input i or nullptr when omitted or beyond the list.
  const Value* input(std::size_t i) const { return i < inputs.size() ? inputs[i] : nullptr; }
  /// Input i's type; input i must be present (checked by `require_inputs`).
  const TensorType& type(std::size_t i) const { return inputs[i]->type; }
  /// Known contents of input i, or nullptr.
  const ConstData* data(std::size_t i) const;
  /// Error unless inputs [0, n) are present and have known rank.
  Status require_inputs(std::size_t n) const;
  /// A kShapeError prefixed with the node's label.
  Error error(const std::string& message) const;
};

/// One output as produced by a shape rule.
struct InferredOutput {
  TensorType type;
  std::optional<ConstData> data;  // set when contents are known and numel ≤ kMaxConstElements
};

using ShapeFn = std::function<Result<std::vector<InferredOutput>>(const InferContext&)>;

/// Maps a tensor's stored dtype to the dtype used for costing (the `--precision` option: floating
/// tensors become the requested precision; integer tensors keep theirs).
/// `--weight-precision` maps floating initializers (weights) apart from activations, e.g. bf16
/// activations with int4 weight-only quantization.
struct PrecisionMap {
  std::optional<DType> floating;  // nullopt: keep each tensor's own dtype
  std::optional<DType> weights;   // floating initializers; nullopt: as `floating`
  DType map(DType d) const { return (floating && is_floating(d)) ? *floating : d; }
  /// The costing dtype of a value: weights take `weights` when set, everything else `map`.
  DType map(const Value& v) const {
    if (weights && v.kind == ValueKind::kInitializer && is_floating(v.type.dtype)) return *weights;
    return map(v.type.dtype);
  }
};

/// What a cost rule sees. All types are static.
struct CostContext {
  const Node& node;
  int opset;
  std::vector<const Value*> inputs;   // nullptr for omitted optional inputs
  std::vector<const Value*> outputs;  // nullptr for omitted optional outputs
  PrecisionMap precision;

  const Value* input(std::size_t i) const { return i < inputs.size() ? inputs[i] : nullptr; }
  const Value* output(std::size_t i) const { return i < outputs.size() ? outputs[i] : nullptr; }
  /// Bytes of a value at its costing dtype (0 for nullptr).
  double bytes(const Value* v) const;
  /// Elements of a value (0 for nullptr).
  double numel(const Value* v) const;
  double input_bytes() const;   // sum over present inputs
  double output_bytes() const;  // sum over present outputs
};

/// The cost of one node. Bytes are what the op touches in memory if run as its own kernel:
/// bytes_read counts each input once (weights included), bytes_written each output once.
struct OpCost {
  double macs = 0;
  double flops = 0;
  double bytes_read = 0;
  double bytes_written = 0;
};

using CostFn = std::function<OpCost(const CostContext&)>;

/// One operator's registration.
struct OpSchema {
  std::string op_type;
  std::string domain;        // "" = ai.onnx
  OpClass op_class = OpClass::kOther;
  ShapeFn infer;
  CostFn cost;
  /// Per-element FLOPs convention, for docs and `graphs ops` (e.g. "1 per output element").
  std::string flops_note;
  /// True for ops of another class that are pointwise at inference (BatchNormalization is a
  /// per-channel affine map): the fusion partitioner treats them like elementwise ops.
  /// Elementwise and data-movement ops are pointwise whatever this says.
  bool pointwise = false;
  /// The versions of `domain`'s opset whose semantics these rules follow: from `since_version`
  /// (the op's first ONNX version the rules read) to `last_version`. 0 = not stated here; see
  /// `OpRegistry::opset_range` for how an unstated bound is derived.
  int since_version = 0;
  int last_version = 0;
};

/// Newest ai.onnx opset whose semantics the op rules know: 25 (ONNX 1.20). RMSNormalization,
/// Attention and RotaryEmbedding are opset 23; opsets 24 and 25 add element types (float8e8m0,
/// int2, uint2) to existing ops, Swish-24 and TensorScatter-24, and Attention-24's optional
/// `nonpad_kv_seqlen` input and shorter `attn_mask` (onnx/docs/Changelog.md); the rules follow.
inline constexpr int kNewestOnnxOpset = 25;

/// An inclusive range of opset versions; `since == 0` when unknown.
struct OpsetRange {
  int since = 0;
  int last = 0;
  bool known() const { return since > 0 && last >= since; }
  /// "7–23", "10" for a single version, "?" when unknown.
  std::string to_string() const;
};

class OpRegistry {
 public:
  static OpRegistry& global();

  /// Registers a schema; a second registration of the same (domain, op_type) replaces the first.
  void add(OpSchema schema);
  /// The schema for (domain, op_type); domains "" and "ai.onnx" are the same.
  const OpSchema* find(const std::string& domain, const std::string& op_type) const;
  /// Every registered op as "op_type" (default domain) or "domain::op_type", sorted.
  std::vector<std::string> names() const;
  std::vector<const OpSchema*> all() const;

  /// The opset versions a registered op is supported at. Stated bounds (OpSchema::since_version,
  /// last_version) win. Otherwise, for ai.onnx: `since` is the op's first version in ONNX's own
  /// schema registry (libonnx, onnx/defs) and `last` is kNewestOnnxOpset, or the version before
  /// ONNX deprecated the op (Scatter: 9–10); an op libonnx does not know must state `since`.
  /// Other domains (com.microsoft contrib ops) default to version 1 only.
  static OpsetRange opset_range(const OpSchema& schema);

 private:
  std::map<std::pair<std::string, std::string>, OpSchema> schemas_;
};

/// Registers at static-initialisation time: `GRAPHS_REGISTER_OP(OpSchema{...});`
#define GRAPHS_REGISTER_OP(...)                                                             \
  [[maybe_unused]] static const bool GRAPHS_CONCAT_(graphs_op_registered_, __COUNTER__) = \
      (::graphs::OpRegistry::global().add(__VA_ARGS__), true)

}  // namespace graphs
