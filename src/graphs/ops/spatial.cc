// Spatial sampling family (ai.onnx): GridSample-16/20/22, AffineGrid-20, RoiAlign-10/16/22,
// Col2Im-18. Shapes follow Operators.md:
//   GridSample  X [N, C, D1..Dr], grid [N, D1_out..Dr_out, r] → Y [N, C, D1_out..Dr_out]; r = 2
//               only before opset 20. mode bilinear|nearest|bicubic (16) or linear|nearest|cubic
//               (20+), padding_mode zeros|border|reflection.
//   AffineGrid  theta [N, 2, 3] (2-D) or [N, 3, 4] (3-D), size (known int64 [N, C, H, W] or
//               [N, C, D, H, W]) → grid [N, H, W, 2] or [N, D, H, W, 3].
//   RoiAlign    X [N, C, H, W], rois [R, 4], batch_indices [R] → Y [R, C, output_height,
//               output_width]; mode avg|max; coordinate_transformation_mode (16+) half_pixel|
//               output_half_pixel.
//   Col2Im      input [N, C·∏block_shape, L], image_shape and block_shape known int64 [n] →
//               [N, C, image_shape…]; L must equal the number of sliding blocks,
//               ∏ floor((image + pad_begin + pad_end − dilation·(block − 1) − 1) / stride) + 1.
// Counting (no MACs):
//   GridSample  per output element: nearest 0, linear 2·2ʳ, cubic 2·4ʳ (taps × multiply-add, as
//               Resize counts); coordinate unnormalisation not counted. Data movement.
//   AffineGrid  2·r per output element (θ·[x; 1]: r multiplies and r adds per coordinate).
//   RoiAlign    per output element: s·(8 + 1) (+ 1 for avg), s = sampling_ratio² sample points
//               per bin, bilinear (8) and accumulated (1); sampling_ratio 0 (adaptive, set by the
//               ROI sizes at run time) is counted as 2 × 2. Pooling.
//   Col2Im      1 per input element (overlapping blocks are summed). Data movement.
// Bytes: every present input read once, every output written once.
#include <cmath>
#include <string>
#include <vector>

#include "graphs/ops/compute_helpers.h"
#include "graphs/ops/op_helpers.h"
#include "graphs/ops/tensor_fold.h"

namespace graphs::ops {
namespace {

// ---------------------------------------------------------------------------------------------
// GridSample

// FLOPs per output element for `mode` over r spatial dims.
double interpolation_flops(const std::string& mode, std::size_t r) {
  if (mode == "nearest") return 0;
  const double taps_per_axis = (mode == "cubic" || mode == "bicubic") ? 4 : 2;
  return 2 * std::pow(taps_per_axis, static_cast<double>(r));
}

// The mode a GridSample node uses: its attribute or the default of its opset ("bilinear"
// before 20, "linear" from 20; a node of unknown opset is read as the newest).
std::string grid_sample_mode(const Node& node, int opset) {
  return node.attrs.get_string("mode", resolved_opset(opset) >= 20 ? "linear" : "bilinear");
}

InferResult grid_sample_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(2));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "X"));
  GRAPHS_ASSIGN_OR_RETURN(const auto grid, static_input_dims(ctx, 1, "grid"));
  const int opset = resolved_opset(ctx.opset);
  const bool nd = opset >= 20;
  if (x.size() < 3 || (!nd && x.size() != 4)) {
    return ctx.error("X " + dims_to_string(x) + " must have rank " +
                     (nd ? std::string("≥ 3 (N, C, spatial…)") : std::string("4 before opset 20")));
  }
  const std::size_t r = x.size() - 2;
  if (grid.size() != r + 2 || grid[0] != x[0] || grid.back() != static_cast<int64_t>(r)) {
    return ctx.error("grid " + dims_to_string(grid) + " must be [" + std::to_string(x[0]) +
                     ", " + std::to_string(r) + " output dims…, " + std::to_string(r) +
                     "] for X " + dims_to_string(x));
  }
  const std::string mode = grid_sample_mode(ctx.node, ctx.opset);
  const bool any_opset = ctx.opset == 0;
  const bool valid = mode == "nearest" ||
                     ((mode == "bilinear" || mode == "bicubic") && (any_opset || !nd)) ||
                     ((mode == "linear" || mode == "cubic") && (any_opset || nd));
  if (!valid) {
    return ctx.error("mode '" + mode + "' must be one of " +
                     (nd ? "linear, nearest, cubic" : "bilinear, nearest, bicubic") +
                     " at opset " + std::to_string(opset));
  }
  const std::string padding = ctx.node.attrs.get_string("padding_mode", "zeros");
  if (padding != "zeros" && padding != "border" && padding != "reflection") {
    return ctx.error("padding_mode '" + padding + "' must be zeros, border or reflection");
  }
  std::vector<int64_t> y = {x[0], x[1]};
  y.insert(y.end(), grid.begin() + 1, grid.end() - 1);
  return std::vector<InferredOutput>{{TensorType::make(ctx.type(0).dtype, y), std::nullopt}};
}

OpCost grid_sample_cost(const CostContext& ctx) {
  const auto x = dims_of(ctx.input(0));
  const std::size_t r = x.size() > 2 ? x.size() - 2 : 0;
  return compute_cost(ctx, 0,
                      interpolation_flops(grid_sample_mode(ctx.node, ctx.opset), r) *
                          ctx.numel(ctx.output(0)));
}

// ---------------------------------------------------------------------------------------------
// AffineGrid

InferResult affine_grid_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(2));
  GRAPHS_ASSIGN_OR_RETURN(const auto theta, static_input_dims(ctx, 0, "theta"));
  GRAPHS_ASSIGN_OR_RETURN(const auto size, fold::require_ints(ctx, 1, "size"));
  if (size.size() != 4 && size.size() != 5) {
    return ctx.error("size " + dims_to_string(size) +
                     " must be [N, C, H, W] or [N, C, D, H, W]");
  }
  const int64_t r = static_cast<int64_t>(size.size()) - 2;
  const std::vector<int64_t> expected = {size[0], r, r + 1};
  if (theta != expected) {
    return ctx.error("theta " + dims_to_string(theta) + ", expected " + dims_to_string(expected) +
                     " for size " + dims_to_string(size));
  }
  for (int64_t d : size) {
    if (d < 0) return ctx.error("size " + dims_to_string(size) + " has a negative dim");
  }
  const int64_t align = ctx.node.attrs.get_int("align_corners", 0);
  if (align != 0 && align != 1) {
    return ctx.error("align_corners " + std::to_string(align) + " must be 0 or 1");
  }
  std::vector<int64_t> grid = {size[0]};
  grid.insert(grid.end(), size.begin() + 2, size.end());
  grid.push_back(r);
  return std::vector<InferredOutput>{{TensorType::make(ctx.type(0).dtype, grid), std::nullopt}};
}

OpCost affine_grid_cost(const CostContext& ctx) {
  const auto grid = dims_of(ctx.output(0));
  const double r = grid.empty() ? 0 : static_cast<double>(grid.back());
  return compute_cost(ctx, 0, 2 * r * ctx.numel(ctx.output(0)));
}

// ---------------------------------------------------------------------------------------------
// RoiAlign

InferResult roi_align_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(3));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "X"));
  GRAPHS_ASSIGN_OR_RETURN(const auto rois, static_input_dims(ctx, 1, "rois"));
  if (x.size() != 4) return ctx.error("X " + dims_to_string(x) + " must have rank 4 (N, C, H, W)");
  if (rois.size() != 2 || rois[1] != 4) {
    return ctx.error("rois " + dims_to_string(rois) + " must be [num_rois, 4]");
  }
  GRAPHS_RETURN_IF_ERROR(check_input_shape(ctx, 2, "batch_indices", {rois[0]}));
  const int64_t oh = ctx.node.attrs.get_int("output_height", 1);
  const int64_t ow = ctx.node.attrs.get_int("output_width", 1);
  if (oh < 1 || ow < 1) {
    return ctx.error("output_height " + std::to_string(oh) + " and output_width " +
                     std::to_string(ow) + " must be positive");
  }
  if (ctx.node.attrs.get_int("sampling_ratio", 0) < 0) {
    return ctx.error("sampling_ratio must not be negative");
  }
  const std::string mode = ctx.node.attrs.get_string("mode", "avg");
  if (mode != "avg" && mode != "max") return ctx.error("mode '" + mode + "' must be avg or max");
  const std::string transform =
      ctx.node.attrs.get_string("coordinate_transformation_mode", "half_pixel");
  if (transform != "half_pixel" && transform != "output_half_pixel") {
    return ctx.error("coordinate_transformation_mode '" + transform +
                     "' must be half_pixel or output_half_pixel");
  }
  return std::vector<InferredOutput>{
      {TensorType::make(ctx.type(0).dtype, {rois[0], x[1], oh, ow}), std::nullopt}};
}

OpCost roi_align_cost(const CostContext& ctx) {
  const int64_t ratio = ctx.node.attrs.get_int("sampling_ratio", 0);
  const double samples = ratio > 0 ? static_cast<double>(ratio * ratio) : 4;
  const double per_output =
      samples * (8 + 1) + (ctx.node.attrs.get_string("mode", "avg") == "avg" ? 1 : 0);
  return compute_cost(ctx, 0, per_output * ctx.numel(ctx.output(0)));
}

// ---------------------------------------------------------------------------------------------
// Col2Im

// An ints attribute of n entries, or `fallback` repeated; error naming the node otherwise.
Result<std::vector<int64_t>> per_axis(const InferContext& ctx, const std::string& name,
                                      std::size_t n, int64_t fallback) {
  if (!ctx.node.attrs.has(name)) return std::vector<int64_t>(n, fallback);
  auto v = ctx.node.attrs.get_ints(name);
  if (v.size() != n) {
    return ctx.error(name + " has " + std::to_string(v.size()) + " entries, expected " +
                     std::to_string(n));
  }
  return v;
}

InferResult col2im_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(3));
  GRAPHS_ASSIGN_OR_RETURN(const auto in, static_input_dims(ctx, 0, "input"));
  GRAPHS_ASSIGN_OR_RETURN(const auto image, fold::require_ints(ctx, 1, "image_shape"));
  GRAPHS_ASSIGN_OR_RETURN(const auto block, fold::require_ints(ctx, 2, "block_shape"));
  if (in.size() != 3) {
    return ctx.error("input " + dims_to_string(in) + " must have rank 3 (N, C·∏block, L)");
  }
  const std::size_t n = image.size();
  if (n == 0 || block.size() != n) {
    return ctx.error("image_shape " + dims_to_string(image) + " and block_shape " +
                     dims_to_string(block) + " must have the same, non-zero length");
  }
  GRAPHS_ASSIGN_OR_RETURN(const auto strides, per_axis(ctx, "strides", n, 1));
  GRAPHS_ASSIGN_OR_RETURN(const auto dilations, per_axis(ctx, "dilations", n, 1));
  GRAPHS_ASSIGN_OR_RETURN(const auto pads, per_axis(ctx, "pads", 2 * n, 0));
  int64_t block_elements = 1;
  int64_t blocks = 1;
  for (std::size_t i = 0; i < n; ++i) {
    if (block[i] < 1 || image[i] < 1 || strides[i] < 1 || dilations[i] < 1 || pads[i] < 0 ||
        pads[i + n] < 0) {
      return ctx.error("axis " + std::to_string(i) + ": image " + std::to_string(image[i]) +
                       ", block " + std::to_string(block[i]) + ", stride " +
                       std::to_string(strides[i]) + ", dilation " + std::to_string(dilations[i]) +
                       " must be positive and pads non-negative");
    }
    block_elements *= block[i];
    const int64_t span = dilations[i] * (block[i] - 1) + 1;
    const int64_t padded = image[i] + pads[i] + pads[i + n];
    if (span > padded) {
      return ctx.error("axis " + std::to_string(i) + ": the dilated block (" +
                       std::to_string(span) + ") is larger than the padded image (" +
                       std::to_string(padded) + ")");
    }
    blocks *= (padded - span) / strides[i] + 1;
  }
  if (in[1] % block_elements != 0) {
    return ctx.error("input dim 1 (" + std::to_string(in[1]) + ") is not a multiple of ∏block_shape " +
                     std::to_string(block_elements));
  }
  if (in[2] != blocks) {
    return ctx.error("input has " + std::to_string(in[2]) + " blocks (dim 2), but image_shape " +
                     dims_to_string(image) + " with block_shape " + dims_to_string(block) +
                     " holds " + std::to_string(blocks));
  }
  std::vector<int64_t> out = {in[0], in[1] / block_elements};
  out.insert(out.end(), image.begin(), image.end());
  return std::vector<InferredOutput>{{TensorType::make(ctx.type(0).dtype, out), std::nullopt}};
}

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "GridSample",
    .domain = "",
    .op_class = OpClass::kDataMovement,
    .infer = grid_sample_shape,
    .cost = grid_sample_cost,
    .flops_note = "per output element: nearest 0, linear 2·2ʳ, cubic 2·4ʳ (r = spatial dims); "
                  "bytes = X and grid read + output written",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "AffineGrid",
    .domain = "",
    .op_class = OpClass::kOther,
    .infer = affine_grid_shape,
    .cost = affine_grid_cost,
    .flops_note = "2·r per output element (θ·[x; 1]: r multiplies, r adds per coordinate)",
    .since_version = 20,
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "RoiAlign",
    .domain = "",
    .op_class = OpClass::kPooling,
    .infer = roi_align_shape,
    .cost = roi_align_cost,
    .flops_note = "per output element: 9 per sample point (bilinear 8, accumulate 1) + 1 for avg; "
                  "sampling_ratio² points per bin, 4 when adaptive (sampling_ratio 0)",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "Col2Im",
    .domain = "",
    .op_class = OpClass::kDataMovement,
    .infer = col2im_shape,
    .cost = [](const CostContext& ctx) { return compute_cost(ctx, 0, ctx.numel(ctx.input(0))); },
    .flops_note = "1 per input element (overlapping blocks summed); bytes = input read + image "
                  "written",
    .since_version = 18,
});

}  // namespace
}  // namespace graphs::ops
