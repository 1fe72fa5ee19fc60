// ONNX Runtime contrib ops (com.microsoft, version 1) that onnxruntime.transformers' optimizer
// writes, apart from attention (com_microsoft_attention.cc): the fused normalizations, the fused
// activations and the block-quantized embedding Gather. Shapes follow the contrib-op spec
// (onnxruntime docs/ContribOperators.md); FLOPs follow the counting of the unfused ops each one
// replaces (docs/conventions.md), so that a fused graph counts what its export counted:
//
//   SkipLayerNormalization   input + skip (+ bias) then LayerNormalization over the last dim:
//                            1 per element per add + 7 per element (6 without beta) + 4 per row.
//                            Outputs: output, mean and inv_std_var ([.., 1], float32),
//                            input_skip_bias_sum (input's type).
//   SkipSimplifiedLayerNormalization  input + skip (+ bias) then RMS normalization: 1 per add +
//                            4 per element + 3 per row (RMSNormalization's count).
//   SimplifiedLayerNormalization  (registered by ONNX Runtime in the ai.onnx domain, since 1):
//                            RMS normalization over X.shape[axis:] (axis default -1): 4 per
//                            element + 3 per row; inv_std_var X.shape[:axis] + 1s, stash_type.
//   EmbedLayerNormalization  word[input_ids] + position[position_ids or 0..S-1]
//                            (+ segment[segment_ids]) then LayerNormalization: 1 or 2 adds + 7
//                            per element + 4 per row. Outputs [B, S, D], mask_index [B] int32,
//                            embedding_sum [B, S, D]. Bytes: the ids, the gathered rows
//                            (output-sized per table, as Gather), gamma, beta, mask read.
//   Gelu                     0.5·x·(1 + erf(x/√2)): 5 per element (ai.onnx Gelu's count).
//   BiasGelu                 Gelu(A + B): 6 per element.
//   FastGelu                 tanh approximation of Gelu(X (+ bias)): 9 per element (+ 1 with bias).
//   QuickGelu                x·sigmoid(alpha·x): 6 per element (multiply, sigmoid 4, multiply).
//   BiasAdd                  X + bias + skip, X [N, S, C], bias [C]: 2 per element.
//   BiasSplitGelu            (X + bias) split in halves along the last dim D, left · Gelu(right):
//                            output [.., D/2]; 8 per output element (2 bias adds, Gelu 5, 1 mul).
//   GatherBlockQuantized     Gather of a block-quantized table: data uint8 (bits < 8 packed along
//                            the last dim, 8/bits values a byte) or int4/uint4; attributes bits
//                            (4), block_size (128), gather_axis (0), quantize_axis (1). Output: the
//                            table's logical shape with gather_axis replaced by the indices' shape,
//                            of the scales' type. 2 per output element (dequantize); bytes: the
//                            gathered packed rows, their scales (and zero points), the indices.
// Bytes otherwise: every present input read once, every present output written once.
#include <string>
#include <vector>

#include "graphs/ops/compute_helpers.h"
#include "graphs/ops/op_helpers.h"

namespace graphs::ops {
namespace {

constexpr const char* kMs = "com.microsoft";

// ---- normalizations -----------------------------------------------------------------------

// Shared by the Skip*Normalization ops: input [.., D] with D = the last dim; skip broadcast to it
// (spec: the same shape, [1, S, D] or [S, D]); the per-channel vectors must broadcast to [D].
InferResult skip_norm_shape(const InferContext& ctx, const std::vector<std::size_t>& vectors) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(3));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "input"));
  if (x.size() < 2) {
    return ctx.error("input rank " + std::to_string(x.size()) + ", expected 2 or 3");
  }
  GRAPHS_RETURN_IF_ERROR(check_broadcasts_to(ctx, 1, "skip", x));
  const std::vector<int64_t> hidden = {x.back()};
  static const char* kRoles[] = {"input", "skip", "gamma", "beta/bias", "bias"};
  for (std::size_t i : vectors) GRAPHS_RETURN_IF_ERROR(check_broadcasts_to(ctx, i, kRoles[i], hidden));
  std::vector<int64_t> stat = x;
  stat.back() = 1;
  return std::vector<InferredOutput>{{ctx.type(0), std::nullopt},
                                     {TensorType::make(DType::kFloat32, stat), std::nullopt},
                                     {TensorType::make(DType::kFloat32, stat), std::nullopt},
                                     {ctx.type(0), std::nullopt}};
}

double last_dim(const Value* v) {
  const auto d = dims_of(v);
  return d.empty() ? 0 : static_cast<double>(d.back());
}

OpCost skip_layer_norm_cost(const CostContext& ctx) {
  const double e = ctx.numel(ctx.input(0));
  const double rows = last_dim(ctx.input(0)) > 0 ? e / last_dim(ctx.input(0)) : 0;
  const double adds = ctx.input(4) ? 2 : 1;
  const double per_element = ctx.input(3) ? 7 : 6;
  return compute_cost(ctx, 0, (adds + per_element) * e + 4 * rows);
}

OpCost skip_rms_norm_cost(const CostContext& ctx) {
  const double e = ctx.numel(ctx.input(0));
  const double rows = last_dim(ctx.input(0)) > 0 ? e / last_dim(ctx.input(0)) : 0;
  const double adds = ctx.input(3) ? 2 : 1;
  return compute_cost(ctx, 0, (adds + 4) * e + 3 * rows);
}

InferResult simplified_layer_norm_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(2));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "X"));
  const auto rank = static_cast<int64_t>(x.size());
  GRAPHS_ASSIGN_OR_RETURN(const int64_t axis, axis_attribute(ctx, "axis", -1, rank));
  const std::vector<int64_t> normalized(x.begin() + axis, x.end());
  GRAPHS_RETURN_IF_ERROR(check_broadcasts_to(ctx, 1, "scale", normalized));
  const auto stash = dtype_from_onnx(static_cast<int32_t>(ctx.node.attrs.get_int("stash_type", 1)));
  if (!stash || !is_floating(*stash)) return ctx.error("stash_type is not a floating type");
  std::vector<int64_t> stat(x.begin(), x.begin() + axis);
  stat.resize(x.size(), 1);
  return std::vector<InferredOutput>{{ctx.type(0), std::nullopt},
                                     {TensorType::make(*stash, stat), std::nullopt}};
}

OpCost simplified_layer_norm_cost(const CostContext& ctx) {
  const auto x = dims_of(ctx.input(0));
  auto axis = normalize_axis(ctx.node.attrs.get_int("axis", -1), static_cast<int64_t>(x.size()));
  const double rows =
      axis.ok() ? static_cast<double>(product(x, 0, static_cast<std::size_t>(*axis))) : 0;
  return compute_cost(ctx, 0, 4 * ctx.numel(ctx.input(0)) + 3 * rows);
}

// EmbedLayerNormalization inputs.
enum Embed : std::size_t {
  kIds = 0, kSegmentIds, kWord, kPosition, kSegment, kGamma, kBeta, kMask, kPositionIds
};

InferResult embed_layer_norm_shape(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(const auto ids, static_input_dims(ctx, kIds, "input_ids"));
  GRAPHS_ASSIGN_OR_RETURN(const auto word, static_input_dims(ctx, kWord, "word_embedding"));
  GRAPHS_ASSIGN_OR_RETURN(const auto pos, static_input_dims(ctx, kPosition, "position_embedding"));
  if (ids.size() != 2) return ctx.error("input_ids must be [batch, sequence], got " + dims_to_string(ids));
  if (word.size() != 2 || pos.size() != 2 || pos[1] != word[1]) {
    return ctx.error("word_embedding " + dims_to_string(word) + " and position_embedding " +
                     dims_to_string(pos) + " must be [*, hidden] with one hidden size");
  }
  const int64_t hidden = word[1];
  if (ctx.input(kSegment)) {
    GRAPHS_ASSIGN_OR_RETURN(const auto seg, static_input_dims(ctx, kSegment, "segment_embedding"));
    if (seg.size() != 2 || seg[1] != hidden) {
      return ctx.error("segment_embedding " + dims_to_string(seg) + " must be [*, " +
                       std::to_string(hidden) + "]");
    }
  }
  GRAPHS_RETURN_IF_ERROR(check_input_shape(ctx, kGamma, "gamma", {hidden}));
  GRAPHS_RETURN_IF_ERROR(check_input_shape(ctx, kBeta, "beta", {hidden}));
  const DType dtype = ctx.type(kWord).dtype;
  const std::vector<int64_t> out = {ids[0], ids[1], hidden};
  return std::vector<InferredOutput>{{TensorType::make(dtype, out), std::nullopt},
                                     {TensorType::make(DType::kInt32, {ids[0]}), std::nullopt},
                                     {TensorType::make(dtype, out), std::nullopt}};
}

OpCost embed_layer_norm_cost(const CostContext& ctx) {
  const double e = ctx.numel(ctx.output(0));
  const double rows = last_dim(ctx.output(0)) > 0 ? e / last_dim(ctx.output(0)) : 0;
  const double tables = ctx.input(kSegment) ? 3 : 2;
  OpCost c;
  c.flops = (tables - 1) * e + 7 * e + 4 * rows;
  const double row_bytes = ctx.bytes(ctx.output(0));  // one output-sized gather per table
  c.bytes_read = tables * row_bytes;
  for (std::size_t i : {kIds, kSegmentIds, kGamma, kBeta, kMask, kPositionIds}) {
    c.bytes_read += ctx.bytes(ctx.input(i));
  }
  c.bytes_written = ctx.output_bytes();
  return c;
}

// ---- activations --------------------------------------------------------------------------

// Output of input 0's type after checking that inputs [1, n) broadcast to it.
InferResult like_first_input(const InferContext& ctx, std::size_t required,
                             const std::vector<std::pair<std::size_t, const char*>>& broadcast) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(required));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "X"));
  for (const auto& [i, role] : broadcast) {
    GRAPHS_RETURN_IF_ERROR(check_broadcasts_to(ctx, i, role, x));
  }
  return std::vector<InferredOutput>{{ctx.type(0), std::nullopt}};
}

InferResult bias_split_gelu_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(2));
  GRAPHS_ASSIGN_OR_RETURN(auto x, static_input_dims(ctx, 0, "X"));
  if (x.empty() || x.back() % 2 != 0) {
    return ctx.error("X " + dims_to_string(x) + " must end in an even hidden size");
  }
  GRAPHS_RETURN_IF_ERROR(check_input_shape(ctx, 1, "bias", {x.back()}));
  x.back() /= 2;
  return std::vector<InferredOutput>{{TensorType::make(ctx.type(0).dtype, x), std::nullopt}};
}

CostFn per_element_cost(double flops_per_element) {
  return [flops_per_element](const CostContext& ctx) {
    return elementwise_cost(ctx, flops_per_element);
  };
}

OpSchema activation(std::string op, ShapeFn infer, CostFn cost, std::string note) {
  return OpSchema{.op_type = std::move(op),
                  .domain = kMs,
                  .op_class = OpClass::kElementwise,
                  .infer = std::move(infer),
                  .cost = std::move(cost),
                  .flops_note = std::move(note)};
}

// ---- GatherBlockQuantized -----------------------------------------------------------------

struct BlockQuantized {
  int64_t bits = 4;
  int64_t block_size = 128;
  int64_t gather_axis = 0;
  std::vector<int64_t> logical;  // the table's dims, unpacked
};

Result<BlockQuantized> block_quantized(const InferContext& ctx) {
  BlockQuantized q;
  q.bits = ctx.node.attrs.get_int("bits", 4);
  q.block_size = ctx.node.attrs.get_int("block_size", 128);
  if (q.bits != 2 && q.bits != 4 && q.bits != 8) {
    return ctx.error("bits " + std::to_string(q.bits) + " must be 2, 4 or 8");
  }
  if (q.block_size < 16 || (q.block_size & (q.block_size - 1)) != 0) {
    return ctx.error("block_size " + std::to_string(q.block_size) +
                     " must be a power of 2 of at least 16");
  }
  GRAPHS_ASSIGN_OR_RETURN(q.logical, static_input_dims(ctx, 0, "data"));
  if (q.logical.empty()) return ctx.error("data must have rank at least 1");
  const DType d = ctx.type(0).dtype;
  if (d == DType::kUInt8 && q.bits < 8) q.logical.back() *= 8 / q.bits;
  GRAPHS_ASSIGN_OR_RETURN(q.gather_axis,
                          axis_attribute(ctx, "gather_axis", 0,
                                         static_cast<int64_t>(q.logical.size())));
  GRAPHS_ASSIGN_OR_RETURN(const int64_t quantize_axis,
                          axis_attribute(ctx, "quantize_axis", 1,
                                         static_cast<int64_t>(q.logical.size())));
  (void)quantize_axis;
  return q;
}

InferResult gather_block_quantized_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(3));
  GRAPHS_ASSIGN_OR_RETURN(const auto q, block_quantized(ctx));
  GRAPHS_ASSIGN_OR_RETURN(const auto indices, static_input_dims(ctx, 1, "indices"));
  std::vector<int64_t> out(q.logical.begin(), q.logical.begin() + q.gather_axis);
  out.insert(out.end(), indices.begin(), indices.end());
  out.insert(out.end(), q.logical.begin() + q.gather_axis + 1, q.logical.end());
  return std::vector<InferredOutput>{{TensorType::make(ctx.type(2).dtype, out), std::nullopt}};
}

OpCost gather_block_quantized_cost(const CostContext& ctx) {
  const double elements = ctx.numel(ctx.output(0));
  const double bits = static_cast<double>(ctx.node.attrs.get_int("bits", 4));
  const double block = static_cast<double>(ctx.node.attrs.get_int("block_size", 128));
  OpCost c;
  c.flops = 2 * elements;
  const auto scale_bits = ctx.input(2) ? dtype_bits(ctx.precision.map(*ctx.input(2))) : 0;
  c.bytes_read = elements * bits / 8 + ctx.bytes(ctx.input(1)) +
                 (block > 0 ? elements / block * scale_bits / 8 : 0) +
                 (ctx.input(3) && block > 0 ? elements / block * bits / 8 : 0);
  c.bytes_written = ctx.output_bytes();
  return c;
}

// ---- registrations ------------------------------------------------------------------------

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "SkipLayerNormalization",
    .domain = kMs,
    .op_class = OpClass::kNormalization,
    .infer = [](const InferContext& ctx) { return skip_norm_shape(ctx, {2, 3, 4}); },
    .cost = skip_layer_norm_cost,
    .flops_note = "1 per element per add (skip, bias) + LayerNormalization: 7 per element (6 "
                  "without beta) + 4 per row",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "SkipSimplifiedLayerNormalization",
    .domain = kMs,
    .op_class = OpClass::kNormalization,
    .infer = [](const InferContext& ctx) { return skip_norm_shape(ctx, {2, 3}); },
    .cost = skip_rms_norm_cost,
    .flops_note = "1 per element per add (skip, bias) + 4 per element + 3 per row (RMS norm)",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "SimplifiedLayerNormalization",
    .domain = "",
    .op_class = OpClass::kNormalization,
    .infer = simplified_layer_norm_shape,
    .cost = simplified_layer_norm_cost,
    .flops_note = "4 per element + 3 per normalised row (RMS norm; ONNX Runtime's op in the "
                  "ai.onnx domain)",
    .since_version = 1,
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "EmbedLayerNormalization",
    .domain = kMs,
    .op_class = OpClass::kNormalization,
    .infer = embed_layer_norm_shape,
    .cost = embed_layer_norm_cost,
    .flops_note = "1 per element per extra table (position, segment) + 7 per element + 4 per "
                  "row; tables read as gathered rows",
});

GRAPHS_REGISTER_OP(activation(
    "Gelu", [](const InferContext& ctx) { return like_first_input(ctx, 1, {}); },
    per_element_cost(5), "5 per output element (0.5·x·(1+erf(x/√2)), as ai.onnx Gelu)"));

GRAPHS_REGISTER_OP(activation(
    "BiasGelu", [](const InferContext& ctx) { return like_first_input(ctx, 2, {{1, "B"}}); },
    per_element_cost(6), "6 per output element (bias add + Gelu 5)"));

GRAPHS_REGISTER_OP(activation(
    "FastGelu", [](const InferContext& ctx) { return like_first_input(ctx, 1, {{1, "bias"}}); },
    [](const CostContext& ctx) { return elementwise_cost(ctx, ctx.input(1) ? 10 : 9); },
    "9 per output element (tanh approximation) + 1 with bias"));

GRAPHS_REGISTER_OP(activation(
    "QuickGelu", [](const InferContext& ctx) { return like_first_input(ctx, 1, {}); },
    per_element_cost(6), "6 per output element (x·sigmoid(alpha·x): multiply, sigmoid 4, multiply)"));

GRAPHS_REGISTER_OP(activation(
    "BiasAdd",
    [](const InferContext& ctx) { return like_first_input(ctx, 3, {{1, "bias"}, {2, "skip"}}); },
    per_element_cost(2), "2 per output element (X + bias + skip)"));

GRAPHS_REGISTER_OP(activation("BiasSplitGelu", bias_split_gelu_shape, per_element_cost(8),
                              "8 per output element (2 bias adds, Gelu 5, multiply); output "
                              "half the input's last dim"));

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "GatherBlockQuantized",
    .domain = kMs,
    .op_class = OpClass::kDataMovement,
    .infer = gather_block_quantized_shape,
    .cost = gather_block_quantized_cost,
    .flops_note = "2 per output element (dequantize); bytes = gathered packed rows, their scales "
                  "and the indices read, output written",
});

}  // namespace
}  // namespace graphs::ops
