// Normalization family (ai.onnx, opsets 11–23): BatchNormalization, LayerNormalization,
// InstanceNormalization, GroupNormalization, LpNormalization, MeanVarianceNormalization,
// RMSNormalization, LRN. OpClass::kNormalization.
//
// Shapes follow ONNX Operators.md: Y has X's type; the optional statistics outputs have the
// documented shapes (BatchNormalization: [C]; LayerNormalization Mean/InvStdDev:
// X.shape[:axis] + [1] × (rank − axis), element type from stash_type).
//
// FLOPs (no MACs), counted per element of X, plus per normalised group ("row") where a reduction
// ends in a scalar computation:
//   BatchNormalization   inference: 2 per element (y = x·a + b with a = scale/√(var+ε) and
//                        b = B − mean·a folded per channel; the per-channel fold is not counted).
//                        training (training_mode = 1 from opset 14; before 14, any of the
//                        optional statistics outputs requested): 6 per element (mean: 1 add;
//                        variance: subtract, square, add; scale-and-shift: 2).
//   LayerNormalization   7 per element (mean add, subtract, square, variance add, × 1/σ,
//                        × scale, + bias; 6 without B) + 4 per row (mean ÷, variance ÷, + ε,
//                        rsqrt); rows = ∏ X.shape[:axis].
//   InstanceNormalization, GroupNormalization: as LayerNormalization with bias, groups =
//                        N × C (instance) or N × num_groups (group).
//   RMSNormalization     4 per element (square, add, × 1/rms, × scale) + 3 per row (÷, + ε,
//                        rsqrt).
//   MeanVarianceNormalization: 5 per element (mean add, subtract, square, variance add,
//                        × 1/σ) + 4 per group (÷, ÷, + ε, rsqrt).
//   LpNormalization      3 per element (|x| or x², add, divide) + 1 per row for p = 2 (√).
//   LRN                  size + 5 per element (square, `size` window adds, × alpha/size,
//                        + bias, ^beta, divide).
// Bytes: every present input (scale, bias, statistics included) read once, every present output
// written once, at the costing precision.
#include <string>
#include <vector>

#include "graphs/ops/compute_helpers.h"
#include "graphs/ops/op_helpers.h"

namespace graphs::ops {
namespace {

// Elements of the output and number of groups (∏ dims[:axis]) for a rule normalising over the
// trailing dims from `axis` (negative counts from the end), as read from the cost context.
struct RowSplit {
  double elements = 0;
  double rows = 0;
};

RowSplit split_rows(const CostContext& ctx, int64_t axis_default) {
  const auto x = dims_of(ctx.input(0));
  RowSplit s;
  s.elements = ctx.numel(ctx.input(0));
  auto axis = normalize_axis(ctx.node.attrs.get_int("axis", axis_default),
                             static_cast<int64_t>(x.size()));
  s.rows = axis.ok() ? static_cast<double>(product(x, 0, static_cast<std::size_t>(*axis))) : 0;
  return s;
}

// ---------------------------------------------------------------------------------------------
// BatchNormalization (opsets 9–15): X [N, C, D…], scale/B/input_mean/input_var [C].

bool batch_norm_training(const CostContext& ctx) {
  if (resolved_opset(ctx.opset) >= 14) return ctx.node.attrs.get_int("training_mode", 0) != 0;
  for (std::size_t i = 1; i < 5; ++i) {
    if (ctx.output(i)) return true;
  }
  return false;
}

InferResult batch_norm_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(5));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "X"));
  if (x.size() < 2) {
    return ctx.error("input rank " + std::to_string(x.size()) + ", expected at least 2 (N × C …)");
  }
  const std::vector<int64_t> per_channel = {x[1]};
  const char* roles[] = {"scale", "B", "input_mean", "input_var"};
  for (std::size_t i = 1; i < 5; ++i) {
    GRAPHS_RETURN_IF_ERROR(check_input_shape(ctx, i, roles[i - 1], per_channel));
  }
  std::vector<InferredOutput> out = {{ctx.type(0), std::nullopt}};
  // Opset ≥ 14: running_mean, running_var. Before: mean, var, saved_mean, saved_var.
  const std::size_t stats = resolved_opset(ctx.opset) >= 14 ? 2 : 4;
  for (std::size_t i = 0; i < stats; ++i) {
    out.push_back({TensorType::make(ctx.type(3).dtype, per_channel), std::nullopt});
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// LayerNormalization-17 and RMSNormalization-23: normalise over X.shape[axis:].

InferResult layer_norm_shape(const InferContext& ctx, bool with_statistics) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(2));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "X"));
  const auto rank = static_cast<int64_t>(x.size());
  GRAPHS_ASSIGN_OR_RETURN(const int64_t axis, axis_attribute(ctx, "axis", -1, rank));
  const std::vector<int64_t> normalized(x.begin() + axis, x.end());
  GRAPHS_RETURN_IF_ERROR(check_broadcasts_to(ctx, 1, "Scale", normalized));
  GRAPHS_RETURN_IF_ERROR(check_broadcasts_to(ctx, 2, "B", normalized));
  std::vector<InferredOutput> out = {{ctx.type(0), std::nullopt}};
  if (with_statistics) {
    const int64_t stash = ctx.node.attrs.get_int("stash_type", 1);
    const auto stash_dtype = dtype_from_onnx(static_cast<int32_t>(stash));
    if (!stash_dtype || !is_floating(*stash_dtype)) {
      return ctx.error("stash_type " + std::to_string(stash) + " is not a floating type");
    }
    std::vector<int64_t> stat(x.begin(), x.begin() + axis);
    stat.resize(x.size(), 1);
    out.push_back({TensorType::make(*stash_dtype, stat), std::nullopt});
    out.push_back({TensorType::make(*stash_dtype, stat), std::nullopt});
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// InstanceNormalization-6 and GroupNormalization-18/21: X [N, C, D…].

InferResult instance_norm_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(3));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "input"));
  if (x.size() < 3) {
    return ctx.error("input rank " + std::to_string(x.size()) +
                     ", expected at least 3 (N × C × D1 …)");
  }
  GRAPHS_RETURN_IF_ERROR(check_input_shape(ctx, 1, "scale", {x[1]}));
  GRAPHS_RETURN_IF_ERROR(check_input_shape(ctx, 2, "B", {x[1]}));
  return std::vector<InferredOutput>{{ctx.type(0), std::nullopt}};
}

// GroupNormalization: scale and bias are [num_groups] in opset 18 and [C] from opset 21.
InferResult group_norm_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(3));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "X"));
  if (x.size() < 2) {
    return ctx.error("input rank " + std::to_string(x.size()) + ", expected at least 2 (N × C …)");
  }
  if (!ctx.node.attrs.has("num_groups")) return ctx.error("attribute num_groups is required");
  const int64_t groups = ctx.node.attrs.get_int("num_groups", 1);
  if (groups < 1 || x[1] % groups != 0) {
    return ctx.error("num_groups " + std::to_string(groups) + " does not divide the " +
                     std::to_string(x[1]) + " channels");
  }
  std::vector<int64_t> expected = {resolved_opset(ctx.opset) >= 21 ? x[1] : groups};
  if (ctx.opset == 0) {
    // Opset unknown: accept either layout.
    GRAPHS_ASSIGN_OR_RETURN(const auto s, static_input_dims(ctx, 1, "scale"));
    if (s == std::vector<int64_t>{groups}) expected = s;
  }
  GRAPHS_RETURN_IF_ERROR(check_input_shape(ctx, 1, "scale", expected));
  GRAPHS_RETURN_IF_ERROR(check_input_shape(ctx, 2, "bias", expected));
  return std::vector<InferredOutput>{{ctx.type(0), std::nullopt}};
}

double channel_groups(const CostContext& ctx, bool group_norm) {
  const auto x = dims_of(ctx.input(0));
  if (x.size() < 2) return 0;
  const double per_sample =
      group_norm ? static_cast<double>(ctx.node.attrs.get_int("num_groups", 1))
                 : static_cast<double>(x[1]);
  return static_cast<double>(x[0]) * per_sample;
}

// ---------------------------------------------------------------------------------------------
// MeanVarianceNormalization-13: normalise over `axes` (default [0, 2, 3]).

InferResult mvn_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "X"));
  GRAPHS_ASSIGN_OR_RETURN(const auto axes,
                          normalize_axes(ctx, ctx.node.attrs.get_ints("axes", {0, 2, 3}),
                                         static_cast<int64_t>(x.size())));
  (void)axes;
  return std::vector<InferredOutput>{{ctx.type(0), std::nullopt}};
}

double mvn_groups(const CostContext& ctx) {
  const auto x = dims_of(ctx.input(0));
  double reduced = 1;
  for (int64_t axis : ctx.node.attrs.get_ints("axes", {0, 2, 3})) {
    auto a = normalize_axis(axis, static_cast<int64_t>(x.size()));
    if (a.ok()) reduced *= static_cast<double>(x[static_cast<std::size_t>(*a)]);
  }
  return reduced > 0 ? ctx.numel(ctx.input(0)) / reduced : 0;
}

// ---------------------------------------------------------------------------------------------
// LpNormalization-1 (axis default −1, p ∈ {1, 2}) and LRN-13.

InferResult lp_norm_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "input"));
  GRAPHS_ASSIGN_OR_RETURN(const int64_t axis,
                          axis_attribute(ctx, "axis", -1, static_cast<int64_t>(x.size())));
  (void)axis;
  const int64_t p = ctx.node.attrs.get_int("p", 2);
  if (p != 1 && p != 2) return ctx.error("p " + std::to_string(p) + " must be 1 or 2");
  return std::vector<InferredOutput>{{ctx.type(0), std::nullopt}};
}

InferResult lrn_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "X"));
  if (x.size() < 3) {
    return ctx.error("input rank " + std::to_string(x.size()) +
                     ", expected at least 3 (N × C × D1 …)");
  }
  if (!ctx.node.attrs.has("size")) return ctx.error("attribute size is required");
  const int64_t size = ctx.node.attrs.get_int("size", 1);
  if (size < 1) return ctx.error("size " + std::to_string(size) + " must be positive");
  return std::vector<InferredOutput>{{ctx.type(0), std::nullopt}};
}

// ---------------------------------------------------------------------------------------------
// Registrations

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "BatchNormalization",
    .domain = "",
    .op_class = OpClass::kNormalization,
    .infer = batch_norm_shape,
    .cost = [](const CostContext& ctx) {
      const double per_element = batch_norm_training(ctx) ? 6 : 2;
      return compute_cost(ctx, 0, per_element * ctx.numel(ctx.input(0)));
    },
    .flops_note = "2 per element (inference, folded scale and shift); 6 per element in training",
    .pointwise = true,
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "LayerNormalization",
    .domain = "",
    .op_class = OpClass::kNormalization,
    .infer = [](const InferContext& ctx) { return layer_norm_shape(ctx, true); },
    .cost = [](const CostContext& ctx) {
      const RowSplit s = split_rows(ctx, -1);
      const double per_element = ctx.input(2) ? 7 : 6;
      return compute_cost(ctx, 0, per_element * s.elements + 4 * s.rows);
    },
    .flops_note = "7 per element (6 without B) + 4 per normalised row",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "RMSNormalization",
    .domain = "",
    .op_class = OpClass::kNormalization,
    .infer = [](const InferContext& ctx) { return layer_norm_shape(ctx, false); },
    .cost = [](const CostContext& ctx) {
      const RowSplit s = split_rows(ctx, -1);
      return compute_cost(ctx, 0, 4 * s.elements + 3 * s.rows);
    },
    .flops_note = "4 per element + 3 per normalised row",
    .since_version = 23,
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "InstanceNormalization",
    .domain = "",
    .op_class = OpClass::kNormalization,
    .infer = instance_norm_shape,
    .cost = [](const CostContext& ctx) {
      return compute_cost(ctx, 0, 7 * ctx.numel(ctx.input(0)) + 4 * channel_groups(ctx, false));
    },
    .flops_note = "7 per element + 4 per (sample, channel)",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "GroupNormalization",
    .domain = "",
    .op_class = OpClass::kNormalization,
    .infer = group_norm_shape,
    .cost = [](const CostContext& ctx) {
      return compute_cost(ctx, 0, 7 * ctx.numel(ctx.input(0)) + 4 * channel_groups(ctx, true));
    },
    .flops_note = "7 per element + 4 per (sample, group)",
    .since_version = 18,
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "MeanVarianceNormalization",
    .domain = "",
    .op_class = OpClass::kNormalization,
    .infer = mvn_shape,
    .cost = [](const CostContext& ctx) {
      return compute_cost(ctx, 0, 5 * ctx.numel(ctx.input(0)) + 4 * mvn_groups(ctx));
    },
    .flops_note = "5 per element + 4 per normalised group",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "LpNormalization",
    .domain = "",
    .op_class = OpClass::kNormalization,
    .infer = lp_norm_shape,
    .cost = [](const CostContext& ctx) {
      const auto x = dims_of(ctx.input(0));
      auto axis = normalize_axis(ctx.node.attrs.get_int("axis", -1), static_cast<int64_t>(x.size()));
      const double elements = ctx.numel(ctx.input(0));
      const double rows =
          axis.ok() && x[static_cast<std::size_t>(*axis)] > 0
              ? elements / static_cast<double>(x[static_cast<std::size_t>(*axis)])
              : 0;
      const double roots = ctx.node.attrs.get_int("p", 2) == 2 ? rows : 0;
      return compute_cost(ctx, 0, 3 * elements + roots);
    },
    .flops_note = "3 per element + 1 per row (square root) for p = 2",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "LRN",
    .domain = "",
    .op_class = OpClass::kNormalization,
    .infer = lrn_shape,
    .cost = [](const CostContext& ctx) {
      const double size = static_cast<double>(ctx.node.attrs.get_int("size", 1));
      return compute_cost(ctx, 0, (size + 5) * ctx.numel(ctx.input(0)));
    },
    .flops_note = "size + 5 per element",
});

}  // namespace
}  // namespace graphs::ops
