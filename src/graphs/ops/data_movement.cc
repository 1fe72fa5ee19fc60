// Data-movement ops that copy or rearrange elements without arithmetic (OpClass::kDataMovement):
// Transpose, Concat, Split, Slice, Expand, Tile, Pad, DepthToSpace, SpaceToDepth, Trilu,
// ReverseSequence. Gather/Scatter-style ops live in gather_scatter.cc, Resize/Upsample in
// resize.cc.
//
// Semantics follow ONNX Operators.md for opsets 1–21; where an attribute became an input (Split
// `split` at 13, Slice starts/ends/axes/steps at 10, Pad `pads`/`value` at 11) both forms are
// accepted. Cost convention: 0 FLOPs; bytes_read = the elements the kernel really reads from the
// data input(s) (Slice: only the selected elements; Pad: only the kept region); parameter inputs
// (shapes, axes, pads, repeats) are host-side metadata and not counted; bytes_written = outputs.
// Known small contents are propagated (Transpose, Concat, Split, Slice, Expand, Tile).
#include <algorithm>
#include <limits>
#include <set>

#include "graphs/ops/op_helpers.h"
#include "graphs/ops/tensor_fold.h"

namespace graphs::ops {
namespace {

using fold::input_dims;
using fold::known_data;
using fold::make_output;
using fold::single;
using Outputs = Result<std::vector<InferredOutput>>;

constexpr const char* kCopyNote = "0; bytes = data input read once + outputs written once";

// Cost: input 0 read in full, outputs written.
OpCost copy_input0_cost(const CostContext& ctx) {
  return fold::move_cost(ctx.bytes(ctx.input(0)), ctx.output_bytes());
}

// Cost: every input read in full, outputs written.
OpCost copy_all_cost(const CostContext& ctx) { return data_movement_cost(ctx); }

// Cost: output-sized read (only the selected elements), outputs written.
OpCost output_sized_cost(const CostContext& ctx) {
  return fold::move_cost(ctx.output_bytes(), ctx.output_bytes());
}

OpSchema movement_op(std::string op_type, ShapeFn infer, CostFn cost, std::string note) {
  return OpSchema{std::move(op_type), "", OpClass::kDataMovement, std::move(infer),
                  std::move(cost), std::move(note)};
}

// ---- Transpose (ONNX Transpose-1/13/21): out.dims[i] = in.dims[perm[i]]; perm defaults to the
// reversed axes.
Outputs infer_transpose(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto in, input_dims(ctx, 0));
  const auto rank = static_cast<int64_t>(in.size());
  std::vector<int64_t> perm = ctx.node.attrs.get_ints("perm");
  if (!ctx.node.attrs.has("perm")) {
    for (int64_t i = rank - 1; i >= 0; --i) perm.push_back(i);
  }
  if (static_cast<int64_t>(perm.size()) != rank) {
    return ctx.error("perm " + fold::dims_string(perm) + " has " + std::to_string(perm.size()) +
                     " entries for an input of rank " + std::to_string(rank));
  }
  std::vector<bool> seen(in.size(), false);
  for (int64_t& p : perm) {
    if (p < 0) p += rank;
    if (p < 0 || p >= rank || seen[static_cast<std::size_t>(p)]) {
      return ctx.error("perm " + fold::dims_string(ctx.node.attrs.get_ints("perm")) +
                       " is not a permutation of the input's " + std::to_string(rank) + " axes");
    }
    seen[static_cast<std::size_t>(p)] = true;
  }
  std::vector<int64_t> out(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = in[static_cast<std::size_t>(perm[i])];
  std::optional<ConstData> data;
  if (const ConstData* d = known_data(ctx, 0); d && fold::foldable(out)) {
    const auto st = fold::strides(in);
    data = fold::take_mapped(*d, out, [&](const std::vector<int64_t>& idx) {
      int64_t src = 0;
      for (std::size_t i = 0; i < idx.size(); ++i) src += idx[i] * st[static_cast<std::size_t>(perm[i])];
      return src;
    });
  }
  return single(make_output(ctx.type(0).dtype, out, std::move(data)));
}

// ---- Concat (ONNX Concat-1/4/11/13): all inputs of one rank, equal dims except at `axis`
// (negative allowed from 11).
Outputs infer_concat(const InferContext& ctx) {
  if (ctx.num_inputs() == 0) return ctx.error("needs at least one input");
  if (!ctx.node.attrs.has("axis")) return ctx.error("attribute 'axis' is required");
  std::vector<std::vector<int64_t>> shapes;
  for (std::size_t i = 0; i < ctx.num_inputs(); ++i) {
    GRAPHS_ASSIGN_OR_RETURN(auto d, input_dims(ctx, i));
    shapes.push_back(std::move(d));
  }
  const auto rank = static_cast<int64_t>(shapes[0].size());
  GRAPHS_ASSIGN_OR_RETURN(const int64_t axis,
                          fold::normalize_axis(ctx, ctx.node.attrs.get_int("axis", 0), rank));
  std::vector<int64_t> out = shapes[0];
  out[static_cast<std::size_t>(axis)] = 0;
  for (std::size_t k = 0; k < shapes.size(); ++k) {
    const auto& s = shapes[k];
    if (static_cast<int64_t>(s.size()) != rank) {
      return ctx.error("input " + std::to_string(k) + " ('" + ctx.input(k)->name + "') has rank " +
                       std::to_string(s.size()) + ", expected " + std::to_string(rank) +
                       " like input 0");
    }
    for (int64_t i = 0; i < rank; ++i) {
      const auto u = static_cast<std::size_t>(i);
      if (i != axis && s[u] != shapes[0][u]) {
        return ctx.error("input " + std::to_string(k) + " ('" + ctx.input(k)->name + "') " +
                         fold::dims_string(s) + " does not match input 0 " +
                         fold::dims_string(shapes[0]) + " at dim " + std::to_string(i) +
                         " (concat axis " + std::to_string(axis) + ")");
      }
    }
    out[static_cast<std::size_t>(axis)] += s[static_cast<std::size_t>(axis)];
  }
  std::optional<ConstData> data;
  bool all_known = fold::foldable(out);
  for (std::size_t k = 0; all_known && k < shapes.size(); ++k) all_known = known_data(ctx, k) != nullptr;
  if (all_known) {
    const DType dtype = ctx.type(0).dtype;
    ConstData acc = fold::filled(dtype, 0, 0);
    const auto a = static_cast<std::size_t>(axis);
    const int64_t outer = product(out, 0, a);
    for (int64_t o = 0; o < outer; ++o) {
      for (std::size_t k = 0; k < shapes.size(); ++k) {
        const ConstData src = fold::convert(*known_data(ctx, k), dtype);
        const int64_t block = product(shapes[k], a);
        for (int64_t j = 0; j < block; ++j) {
          const auto at = static_cast<std::size_t>(o * block + j);
          if (acc.is_float) acc.floats.push_back(src.floats[at]);
          else acc.ints.push_back(src.ints[at]);
        }
      }
    }
    data = std::move(acc);
  }
  return single(make_output(ctx.type(0).dtype, out, std::move(data)));
}

// ---- Split (ONNX Split-1/2/11/13/18): sizes along `axis` from `split` (attribute before 13,
// input 1 from 13); else equal parts, one per output (`num_outputs` at 18), where from opset 18 a
// dim that does not divide evenly gives ceil(dim / n)-sized parts and a smaller last one.
Outputs infer_split(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto in, input_dims(ctx, 0));
  const auto rank = static_cast<int64_t>(in.size());
  GRAPHS_ASSIGN_OR_RETURN(const int64_t axis,
                          fold::normalize_axis(ctx, ctx.node.attrs.get_int("axis", 0), rank));
  const auto a = static_cast<std::size_t>(axis);
  const int64_t dim = in[a];
  const auto n_out = static_cast<int64_t>(ctx.node.outputs.size());
  if (n_out == 0) return ctx.error("has no outputs");
  GRAPHS_ASSIGN_OR_RETURN(auto split, fold::ints_from_input_or_attr(ctx, 1, "split", "split sizes"));
  std::vector<int64_t> sizes;
  if (split && !split->empty()) {  // an empty `split` tensor counts as absent
    sizes = *split;
    if (static_cast<int64_t>(sizes.size()) != n_out) {
      return ctx.error("split " + fold::dims_string(sizes) + " has " +
                       std::to_string(sizes.size()) + " entries for " + std::to_string(n_out) +
                       " outputs");
    }
    int64_t sum = 0;
    for (int64_t s : sizes) {
      if (s < 0) return ctx.error("split " + fold::dims_string(sizes) + " has a negative size");
      sum += s;
    }
    if (sum != dim) {
      return ctx.error("split " + fold::dims_string(sizes) + " sums to " + std::to_string(sum) +
                       " but axis " + std::to_string(axis) + " of input " + fold::dims_string(in) +
                       " has size " + std::to_string(dim));
    }
  } else {
    const int64_t n = ctx.node.attrs.get_int("num_outputs", n_out);
    if (n != n_out) {
      return ctx.error("num_outputs is " + std::to_string(n) + " but the node has " +
                       std::to_string(n_out) + " outputs");
    }
    if (dim % n == 0) {
      sizes.assign(static_cast<std::size_t>(n), dim / n);
    } else if (ctx.opset >= 18) {
      const int64_t chunk = (dim + n - 1) / n;
      if (chunk * (n - 1) > dim) {
        return ctx.error("axis size " + std::to_string(dim) + " cannot be split into " +
                         std::to_string(n) + " parts of " + std::to_string(chunk));
      }
      sizes.assign(static_cast<std::size_t>(n), chunk);
      sizes.back() = dim - chunk * (n - 1);
    } else {
      return ctx.error("axis size " + std::to_string(dim) + " does not divide into " +
                       std::to_string(n) + " equal parts");
    }
  }
  const ConstData* d = known_data(ctx, 0);
  const auto st = fold::strides(in);
  std::vector<InferredOutput> outs;
  int64_t offset = 0;
  for (int64_t s : sizes) {
    std::vector<int64_t> out = in;
    out[a] = s;
    std::optional<ConstData> data;
    if (d && fold::foldable(out)) {
      data = fold::take_mapped(*d, out, [&](const std::vector<int64_t>& idx) {
        int64_t src = 0;
        for (std::size_t i = 0; i < idx.size(); ++i) src += (idx[i] + (i == a ? offset : 0)) * st[i];
        return src;
      });
    }
    outs.push_back(make_output(ctx.type(0).dtype, out, std::move(data)));
    offset += s;
  }
  return outs;
}

// ---- Slice (ONNX Slice-1/10/11/13): starts/ends/axes as attributes before 10, inputs 1..4
// (starts, ends, axes, steps) from 10. Per axis of size d and step s: negative starts/ends add d;
// then starts clamp to [0, d] (s > 0) or [0, d-1] (s < 0) and ends to [0, d] or [-1, d-1], so
// INT64_MAX / INT64_MIN mean "to the end". Count = max(0, ceil((end - start) / s)).
struct SliceAxis {
  int64_t start = 0;
  int64_t step = 1;
  int64_t count = 0;
};

Outputs infer_slice(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto in, input_dims(ctx, 0));
  const auto rank = static_cast<int64_t>(in.size());
  std::vector<int64_t> starts, ends, axes, steps;
  const bool from_attrs = !ctx.input(1) && ctx.node.attrs.has("starts");
  if (from_attrs) {
    starts = ctx.node.attrs.get_ints("starts");
    ends = ctx.node.attrs.get_ints("ends");
    axes = ctx.node.attrs.get_ints("axes");
  } else {
    GRAPHS_ASSIGN_OR_RETURN(starts, fold::require_ints(ctx, 1, "slice starts"));
    GRAPHS_ASSIGN_OR_RETURN(ends, fold::require_ints(ctx, 2, "slice ends"));
    if (ctx.input(3)) {
      GRAPHS_ASSIGN_OR_RETURN(axes, fold::require_ints(ctx, 3, "slice axes"));
    }
    if (ctx.input(4)) {
      GRAPHS_ASSIGN_OR_RETURN(steps, fold::require_ints(ctx, 4, "slice steps"));
    }
  }
  if (starts.size() != ends.size()) {
    return ctx.error("starts " + fold::dims_string(starts) + " and ends " +
                     fold::dims_string(ends) + " differ in length");
  }
  if (axes.empty()) {
    for (std::size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size()) {
    return ctx.error("starts, ends, axes and steps must have one entry per sliced axis (got " +
                     std::to_string(starts.size()) + ", " + std::to_string(ends.size()) + ", " +
                     std::to_string(axes.size()) + ", " + std::to_string(steps.size()) + ")");
  }
  std::vector<SliceAxis> spec(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) spec[i].count = in[i];
  std::vector<bool> seen(in.size(), false);
  for (std::size_t k = 0; k < starts.size(); ++k) {
    GRAPHS_ASSIGN_OR_RETURN(const int64_t axis, fold::normalize_axis(ctx, axes[k], rank, "slice axis"));
    const auto u = static_cast<std::size_t>(axis);
    if (seen[u]) return ctx.error("slice axis " + std::to_string(axes[k]) + " is repeated");
    seen[u] = true;
    const int64_t d = in[u];
    const int64_t s = steps[k];
    if (s == 0) return ctx.error("slice step for axis " + std::to_string(axes[k]) + " is 0");
    int64_t b = starts[k];
    int64_t e = ends[k];
    if (b < 0) b += d;
    if (e < 0) e += d;
    int64_t count;
    if (s > 0) {
      b = std::clamp<int64_t>(b, 0, d);
      e = std::clamp<int64_t>(e, 0, d);
      count = e > b ? (e - b + s - 1) / s : 0;
    } else {
      b = std::clamp<int64_t>(b, 0, std::max<int64_t>(d - 1, 0));
      e = std::clamp<int64_t>(e, -1, d - 1);
      count = b > e ? (b - e + (-s) - 1) / (-s) : 0;
      if (d == 0) count = 0;
    }
    spec[u] = {b, s, count};
  }
  std::vector<int64_t> out(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = spec[i].count;
  std::optional<ConstData> data;
  if (const ConstData* d = known_data(ctx, 0); d && fold::foldable(out)) {
    const auto st = fold::strides(in);
    data = fold::take_mapped(*d, out, [&](const std::vector<int64_t>& idx) {
      int64_t src = 0;
      for (std::size_t i = 0; i < idx.size(); ++i) {
        src += (spec[i].start + idx[i] * spec[i].step) * st[i];
      }
      return src;
    });
  }
  return single(make_output(ctx.type(0).dtype, out, std::move(data)));
}

// ---- Expand (ONNX Expand-8/13): output = multidirectional broadcast of the input's shape and
// the `shape` input's contents (which must be known).
Outputs infer_expand(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto in, input_dims(ctx, 0));
  GRAPHS_ASSIGN_OR_RETURN(auto target, fold::require_ints(ctx, 1, "expand shape"));
  auto out = broadcast_shapes({in, target});
  if (!out.ok()) {
    return ctx.error("cannot expand input " + fold::dims_string(in) + " to shape " +
                     fold::dims_string(target) + ": " + out.error().message());
  }
  std::optional<ConstData> data;
  if (const ConstData* d = known_data(ctx, 0); d && fold::foldable(*out)) {
    const auto st = fold::strides(in);
    const std::size_t offset = out->size() - in.size();
    data = fold::take_mapped(*d, *out, [&](const std::vector<int64_t>& idx) {
      int64_t src = 0;
      for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != 1) src += idx[offset + i] * st[i];
      }
      return src;
    });
  }
  return single(make_output(ctx.type(0).dtype, *out, std::move(data)));
}

// ---- Tile (ONNX Tile-6/13): out.dims[i] = in.dims[i] × repeats[i]; repeats must be known.
Outputs infer_tile(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto in, input_dims(ctx, 0));
  GRAPHS_ASSIGN_OR_RETURN(auto repeats, fold::require_ints(ctx, 1, "tile repeats"));
  if (repeats.size() != in.size()) {
    return ctx.error("repeats " + fold::dims_string(repeats) + " has " +
                     std::to_string(repeats.size()) + " entries for an input of rank " +
                     std::to_string(in.size()));
  }
  std::vector<int64_t> out(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (repeats[i] < 0) {
      return ctx.error("repeats " + fold::dims_string(repeats) + " has a negative entry");
    }
    if (in[i] > 0 && repeats[i] > std::numeric_limits<int64_t>::max() / in[i]) {
      return ctx.error("repeats " + fold::dims_string(repeats) + " overflow the output size");
    }
    out[i] = in[i] * repeats[i];
  }
  std::optional<ConstData> data;
  if (const ConstData* d = known_data(ctx, 0); d && fold::foldable(out)) {
    const auto st = fold::strides(in);
    data = fold::take_mapped(*d, out, [&](const std::vector<int64_t>& idx) {
      int64_t src = 0;
      for (std::size_t i = 0; i < idx.size(); ++i) src += (idx[i] % in[i]) * st[i];
      return src;
    });
  }
  return single(make_output(ctx.type(0).dtype, out, std::move(data)));
}

// ---- Pad (ONNX Pad-1/2/11/13/18/19/21): `pads` = [x1_begin, x2_begin, ..., x1_end, x2_end]
// (attribute `pads`, or `paddings` at opset 1, before 11; input 1 from 11), over `axes` (input 3,
// opset 18) or all axes. Negative pads crop. out.dims[i] = dims[i] + begin + end.
struct PadSpec {
  std::vector<int64_t> begin;
  std::vector<int64_t> end;
};

// Pads per input axis from pads contents `pads` and optional `axes`; error text on failure.
Result<PadSpec> resolve_pads(const std::vector<int64_t>& pads, std::vector<int64_t> axes,
                             int64_t rank) {
  if (axes.empty()) {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  if (pads.size() != 2 * axes.size()) {
    return make_error(ErrorCode::kShapeError, "pads ", fold::dims_string(pads), " has ",
                      pads.size(), " entries, expected ", 2 * axes.size(),
                      " (begin and end for each of ", axes.size(), " axes)");
  }
  PadSpec spec{std::vector<int64_t>(static_cast<std::size_t>(rank), 0),
               std::vector<int64_t>(static_cast<std::size_t>(rank), 0)};
  for (std::size_t k = 0; k < axes.size(); ++k) {
    auto a = normalize_axis(axes[k], rank);
    if (!a.ok()) return std::move(a).error();
    spec.begin[static_cast<std::size_t>(*a)] = pads[k];
    spec.end[static_cast<std::size_t>(*a)] = pads[k + axes.size()];
  }
  return spec;
}

Outputs infer_pad(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto in, input_dims(ctx, 0));
  std::vector<int64_t> pads, axes;
  if (ctx.input(1)) {
    GRAPHS_ASSIGN_OR_RETURN(pads, fold::require_ints(ctx, 1, "pads"));
  } else if (ctx.node.attrs.has("pads") || ctx.node.attrs.has("paddings")) {
    pads = ctx.node.attrs.get_ints(ctx.node.attrs.has("pads") ? "pads" : "paddings");
  } else {
    return ctx.error("pads are required (attribute before opset 11, input 1 from 11)");
  }
  if (ctx.input(3)) {
    GRAPHS_ASSIGN_OR_RETURN(axes, fold::require_ints(ctx, 3, "pad axes"));
  }
  auto spec = resolve_pads(pads, axes, static_cast<int64_t>(in.size()));
  if (!spec.ok()) return ctx.error(spec.error().message());
  const std::string mode = ctx.node.attrs.get_string("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap") {
    return ctx.error("unknown mode '" + mode + "' (expected constant, reflect, edge or wrap)");
  }
  std::vector<int64_t> out(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    out[i] = in[i] + spec->begin[i] + spec->end[i];
    if (out[i] < 0) {
      return ctx.error("pads " + fold::dims_string(pads) + " crop axis " + std::to_string(i) +
                       " of input " + fold::dims_string(in) + " below zero");
    }
  }
  return single(make_output(ctx.type(0).dtype, out));
}

// Pad reads only the input region that survives cropping (all of it when no pad is negative).
OpCost pad_cost(const CostContext& ctx) {
  const Value* x = ctx.input(0);
  OpCost c = fold::move_cost(ctx.bytes(x), ctx.output_bytes());
  if (!x || !x->type.is_static()) return c;
  const auto in = x->type.dims();
  std::vector<int64_t> pads, axes;
  if (const Value* p = ctx.input(1); p && p->data) {
    for (std::size_t i = 0; i < p->data->size(); ++i) pads.push_back(p->data->as_int(i));
  } else {
    pads = ctx.node.attrs.get_ints(ctx.node.attrs.has("pads") ? "pads" : "paddings");
  }
  if (const Value* a = ctx.input(3); a && a->data) {
    for (std::size_t i = 0; i < a->data->size(); ++i) axes.push_back(a->data->as_int(i));
  }
  auto spec = resolve_pads(pads, axes, static_cast<int64_t>(in.size()));
  if (!spec.ok()) return c;
  double kept = 1;
  for (std::size_t i = 0; i < in.size(); ++i) {
    kept *= static_cast<double>(std::max<int64_t>(
        0, in[i] - std::max<int64_t>(0, -spec->begin[i]) - std::max<int64_t>(0, -spec->end[i])));
  }
  const double n = ctx.numel(x);
  if (n > 0) c.bytes_read = ctx.bytes(x) * kept / n;
  return c;
}

// ---- DepthToSpace (ONNX DepthToSpace-1/11/13): [N, C, H, W] → [N, C/b², H·b, W·b].
Outputs infer_depth_to_space(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto in, input_dims(ctx, 0));
  if (in.size() != 4) return ctx.error("input must be 4-D [N,C,H,W], got " + fold::dims_string(in));
  const int64_t b = ctx.node.attrs.get_int("blocksize", 0);
  if (b <= 0) return ctx.error("attribute 'blocksize' must be positive");
  if (in[1] % (b * b) != 0) {
    return ctx.error("channels " + std::to_string(in[1]) + " are not divisible by blocksize² = " +
                     std::to_string(b * b));
  }
  return single(make_output(ctx.type(0).dtype, {in[0], in[1] / (b * b), in[2] * b, in[3] * b}));
}

// ---- SpaceToDepth (ONNX SpaceToDepth-1/13): [N, C, H, W] → [N, C·b², H/b, W/b].
Outputs infer_space_to_depth(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto in, input_dims(ctx, 0));
  if (in.size() != 4) return ctx.error("input must be 4-D [N,C,H,W], got " + fold::dims_string(in));
  const int64_t b = ctx.node.attrs.get_int("blocksize", 0);
  if (b <= 0) return ctx.error("attribute 'blocksize' must be positive");
  if (in[2] % b != 0 || in[3] % b != 0) {
    return ctx.error("spatial dims " + std::to_string(in[2]) + "x" + std::to_string(in[3]) +
                     " are not divisible by blocksize " + std::to_string(b));
  }
  return single(make_output(ctx.type(0).dtype, {in[0], in[1] * b * b, in[2] / b, in[3] / b}));
}

// ---- Trilu (ONNX Trilu-14): same shape as the input, rank ≥ 2; optional scalar k (input 1).
Outputs infer_trilu(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto in, input_dims(ctx, 0));
  if (in.size() < 2) return ctx.error("input must have rank ≥ 2, got " + fold::dims_string(in));
  return single(make_output(ctx.type(0).dtype, in));
}

// ---- ReverseSequence (ONNX ReverseSequence-10): same shape as the input, rank ≥ 2.
Outputs infer_reverse_sequence(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto in, input_dims(ctx, 0));
  if (in.size() < 2) return ctx.error("input must have rank ≥ 2, got " + fold::dims_string(in));
  return single(make_output(ctx.type(0).dtype, in));
}

}  // namespace

GRAPHS_REGISTER_OP(movement_op("Transpose", infer_transpose, copy_input0_cost, kCopyNote));
GRAPHS_REGISTER_OP(movement_op("Concat", infer_concat, copy_all_cost,
                               "0; bytes = every input read once + output written once"));
GRAPHS_REGISTER_OP(movement_op("Split", infer_split, copy_input0_cost, kCopyNote));
GRAPHS_REGISTER_OP(movement_op("Slice", infer_slice, output_sized_cost,
                               "0; bytes = output-sized read (selected elements only) + output "
                               "written"));
GRAPHS_REGISTER_OP(movement_op("Expand", infer_expand, copy_input0_cost,
                               "0; bytes = input read once + broadcast output written"));
GRAPHS_REGISTER_OP(movement_op("Tile", infer_tile, copy_input0_cost, kCopyNote));
GRAPHS_REGISTER_OP(movement_op("Pad", infer_pad, pad_cost,
                               "0; bytes = kept input region read + output written"));
GRAPHS_REGISTER_OP(movement_op("DepthToSpace", infer_depth_to_space, copy_input0_cost, kCopyNote));
GRAPHS_REGISTER_OP(movement_op("SpaceToDepth", infer_space_to_depth, copy_input0_cost, kCopyNote));
GRAPHS_REGISTER_OP(movement_op("Trilu", infer_trilu, copy_input0_cost,
                               "0 (masking is a select); bytes = input read + output written"));
GRAPHS_REGISTER_OP(movement_op("ReverseSequence", infer_reverse_sequence, copy_all_cost,
                               "0; bytes = input and sequence lengths read + output written"));

}  // namespace graphs::ops
