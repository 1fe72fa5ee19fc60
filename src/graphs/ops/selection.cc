// Data-dependent selection family (ai.onnx): Unique-11 and NonMaxSuppression-10/11, whose output
// lengths depend on tensor contents. OpClass::kOther.
//
// As NonZero and Compress do (gather_scatter.cc), a length is computed when the deciding
// contents are known at analysis time; otherwise the rule fails with "output shape depends on
// tensor contents" and the reason, which is where shape inference's data-dependent handling
// (analysis/) may take over with a named dim and a bound (Unique: the item count;
// NonMaxSuppression: B·C·min(S, max_output_boxes_per_class)).
//   Unique  X → Y ([U] flattened, or X's dims with dims[axis] = U), indices [U] (int64),
//           inverse_indices ([numel(X)] or [X.shape[axis]], int64), counts [U] (int64); with X
//           known every output's contents are computed (sorted ascending, or in order of first
//           occurrence with sorted = 0; slices along `axis` compare lexicographically).
//   NonMaxSuppression  boxes [B, S, 4], scores [B, C, S], optional scalars
//           max_output_boxes_per_class (default 0: nothing selected), iou_threshold,
//           score_threshold → selected_indices [num_selected, 3] (int64); num_selected = 0 when
//           max_output_boxes_per_class is absent or ≤ 0 (known), else data-dependent.
// Counting (no MACs):
//   Unique  n·ceil(log2 n) comparisons per element of X for n items (elements, or slices along
//           axis), the sort.
//   NonMaxSuppression  per (batch, class): S·ceil(log2 S) comparisons (sort by score) + 13·k·S
//           for k = min(S, max_output_boxes_per_class) selected boxes each tested against the S
//           candidates (IoU: 4 min/max, 2 subtracts, 2 clamps, 1 multiply, 2 adds, 1 divide,
//           1 compare): an upper bound, all boxes above score_threshold; k = S when max is
//           unknown.
// Bytes: every present input read once, every output written once.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "graphs/ops/compute_helpers.h"
#include "graphs/ops/op_helpers.h"
#include "graphs/ops/tensor_fold.h"

namespace graphs::ops {
namespace {

double sort_comparisons(double n) { return n > 1 ? std::ceil(std::log2(n)) : 1; }

// ---------------------------------------------------------------------------------------------
// Unique

// NaN-aware strict order: NaNs after every number, equal to each other.
bool less_value(long double a, long double b) {
  const bool an = std::isnan(a), bn = std::isnan(b);
  if (an || bn) return !an && bn;
  return a < b;
}

struct SliceLess {
  bool operator()(const std::vector<long double>& a, const std::vector<long double>& b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), less_value);
  }
};

InferResult unique_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "X"));
  const int64_t sorted = ctx.node.attrs.get_int("sorted", 1);
  if (sorted != 0 && sorted != 1) {
    return ctx.error("sorted " + std::to_string(sorted) + " must be 0 or 1");
  }
  const bool has_axis = ctx.node.attrs.has("axis");
  int64_t axis = 0;
  if (has_axis) {
    GRAPHS_ASSIGN_OR_RETURN(axis, axis_attribute(ctx, "axis", 0, static_cast<int64_t>(x.size())));
  }
  // Items: elements of the flattened X, or slices along `axis` (outer × inner elements each).
  const int64_t total = fold::numel(x);
  const int64_t n = has_axis ? x[static_cast<std::size_t>(axis)] : total;
  const int64_t outer = has_axis ? product(x, 0, static_cast<std::size_t>(axis)) : 1;
  const int64_t inner = has_axis ? product(x, static_cast<std::size_t>(axis) + 1) : 1;
  const DType dtype = ctx.type(0).dtype;
  const ConstData* data = fold::known_data(ctx, 0);
  if (!data) {
    return ctx.error("output shape depends on tensor contents: the number of unique " +
                     std::string(has_axis ? "slices" : "elements") + " of input '" +
                     ctx.input(0)->name + "' is not known at analysis time (at most " +
                     std::to_string(n) + ")");
  }
  // Group identical items, in order of first occurrence.
  auto flat_index = [&](int64_t o, int64_t item, int64_t i) { return (o * n + item) * inner + i; };
  std::map<std::vector<long double>, int64_t, SliceLess> seen;
  std::vector<std::vector<long double>> items;  // unique items, first-occurrence order
  std::vector<int64_t> first, counts, inverse(static_cast<std::size_t>(n));
  for (int64_t item = 0; item < n; ++item) {
    std::vector<long double> key;
    key.reserve(static_cast<std::size_t>(outer * inner));
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const auto k = static_cast<std::size_t>(flat_index(o, item, i));
        key.push_back(data->is_float ? static_cast<long double>(data->floats[k])
                                     : static_cast<long double>(data->ints[k]));
      }
    }
    auto [it, inserted] = seen.emplace(key, static_cast<int64_t>(items.size()));
    if (inserted) {
      items.push_back(std::move(key));
      first.push_back(item);
      counts.push_back(0);
    }
    ++counts[static_cast<std::size_t>(it->second)];
    inverse[static_cast<std::size_t>(item)] = it->second;
  }
  const auto u = static_cast<int64_t>(items.size());
  std::vector<int64_t> order(static_cast<std::size_t>(u));  // output position → group
  std::iota(order.begin(), order.end(), 0);
  if (sorted == 1) {
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return SliceLess{}(items[static_cast<std::size_t>(a)], items[static_cast<std::size_t>(b)]);
    });
  }
  std::vector<int64_t> position(static_cast<std::size_t>(u));  // group → output position
  for (int64_t p = 0; p < u; ++p) position[static_cast<std::size_t>(order[static_cast<std::size_t>(p)])] = p;
  std::vector<int64_t> indices_out, counts_out, inverse_out;
  for (int64_t p = 0; p < u; ++p) {
    const auto g = static_cast<std::size_t>(order[static_cast<std::size_t>(p)]);
    indices_out.push_back(first[g]);
    counts_out.push_back(counts[g]);
  }
  for (int64_t v : inverse) inverse_out.push_back(position[static_cast<std::size_t>(v)]);
  // Y: the chosen items, gathered from X.
  std::vector<int64_t> y_dims = has_axis ? x : std::vector<int64_t>{u};
  if (has_axis) y_dims[static_cast<std::size_t>(axis)] = u;
  std::vector<int64_t> source;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t p = 0; p < u; ++p) {
      for (int64_t i = 0; i < inner; ++i) source.push_back(flat_index(o, indices_out[static_cast<std::size_t>(p)], i));
    }
  }
  return std::vector<InferredOutput>{
      fold::make_output(dtype, y_dims, fold::take(*data, source)),
      fold::make_output(DType::kInt64, {u}, ConstData::of_ints(indices_out)),
      fold::make_output(DType::kInt64, {n}, ConstData::of_ints(inverse_out)),
      fold::make_output(DType::kInt64, {u}, ConstData::of_ints(counts_out))};
}

OpCost unique_cost(const CostContext& ctx) {
  const auto x = dims_of(ctx.input(0));
  double n = ctx.numel(ctx.input(0));
  if (ctx.node.attrs.has("axis") && !x.empty()) {
    auto a = normalize_axis(ctx.node.attrs.get_int("axis", 0), static_cast<int64_t>(x.size()));
    if (a.ok()) n = static_cast<double>(x[static_cast<std::size_t>(*a)]);
  }
  return compute_cost(ctx, 0, ctx.numel(ctx.input(0)) * sort_comparisons(n));
}

// ---------------------------------------------------------------------------------------------
// NonMaxSuppression

InferResult nms_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(2));
  GRAPHS_ASSIGN_OR_RETURN(const auto boxes, static_input_dims(ctx, 0, "boxes"));
  GRAPHS_ASSIGN_OR_RETURN(const auto scores, static_input_dims(ctx, 1, "scores"));
  if (boxes.size() != 3 || boxes[2] != 4) {
    return ctx.error("boxes " + dims_to_string(boxes) + " must be [num_batches, num_boxes, 4]");
  }
  if (scores.size() != 3 || scores[0] != boxes[0] || scores[2] != boxes[1]) {
    return ctx.error("scores " + dims_to_string(scores) + " must be [" + std::to_string(boxes[0]) +
                     ", num_classes, " + std::to_string(boxes[1]) + "] for boxes " +
                     dims_to_string(boxes));
  }
  for (std::size_t i = 2; i < 5; ++i) {
    if (!ctx.input(i)) continue;
    GRAPHS_ASSIGN_OR_RETURN(const auto d, static_input_dims(ctx, i, "scalar"));
    if (fold::numel(d) != 1) {
      return ctx.error("input " + std::to_string(i) + " ('" + ctx.input(i)->name + "') " +
                       dims_to_string(d) + " must be a scalar");
    }
  }
  const int64_t center = ctx.node.attrs.get_int("center_point_box", 0);
  if (center != 0 && center != 1) {
    return ctx.error("center_point_box " + std::to_string(center) + " must be 0 or 1");
  }
  std::optional<int64_t> max_boxes = 0;  // absent input: the default 0
  if (ctx.input(2)) {
    const ConstData* m = fold::known_data(ctx, 2);
    max_boxes = m ? std::optional<int64_t>(m->as_int(0)) : std::nullopt;
  }
  if (max_boxes && *max_boxes <= 0) {
    return std::vector<InferredOutput>{{TensorType::make(DType::kInt64, {0, 3}), std::nullopt}};
  }
  const std::string bound =
      max_boxes ? " (at most " + std::to_string(boxes[0] * scores[1] * std::min(boxes[1], *max_boxes)) + ")"
                : "";
  return ctx.error("output shape depends on tensor contents: the number of boxes selected from "
                   "'" + ctx.input(0)->name + "' is not known at analysis time" + bound);
}

OpCost nms_cost(const CostContext& ctx) {
  const auto scores = dims_of(ctx.input(1));
  if (scores.size() != 3) return compute_cost(ctx, 0, 0);
  const double groups = static_cast<double>(scores[0] * scores[1]);
  const double s = static_cast<double>(scores[2]);
  double k = ctx.input(2) ? s : 0;
  if (const Value* m = ctx.input(2); m && m->data && m->data->size() == 1) {
    k = std::clamp(static_cast<double>(m->data->as_int(0)), 0.0, s);
  }
  if (k == 0) return compute_cost(ctx, 0, 0);
  return compute_cost(ctx, 0, groups * (s * sort_comparisons(s) + 13 * k * s));
}

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "Unique",
    .domain = "",
    .op_class = OpClass::kOther,
    .infer = unique_shape,
    .cost = unique_cost,
    .flops_note = "ceil(log2 n) comparisons per input element for n items (sort)",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "NonMaxSuppression",
    .domain = "",
    .op_class = OpClass::kOther,
    .infer = nms_shape,
    .cost = nms_cost,
    .flops_note = "per (batch, class): S·ceil(log2 S) (sort) + 13·k·S (IoU tests, k = "
                  "min(S, max_output_boxes_per_class)), an upper bound",
});

}  // namespace
}  // namespace graphs::ops
