// Reduction family (ai.onnx, opsets 11–21): ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/
// SumSquare and ArgMax/ArgMin (OpClass::kReduction); Softmax, LogSoftmax, Hardmax
// (OpClass::kSoftmax).
//
// Shapes follow ONNX Operators.md:
//   Reduce*: `axes` is an attribute before opset 18 (ReduceSum: before 13) and an optional input
//   from then on, whose contents must be known at analysis time. keepdims (default 1) keeps
//   reduced axes as 1. Empty axes reduce every axis, unless noop_with_empty_axes = 1 (input
//   form only), which makes the op an identity. A node of unknown opset (0) accepts either form.
//   ArgMax/ArgMin: one `axis` (default 0), keepdims, int64 output; select_last_index does not
//   change the shape.
//   Softmax/LogSoftmax/Hardmax: Y has X's type. Before opset 13 the input is coerced to 2-D at
//   `axis` (default 1): one row = ∏ X.shape[axis:]; from 13, one row = X.shape[axis] (default −1).
//
// FLOPs (no MACs), a per input element + b per output element:
//   ReduceSum, ReduceMax, ReduceMin, ReduceProd   1, 0
//   ReduceMean                                    1, 1 (divide)
//   ReduceL1                                      2, 0 (|x|, add)
//   ReduceL2                                      2, 1 (square, add; √)
//   ReduceSumSquare                               2, 0
//   ReduceLogSum                                  1, 1 (log)
//   ReduceLogSumExp                               4, 2 (max, subtract, exp, add; log, + max:
//                                                 the numerically stable form kernels run)
//   ArgMax, ArgMin                                1, 0 (compare)
//   A Reduce* that is an identity (noop_with_empty_axes) counts 0.
// Softmax: 5 per element (max, subtract, exp, sum, divide). LogSoftmax: 5 per element (max,
// subtract, exp, sum, subtract log-sum) + 1 per row (log). Hardmax: 1 per element (compare).
// Bytes: every present input (the axes tensor included) read once, every output written once.
#include <algorithm>
#include <string>
#include <vector>

#include "graphs/ops/compute_helpers.h"
#include "graphs/ops/op_helpers.h"

namespace graphs::ops {
namespace {

// ---------------------------------------------------------------------------------------------
// Reduce*

struct ReduceAxes {
  std::vector<int64_t> axes;  // normalised, sorted; every axis when the list was empty
  bool identity = false;      // noop_with_empty_axes with empty axes
};

// Reads the axes of a Reduce* node; `input_since` is the opset from which axes is an input.
Result<ReduceAxes> reduce_axes(const InferContext& ctx, int input_since, int64_t rank) {
  const bool has_attr = ctx.node.attrs.has("axes");
  const bool has_input = ctx.input(1) != nullptr;
  bool from_input;
  if (ctx.opset == 0) {
    from_input = has_input;
  } else if (ctx.opset < input_since) {
    if (has_input) {
      return ctx.error("'axes' is an attribute before opset " + std::to_string(input_since) +
                       ", not an input (node opset " + std::to_string(ctx.opset) + ")");
    }
    from_input = false;
  } else {
    if (has_attr) {
      return ctx.error("'axes' is an input since opset " + std::to_string(input_since) +
                       ", not an attribute (node opset " + std::to_string(ctx.opset) + ")");
    }
    from_input = true;
  }
  std::vector<int64_t> axes;
  if (from_input && has_input) {
    const ConstData* data = ctx.data(1);
    if (!data) {
      return ctx.error("axes input '" + ctx.input(1)->name +
                       "' has no known contents; the reduced axes must be constant");
    }
    for (std::size_t i = 0; i < data->size(); ++i) axes.push_back(data->as_int(i));
  } else if (!from_input) {
    axes = ctx.node.attrs.get_ints("axes");
  }
  ReduceAxes r;
  if (axes.empty()) {
    if (ctx.node.attrs.get_int("noop_with_empty_axes", 0) != 0) {
      r.identity = true;
      return r;
    }
    for (int64_t i = 0; i < rank; ++i) r.axes.push_back(i);
    return r;
  }
  GRAPHS_ASSIGN_OR_RETURN(r.axes, normalize_axes(ctx, axes, rank));
  return r;
}

// Output dims of reducing `axes` of `x`.
std::vector<int64_t> reduced_dims(const std::vector<int64_t>& x, const std::vector<int64_t>& axes,
                                  bool keepdims) {
  std::vector<int64_t> y;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const bool reduced = std::find(axes.begin(), axes.end(), static_cast<int64_t>(i)) != axes.end();
    if (!reduced) {
      y.push_back(x[i]);
    } else if (keepdims) {
      y.push_back(1);
    }
  }
  return y;
}

InferResult reduce_shape(const InferContext& ctx, int input_since) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "data"));
  GRAPHS_ASSIGN_OR_RETURN(const auto r,
                          reduce_axes(ctx, input_since, static_cast<int64_t>(x.size())));
  if (r.identity) return std::vector<InferredOutput>{{ctx.type(0), std::nullopt}};
  const bool keepdims = ctx.node.attrs.get_int("keepdims", 1) != 0;
  return std::vector<InferredOutput>{
      {TensorType::make(ctx.type(0).dtype, reduced_dims(x, r.axes, keepdims)), std::nullopt}};
}

// True when a Reduce* node is an identity: noop_with_empty_axes and no (or an empty) axes list.
bool reduce_is_identity(const CostContext& ctx) {
  if (ctx.node.attrs.get_int("noop_with_empty_axes", 0) == 0) return false;
  if (!ctx.node.attrs.get_ints("axes").empty()) return false;
  return !ctx.input(1) || ctx.numel(ctx.input(1)) == 0;
}

struct ReduceOp {
  const char* name;
  int input_since;     // opset from which axes is an input
  double per_input;    // FLOPs per input element
  double per_output;   // FLOPs per output element
  const char* note;
};

constexpr ReduceOp kReduceOps[] = {
    {"ReduceSum", 13, 1, 0, "1 per input element"},
    {"ReduceMax", 18, 1, 0, "1 per input element (compare)"},
    {"ReduceMin", 18, 1, 0, "1 per input element (compare)"},
    {"ReduceProd", 18, 1, 0, "1 per input element"},
    {"ReduceMean", 18, 1, 1, "1 per input element + 1 per output element (divide)"},
    {"ReduceL1", 18, 2, 0, "2 per input element (abs, add)"},
    {"ReduceL2", 18, 2, 1, "2 per input element (square, add) + 1 per output element (sqrt)"},
    {"ReduceSumSquare", 18, 2, 0, "2 per input element (square, add)"},
    {"ReduceLogSum", 18, 1, 1, "1 per input element + 1 per output element (log)"},
    {"ReduceLogSumExp", 18, 4, 2,
     "4 per input element (max, subtract, exp, add) + 2 per output element (log, add max)"},
};

// Registers every Reduce* op at static-initialisation time.
[[maybe_unused]] const bool kReduceOpsRegistered = [] {
  for (const ReduceOp& op : kReduceOps) {
    const int since = op.input_since;
    const double a = op.per_input;
    const double b = op.per_output;
    OpRegistry::global().add(OpSchema{
        .op_type = op.name,
        .domain = "",
        .op_class = OpClass::kReduction,
        .infer = [since](const InferContext& ctx) { return reduce_shape(ctx, since); },
        .cost = [a, b](const CostContext& ctx) {
          if (reduce_is_identity(ctx)) return compute_cost(ctx, 0, 0);
          return compute_cost(ctx, 0, a * ctx.numel(ctx.input(0)) + b * ctx.numel(ctx.output(0)));
        },
        .flops_note = op.note,
    });
  }
  return true;
}();

// ---------------------------------------------------------------------------------------------
// ArgMax / ArgMin

InferResult arg_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "data"));
  GRAPHS_ASSIGN_OR_RETURN(const int64_t axis,
                          axis_attribute(ctx, "axis", 0, static_cast<int64_t>(x.size())));
  const bool keepdims = ctx.node.attrs.get_int("keepdims", 1) != 0;
  return std::vector<InferredOutput>{
      {TensorType::make(DType::kInt64, reduced_dims(x, {axis}, keepdims)), std::nullopt}};
}

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "ArgMax",
    .domain = "",
    .op_class = OpClass::kReduction,
    .infer = arg_shape,
    .cost = [](const CostContext& ctx) { return compute_cost(ctx, 0, ctx.numel(ctx.input(0))); },
    .flops_note = "1 per input element (compare)",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "ArgMin",
    .domain = "",
    .op_class = OpClass::kReduction,
    .infer = arg_shape,
    .cost = [](const CostContext& ctx) { return compute_cost(ctx, 0, ctx.numel(ctx.input(0))); },
    .flops_note = "1 per input element (compare)",
});

// ---------------------------------------------------------------------------------------------
// Softmax / LogSoftmax / Hardmax

int64_t softmax_default_axis(int opset) { return resolved_opset(opset) < 13 ? 1 : -1; }

InferResult softmax_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "input"));
  GRAPHS_ASSIGN_OR_RETURN(const int64_t axis,
                          axis_attribute(ctx, "axis", softmax_default_axis(ctx.opset),
                                         static_cast<int64_t>(x.size())));
  (void)axis;
  return std::vector<InferredOutput>{{ctx.type(0), std::nullopt}};
}

// Rows the softmax normalises independently: ∏ X.shape[:axis] before opset 13 (coerced 2-D),
// numel / X.shape[axis] from opset 13.
double softmax_rows(const CostContext& ctx) {
  const auto x = dims_of(ctx.input(0));
  auto axis = normalize_axis(ctx.node.attrs.get_int("axis", softmax_default_axis(ctx.opset)),
                             static_cast<int64_t>(x.size()));
  if (!axis.ok() || x.empty()) return x.empty() ? 1 : 0;
  const auto a = static_cast<std::size_t>(*axis);
  if (resolved_opset(ctx.opset) < 13) return static_cast<double>(product(x, 0, a));
  return x[a] > 0 ? ctx.numel(ctx.input(0)) / static_cast<double>(x[a]) : 0;
}

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "Softmax",
    .domain = "",
    .op_class = OpClass::kSoftmax,
    .infer = softmax_shape,
    .cost = [](const CostContext& ctx) { return compute_cost(ctx, 0, 5 * ctx.numel(ctx.input(0))); },
    .flops_note = "5 per element (max, subtract, exp, sum, divide)",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "LogSoftmax",
    .domain = "",
    .op_class = OpClass::kSoftmax,
    .infer = softmax_shape,
    .cost = [](const CostContext& ctx) {
      return compute_cost(ctx, 0, 5 * ctx.numel(ctx.input(0)) + softmax_rows(ctx));
    },
    .flops_note = "5 per element (max, subtract, exp, sum, subtract) + 1 per row (log)",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "Hardmax",
    .domain = "",
    .op_class = OpClass::kSoftmax,
    .infer = softmax_shape,
    .cost = [](const CostContext& ctx) { return compute_cost(ctx, 0, ctx.numel(ctx.input(0))); },
    .flops_note = "1 per element (compare)",
});

}  // namespace
}  // namespace graphs::ops
