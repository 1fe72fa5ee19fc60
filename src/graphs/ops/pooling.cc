// Pooling family (ai.onnx, opsets 11–21): MaxPool, AveragePool, LpPool (OpClass::kPooling) and
// GlobalAveragePool, GlobalMaxPool, GlobalLpPool (OpClass::kReduction, as op_registry.h
// classes them: a global pool is a reduction over the spatial dims).
//
// Shapes follow ONNX Operators.md and convPoolShapeInference (see compute_helpers.h):
//   out = floor((in + pad_begin + pad_end − ((k − 1) × dilation + 1)) / stride) + 1,
// ceil instead of floor with ceil_mode = 1 (windows starting in the right padding dropped),
// auto_pad SAME_* giving ceil(in / stride). Dilations are read by MaxPool, by AveragePool from
// opset 19 and by LpPool from opset 18 (older versions have no such attribute). Global pools:
// Y = [N, C, 1, …, 1].
//
// FLOPs (no MACs), with ∏kernel the window size, counted for every window as if it were fully
// inside the input (padding is not subtracted):
//   MaxPool            ∏kernel per output element (compares).
//   AveragePool        ∏kernel + 1 per output element (adds, one divide).
//   LpPool             2 × ∏kernel + 1 per output element (|x|^p, add; one p-th root).
//   GlobalMaxPool      1 per input element.
//   GlobalAveragePool  1 per input element + 1 per output element (divide).
//   GlobalLpPool       2 per input element + 1 per output element (root).
// Bytes: X read once, Y (and MaxPool's optional Indices) written once.
#include <algorithm>
#include <string>
#include <vector>

#include "graphs/ops/compute_helpers.h"
#include "graphs/ops/op_helpers.h"

namespace graphs::ops {
namespace {

// Shape rule shared by MaxPool, AveragePool and LpPool. `indices` adds MaxPool's optional int64
// Indices output (same shape as Y).
InferResult pool_shape(const InferContext& ctx, bool use_dilation, bool indices) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "X"));
  if (x.size() < 3) {
    return ctx.error("input rank " + std::to_string(x.size()) +
                     ", expected at least 3 (N × C × D1 …)");
  }
  if (!ctx.node.attrs.has("kernel_shape")) return ctx.error("attribute kernel_shape is required");
  const std::vector<int64_t> spatial(x.begin() + 2, x.end());
  GRAPHS_ASSIGN_OR_RETURN(
      const Window win,
      resolve_window(ctx, spatial, ctx.node.attrs.get_ints("kernel_shape"),
                     {.use_dilation = use_dilation, .use_ceil_mode = true}));
  std::vector<int64_t> y = {x[0], x[1]};
  y.insert(y.end(), win.output.begin(), win.output.end());
  std::vector<InferredOutput> out = {{TensorType::make(ctx.type(0).dtype, y), std::nullopt}};
  if (indices) out.push_back({TensorType::make(DType::kInt64, y), std::nullopt});
  return out;
}

InferResult global_pool_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  GRAPHS_ASSIGN_OR_RETURN(auto y, static_input_dims(ctx, 0, "X"));
  if (y.size() < 2) {
    return ctx.error("input rank " + std::to_string(y.size()) + ", expected at least 2 (N × C …)");
  }
  std::fill(y.begin() + 2, y.end(), 1);
  return std::vector<InferredOutput>{{TensorType::make(ctx.type(0).dtype, y), std::nullopt}};
}

// Window elements from the kernel_shape attribute (1 when absent, which the shape rule rejects).
double window_elements(const CostContext& ctx) {
  return static_cast<double>(product(ctx.node.attrs.get_ints("kernel_shape", {1})));
}

// FLOPs per output element = a × ∏kernel + b.
OpCost windowed_cost(const CostContext& ctx, double a, double b) {
  return compute_cost(ctx, 0, ctx.numel(ctx.output(0)) * (a * window_elements(ctx) + b));
}

// FLOPs = a per input element + b per output element.
OpCost global_cost(const CostContext& ctx, double a, double b) {
  return compute_cost(ctx, 0, a * ctx.numel(ctx.input(0)) + b * ctx.numel(ctx.output(0)));
}

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "MaxPool",
    .domain = "",
    .op_class = OpClass::kPooling,
    .infer = [](const InferContext& ctx) { return pool_shape(ctx, true, true); },
    .cost = [](const CostContext& ctx) { return windowed_cost(ctx, 1, 0); },
    .flops_note = "∏kernel per output element (compares)",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "AveragePool",
    .domain = "",
    .op_class = OpClass::kPooling,
    .infer = [](const InferContext& ctx) {
      return pool_shape(ctx, resolved_opset(ctx.opset) >= 19, false);
    },
    .cost = [](const CostContext& ctx) { return windowed_cost(ctx, 1, 1); },
    .flops_note = "∏kernel + 1 per output element (adds, one divide)",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "LpPool",
    .domain = "",
    .op_class = OpClass::kPooling,
    .infer = [](const InferContext& ctx) {
      return pool_shape(ctx, resolved_opset(ctx.opset) >= 18, false);
    },
    .cost = [](const CostContext& ctx) { return windowed_cost(ctx, 2, 1); },
    .flops_note = "2 × ∏kernel + 1 per output element (power, add; root)",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "GlobalMaxPool",
    .domain = "",
    .op_class = OpClass::kReduction,
    .infer = global_pool_shape,
    .cost = [](const CostContext& ctx) { return global_cost(ctx, 1, 0); },
    .flops_note = "1 per input element (compare)",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "GlobalAveragePool",
    .domain = "",
    .op_class = OpClass::kReduction,
    .infer = global_pool_shape,
    .cost = [](const CostContext& ctx) { return global_cost(ctx, 1, 1); },
    .flops_note = "1 per input element + 1 per output element (divide)",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "GlobalLpPool",
    .domain = "",
    .op_class = OpClass::kReduction,
    .infer = global_pool_shape,
    .cost = [](const CostContext& ctx) { return global_cost(ctx, 2, 1); },
    .flops_note = "2 per input element + 1 per output element (root)",
});

}  // namespace
}  // namespace graphs::ops
