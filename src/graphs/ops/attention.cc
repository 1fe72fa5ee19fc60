// Attention family (ai.onnx Attention-23, RotaryEmbedding-23): the fused attention block and the
// rotary position embedding as single ops. Attention is OpClass::kMatMul (its two products run on
// the matrix units); RotaryEmbedding is pointwise (OpClass::kElementwise).
//
// Attention shapes (Operators.md "Attention", version 23). Q, K, V are 4-D
// [batch, heads, seq, head_size] or 3-D [batch, seq, heads·head_size]; a 3-D Q needs the
// q_num_heads attribute and a 3-D K/V kv_num_heads. Grouped-query attention: q_num_heads a
// multiple of kv_num_heads (MQA: kv_num_heads = 1). With past_key/past_value
// [batch, kv_heads, past, head_size / v_head_size] (given together, or neither), the total
// sequence T = past + kv_seq.
//   Y                [batch, q_heads, q_seq, v_head_size] (4-D Q) or
//                    [batch, q_seq, q_heads·v_head_size] (3-D Q)
//   present_key      [batch, kv_heads, T, head_size]; present_value [batch, kv_heads, T, v_head_size]
//   qk_matmul_output [batch, q_heads, q_seq, T]
//   attn_mask must broadcast to [batch, q_heads, q_seq, T]; from opset 24 its last dim may be
//   shorter than T (padded with −∞), and the optional input 6, nonpad_kv_seqlen, is [batch].
// Attention counting: MACs = batch·q_heads·q_seq·T·(head_size + v_head_size) (Q·Kᵀ and P·V;
// K and V shared by a group are read once per query head, as GQA kernels compute). FLOPs =
// 2 × MACs + per score element (batch·q_heads·q_seq·T): 1 (scale) + 5 (softmax: max, subtract,
// exp, sum, divide) + 1 with attn_mask or is_causal (bias add) + 3 with softcap
// (softcap·tanh(x/softcap)). Causal masking is not subtracted: a dense kernel computes the full
// score matrix. Bytes: Q, K, V, mask and past read once; every present output written once.
//
// RotaryEmbedding (Operators.md "RotaryEmbedding", version 23): X is 4-D
// [batch, heads, seq, head_size] or 3-D [batch, seq, hidden] with the num_heads attribute; Y has
// X's type. rotary_embedding_dim (0 = head_size) is even and at most head_size. cos_cache and
// sin_cache are [max_position + 1, rotary_dim / 2] with position_ids [batch, seq], or
// [batch, seq, rotary_dim / 2] without. FLOPs: 3 per rotated element (x1·cos − x2·sin and
// x1·sin + x2·cos: two multiplies and one add per output element); the unrotated tail is copied.
// Bytes: X read, the cache rows used (batch·seq·rotary_dim/2 each, as a gather) and position_ids
// read, Y written.
#include <string>
#include <vector>

#include "graphs/ops/compute_helpers.h"
#include "graphs/ops/op_helpers.h"

namespace graphs::ops {
namespace {

// ---------------------------------------------------------------------------------------------
// Attention

struct AttentionGeometry {
  int64_t batch = 0, q_heads = 0, q_seq = 0, head_size = 0;
  int64_t kv_heads = 0, kv_seq = 0, v_head_size = 0, past = 0;
  bool q_3d = false;
  int64_t total() const { return past + kv_seq; }
};

// One of Q, K, V seen as [batch, heads, seq, head]: 4-D as is, 3-D split by `heads_attr`.
struct HeadView {
  int64_t batch = 0, heads = 0, seq = 0, head = 0;
};

Result<HeadView> head_view(const InferContext& ctx, std::size_t index, const char* role,
                           const char* heads_attr) {
  GRAPHS_ASSIGN_OR_RETURN(const auto d, static_input_dims(ctx, index, role));
  if (d.size() == 4) return HeadView{d[0], d[1], d[2], d[3]};
  if (d.size() != 3) {
    return ctx.error(std::string(role) + " " + dims_to_string(d) + " must have rank 3 or 4");
  }
  if (!ctx.node.attrs.has(heads_attr)) {
    return ctx.error(std::string("3-D ") + role + " " + dims_to_string(d) + " needs the " +
                     heads_attr + " attribute");
  }
  const int64_t heads = ctx.node.attrs.get_int(heads_attr, 0);
  if (heads < 1 || d[2] % heads != 0) {
    return ctx.error(std::string(heads_attr) + " " + std::to_string(heads) +
                     " does not divide the hidden size " + std::to_string(d[2]) + " of " + role);
  }
  return HeadView{d[0], heads, d[1], d[2] / heads};
}


// attn_mask broadcasts to [batch, q_heads, q_seq, T]; from opset 24 its last dim may be any
// size up to T (Attention-24: "padded to total_sequence_length with negative infinity").
template <typename Geometry>
Status check_mask(const InferContext& ctx, const Geometry& g) {
  if (!ctx.input(3)) return ok_status();
  std::vector<int64_t> target = {g.batch, g.q_heads, g.q_seq, g.total()};
  if (ctx.opset >= 24) {
    GRAPHS_ASSIGN_OR_RETURN(const auto m, static_input_dims(ctx, 3, "attn_mask"));
    if (!m.empty() && m.back() >= 1 && m.back() <= g.total()) target.back() = m.back();
  }
  return check_broadcasts_to(ctx, 3, "attn_mask", target);
}

Result<AttentionGeometry> attention_geometry(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(3));
  GRAPHS_ASSIGN_OR_RETURN(const HeadView q, head_view(ctx, 0, "Q", "q_num_heads"));
  GRAPHS_ASSIGN_OR_RETURN(const HeadView k, head_view(ctx, 1, "K", "kv_num_heads"));
  GRAPHS_ASSIGN_OR_RETURN(const HeadView v, head_view(ctx, 2, "V", "kv_num_heads"));
  AttentionGeometry g;
  g.q_3d = ctx.type(0).rank() == 3;
  g.batch = q.batch;
  g.q_heads = q.heads;
  g.q_seq = q.seq;
  g.head_size = q.head;
  g.kv_heads = k.heads;
  g.kv_seq = k.seq;
  g.v_head_size = v.head;
  if (k.batch != q.batch || v.batch != q.batch) {
    return ctx.error("batch sizes differ: Q " + std::to_string(q.batch) + ", K " +
                     std::to_string(k.batch) + ", V " + std::to_string(v.batch));
  }
  if (k.head != q.head) {
    return ctx.error("head sizes of Q (" + std::to_string(q.head) + ") and K (" +
                     std::to_string(k.head) + ") differ");
  }
  if (v.heads != k.heads || v.seq != k.seq) {
    return ctx.error("K has " + std::to_string(k.heads) + " heads × " + std::to_string(k.seq) +
                     " positions but V has " + std::to_string(v.heads) + " × " +
                     std::to_string(v.seq));
  }
  if (g.kv_heads < 1 || g.q_heads % g.kv_heads != 0) {
    return ctx.error("q_num_heads " + std::to_string(g.q_heads) +
                     " is not a multiple of kv_num_heads " + std::to_string(g.kv_heads));
  }
  const bool has_past_key = ctx.input(4) != nullptr;
  const bool has_past_value = ctx.input(5) != nullptr;
  if (has_past_key != has_past_value) {
    return ctx.error("past_key and past_value must be given together");
  }
  if (has_past_key) {
    GRAPHS_ASSIGN_OR_RETURN(const auto pk, static_input_dims(ctx, 4, "past_key"));
    if (pk.size() != 4) return ctx.error("past_key " + dims_to_string(pk) + " must have rank 4");
    g.past = pk[2];
    GRAPHS_RETURN_IF_ERROR(
        check_input_shape(ctx, 4, "past_key", {g.batch, g.kv_heads, g.past, g.head_size}));
    GRAPHS_RETURN_IF_ERROR(
        check_input_shape(ctx, 5, "past_value", {g.batch, g.kv_heads, g.past, g.v_head_size}));
  }
  GRAPHS_RETURN_IF_ERROR(check_mask(ctx, g));
  if (ctx.input(6)) GRAPHS_RETURN_IF_ERROR(check_input_shape(ctx, 6, "nonpad_kv_seqlen", {g.batch}));
  const int64_t mode = ctx.node.attrs.get_int("qk_matmul_output_mode", 0);
  if (mode < 0 || mode > 3) {
    return ctx.error("qk_matmul_output_mode " + std::to_string(mode) + " must be 0, 1, 2 or 3");
  }
  const int64_t causal = ctx.node.attrs.get_int("is_causal", 0);
  if (causal != 0 && causal != 1) {
    return ctx.error("is_causal " + std::to_string(causal) + " must be 0 or 1");
  }
  if (ctx.node.attrs.get_float("softcap", 0.0) < 0) {
    return ctx.error("softcap must not be negative");
  }
  return g;
}

InferResult attention_shape(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(const AttentionGeometry g, attention_geometry(ctx));
  const DType q_type = ctx.type(0).dtype;
  const DType v_type = ctx.type(2).dtype;
  const std::vector<int64_t> y =
      g.q_3d ? std::vector<int64_t>{g.batch, g.q_seq, g.q_heads * g.v_head_size}
             : std::vector<int64_t>{g.batch, g.q_heads, g.q_seq, g.v_head_size};
  return std::vector<InferredOutput>{
      {TensorType::make(q_type, y), std::nullopt},
      {TensorType::make(ctx.type(1).dtype, {g.batch, g.kv_heads, g.total(), g.head_size}),
       std::nullopt},
      {TensorType::make(v_type, {g.batch, g.kv_heads, g.total(), g.v_head_size}), std::nullopt},
      {TensorType::make(q_type, {g.batch, g.q_heads, g.q_seq, g.total()}), std::nullopt},
  };
}

OpCost attention_cost(const CostContext& ctx) {
  // Geometry from the output Y and the inputs: scores = batch·q_heads·q_seq·T.
  const auto q = dims_of(ctx.input(0));
  const auto k = dims_of(ctx.input(1));
  const auto v = dims_of(ctx.input(2));
  if (q.size() < 3 || k.size() < 3 || v.size() < 3) return compute_cost(ctx, 0, 0);
  const bool q4 = q.size() == 4, k4 = k.size() == 4, v4 = v.size() == 4;
  const double q_heads =
      static_cast<double>(q4 ? q[1] : ctx.node.attrs.get_int("q_num_heads", 1));
  const double kv_heads =
      static_cast<double>(k4 ? k[1] : ctx.node.attrs.get_int("kv_num_heads", 1));
  if (q_heads <= 0 || kv_heads <= 0) return compute_cost(ctx, 0, 0);
  const double batch = static_cast<double>(q[0]);
  const double q_seq = static_cast<double>(q4 ? q[2] : q[1]);
  const double head = q4 ? static_cast<double>(q[3]) : static_cast<double>(q[2]) / q_heads;
  const double kv_seq = static_cast<double>(k4 ? k[2] : k[1]);
  const double v_head = v4 ? static_cast<double>(v[3]) : static_cast<double>(v[2]) / kv_heads;
  const auto past = dims_of(ctx.input(4));
  const double total = kv_seq + (past.size() == 4 ? static_cast<double>(past[2]) : 0);
  const double scores = batch * q_heads * q_seq * total;
  const double macs = scores * (head + v_head);
  double per_score = 1 + 5;
  if (ctx.input(3) || ctx.node.attrs.get_int("is_causal", 0) != 0) per_score += 1;
  if (ctx.node.attrs.get_float("softcap", 0.0) > 0) per_score += 3;
  return compute_cost(ctx, macs, 2 * macs + per_score * scores);
}

// ---------------------------------------------------------------------------------------------
// RotaryEmbedding

struct RotaryGeometry {
  int64_t batch = 0, heads = 0, seq = 0, head_size = 0, rotary_dim = 0;
};

Result<RotaryGeometry> rotary_geometry(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(3));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "X"));
  RotaryGeometry g;
  if (x.size() == 4) {
    g = {x[0], x[1], x[2], x[3], 0};
  } else if (x.size() == 3) {
    const int64_t heads = ctx.node.attrs.get_int("num_heads", 0);
    if (heads < 1) return ctx.error("3-D X " + dims_to_string(x) + " needs num_heads ≥ 1");
    if (x[2] % heads != 0) {
      return ctx.error("num_heads " + std::to_string(heads) + " does not divide the hidden size " +
                       std::to_string(x[2]));
    }
    g = {x[0], heads, x[1], x[2] / heads, 0};
  } else {
    return ctx.error("X " + dims_to_string(x) + " must have rank 3 or 4");
  }
  g.rotary_dim = ctx.node.attrs.get_int("rotary_embedding_dim", 0);
  if (g.rotary_dim == 0) g.rotary_dim = g.head_size;
  if (g.rotary_dim < 0 || g.rotary_dim > g.head_size || g.rotary_dim % 2 != 0) {
    return ctx.error("rotary_embedding_dim " + std::to_string(g.rotary_dim) +
                     " must be even and at most the head size " + std::to_string(g.head_size));
  }
  const int64_t interleaved = ctx.node.attrs.get_int("interleaved", 0);
  if (interleaved != 0 && interleaved != 1) {
    return ctx.error("interleaved " + std::to_string(interleaved) + " must be 0 or 1");
  }
  const int64_t half = g.rotary_dim / 2;
  if (ctx.input(3)) {
    GRAPHS_RETURN_IF_ERROR(check_input_shape(ctx, 3, "position_ids", {g.batch, g.seq}));
    GRAPHS_ASSIGN_OR_RETURN(const auto cos, static_input_dims(ctx, 1, "cos_cache"));
    if (cos.size() != 2 || cos[1] != half) {
      return ctx.error("cos_cache " + dims_to_string(cos) + ", expected [max_position + 1, " +
                       std::to_string(half) + "] with position_ids");
    }
    GRAPHS_RETURN_IF_ERROR(check_input_shape(ctx, 2, "sin_cache", cos));
  } else {
    GRAPHS_RETURN_IF_ERROR(check_input_shape(ctx, 1, "cos_cache", {g.batch, g.seq, half}));
    GRAPHS_RETURN_IF_ERROR(check_input_shape(ctx, 2, "sin_cache", {g.batch, g.seq, half}));
  }
  return g;
}

OpCost rotary_cost(const CostContext& ctx) {
  const auto x = dims_of(ctx.input(0));
  if (x.size() < 3) return compute_cost(ctx, 0, 0);
  const double elements = ctx.numel(ctx.input(0));
  const double head_size = x.size() == 4
                               ? static_cast<double>(x[3])
                               : static_cast<double>(x[2]) /
                                     static_cast<double>(ctx.node.attrs.get_int("num_heads", 1));
  double rotary = static_cast<double>(ctx.node.attrs.get_int("rotary_embedding_dim", 0));
  if (rotary <= 0 || rotary > head_size) rotary = head_size;
  const double rotated = head_size > 0 ? elements * rotary / head_size : 0;
  OpCost c;
  c.flops = 3 * rotated;
  // Cache rows used: one [rotary/2] row per (batch, position), for cos and for sin.
  const double batch = static_cast<double>(x[0]);
  const double seq = static_cast<double>(x.size() == 4 ? x[2] : x[1]);
  const Value* cos = ctx.input(1);
  const double cache_elem_bytes =
      cos ? static_cast<double>(dtype_bits(ctx.precision.map(*cos))) / 8.0 : 0;
  c.bytes_read = ctx.bytes(ctx.input(0)) + ctx.bytes(ctx.input(3)) +
                 2 * batch * seq * (rotary / 2) * cache_elem_bytes;
  c.bytes_written = ctx.output_bytes();
  return c;
}

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "Attention",
    .domain = "",
    .op_class = OpClass::kMatMul,
    .infer = attention_shape,
    .cost = attention_cost,
    .flops_note = "2 × MACs (MACs = batch·q_heads·q_seq·T·(head_size + v_head_size), Q·Kᵀ and "
                  "P·V) + per score element: 6 (scale, softmax) + 1 with a mask or is_causal + "
                  "3 with softcap",
    .since_version = 23,
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "RotaryEmbedding",
    .domain = "",
    .op_class = OpClass::kElementwise,
    .infer =
        [](const InferContext& ctx) -> InferResult {
      GRAPHS_ASSIGN_OR_RETURN([[maybe_unused]] const RotaryGeometry g, rotary_geometry(ctx));
      return std::vector<InferredOutput>{{ctx.type(0), std::nullopt}};
    },
    .cost = rotary_cost,
    .flops_note = "3 per rotated element (two multiplies, one add); bytes = X, the cache rows used "
                  "and position_ids read, Y written",
    .since_version = 23,
});

}  // namespace
}  // namespace graphs::ops
