// Metadata-only ops (OpClass::kShape): Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze,
// Constant, ConstantOfShape, Range, EyeLike.
//
// Semantics follow ONNX Operators.md for opsets 1–21; where an attribute became an input (Reshape
// `shape` at 5, Squeeze/Unsqueeze `axes` at 13) both forms are accepted. Every op here is either a
// view of its input or a tensor computable from shapes and constants alone, so runtimes fold it
// away: the cost rule is zero. Their outputs carry known contents (ConstData) when small, which
// is what lets exporters' shape arithmetic (Shape→Gather→Unsqueeze→Concat→Reshape) resolve.
#include <algorithm>
#include <cmath>
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

constexpr const char* kViewNote = "0 (metadata only: a view or a tensor folded at load time)";

// Shape (ONNX Shape-1/13/15/19/21): int64 1-D of the input dims; `start`/`end` (opset 15)
// select dims [start, end) after adding rank to negatives and clamping to [0, rank].
Outputs infer_shape(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto dims, input_dims(ctx, 0));
  const auto rank = static_cast<int64_t>(dims.size());
  auto clamp = [rank](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank); };
  const int64_t start = clamp(ctx.node.attrs.get_int("start", 0));
  const int64_t end = clamp(ctx.node.attrs.get_int("end", rank));
  std::vector<int64_t> out;
  if (end > start) out.assign(dims.begin() + start, dims.begin() + end);
  const auto n = static_cast<int64_t>(out.size());
  return single(make_output(DType::kInt64, {n}, ConstData::of_ints(std::move(out))));
}

// Size (ONNX Size-1/13/19/21): int64 scalar holding the element count.
Outputs infer_size(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto dims, input_dims(ctx, 0));
  return single(make_output(DType::kInt64, {}, ConstData::of_ints({fold::numel(dims)})));
}

// Reshape (ONNX Reshape-1/5/13/14/19/21): target shape from input 1 (attribute `shape` before
// opset 5). A 0 copies the input dim at the same position unless `allowzero` = 1 (opset 14), in
// which case it is a real 0; at most one -1, inferred from the element count.
Outputs infer_reshape(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto in, input_dims(ctx, 0));
  std::vector<int64_t> target;
  if (ctx.input(1)) {
    GRAPHS_ASSIGN_OR_RETURN(target, fold::require_ints(ctx, 1, "target shape"));
  } else if (ctx.node.attrs.has("shape")) {
    target = ctx.node.attrs.get_ints("shape");
  } else {
    return ctx.error("target shape is missing (no input 1 and no 'shape' attribute)");
  }
  const bool allowzero = ctx.node.attrs.get_int("allowzero", 0) != 0;
  const int64_t in_numel = fold::numel(in);
  std::vector<int64_t> out(target.size());
  int64_t infer_at = -1;
  int64_t known = 1;
  for (std::size_t i = 0; i < target.size(); ++i) {
    const int64_t t = target[i];
    if (t == -1) {
      if (infer_at >= 0) return ctx.error("target shape " + fold::dims_string(target) +
                                          " has more than one -1");
      infer_at = static_cast<int64_t>(i);
      continue;
    }
    if (t < -1) {
      return ctx.error("target shape " + fold::dims_string(target) + " has invalid dim " +
                       std::to_string(t));
    }
    if (t == 0 && !allowzero) {
      if (i >= in.size()) {
        return ctx.error("target shape " + fold::dims_string(target) + " copies dim " +
                         std::to_string(i) + " (a 0) but the input " + fold::dims_string(in) +
                         " has rank " + std::to_string(in.size()));
      }
      out[i] = in[i];
    } else {
      out[i] = t;
    }
    if (out[i] > 0 && known > std::numeric_limits<int64_t>::max() / out[i]) {
      return ctx.error("target shape " + fold::dims_string(target) + " has too many elements");
    }
    known *= out[i];
  }
  if (infer_at >= 0) {
    if (known == 0 || in_numel % known != 0) {
      return ctx.error("cannot reshape input " + fold::dims_string(in) + " (" +
                       std::to_string(in_numel) + " elements) into " + fold::dims_string(target));
    }
    out[static_cast<std::size_t>(infer_at)] = in_numel / known;
  } else if (known != in_numel) {
    return ctx.error("cannot reshape input " + fold::dims_string(in) + " (" +
                     std::to_string(in_numel) + " elements) into " + fold::dims_string(out) + " (" +
                     std::to_string(known) + " elements)");
  }
  std::optional<ConstData> data;
  if (const ConstData* d = known_data(ctx, 0)) data = *d;
  return single(make_output(ctx.type(0).dtype, out, std::move(data)));
}

// Flatten (ONNX Flatten-1/9/11/13/21): 2-D [prod(dims[:axis]), prod(dims[axis:])]; axis in
// [-r, r], default 1.
Outputs infer_flatten(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto in, input_dims(ctx, 0));
  const auto rank = static_cast<int64_t>(in.size());
  int64_t axis = ctx.node.attrs.get_int("axis", 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank) {
    return ctx.error("axis " + std::to_string(ctx.node.attrs.get_int("axis", 1)) +
                     " is out of range for rank " + std::to_string(rank));
  }
  const auto a = static_cast<std::size_t>(axis);
  std::vector<int64_t> out{product(in, 0, a), product(in, a)};
  std::optional<ConstData> data;
  if (const ConstData* d = known_data(ctx, 0)) data = *d;
  return single(make_output(ctx.type(0).dtype, out, std::move(data)));
}

// Squeeze (ONNX Squeeze-1/11/13/21): removes the listed axes (attribute before 13, optional
// input 1 from 13), each of which must have size 1; without axes, removes every size-1 dim.
Outputs infer_squeeze(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto in, input_dims(ctx, 0));
  const auto rank = static_cast<int64_t>(in.size());
  GRAPHS_ASSIGN_OR_RETURN(auto axes, fold::ints_from_input_or_attr(ctx, 1, "axes", "squeeze axes"));
  std::vector<bool> drop(in.size(), false);
  if (!axes || axes->empty()) {  // an empty axes tensor counts as absent, as in ONNX Runtime
    for (std::size_t i = 0; i < in.size(); ++i) drop[i] = in[i] == 1;
  } else {
    for (int64_t a : *axes) {
      GRAPHS_ASSIGN_OR_RETURN(const int64_t axis, fold::normalize_axis(ctx, a, rank));
      if (in[static_cast<std::size_t>(axis)] != 1) {
        return ctx.error("cannot squeeze axis " + std::to_string(a) + " of input " +
                         fold::dims_string(in) + ": its size is " +
                         std::to_string(in[static_cast<std::size_t>(axis)]) + ", not 1");
      }
      drop[static_cast<std::size_t>(axis)] = true;
    }
  }
  std::vector<int64_t> out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (!drop[i]) out.push_back(in[i]);
  }
  std::optional<ConstData> data;
  if (const ConstData* d = known_data(ctx, 0)) data = *d;
  return single(make_output(ctx.type(0).dtype, out, std::move(data)));
}

// Unsqueeze (ONNX Unsqueeze-1/11/13/21): inserts size-1 dims at `axes` (attribute before 13,
// input 1 from 13), which index the output of rank r + len(axes); duplicates are an error.
Outputs infer_unsqueeze(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto in, input_dims(ctx, 0));
  GRAPHS_ASSIGN_OR_RETURN(auto axes,
                          fold::ints_from_input_or_attr(ctx, 1, "axes", "unsqueeze axes"));
  if (!axes) return ctx.error("axes are required (attribute before opset 13, input 1 from 13)");
  const auto out_rank = static_cast<int64_t>(in.size() + axes->size());
  std::vector<bool> inserted(static_cast<std::size_t>(out_rank), false);
  for (int64_t a : *axes) {
    GRAPHS_ASSIGN_OR_RETURN(const int64_t axis, fold::normalize_axis(ctx, a, out_rank));
    if (inserted[static_cast<std::size_t>(axis)]) {
      return ctx.error("axis " + std::to_string(a) + " is repeated in axes " +
                       fold::dims_string(*axes));
    }
    inserted[static_cast<std::size_t>(axis)] = true;
  }
  std::vector<int64_t> out;
  std::size_t next = 0;
  for (int64_t i = 0; i < out_rank; ++i) {
    out.push_back(inserted[static_cast<std::size_t>(i)] ? 1 : in[next++]);
  }
  std::optional<ConstData> data;
  if (const ConstData* d = known_data(ctx, 0)) data = *d;
  return single(make_output(ctx.type(0).dtype, out, std::move(data)));
}

// Constant (ONNX Constant-1/9/11/12/13/19/21): exactly one of `value` (a tensor), `value_float`
// (float32 scalar), `value_floats` (float32 1-D), `value_int` (int64 scalar), `value_ints` (int64
// 1-D), `value_string(s)`; `sparse_value` is not supported. Contents come from the attribute.
Outputs infer_constant(const InferContext& ctx) {
  const Attributes& a = ctx.node.attrs;
  if (const TensorAttr* t = a.get_tensor("value")) {
    if (!t->type.is_static()) return ctx.error("'value' tensor has no static shape");
    std::optional<ConstData> data;
    if (t->data) data = fold::convert(*t->data, t->type.dtype);
    return single(make_output(t->type.dtype, t->type.dims(), std::move(data)));
  }
  if (a.has("value_float")) {
    return single(make_output(DType::kFloat32, {},
                              ConstData::of_floats({a.get_float("value_float", 0)})));
  }
  if (a.has("value_floats")) {
    auto v = a.get_floats("value_floats");
    const auto n = static_cast<int64_t>(v.size());
    return single(make_output(DType::kFloat32, {n}, ConstData::of_floats(std::move(v))));
  }
  if (a.has("value_int")) {
    return single(make_output(DType::kInt64, {}, ConstData::of_ints({a.get_int("value_int", 0)})));
  }
  if (a.has("value_ints")) {
    auto v = a.get_ints("value_ints");
    const auto n = static_cast<int64_t>(v.size());
    return single(make_output(DType::kInt64, {n}, ConstData::of_ints(std::move(v))));
  }
  if (a.has("value_string")) return single(make_output(DType::kString, {}));
  if (const auto* s = a.find("value_strings")) {
    const auto* list = std::get_if<std::vector<std::string>>(s);
    const auto n = static_cast<int64_t>(list ? list->size() : 1);
    return single(make_output(DType::kString, {n}));
  }
  if (a.has("sparse_value")) {
    return Error(ErrorCode::kUnsupported,
                 ctx.node.label() + ": a 'sparse_value' Constant is not supported");
  }
  return ctx.error("has none of the attributes value, value_float(s), value_int(s), "
                   "value_string(s)");
}

// ConstantOfShape (ONNX ConstantOfShape-9/20/21): shape from input 0's contents (an empty shape
// gives a scalar), filled with the one-element `value` tensor (default float32 0).
Outputs infer_constant_of_shape(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto shape, fold::require_ints(ctx, 0, "output shape"));
  for (int64_t d : shape) {
    if (d < 0) return ctx.error("output shape " + fold::dims_string(shape) + " has a negative dim");
  }
  DType dtype = DType::kFloat32;
  double fill = 0;
  if (const TensorAttr* t = ctx.node.attrs.get_tensor("value")) {
    dtype = t->type.dtype;
    if (t->data && t->data->size() > 0) fill = t->data->as_double(0);
  }
  std::optional<ConstData> data;
  if (fold::foldable(shape)) data = fold::filled(dtype, fill, fold::numel(shape));
  return single(make_output(dtype, shape, std::move(data)));
}

// Range (ONNX Range-11): 1-D of max(ceil((limit - start) / delta), 0) elements of start's dtype.
// The length depends on the three scalars' contents, which must be known.
Outputs infer_range(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(3));
  const DType dtype = ctx.type(0).dtype;
  static const char* kNames[] = {"start", "limit", "delta"};
  for (std::size_t i = 0; i < 3; ++i) {
    const ConstData* d = known_data(ctx, i);
    if (!d) {
      return ctx.error(std::string("output shape depends on tensor contents: '") + kNames[i] +
                       "' (input '" + ctx.input(i)->name + "') is not known at analysis time");
    }
    if (d->size() != 1) return ctx.error(std::string("'") + kNames[i] + "' must be a scalar");
  }
  const ConstData& s = *known_data(ctx, 0);
  const ConstData& l = *known_data(ctx, 1);
  const ConstData& dl = *known_data(ctx, 2);
  if (dl.as_double(0) == 0) return ctx.error("delta is 0");
  int64_t n = 0;
  if (fold::holds_floats(dtype)) {
    n = static_cast<int64_t>(
        std::max(std::ceil((l.as_double(0) - s.as_double(0)) / dl.as_double(0)), 0.0));
  } else {
    const int64_t start = s.as_int(0), limit = l.as_int(0), delta = dl.as_int(0);
    if (delta == 0) return ctx.error("delta is 0");
    const int64_t span = limit - start;
    if (delta > 0) n = span <= 0 ? 0 : (span + delta - 1) / delta;
    else n = span >= 0 ? 0 : (-span - delta - 1) / -delta;
  }
  std::optional<ConstData> data;
  if (fold::foldable({n})) {
    if (fold::holds_floats(dtype)) {
      std::vector<double> v(static_cast<std::size_t>(n));
      for (int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = s.as_double(0) + i * dl.as_double(0);
      data = ConstData::of_floats(std::move(v));
    } else {
      std::vector<int64_t> v(static_cast<std::size_t>(n));
      for (int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = s.as_int(0) + i * dl.as_int(0);
      data = ConstData::of_ints(std::move(v));
    }
  }
  return single(make_output(dtype, {n}, std::move(data)));
}

// EyeLike (ONNX EyeLike-9/22): 2-D input's shape; ones on diagonal `k`, zeros elsewhere; dtype
// from the `dtype` attribute (TensorProto.DataType number) or the input's.
Outputs infer_eye_like(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto in, input_dims(ctx, 0));
  if (in.size() != 2) {
    return ctx.error("input must be 2-D, got rank " + std::to_string(in.size()));
  }
  DType dtype = ctx.type(0).dtype;
  if (ctx.node.attrs.has("dtype")) {
    const auto d = dtype_from_onnx(static_cast<int32_t>(ctx.node.attrs.get_int("dtype", 0)));
    if (!d) return ctx.error("unknown dtype " + std::to_string(ctx.node.attrs.get_int("dtype", 0)));
    dtype = *d;
  }
  const int64_t k = ctx.node.attrs.get_int("k", 0);
  std::optional<ConstData> data;
  if (fold::foldable(in)) {
    std::vector<int64_t> v(static_cast<std::size_t>(in[0] * in[1]), 0);
    for (int64_t i = 0; i < in[0]; ++i) {
      const int64_t j = i + k;
      if (j >= 0 && j < in[1]) v[static_cast<std::size_t>(i * in[1] + j)] = 1;
    }
    data = fold::convert(ConstData::of_ints(std::move(v)), dtype);
  }
  return single(make_output(dtype, in, std::move(data)));
}

OpSchema view_op(std::string op_type, ShapeFn infer) {
  return OpSchema{std::move(op_type), "", OpClass::kShape, std::move(infer), zero_cost, kViewNote};
}

}  // namespace

GRAPHS_REGISTER_OP(view_op("Shape", infer_shape));
GRAPHS_REGISTER_OP(view_op("Size", infer_size));
GRAPHS_REGISTER_OP(view_op("Reshape", infer_reshape));
GRAPHS_REGISTER_OP(view_op("Flatten", infer_flatten));
GRAPHS_REGISTER_OP(view_op("Squeeze", infer_squeeze));
GRAPHS_REGISTER_OP(view_op("Unsqueeze", infer_unsqueeze));
GRAPHS_REGISTER_OP(view_op("Constant", infer_constant));
GRAPHS_REGISTER_OP(view_op("ConstantOfShape", infer_constant_of_shape));
GRAPHS_REGISTER_OP(view_op("Range", infer_range));
GRAPHS_REGISTER_OP(view_op("EyeLike", infer_eye_like));

}  // namespace graphs::ops
