// Resize (ONNX Resize-10/11/13/18/19) and Upsample (ONNX Upsample-7/9, deprecated at 10).
//
// Output shape (ONNX onnx/defs/tensor/utils.cc, resizeShapeInference):
//  - from `sizes` (Resize-11+, input 3): taken as is, over `axes` (Resize-18 attribute) or all
//    axes; with keep_aspect_ratio_policy not_larger / not_smaller (Resize-18) one scale
//    s = min / max of sizes[i] / dims[axes[i]] applies and out = round(s · dims) (half away from 0);
//  - from `scales` (Resize-10 input 1, Resize-11+ input 2, Upsample-9 input 1, Upsample-7
//    attribute): out = floor(float32(dim) · float32(scale)), as ONNX computes it.
//  An empty `scales` or `sizes` tensor counts as absent (Resize-11/12 exporters pass one). `roi`
//  is ignored for the shape, as ONNX's own inference does.
// Cost: bytes = input read once + output written. FLOPs per output element, with n = number of
// axes whose size changes: nearest 0; linear 2·2ⁿ (2ⁿ taps, a multiply and an add each: bilinear
// 8); cubic 2·4ⁿ (bicubic 32). Weight computation and antialiasing taps are not counted.
#include <algorithm>
#include <cmath>
#include <limits>

#include "graphs/ops/op_helpers.h"
#include "graphs/ops/tensor_fold.h"

namespace graphs::ops {
namespace {

using fold::input_dims;
using fold::make_output;
using fold::single;
using Outputs = Result<std::vector<InferredOutput>>;

// Whether input i is present and non-empty.
bool present(const InferContext& ctx, std::size_t i) {
  const Value* v = ctx.input(i);
  if (!v) return false;
  const auto n = v->type.numel();
  return !n || *n > 0;
}

Result<std::vector<int64_t>> apply_scales(const InferContext& ctx, const std::vector<int64_t>& in,
                                          std::vector<double> scales,
                                          const std::vector<int64_t>& axes) {
  if (!axes.empty()) {
    if (scales.size() != axes.size()) {
      return ctx.error("scales has " + std::to_string(scales.size()) + " entries for " +
                       std::to_string(axes.size()) + " axes");
    }
    std::vector<double> all(in.size(), 1.0);
    for (std::size_t i = 0; i < axes.size(); ++i) all[static_cast<std::size_t>(axes[i])] = scales[i];
    scales = std::move(all);
  } else if (scales.size() != in.size()) {
    return ctx.error("scales has " + std::to_string(scales.size()) +
                     " entries, expected one per input dim (" + std::to_string(in.size()) + ")");
  }
  std::vector<int64_t> out(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (!(scales[i] > 0)) {
      return ctx.error("scale " + std::to_string(scales[i]) + " for axis " + std::to_string(i) +
                       " must be positive");
    }
    const double scaled = std::floor(static_cast<float>(in[i]) * static_cast<float>(scales[i]));
    if (!(scaled < 0x1p62)) {
      return ctx.error("scale " + std::to_string(scales[i]) + " for axis " + std::to_string(i) +
                       " gives an output dim too large to represent");
    }
    out[i] = static_cast<int64_t>(scaled);
  }
  return out;
}

Result<std::vector<int64_t>> apply_sizes(const InferContext& ctx, const std::vector<int64_t>& in,
                                         std::vector<int64_t> sizes,
                                         const std::vector<int64_t>& axes) {
  std::vector<int64_t> axis_of(sizes.size());
  if (!axes.empty()) {
    if (sizes.size() != axes.size()) {
      return ctx.error("sizes has " + std::to_string(sizes.size()) + " entries for " +
                       std::to_string(axes.size()) + " axes");
    }
    axis_of = axes;
  } else {
    if (sizes.size() != in.size()) {
      return ctx.error("sizes has " + std::to_string(sizes.size()) +
                       " entries, expected one per input dim (" + std::to_string(in.size()) + ")");
    }
    for (std::size_t i = 0; i < sizes.size(); ++i) axis_of[i] = static_cast<int64_t>(i);
  }
  const std::string policy = ctx.node.attrs.get_string("keep_aspect_ratio_policy", "stretch");
  if (policy == "not_larger" || policy == "not_smaller") {
    const bool larger = policy == "not_larger";
    float scale = larger ? std::numeric_limits<float>::max() : 0.0f;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      const float s = static_cast<float>(sizes[i]) /
                      static_cast<float>(in[static_cast<std::size_t>(axis_of[i])]);
      scale = larger ? std::min(scale, s) : std::max(scale, s);
    }
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      sizes[i] = static_cast<int64_t>(
          std::roundf(scale * static_cast<float>(in[static_cast<std::size_t>(axis_of[i])])));
    }
  } else if (policy != "stretch") {
    return ctx.error("unknown keep_aspect_ratio_policy '" + policy +
                     "' (expected stretch, not_larger or not_smaller)");
  }
  std::vector<int64_t> out = in;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] < 0) return ctx.error("sizes " + fold::dims_string(sizes) + " has a negative entry");
    out[static_cast<std::size_t>(axis_of[i])] = sizes[i];
  }
  return out;
}

Outputs infer_resize(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto in, input_dims(ctx, 0));
  const auto rank = static_cast<int64_t>(in.size());
  // Resize-10 has inputs (X, scales); from 11: (X, roi, scales, sizes).
  const bool layout10 =
      (ctx.opset > 0 && ctx.opset < 11) || (ctx.opset == 0 && ctx.num_inputs() == 2);
  const std::size_t scales_at = layout10 ? 1 : 2;
  const std::size_t sizes_at = 3;
  std::vector<int64_t> axes;
  for (int64_t a : ctx.node.attrs.get_ints("axes")) {
    GRAPHS_ASSIGN_OR_RETURN(const int64_t axis, fold::normalize_axis(ctx, a, rank));
    for (int64_t seen : axes) {
      if (seen == axis) return ctx.error("axis " + std::to_string(a) + " is repeated in axes");
    }
    axes.push_back(axis);
  }
  const bool has_scales = present(ctx, scales_at);
  const bool has_sizes = !layout10 && present(ctx, sizes_at);
  if (has_scales && has_sizes) {
    return ctx.error("either 'scales' or 'sizes' must be given, not both");
  }
  std::vector<int64_t> out;
  if (has_sizes) {
    GRAPHS_ASSIGN_OR_RETURN(auto sizes, fold::require_ints(ctx, sizes_at, "resize sizes"));
    GRAPHS_ASSIGN_OR_RETURN(out, apply_sizes(ctx, in, std::move(sizes), axes));
  } else if (has_scales) {
    GRAPHS_ASSIGN_OR_RETURN(auto scales, fold::require_floats(ctx, scales_at, "resize scales"));
    GRAPHS_ASSIGN_OR_RETURN(out, apply_scales(ctx, in, std::move(scales), axes));
  } else {
    return ctx.error("neither 'scales' nor 'sizes' is given");
  }
  return single(make_output(ctx.type(0).dtype, out));
}

Outputs infer_upsample(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(auto in, input_dims(ctx, 0));
  std::vector<double> scales;
  if (ctx.input(1)) {
    GRAPHS_ASSIGN_OR_RETURN(scales, fold::require_floats(ctx, 1, "upsample scales"));
  } else if (ctx.node.attrs.has("scales")) {
    scales = ctx.node.attrs.get_floats("scales");
  } else {
    return ctx.error("scales are required (attribute at opset 7, input 1 from 9)");
  }
  GRAPHS_ASSIGN_OR_RETURN(auto out, apply_scales(ctx, in, std::move(scales), {}));
  return single(make_output(ctx.type(0).dtype, out));
}

OpCost resize_cost(const CostContext& ctx) {
  const Value* x = ctx.input(0);
  const Value* y = ctx.output(0);
  OpCost c = fold::move_cost(ctx.bytes(x), ctx.output_bytes());
  if (!x || !y || !x->type.is_static() || !y->type.is_static() ||
      x->type.rank() != y->type.rank()) {
    return c;
  }
  const auto in = x->type.dims();
  const auto out = y->type.dims();
  int n = 0;
  for (std::size_t i = 0; i < in.size(); ++i) n += in[i] != out[i];
  const std::string mode = ctx.node.attrs.get_string("mode", "nearest");
  double taps = 0;
  if (mode == "linear" || mode == "bilinear") taps = std::pow(2.0, n);
  else if (mode == "cubic") taps = std::pow(4.0, n);
  if (n > 0) c.flops = 2 * taps * ctx.numel(y);
  return c;
}

constexpr const char* kResizeNote =
    "per output element: nearest 0, linear 2·2ⁿ, cubic 2·4ⁿ (n = resized axes); bytes = input "
    "read + output written";

}  // namespace

GRAPHS_REGISTER_OP(OpSchema{"Resize", "", OpClass::kDataMovement, infer_resize, resize_cost,
                            kResizeNote});
// Upsample-1 (height_scale/width_scale attributes) is not read: the rule starts at version 7.
GRAPHS_REGISTER_OP(OpSchema{"Upsample", "", OpClass::kDataMovement, infer_upsample, resize_cost,
                            kResizeNote, /*pointwise=*/false, /*since_version=*/7});

}  // namespace graphs::ops
