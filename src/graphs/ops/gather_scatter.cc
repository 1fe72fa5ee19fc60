// Index-driven data movement and selection ops: Gather, GatherElements, GatherND, ScatterND,
// ScatterElements, Scatter, OneHot, NonZero, Compress, TopK, CumSum.
//
// Semantics follow ONNX Operators.md for opsets 1–21. Cost conventions:
//  - Gathers read only the gathered elements of the data tensor (an output-sized read, at the
//    data's dtype) plus the indices, never the whole table: an embedding lookup of 128 tokens in
//    a [30522, 768] float32 table reads 128·768·4 + 128·8 bytes.
//  - Scatters read data, indices and updates and write the output (data is copied to the output,
//    then updates land in it); a `reduction` other than "none" adds 1 FLOP per update element.
//  - NonZero and Compress have data-dependent output shapes: they resolve only when the deciding
//    tensor's contents are known, else the rule fails with "output shape depends on tensor
//    contents".
#include <algorithm>
#include <cmath>

#include "graphs/ops/op_helpers.h"
#include "graphs/ops/tensor_fold.h"

namespace graphs::ops {
namespace {

using fold::input_dims;
using fold::known_data;
using fold::make_output;
using fold::single;
using Outputs = Result<std::vector<InferredOutput>>;

OpSchema movement_op(std::string op_type, ShapeFn infer, CostFn cost, std::string note,
                     OpClass op_class = OpClass::kDataMovement) {
  return OpSchema{std::move(op_type), "", op_class, std::move(infer), std::move(cost),
                  std::move(note)};
}

// Gathers: output-sized read of the data + indices read; output written.
OpCost gather_cost(const CostContext& ctx) {
  return fold::move_cost(ctx.bytes(ctx.output(0)) + ctx.bytes(ctx.input(1)), ctx.output_bytes());
}

// Scatters: data, indices and updates read; output written; 1 FLOP per update element when the
// updates are combined with a reduction.
OpCost scatter_cost(const CostContext& ctx) {
  const std::string reduction = ctx.node.attrs.get_string("reduction", "none");
  const double flops = reduction == "none" ? 0 : ctx.numel(ctx.input(2));
  return fold::move_cost(ctx.input_bytes(), ctx.output_bytes(), flops);
}

// Input 0 read, outputs written.
OpCost read_input0_cost(const CostContext& ctx) {
  return fold::move_cost(ctx.bytes(ctx.input(0)), ctx.output_bytes());
}

// Error unless every known index lies in [-n, n-1].
Status check_indices(const InferContext& ctx, const ConstData* idx, int64_t n, int64_t axis) {
  if (!idx) return ok_status();
  for (std::size_t i = 0; i < idx->size(); ++i) {
    const int64_t v = idx->as_int(i);
    if (v < -n || v >= n) {
      return ctx.error("index " + std::to_string(v) + " is out of range for axis " +
                       std::to_string(axis) + " of size " + std::to_string(n));
    }
  }
  return ok_status();
}

// ---- Gather (ONNX Gather-1/11/13): out = data.dims[:axis] + indices.dims + data.dims[axis+1:];
// negative indices count from the end (opset 11).
Outputs infer_gather(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto data_dims, input_dims(ctx, 0));
  GRAPHS_ASSIGN_OR_RETURN(auto idx_dims, input_dims(ctx, 1));
  if (data_dims.empty()) return ctx.error("data must have rank ≥ 1, got a scalar");
  const auto rank = static_cast<int64_t>(data_dims.size());
  GRAPHS_ASSIGN_OR_RETURN(const int64_t axis,
                          fold::normalize_axis(ctx, ctx.node.attrs.get_int("axis", 0), rank));
  const auto a = static_cast<std::size_t>(axis);
  const int64_t n = data_dims[a];
  const ConstData* idx = known_data(ctx, 1);
  GRAPHS_RETURN_IF_ERROR(check_indices(ctx, idx, n, axis));
  std::vector<int64_t> out(data_dims.begin(), data_dims.begin() + axis);
  out.insert(out.end(), idx_dims.begin(), idx_dims.end());
  out.insert(out.end(), data_dims.begin() + axis + 1, data_dims.end());
  std::optional<ConstData> data;
  if (const ConstData* d = known_data(ctx, 0); d && idx && fold::foldable(out)) {
    const int64_t outer = product(data_dims, 0, a);
    const int64_t inner = product(data_dims, a + 1);
    std::vector<int64_t> src;
    src.reserve(static_cast<std::size_t>(fold::numel(out)));
    for (int64_t o = 0; o < outer; ++o) {
      for (std::size_t j = 0; j < idx->size(); ++j) {
        int64_t i = idx->as_int(j);
        if (i < 0) i += n;
        for (int64_t k = 0; k < inner; ++k) src.push_back((o * n + i) * inner + k);
      }
    }
    data = fold::take(*d, src);
  }
  return single(make_output(ctx.type(0).dtype, out, std::move(data)));
}

// ---- GatherElements (ONNX GatherElements-11/13): out has the indices' shape; data and indices
// have the same rank; out[i][j]... = data[..., indices[i][j]..., ...] along `axis`.
Outputs infer_gather_elements(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto data_dims, input_dims(ctx, 0));
  GRAPHS_ASSIGN_OR_RETURN(auto idx_dims, input_dims(ctx, 1));
  if (data_dims.size() != idx_dims.size() || data_dims.empty()) {
    return ctx.error("data " + fold::dims_string(data_dims) + " and indices " +
                     fold::dims_string(idx_dims) + " must have the same rank ≥ 1");
  }
  const auto rank = static_cast<int64_t>(data_dims.size());
  GRAPHS_ASSIGN_OR_RETURN(const int64_t axis,
                          fold::normalize_axis(ctx, ctx.node.attrs.get_int("axis", 0), rank));
  const auto a = static_cast<std::size_t>(axis);
  const ConstData* idx = known_data(ctx, 1);
  GRAPHS_RETURN_IF_ERROR(check_indices(ctx, idx, data_dims[a], axis));
  std::optional<ConstData> data;
  if (const ConstData* d = known_data(ctx, 0); d && idx && fold::foldable(idx_dims)) {
    const auto st = fold::strides(data_dims);
    int64_t flat = 0;
    data = fold::take_mapped(*d, idx_dims, [&](const std::vector<int64_t>& at) {
      int64_t src = 0;
      for (std::size_t i = 0; i < at.size(); ++i) {
        int64_t v = at[i];
        if (i == a) {
          v = idx->as_int(static_cast<std::size_t>(flat));
          if (v < 0) v += data_dims[a];
        }
        src += v * st[i];
      }
      ++flat;
      return src;
    });
  }
  return single(make_output(ctx.type(0).dtype, idx_dims, std::move(data)));
}

// ---- GatherND (ONNX GatherND-11/12/13): with k = indices.dims[-1] and b = batch_dims (opset 12),
// out = indices.dims[:-1] + data.dims[b + k:].
Outputs infer_gather_nd(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto data_dims, input_dims(ctx, 0));
  GRAPHS_ASSIGN_OR_RETURN(auto idx_dims, input_dims(ctx, 1));
  const int64_t b = ctx.node.attrs.get_int("batch_dims", 0);
  const auto r = static_cast<int64_t>(data_dims.size());
  const auto q = static_cast<int64_t>(idx_dims.size());
  if (r < 1 || q < 1) return ctx.error("data and indices must have rank ≥ 1");
  if (b < 0 || b >= std::min(r, q)) {
    return ctx.error("batch_dims " + std::to_string(b) + " must be in [0, min(rank(data), "
                     "rank(indices)) - 1]");
  }
  for (int64_t i = 0; i < b; ++i) {
    const auto u = static_cast<std::size_t>(i);
    if (data_dims[u] != idx_dims[u]) {
      return ctx.error("batch dim " + std::to_string(i) + " differs: data " +
                       fold::dims_string(data_dims) + ", indices " + fold::dims_string(idx_dims));
    }
  }
  const int64_t k = idx_dims.back();
  if (k < 1 || k > r - b) {
    return ctx.error("indices' last dim " + std::to_string(k) + " must be in [1, " +
                     std::to_string(r - b) + "] for data " + fold::dims_string(data_dims));
  }
  std::vector<int64_t> out(idx_dims.begin(), idx_dims.end() - 1);
  out.insert(out.end(), data_dims.begin() + b + k, data_dims.end());
  return single(make_output(ctx.type(0).dtype, out));
}

// ---- ScatterND (ONNX ScatterND-11/13/16/18): out has data's shape; updates must have shape
// indices.dims[:-1] + data.dims[indices.dims[-1]:].
Outputs infer_scatter_nd(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto data_dims, input_dims(ctx, 0));
  GRAPHS_ASSIGN_OR_RETURN(auto idx_dims, input_dims(ctx, 1));
  GRAPHS_ASSIGN_OR_RETURN(auto upd_dims, input_dims(ctx, 2));
  if (idx_dims.empty()) return ctx.error("indices must have rank ≥ 1");
  const int64_t k = idx_dims.back();
  if (k < 0 || k > static_cast<int64_t>(data_dims.size())) {
    return ctx.error("indices' last dim " + std::to_string(k) + " exceeds the rank of data " +
                     fold::dims_string(data_dims));
  }
  std::vector<int64_t> expected(idx_dims.begin(), idx_dims.end() - 1);
  expected.insert(expected.end(), data_dims.begin() + k, data_dims.end());
  if (upd_dims != expected) {
    return ctx.error("updates " + fold::dims_string(upd_dims) + " must have shape " +
                     fold::dims_string(expected));
  }
  return single(make_output(ctx.type(0).dtype, data_dims));
}

// ---- ScatterElements (ONNX ScatterElements-11/13/16/18) and Scatter (ONNX Scatter-9/11,
// deprecated alias): out has data's shape; indices and updates share one shape of data's rank.
Outputs infer_scatter_elements(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto data_dims, input_dims(ctx, 0));
  GRAPHS_ASSIGN_OR_RETURN(auto idx_dims, input_dims(ctx, 1));
  GRAPHS_ASSIGN_OR_RETURN(auto upd_dims, input_dims(ctx, 2));
  if (idx_dims != upd_dims || idx_dims.size() != data_dims.size()) {
    return ctx.error("indices " + fold::dims_string(idx_dims) + " and updates " +
                     fold::dims_string(upd_dims) + " must have one shape of data's rank " +
                     std::to_string(data_dims.size()));
  }
  GRAPHS_ASSIGN_OR_RETURN(
      [[maybe_unused]] const int64_t axis,
      fold::normalize_axis(ctx, ctx.node.attrs.get_int("axis", 0),
                           static_cast<int64_t>(data_dims.size())));
  return single(make_output(ctx.type(0).dtype, data_dims));
}

// ---- OneHot (ONNX OneHot-9/11): inserts a dim of size `depth` (input 1, must be known) at
// `axis` (default -1, counted in the output's rank); output dtype is `values`' (input 2).
Outputs infer_one_hot(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto idx_dims, input_dims(ctx, 0));
  GRAPHS_ASSIGN_OR_RETURN(auto depth_v, fold::require_floats(ctx, 1, "depth"));
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(3));
  if (depth_v.size() != 1) return ctx.error("depth must have exactly one element");
  const auto depth = static_cast<int64_t>(depth_v[0]);
  if (depth < 1) return ctx.error("depth must be positive, got " + std::to_string(depth));
  const auto out_rank = static_cast<int64_t>(idx_dims.size()) + 1;
  GRAPHS_ASSIGN_OR_RETURN(const int64_t axis,
                          fold::normalize_axis(ctx, ctx.node.attrs.get_int("axis", -1), out_rank));
  std::vector<int64_t> out = idx_dims;
  out.insert(out.begin() + axis, depth);
  return single(make_output(ctx.type(2).dtype, out));
}

// ---- NonZero (ONNX NonZero-9/13): int64 [rank, nnz] of the indices of non-zero elements
// (a scalar counts as rank 1, as numpy and ONNX Runtime do). nnz depends on the contents.
Outputs infer_non_zero(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto in, input_dims(ctx, 0));
  const ConstData* d = known_data(ctx, 0);
  if (!d) {
    return ctx.error("output shape depends on tensor contents: the number of non-zero elements "
                     "of input '" + ctx.input(0)->name + "' is not known at analysis time");
  }
  const std::vector<int64_t> dims = in.empty() ? std::vector<int64_t>{1} : in;
  std::vector<std::vector<int64_t>> coords(dims.size());
  int64_t nnz = 0;
  std::size_t flat_at = 0;
  fold::for_each_index(dims, [&](const std::vector<int64_t>& idx) {
    if (d->as_double(flat_at++) != 0) {
      for (std::size_t i = 0; i < idx.size(); ++i) coords[i].push_back(idx[i]);
      ++nnz;
    }
  });
  std::vector<int64_t> flat;
  for (const auto& c : coords) flat.insert(flat.end(), c.begin(), c.end());
  const std::vector<int64_t> out{static_cast<int64_t>(dims.size()), nnz};
  return single(make_output(DType::kInt64, out, ConstData::of_ints(std::move(flat))));
}

// ---- Compress (ONNX Compress-9/11): keeps the slices along `axis` (or of the flattened input
// when `axis` is absent) whose `condition` entry is true; condition may be shorter than the
// axis. The output size depends on the condition's contents.
Outputs infer_compress(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto in, input_dims(ctx, 0));
  const ConstData* cond = known_data(ctx, 1);
  if (!cond) {
    return ctx.error("output shape depends on tensor contents: condition '" +
                     (ctx.input(1) ? ctx.input(1)->name : std::string("?")) +
                     "' is not known at analysis time");
  }
  const bool has_axis = ctx.node.attrs.has("axis");
  int64_t limit = fold::numel(in);
  int64_t axis = 0;
  if (has_axis) {
    GRAPHS_ASSIGN_OR_RETURN(axis, fold::normalize_axis(ctx, ctx.node.attrs.get_int("axis", 0),
                                                       static_cast<int64_t>(in.size())));
    limit = in[static_cast<std::size_t>(axis)];
  }
  if (static_cast<int64_t>(cond->size()) > limit) {
    return ctx.error("condition has " + std::to_string(cond->size()) +
                     " entries, more than the " + std::to_string(limit) + " it selects from");
  }
  int64_t kept = 0;
  for (std::size_t i = 0; i < cond->size(); ++i) kept += cond->as_double(i) != 0;
  std::vector<int64_t> out = in;
  if (has_axis) out[static_cast<std::size_t>(axis)] = kept;
  else out = {kept};
  return single(make_output(ctx.type(0).dtype, out));
}

// ---- TopK (ONNX TopK-1/10/11): values (input dtype) and int64 indices, with dims[axis] = K
// (attribute `k` before 10, input 1 from 10, which must be known).
Outputs infer_top_k(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto in, input_dims(ctx, 0));
  int64_t k = 0;
  if (ctx.input(1)) {
    GRAPHS_ASSIGN_OR_RETURN(auto kv, fold::require_ints(ctx, 1, "K"));
    if (kv.size() != 1) return ctx.error("K must have exactly one element");
    k = kv[0];
  } else if (ctx.node.attrs.has("k")) {
    k = ctx.node.attrs.get_int("k", 0);
  } else {
    return ctx.error("K is required (attribute 'k' before opset 10, input 1 from 10)");
  }
  if (in.empty()) return ctx.error("input must have rank ≥ 1");
  GRAPHS_ASSIGN_OR_RETURN(const int64_t axis,
                          fold::normalize_axis(ctx, ctx.node.attrs.get_int("axis", -1),
                                               static_cast<int64_t>(in.size())));
  const int64_t n = in[static_cast<std::size_t>(axis)];
  if (k < 0 || k > n) {
    return ctx.error("K = " + std::to_string(k) + " is out of range for axis " +
                     std::to_string(axis) + " of size " + std::to_string(n));
  }
  std::vector<int64_t> out = in;
  out[static_cast<std::size_t>(axis)] = k;
  return std::vector<InferredOutput>{make_output(ctx.type(0).dtype, out),
                                     make_output(DType::kInt64, out)};
}

// TopK FLOPs: heap selection, ≈ n·ceil(log2(K)) comparisons per slice of length n (at least one
// per element), counted as FLOPs; bytes = input read + values and indices written.
OpCost top_k_cost(const CostContext& ctx) {
  OpCost c = fold::move_cost(ctx.bytes(ctx.input(0)), ctx.output_bytes());
  const Value* x = ctx.input(0);
  const Value* values = ctx.output(0);
  if (!x || !values || !x->type.is_static() || !values->type.is_static() || x->type.rank() == 0) {
    return c;
  }
  const int64_t axis_raw = ctx.node.attrs.get_int("axis", -1);
  const int64_t axis = axis_raw < 0 ? axis_raw + x->type.rank() : axis_raw;
  if (axis < 0 || axis >= x->type.rank()) return c;
  const double k = static_cast<double>(values->type.dims()[static_cast<std::size_t>(axis)]);
  c.flops = ctx.numel(x) * std::max(1.0, std::ceil(std::log2(std::max(k, 1.0))));
  return c;
}

// ---- CumSum (ONNX CumSum-11/14): same shape as x; `axis` is a scalar input.
Outputs infer_cum_sum(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto in, input_dims(ctx, 0));
  if (const ConstData* a = known_data(ctx, 1); a && a->size() == 1) {
    GRAPHS_ASSIGN_OR_RETURN([[maybe_unused]] const int64_t axis,
                            fold::normalize_axis(ctx, a->as_int(0),
                                                 static_cast<int64_t>(in.size())));
  }
  return single(make_output(ctx.type(0).dtype, in));
}

OpCost cum_sum_cost(const CostContext& ctx) {
  return fold::move_cost(ctx.bytes(ctx.input(0)), ctx.output_bytes(), ctx.numel(ctx.output(0)));
}

// TensorScatter-24 (Operators.md "TensorScatter"): writes `update` [B, ..., S_u, ...] into
// `past_cache` [B, ..., S_max, ...] along `axis` (default −2) at write_indices [B] (linear or
// circular mode) → present_cache, past_cache's shape. In place in a KV-cache runtime; counted
// as its own kernel: 0 FLOPs, bytes = inputs read + output written.
Outputs infer_tensor_scatter(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(2));
  GRAPHS_ASSIGN_OR_RETURN(const auto cache, input_dims(ctx, 0));
  GRAPHS_ASSIGN_OR_RETURN(const auto update, input_dims(ctx, 1));
  const auto rank = static_cast<int64_t>(cache.size());
  if (update.size() != cache.size() || rank < 2) {
    return ctx.error("update " + fold::dims_string(update) + " and past_cache " +
                     fold::dims_string(cache) + " must have one rank of 2 or more");
  }
  GRAPHS_ASSIGN_OR_RETURN(const int64_t axis,
                          fold::normalize_axis(ctx, ctx.node.attrs.get_int("axis", -2), rank));
  if (axis == 0) return ctx.error("axis must not be the batch axis 0");
  for (int64_t i = 0; i < rank; ++i) {
    const auto k = static_cast<std::size_t>(i);
    if (i == axis ? update[k] > cache[k] : update[k] != cache[k]) {
      return ctx.error("update " + fold::dims_string(update) + " does not fit past_cache " +
                       fold::dims_string(cache) + " along axis " + std::to_string(axis));
    }
  }
  return std::vector<InferredOutput>{{ctx.type(0), std::nullopt}};
}

GRAPHS_REGISTER_OP(since_opset(
    24, movement_op("TensorScatter", infer_tensor_scatter, data_movement_cost,
                    "0; bytes = past_cache, update and write_indices read, present_cache "
                    "written")));

}  // namespace

GRAPHS_REGISTER_OP(movement_op("Gather", infer_gather, gather_cost,
                               "0; bytes = gathered slices (output-sized) + indices read, output "
                               "written"));
GRAPHS_REGISTER_OP(movement_op("GatherElements", infer_gather_elements, gather_cost,
                               "0; bytes = gathered elements (output-sized) + indices read, output "
                               "written"));
GRAPHS_REGISTER_OP(movement_op("GatherND", infer_gather_nd, gather_cost,
                               "0; bytes = gathered slices (output-sized) + indices read, output "
                               "written"));
GRAPHS_REGISTER_OP(movement_op("ScatterND", infer_scatter_nd, scatter_cost,
                               "0, or 1 per update element with a reduction; bytes = data + "
                               "indices + updates read, output written"));
GRAPHS_REGISTER_OP(movement_op("ScatterElements", infer_scatter_elements, scatter_cost,
                               "0, or 1 per update element with a reduction; bytes = data + "
                               "indices + updates read, output written"));
GRAPHS_REGISTER_OP(movement_op("Scatter", infer_scatter_elements, scatter_cost,
                               "0; bytes = data + indices + updates read, output written"));
GRAPHS_REGISTER_OP(movement_op("OneHot", infer_one_hot, data_movement_cost,
                               "0; bytes = indices, depth and values read, output written"));
GRAPHS_REGISTER_OP(movement_op("NonZero", infer_non_zero, read_input0_cost,
                               "0; bytes = input read, indices written"));
GRAPHS_REGISTER_OP(movement_op("Compress", infer_compress, data_movement_cost,
                               "0; bytes = input and condition read, output written"));
GRAPHS_REGISTER_OP(movement_op("TopK", infer_top_k, top_k_cost,
                               "n·ceil(log2 K) comparisons per slice of length n (heap "
                               "selection); bytes = input read, values + indices written",
                               OpClass::kOther));
GRAPHS_REGISTER_OP(movement_op("CumSum", infer_cum_sum, cum_sum_cost,
                               "1 per element (one add); bytes = input read, output written",
                               OpClass::kElementwise));

}  // namespace graphs::ops
