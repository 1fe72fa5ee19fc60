#include "graphs/ops/compute_helpers.h"

#include <algorithm>

#include "graphs/ops/op_helpers.h"

namespace graphs::ops {

int resolved_opset(int opset) { return opset > 0 ? opset : kNewestOpset; }

Result<std::vector<int64_t>> static_input_dims(const InferContext& ctx, std::size_t i,
                                               std::string_view role) {
  const Value* v = ctx.input(i);
  if (!v) {
    return ctx.error("input " + std::to_string(i) + " (" + std::string(role) +
                     ") is required but missing");
  }
  if (!v->type.rank_known || !v->type.is_static()) {
    return ctx.error("input '" + v->name + "' (" + std::string(role) +
                     ") has no static shape (" + v->type.to_string() + ")");
  }
  return v->type.dims();
}

std::vector<int64_t> dims_of(const Value* v) {
  if (!v || !v->type.rank_known || !v->type.is_static()) return {};
  return v->type.dims();
}

std::string dims_to_string(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

Result<int64_t> axis_attribute(const InferContext& ctx, const std::string& name, int64_t fallback,
                               int64_t rank) {
  const int64_t axis = ctx.node.attrs.get_int(name, fallback);
  auto a = normalize_axis(axis, rank);
  if (!a.ok()) return ctx.error("attribute " + name + ": " + a.error().message());
  return *a;
}

Result<std::vector<int64_t>> normalize_axes(const InferContext& ctx,
                                            const std::vector<int64_t>& axes, int64_t rank) {
  std::vector<int64_t> out;
  for (int64_t axis : axes) {
    auto a = normalize_axis(axis, rank);
    if (!a.ok()) return ctx.error("axes " + dims_to_string(axes) + ": " + a.error().message());
    if (std::find(out.begin(), out.end(), *a) != out.end()) {
      return ctx.error("axes " + dims_to_string(axes) + " name axis " + std::to_string(*a) +
                       " twice");
    }
    out.push_back(*a);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status check_broadcasts_to(const InferContext& ctx, std::size_t index, std::string_view role,
                           const std::vector<int64_t>& target) {
  if (!ctx.input(index)) return ok_status();
  GRAPHS_ASSIGN_OR_RETURN(const auto dims, static_input_dims(ctx, index, role));
  auto b = broadcast_shapes({dims, target});
  if (dims.size() > target.size() || !b.ok() || *b != target) {
    return ctx.error(std::string(role) + " " + dims_to_string(dims) + " does not broadcast to " +
                     dims_to_string(target));
  }
  return ok_status();
}

Status check_input_shape(const InferContext& ctx, std::size_t index, std::string_view role,
                         const std::vector<int64_t>& expected) {
  GRAPHS_ASSIGN_OR_RETURN(const auto dims, static_input_dims(ctx, index, role));
  if (dims != expected) {
    return ctx.error(std::string(role) + " shape " + dims_to_string(dims) + ", expected " +
                     dims_to_string(expected));
  }
  return ok_status();
}

OpCost compute_cost(const CostContext& ctx, double macs, double flops) {
  OpCost c;
  c.macs = macs;
  c.flops = flops;
  c.bytes_read = ctx.input_bytes();
  c.bytes_written = ctx.output_bytes();
  return c;
}

int64_t Window::kernel_elements() const { return product(kernel); }

namespace {

// Reads an ints attribute of length n, or `fallback` repeated n times when absent.
Result<std::vector<int64_t>> ints_of_length(const InferContext& ctx, const std::string& name,
                                            std::size_t n, int64_t fallback) {
  if (!ctx.node.attrs.has(name)) return std::vector<int64_t>(n, fallback);
  auto v = ctx.node.attrs.get_ints(name);
  if (v.size() != n) {
    return ctx.error("attribute " + name + " has " + std::to_string(v.size()) +
                     " values, expected " + std::to_string(n) + " (one per spatial axis)");
  }
  return v;
}

}  // namespace

Result<Window> resolve_window(const InferContext& ctx, const std::vector<int64_t>& spatial_in,
                              const std::vector<int64_t>& kernel, const WindowOptions& options) {
  const std::size_t n = spatial_in.size();
  Window w;
  w.kernel = kernel;
  if (w.kernel.size() != n) {
    return ctx.error("kernel_shape has " + std::to_string(w.kernel.size()) +
                     " values, expected " + std::to_string(n) + " (one per spatial axis)");
  }
  GRAPHS_ASSIGN_OR_RETURN(w.strides, ints_of_length(ctx, "strides", n, 1));
  if (options.use_dilation) {
    GRAPHS_ASSIGN_OR_RETURN(w.dilations, ints_of_length(ctx, "dilations", n, 1));
  } else {
    w.dilations.assign(n, 1);
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (w.kernel[i] < 1) return ctx.error("kernel_shape " + dims_to_string(w.kernel) + " must be positive");
    if (w.strides[i] < 1) return ctx.error("strides " + dims_to_string(w.strides) + " must be positive");
    if (w.dilations[i] < 1) {
      return ctx.error("dilations " + dims_to_string(w.dilations) + " must be positive");
    }
  }
  std::vector<int64_t> effective(n);
  for (std::size_t i = 0; i < n; ++i) effective[i] = (w.kernel[i] - 1) * w.dilations[i] + 1;

  const std::string auto_pad = ctx.node.attrs.get_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER" &&
      auto_pad != "VALID") {
    return ctx.error("auto_pad '" + auto_pad +
                     "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  }
  if (ctx.node.attrs.has("pads")) {
    // Explicit pads win over auto_pad, as in ONNX shape inference.
    w.pads = ctx.node.attrs.get_ints("pads");
    if (w.pads.size() != 2 * n) {
      return ctx.error("attribute pads has " + std::to_string(w.pads.size()) +
                       " values, expected " + std::to_string(2 * n) + " (begin and end per axis)");
    }
    for (int64_t p : w.pads) {
      if (p < 0) return ctx.error("pads " + dims_to_string(w.pads) + " must be non-negative");
    }
  } else {
    w.pads.assign(2 * n, 0);
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      for (std::size_t i = 0; i < n; ++i) {
        const int64_t residual = spatial_in[i] % w.strides[i];
        const int64_t total = std::max<int64_t>(
            0, residual == 0 ? effective[i] - w.strides[i] : effective[i] - residual);
        const int64_t small = total / 2;
        const int64_t big = total - small;
        w.pads[i] = auto_pad == "SAME_UPPER" ? small : big;
        w.pads[i + n] = auto_pad == "SAME_UPPER" ? big : small;
      }
    }
  }

  const bool ceil_mode = options.use_ceil_mode && ctx.node.attrs.get_int("ceil_mode", 0) != 0;
  w.output.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const int64_t padded = spatial_in[i] + w.pads[i] + w.pads[i + n];
    if (padded < effective[i]) {
      return ctx.error("kernel " + std::to_string(w.kernel[i]) + " with dilation " +
                       std::to_string(w.dilations[i]) + " spans " + std::to_string(effective[i]) +
                       " but spatial axis " + std::to_string(i) + " has only " +
                       std::to_string(padded) + " (input " + std::to_string(spatial_in[i]) +
                       " plus pads)");
    }
    const int64_t span = padded - effective[i];
    int64_t out = (ceil_mode ? (span + w.strides[i] - 1) : span) / w.strides[i] + 1;
    if (ceil_mode && (out - 1) * w.strides[i] >= spatial_in[i] + w.pads[i]) --out;
    w.output[i] = out;
  }
  return w;
}

}  // namespace graphs::ops
