// ONNX Runtime contrib attention ops (com.microsoft, version 1; onnxruntime
// docs/ContribOperators.md): Attention, MultiHeadAttention, GroupQueryAttention (OpClass::kMatMul:
// their products run on the matrix units) and RotaryEmbedding (pointwise).
//
// Shapes (B batch, S query length, H heads, hs head size, P past length, T = P + kv length):
//   Attention           input [B, S, Din], weights [Din, Dq + Dk + Dv] (qkv_hidden_sizes, else
//                       three equal parts), bias [Dq + Dk + Dv], past [2, B, H, P, hs].
//                       output [B, S, Dv]; present [2, B, H, T, hs] (the past's shape when
//                       past_present_share_buffer).
//   MultiHeadAttention  query [B, S, D] (or packed QKV [B, S, H, 3, hs]), key [B, L, D] (or
//                       packed KV [B, L, H, 2, hs], or already projected [B, H, L, hs]), value
//                       [B, L, Dv] (or [B, H, L, vhs]), past_key/past_value [B, H, P, hs].
//                       output [B, S, Dv]; present_key/value [B, H, T, hs]; qk [B, H, S, T].
//   GroupQueryAttention query [B, S, H·hs] (or packed [B, S, (H + 2·Hkv)·hs]), key/value
//                       [B, L, Hkv·hs], past_key/value [B, Hkv, P, hs], total_sequence_length.
//                       output [B, S, H·hs]; present_key/value [B, Hkv, Tp, hs] with Tp =
//                       max(P, total_sequence_length) when known, else P + L.
//   RotaryEmbedding     input [B, S, D] or [B, H, S, hs], position_ids, cos_cache and sin_cache
//                       [max_position, rotary_dim / 2]; output has the input's type.
// Counting (as the ai.onnx attention and MatMul rules, so a fused graph matches its export):
//   MACs = projection (Attention only: B·S·Din·(Dq + Dk + Dv)) + Q·Kᵀ (B·H·S·T·hs) + P·V
//   (B·H·S·T·vhs); K and V shared by a GQA group count once per query head.
//   FLOPs = 2 × MACs + per score element (B·H·S·T): 1 (scale) + 5 (softmax) + 1 when masked
//   (a mask, an attention bias, unidirectional/causal) + the projection bias adds + 3 per rotated
//   element with do_rotary. Causal masking is not subtracted: dense kernels compute every score.
//   RotaryEmbedding: 3 per rotated element (x1·cos − x2·sin, x1·sin + x2·cos), the unrotated
//   tail copied; bytes: input, the cache rows used (as a gather) and position_ids read.
// Bytes otherwise: every present input (weights included) read once, every output written once.
#include <string>
#include <vector>

#include "graphs/ops/compute_helpers.h"
#include "graphs/ops/op_helpers.h"

namespace graphs::ops {
namespace {

constexpr const char* kMs = "com.microsoft";

// FLOPs per score element beyond the two products.
double score_flops(bool masked) { return 1 + 5 + (masked ? 1 : 0); }

Result<int64_t> heads_attribute(const InferContext& ctx, const std::string& name) {
  const int64_t h = ctx.node.attrs.get_int(name, 0);
  if (h <= 0) return ctx.error("attribute " + name + " must be a positive integer");
  return h;
}

Status divides(const InferContext& ctx, int64_t whole, int64_t heads, const std::string& what) {
  if (heads <= 0 || whole % heads != 0) {
    return ctx.error(what + " " + std::to_string(whole) + " is not a multiple of " +
                     std::to_string(heads) + " heads");
  }
  return ok_status();
}

// ---- Attention ----------------------------------------------------------------------------

enum AttentionIn : std::size_t {
  kInput = 0, kWeights, kBias, kMaskIndex, kPast, kAttentionBias, kPastSequenceLength
};

struct AttentionGeometry {
  int64_t batch = 0, seq = 0, input_hidden = 0;
  int64_t dq = 0, dk = 0, dv = 0, heads = 0;
  int64_t past = 0;    // past length (the buffer's length when shared)
  bool shared = false;  // past_present_share_buffer
  int64_t span() const { return shared ? past : past + seq; }
};

Result<AttentionGeometry> attention_geometry(const InferContext& ctx) {
  AttentionGeometry g;
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, kInput, "input"));
  GRAPHS_ASSIGN_OR_RETURN(const auto w, static_input_dims(ctx, kWeights, "weights"));
  if (x.size() != 3) return ctx.error("input must be [batch, sequence, hidden], got " + dims_to_string(x));
  if (w.size() != 2 || w[0] != x[2]) {
    return ctx.error("weights " + dims_to_string(w) + " must be [" + std::to_string(x[2]) +
                     ", q + k + v hidden]");
  }
  g.batch = x[0];
  g.seq = x[1];
  g.input_hidden = x[2];
  GRAPHS_ASSIGN_OR_RETURN(g.heads, heads_attribute(ctx, "num_heads"));
  const auto sizes = ctx.node.attrs.get_ints("qkv_hidden_sizes");
  if (sizes.empty()) {
    if (w[1] % 3 != 0) return ctx.error("weights' " + std::to_string(w[1]) + " columns are not 3 equal parts; give qkv_hidden_sizes");
    g.dq = g.dk = g.dv = w[1] / 3;
  } else if (sizes.size() == 3 && sizes[0] + sizes[1] + sizes[2] == w[1] && sizes[0] == sizes[1]) {
    g.dq = sizes[0];
    g.dk = sizes[1];
    g.dv = sizes[2];
  } else {
    return ctx.error("qkv_hidden_sizes " + dims_to_string(sizes) + " must be [q, k = q, v] summing to " +
                     std::to_string(w[1]));
  }
  GRAPHS_RETURN_IF_ERROR(divides(ctx, g.dq, g.heads, "hidden size"));
  GRAPHS_RETURN_IF_ERROR(divides(ctx, g.dv, g.heads, "v hidden size"));
  if (ctx.input(kBias)) GRAPHS_RETURN_IF_ERROR(check_input_shape(ctx, kBias, "bias", {w[1]}));
  g.shared = ctx.node.attrs.get_int("past_present_share_buffer", 0) != 0;
  if (ctx.input(kPast)) {
    GRAPHS_ASSIGN_OR_RETURN(const auto p, static_input_dims(ctx, kPast, "past"));
    const int64_t head = g.dq / g.heads;
    if (p.size() != 5 || p[0] != 2 || p[1] != g.batch || p[2] != g.heads || p[4] != head) {
      return ctx.error("past " + dims_to_string(p) + " must be [2, " + std::to_string(g.batch) +
                       ", " + std::to_string(g.heads) + ", past, " + std::to_string(head) + "]");
    }
    g.past = p[3];
  }
  return g;
}

InferResult attention_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(2));
  GRAPHS_ASSIGN_OR_RETURN(const auto g, attention_geometry(ctx));
  const DType dtype = ctx.type(kInput).dtype;
  std::vector<InferredOutput> out = {
      {TensorType::make(dtype, {g.batch, g.seq, g.dv}), std::nullopt}};
  const int64_t present = g.shared ? g.past : g.past + g.seq;
  out.push_back({TensorType::make(dtype, {2, g.batch, g.heads, present, g.dq / g.heads}),
                 std::nullopt});
  return out;
}

OpCost attention_cost(const CostContext& ctx) {
  const auto x = dims_of(ctx.input(kInput));
  const auto w = dims_of(ctx.input(kWeights));
  const auto present = dims_of(ctx.output(1));
  if (x.size() != 3 || w.size() != 2) return compute_cost(ctx, 0, 0);
  const double b = static_cast<double>(x[0]), s = static_cast<double>(x[1]);
  const double heads = static_cast<double>(ctx.node.attrs.get_int("num_heads", 1));
  const auto sizes = ctx.node.attrs.get_ints("qkv_hidden_sizes");
  const double total = static_cast<double>(w[1]);
  const double dq = sizes.size() == 3 ? static_cast<double>(sizes[0]) : total / 3;
  const double dv = sizes.size() == 3 ? static_cast<double>(sizes[2]) : total / 3;
  // Attention span: the present length, or past + S when present is not requested.
  double span = s;
  if (present.size() == 5) {
    span = static_cast<double>(present[3]);
  } else if (const auto p = dims_of(ctx.input(kPast)); p.size() == 5) {
    span = ctx.node.attrs.get_int("past_present_share_buffer", 0) ? static_cast<double>(p[3])
                                                                  : static_cast<double>(p[3]) + s;
  }
  const double projection = b * s * static_cast<double>(x[2]) * total;
  const double scores = b * heads * s * span;
  const double macs = projection + scores * (dq + dv) / heads;
  const bool masked = ctx.input(kMaskIndex) || ctx.input(kAttentionBias) ||
                      ctx.node.attrs.get_int("unidirectional", 0) != 0;
  double flops = 2 * macs + scores * score_flops(masked);
  if (ctx.input(kBias)) flops += b * s * total;
  if (ctx.node.attrs.get_int("do_rotary", 0) != 0) flops += 3 * b * s * 2 * dq;
  return compute_cost(ctx, macs, flops);
}

// ---- MultiHeadAttention -------------------------------------------------------------------

enum MhaIn : std::size_t {
  kQuery = 0, kKey, kValue, kMhaBias, kKeyPaddingMask, kMhaAttentionBias, kPastKey, kPastValue
};

struct MhaGeometry {
  int64_t batch = 0, seq = 0, kv_seq = 0, heads = 0, head = 0, v_head = 0, past = 0;
  bool kv_projected = false;  // key/value given as [B, H, L, hs]: no concatenation with past
  int64_t span() const { return kv_projected ? kv_seq : past + kv_seq; }
};

Result<MhaGeometry> mha_geometry(const InferContext& ctx) {
  MhaGeometry g;
  GRAPHS_ASSIGN_OR_RETURN(g.heads, heads_attribute(ctx, "num_heads"));
  GRAPHS_ASSIGN_OR_RETURN(const auto q, static_input_dims(ctx, kQuery, "query"));
  if (q.size() == 5) {  // packed QKV [B, S, H, 3, hs]
    if (q[2] != g.heads || q[3] != 3) {
      return ctx.error("packed QKV " + dims_to_string(q) + " must be [B, S, num_heads, 3, hs]");
    }
    g.batch = q[0];
    g.seq = g.kv_seq = q[1];
    g.head = g.v_head = q[4];
  } else if (q.size() == 3) {
    g.batch = q[0];
    g.seq = q[1];
    GRAPHS_RETURN_IF_ERROR(divides(ctx, q[2], g.heads, "query hidden size"));
    g.head = q[2] / g.heads;
    if (!ctx.input(kKey)) return ctx.error("key is required unless query is packed QKV");
    GRAPHS_ASSIGN_OR_RETURN(const auto k, static_input_dims(ctx, kKey, "key"));
    if (k.size() == 5) {  // packed KV [B, L, H, 2, hs]
      g.kv_seq = k[1];
      g.v_head = k[4];
    } else if (k.size() == 4) {  // projected [B, H, L, hs]
      g.kv_projected = true;
      g.kv_seq = k[2];
      g.v_head = g.head;
      if (ctx.input(kValue)) {
        GRAPHS_ASSIGN_OR_RETURN(const auto v, static_input_dims(ctx, kValue, "value"));
        if (v.size() == 4) g.v_head = v[3];
      }
    } else if (k.size() == 3) {
      g.kv_seq = k[1];
      if (!ctx.input(kValue)) return ctx.error("value is required with a 3-D key");
      GRAPHS_ASSIGN_OR_RETURN(const auto v, static_input_dims(ctx, kValue, "value"));
      if (v.size() != 3 || v[1] != k[1]) {
        return ctx.error("value " + dims_to_string(v) + " must be [B, " + std::to_string(k[1]) +
                         ", v_hidden]");
      }
      GRAPHS_RETURN_IF_ERROR(divides(ctx, v[2], g.heads, "value hidden size"));
      g.v_head = v[2] / g.heads;
    } else {
      return ctx.error("key " + dims_to_string(k) + " must be 3-D, 4-D or packed 5-D");
    }
  } else {
    return ctx.error("query " + dims_to_string(q) + " must be [B, S, D] or packed [B, S, H, 3, hs]");
  }
  if (ctx.input(kPastKey)) {
    GRAPHS_ASSIGN_OR_RETURN(const auto p, static_input_dims(ctx, kPastKey, "past_key"));
    if (p.size() != 4) return ctx.error("past_key " + dims_to_string(p) + " must be [B, H, P, hs]");
    g.past = p[2];
  }
  return g;
}

InferResult mha_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  GRAPHS_ASSIGN_OR_RETURN(const auto g, mha_geometry(ctx));
  const DType dtype = ctx.type(kQuery).dtype;
  const int64_t t = g.span();
  return std::vector<InferredOutput>{
      {TensorType::make(dtype, {g.batch, g.seq, g.heads * g.v_head}), std::nullopt},
      {TensorType::make(dtype, {g.batch, g.heads, t, g.head}), std::nullopt},
      {TensorType::make(dtype, {g.batch, g.heads, t, g.v_head}), std::nullopt},
      {TensorType::make(dtype, {g.batch, g.heads, g.seq, t}), std::nullopt}};
}

// ---- GroupQueryAttention ------------------------------------------------------------------

enum GqaIn : std::size_t {
  kGqaQuery = 0, kGqaKey, kGqaValue, kGqaPastKey, kGqaPastValue, kSeqlensK, kTotalSequenceLength,
  kCos, kSin, kGqaPositionIds, kGqaAttentionBias
};

struct GqaGeometry {
  int64_t batch = 0, seq = 0, kv_seq = 0, heads = 0, kv_heads = 0, head = 0, past = 0;
  std::optional<int64_t> total;  // total_sequence_length when known
  int64_t present() const {
    return total ? std::max(past, *total) : past + kv_seq;
  }
  int64_t span() const { return total ? *total : past + kv_seq; }
};

Result<GqaGeometry> gqa_geometry(const InferContext& ctx) {
  GqaGeometry g;
  GRAPHS_ASSIGN_OR_RETURN(g.heads, heads_attribute(ctx, "num_heads"));
  GRAPHS_ASSIGN_OR_RETURN(g.kv_heads, heads_attribute(ctx, "kv_num_heads"));
  if (g.heads % g.kv_heads != 0) {
    return ctx.error("num_heads " + std::to_string(g.heads) + " is not a multiple of kv_num_heads " +
                     std::to_string(g.kv_heads));
  }
  GRAPHS_ASSIGN_OR_RETURN(const auto q, static_input_dims(ctx, kGqaQuery, "query"));
  if (q.size() != 3) return ctx.error("query " + dims_to_string(q) + " must be [B, S, D]");
  g.batch = q[0];
  g.seq = g.kv_seq = q[1];
  if (ctx.input(kGqaKey)) {
    GRAPHS_RETURN_IF_ERROR(divides(ctx, q[2], g.heads, "query hidden size"));
    g.head = q[2] / g.heads;
    GRAPHS_ASSIGN_OR_RETURN(const auto k, static_input_dims(ctx, kGqaKey, "key"));
    if (k.size() != 3 || k[2] != g.kv_heads * g.head) {
      return ctx.error("key " + dims_to_string(k) + " must be [B, L, " +
                       std::to_string(g.kv_heads * g.head) + "]");
    }
    g.kv_seq = k[1];
  } else {  // packed QKV
    GRAPHS_RETURN_IF_ERROR(divides(ctx, q[2], g.heads + 2 * g.kv_heads, "packed QKV size"));
    g.head = q[2] / (g.heads + 2 * g.kv_heads);
  }
  if (ctx.input(kGqaPastKey)) {
    GRAPHS_ASSIGN_OR_RETURN(const auto p, static_input_dims(ctx, kGqaPastKey, "past_key"));
    if (p.size() != 4) return ctx.error("past_key " + dims_to_string(p) + " must be [B, Hkv, P, hs]");
    g.past = p[2];
  }
  if (const ConstData* t = ctx.data(kTotalSequenceLength); t && t->size() == 1) {
    g.total = t->as_int(0);
  }
  return g;
}

InferResult gqa_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  GRAPHS_ASSIGN_OR_RETURN(const auto g, gqa_geometry(ctx));
  const DType dtype = ctx.type(kGqaQuery).dtype;
  const int64_t t = g.present();
  std::vector<InferredOutput> out = {
      {TensorType::make(dtype, {g.batch, g.seq, g.heads * g.head}), std::nullopt},
      {TensorType::make(dtype, {g.batch, g.kv_heads, t, g.head}), std::nullopt},
      {TensorType::make(dtype, {g.batch, g.kv_heads, t, g.head}), std::nullopt},
      {TensorType::make(dtype, {g.batch, g.heads, g.seq, g.span()}), std::nullopt}};
  return out;
}

// The shape context of a cost rule is enough to rebuild the geometry: a cost rule sees the same
// inputs with static types.
InferContext as_infer_context(const CostContext& ctx) {
  return InferContext{ctx.node, ctx.opset, ctx.inputs};
}

OpCost mha_cost(const CostContext& ctx) {
  auto g = mha_geometry(as_infer_context(ctx));
  if (!g.ok()) return compute_cost(ctx, 0, 0);
  const double scores = static_cast<double>(g->batch * g->heads * g->seq * g->span());
  const double macs = scores * static_cast<double>(g->head + g->v_head);
  const bool masked = ctx.input(kKeyPaddingMask) || ctx.input(kMhaAttentionBias) ||
                      ctx.node.attrs.get_int("unidirectional", 0) != 0;
  double flops = 2 * macs + scores * score_flops(masked);
  flops += ctx.numel(ctx.input(kMhaBias)) > 0
               ? static_cast<double>(g->batch) *
                     (static_cast<double>(g->seq * g->heads * g->head) +
                      static_cast<double>(g->kv_seq * g->heads * (g->head + g->v_head)))
               : 0;
  return compute_cost(ctx, macs, flops);
}

OpCost gqa_cost(const CostContext& ctx) {
  auto g = gqa_geometry(as_infer_context(ctx));
  if (!g.ok()) return compute_cost(ctx, 0, 0);
  const double scores = static_cast<double>(g->batch * g->heads * g->seq * g->span());
  const double macs = scores * static_cast<double>(2 * g->head);
  const bool masked = ctx.node.attrs.get_int("causal", 1) != 0 || ctx.input(kGqaAttentionBias) ||
                      ctx.node.attrs.get_int("local_window_size", -1) > 0;
  double flops = 2 * macs + scores * score_flops(masked);
  if (ctx.node.attrs.get_int("do_rotary", 0) != 0) {
    flops += 3 * static_cast<double>(g->batch * (g->seq * g->heads + g->kv_seq * g->kv_heads) *
                                     g->head);
  }
  return compute_cost(ctx, macs, flops);
}

// ---- RotaryEmbedding ----------------------------------------------------------------------

enum RotaryIn : std::size_t { kRotaryInput = 0, kRotaryPositionIds, kCosCache, kSinCache };

struct RotaryGeometry {
  double tokens = 0;  // B·S
  double rotated = 0; // rotated elements per token (H × rotary_dim)
  int64_t half = 0;   // rotary_dim / 2 (the caches' columns)
};

Result<RotaryGeometry> rotary_geometry(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, kRotaryInput, "input"));
  GRAPHS_ASSIGN_OR_RETURN(const auto cos, static_input_dims(ctx, kCosCache, "cos_cache"));
  GRAPHS_RETURN_IF_ERROR(check_input_shape(ctx, kSinCache, "sin_cache", cos));
  if (cos.size() != 2) return ctx.error("cos_cache " + dims_to_string(cos) + " must be 2-D");
  RotaryGeometry g;
  g.half = cos[1];
  int64_t rotary_dim = ctx.node.attrs.get_int("rotary_embedding_dim", 0);
  if (rotary_dim <= 0) rotary_dim = 2 * cos[1];
  const int64_t num_heads = ctx.node.attrs.get_int("num_heads", 0);
  int64_t heads = 0, head = 0;
  if (x.size() == 4) {  // [B, H, S, hs]
    g.tokens = static_cast<double>(x[0] * x[2]);
    heads = x[1];
    head = x[3];
  } else if (x.size() == 3) {  // [B, S, D]
    g.tokens = static_cast<double>(x[0] * x[1]);
    head = num_heads > 0 ? x[2] / num_heads : rotary_dim;
    if (head <= 0 || x[2] % head != 0) {
      return ctx.error("hidden size " + std::to_string(x[2]) + " is not a whole number of " +
                       std::to_string(head) + "-wide heads");
    }
    heads = x[2] / head;
  } else {
    return ctx.error("input " + dims_to_string(x) + " must be [B, S, D] or [B, H, S, hs]");
  }
  if (rotary_dim > head || rotary_dim % 2 != 0) {
    return ctx.error("rotary dim " + std::to_string(rotary_dim) + " must be even and at most the " +
                     "head size " + std::to_string(head));
  }
  g.rotated = static_cast<double>(heads * rotary_dim);
  return g;
}

InferResult rotary_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(4));
  GRAPHS_ASSIGN_OR_RETURN(const auto g, rotary_geometry(ctx));
  (void)g;
  return std::vector<InferredOutput>{{ctx.type(kRotaryInput), std::nullopt}};
}

OpCost rotary_cost(const CostContext& ctx) {
  auto g = rotary_geometry(as_infer_context(ctx));
  if (!g.ok()) return data_movement_cost(ctx);
  OpCost c;
  c.flops = 3 * g->tokens * g->rotated;
  const double cache_element = ctx.input(kCosCache) ? ctx.bytes(ctx.input(kCosCache)) /
                                                          std::max(1.0, ctx.numel(ctx.input(kCosCache)))
                                                    : 0;
  c.bytes_read = ctx.bytes(ctx.input(kRotaryInput)) + ctx.bytes(ctx.input(kRotaryPositionIds)) +
                 2 * g->tokens * static_cast<double>(g->half) * cache_element;
  c.bytes_written = ctx.output_bytes();
  return c;
}

// ---- registrations ------------------------------------------------------------------------

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "Attention",
    .domain = kMs,
    .op_class = OpClass::kMatMul,
    .infer = attention_shape,
    .cost = attention_cost,
    .flops_note = "2 × MACs (QKV projection B·S·Din·(Dq+Dk+Dv) + Q·Kᵀ + P·V) + per score 1 "
                  "(scale) + 5 (softmax) + 1 when masked + the projection bias",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "MultiHeadAttention",
    .domain = kMs,
    .op_class = OpClass::kMatMul,
    .infer = mha_shape,
    .cost = mha_cost,
    .flops_note = "2 × MACs (Q·Kᵀ + P·V: B·H·S·T·(hs + vhs)) + per score 1 (scale) + 5 "
                  "(softmax) + 1 when masked + the bias adds",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "GroupQueryAttention",
    .domain = kMs,
    .op_class = OpClass::kMatMul,
    .infer = gqa_shape,
    .cost = gqa_cost,
    .flops_note = "2 × MACs (Q·Kᵀ + P·V per query head: B·H·S·T·2hs) + per score 1 (scale) + 5 "
                  "(softmax) + 1 when causal or masked + 3 per rotated element with do_rotary",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "RotaryEmbedding",
    .domain = kMs,
    .op_class = OpClass::kElementwise,
    .infer = rotary_shape,
    .cost = rotary_cost,
    .flops_note = "3 per rotated element; bytes = input, the cache rows used and position_ids "
                  "read, output written",
});

}  // namespace
}  // namespace graphs::ops
