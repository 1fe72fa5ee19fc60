// Convolution family (ai.onnx, opsets 11–21): Conv, ConvTranspose, and the quantized ConvInteger
// and QLinearConv. OpClass::kConv.
//
// Shapes follow ONNX Operators.md and convPoolShapeInference / convTransposeShapeInference in
// onnx/defs/nn/defs.cc (see compute_helpers.h for the window formula).
//
// Counting (one MAC = one multiply-accumulate):
//   Conv:          MACs = N × C_out × ∏out_spatial × (C_in / group) × ∏kernel
//                  FLOPs = 2 × MACs + N × C_out × ∏out_spatial when a bias is present (one add
//                  per output element).
//   ConvTranspose: MACs = N × C_in × ∏in_spatial × (C_out / group) × ∏kernel (every input pixel
//                  scatters a kernel-sized patch to each of its group's output channels);
//                  FLOPs = 2 × MACs + one add per output element when a bias is present.
//   ConvInteger:   as Conv, no bias; zero-point corrections are folded into the accumulation
//                  and not counted.
//   QLinearConv:   as Conv + 2 FLOPs per output element for requantization (scale multiply,
//                  zero-point add) + 1 per output element when the int32 bias is present.
// Bytes: every present input (weights, bias, scales, zero points) read once, every output written
// once, at the costing precision.
#include <algorithm>
#include <string>
#include <vector>

#include "graphs/ops/compute_helpers.h"
#include "graphs/ops/op_helpers.h"

namespace graphs::ops {
namespace {

constexpr std::size_t kAbsent = static_cast<std::size_t>(-1);

// Where a conv-like op keeps its operands.
struct ConvOperands {
  std::size_t x = 0;
  std::size_t w = 1;
  std::size_t bias = kAbsent;  // index of the optional bias, kAbsent when the op has none
};

// Checks X and W ranks and the kernel_shape attribute; returns W's spatial dims.
Result<std::vector<int64_t>> check_kernel(const InferContext& ctx, const std::vector<int64_t>& x,
                                          const std::vector<int64_t>& w) {
  if (x.size() < 3) {
    return ctx.error("input rank " + std::to_string(x.size()) +
                     ", expected at least 3 (N × C × D1 …)");
  }
  if (w.size() != x.size()) {
    return ctx.error("weight rank " + std::to_string(w.size()) + ", expected " +
                     std::to_string(x.size()) + " (the input's rank)");
  }
  std::vector<int64_t> kernel(w.begin() + 2, w.end());
  if (ctx.node.attrs.has("kernel_shape")) {
    const auto attr = ctx.node.attrs.get_ints("kernel_shape");
    if (attr != kernel) {
      return ctx.error("kernel_shape " + dims_to_string(attr) +
                       " does not match the weight's spatial dims " + dims_to_string(kernel));
    }
  }
  return kernel;
}

Status check_bias(const InferContext& ctx, std::size_t index, int64_t channels) {
  if (index == kAbsent || !ctx.input(index)) return ok_status();
  GRAPHS_ASSIGN_OR_RETURN(const auto b, static_input_dims(ctx, index, "B"));
  if (b.size() != 1 || b[0] != channels) {
    return ctx.error("bias shape " + dims_to_string(b) + ", expected [" +
                     std::to_string(channels) + "] (one per output channel)");
  }
  return ok_status();
}

Result<int64_t> read_group(const InferContext& ctx) {
  const int64_t group = ctx.node.attrs.get_int("group", 1);
  if (group < 1) return ctx.error("group " + std::to_string(group) + " must be at least 1");
  return group;
}

// Shape rule of Conv, ConvInteger and QLinearConv: Y = [N, M, out_spatial...].
Result<std::vector<InferredOutput>> conv_shape(const InferContext& ctx, const ConvOperands& ops,
                                               DType out_dtype) {
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, ops.x, "X"));
  GRAPHS_ASSIGN_OR_RETURN(const auto w, static_input_dims(ctx, ops.w, "W"));
  GRAPHS_ASSIGN_OR_RETURN(const auto kernel, check_kernel(ctx, x, w));
  GRAPHS_ASSIGN_OR_RETURN(const int64_t group, read_group(ctx));
  if (x[1] != w[1] * group) {
    return ctx.error("input has " + std::to_string(x[1]) + " channels but W.shape[1] × group = " +
                     std::to_string(w[1]) + " × " + std::to_string(group) + " = " +
                     std::to_string(w[1] * group));
  }
  if (w[0] % group != 0) {
    return ctx.error("output channels " + std::to_string(w[0]) + " (W.shape[0]) not divisible by group " +
                     std::to_string(group));
  }
  GRAPHS_RETURN_IF_ERROR(check_bias(ctx, ops.bias, w[0]));
  const std::vector<int64_t> spatial(x.begin() + 2, x.end());
  GRAPHS_ASSIGN_OR_RETURN(const Window win,
                          resolve_window(ctx, spatial, kernel, {.use_dilation = true}));
  std::vector<int64_t> y = {x[0], w[0]};
  y.insert(y.end(), win.output.begin(), win.output.end());
  return std::vector<InferredOutput>{{TensorType::make(out_dtype, y), std::nullopt}};
}

// MACs of a Conv-like node from its output and weight: numel(Y) × (C_in/group) × ∏kernel, where
// the last two factors are numel(W) / C_out.
double conv_macs(const CostContext& ctx, std::size_t w_index) {
  const auto w = dims_of(ctx.input(w_index));
  if (w.empty() || w[0] == 0) return 0;
  return ctx.numel(ctx.output(0)) * static_cast<double>(product(w, 1));
}

OpCost conv_cost(const CostContext& ctx) {
  const double macs = conv_macs(ctx, 1);
  const double bias = ctx.input(2) ? ctx.numel(ctx.output(0)) : 0;
  return compute_cost(ctx, macs, 2 * macs + bias);
}

// ConvTranspose (Operators.md, ConvTranspose):
//   out[i] = stride[i] × (in[i] − 1) + output_padding[i] + ((k[i] − 1) × dilation[i] + 1)
//            − pads[begin_i] − pads[end_i]
// `output_shape` (spatial dims, or the full N×C×… shape) overrides the formula; auto_pad
// SAME_UPPER/SAME_LOWER without pads gives out[i] = in[i] × stride[i] (the spec's rule, as
// ONNX Runtime computes it); VALID means no pads.
Result<std::vector<InferredOutput>> conv_transpose_shape(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "X"));
  GRAPHS_ASSIGN_OR_RETURN(const auto w, static_input_dims(ctx, 1, "W"));
  GRAPHS_ASSIGN_OR_RETURN(const auto kernel, check_kernel(ctx, x, w));
  GRAPHS_ASSIGN_OR_RETURN(const int64_t group, read_group(ctx));
  if (x[1] != w[0]) {
    return ctx.error("input has " + std::to_string(x[1]) + " channels but W.shape[0] = " +
                     std::to_string(w[0]) + " (ConvTranspose weights are C_in × C_out/group × k…)");
  }
  if (x[1] % group != 0) {
    return ctx.error("input channels " + std::to_string(x[1]) + " not divisible by group " +
                     std::to_string(group));
  }
  const int64_t c_out = w[1] * group;
  GRAPHS_RETURN_IF_ERROR(check_bias(ctx, 2, c_out));

  const std::size_t n = x.size() - 2;
  const auto& attrs = ctx.node.attrs;
  auto ints_n = [&](const std::string& name, int64_t fallback) -> Result<std::vector<int64_t>> {
    if (!attrs.has(name)) return std::vector<int64_t>(n, fallback);
    auto v = attrs.get_ints(name);
    if (v.size() != n) {
      return ctx.error("attribute " + name + " has " + std::to_string(v.size()) +
                       " values, expected " + std::to_string(n));
    }
    return v;
  };
  GRAPHS_ASSIGN_OR_RETURN(const auto strides, ints_n("strides", 1));
  GRAPHS_ASSIGN_OR_RETURN(const auto dilations, ints_n("dilations", 1));
  GRAPHS_ASSIGN_OR_RETURN(const auto output_padding, ints_n("output_padding", 0));
  for (std::size_t i = 0; i < n; ++i) {
    if (strides[i] < 1 || dilations[i] < 1) {
      return ctx.error("strides " + dims_to_string(strides) + " and dilations " +
                       dims_to_string(dilations) + " must be positive");
    }
    if (output_padding[i] < 0 || output_padding[i] >= std::max(strides[i], dilations[i])) {
      return ctx.error("output_padding " + dims_to_string(output_padding) +
                       " must be non-negative and smaller than the stride or the dilation");
    }
  }
  const std::string auto_pad = attrs.get_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER" &&
      auto_pad != "VALID") {
    return ctx.error("auto_pad '" + auto_pad +
                     "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  }

  std::vector<int64_t> out(n);
  if (attrs.has("output_shape")) {
    auto shape = attrs.get_ints("output_shape");
    if (shape.size() == n + 2) shape.erase(shape.begin(), shape.begin() + 2);
    if (shape.size() != n) {
      return ctx.error("output_shape " + dims_to_string(attrs.get_ints("output_shape")) +
                       " has neither " + std::to_string(n) + " spatial dims nor the full rank " +
                       std::to_string(n + 2));
    }
    out = shape;
  } else if (!attrs.has("pads") && (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER")) {
    for (std::size_t i = 0; i < n; ++i) out[i] = x[i + 2] * strides[i];
  } else {
    std::vector<int64_t> pads(2 * n, 0);
    if (attrs.has("pads")) {
      pads = attrs.get_ints("pads");
      if (pads.size() != 2 * n) {
        return ctx.error("attribute pads has " + std::to_string(pads.size()) +
                         " values, expected " + std::to_string(2 * n));
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      out[i] = strides[i] * (x[i + 2] - 1) + output_padding[i] +
               (kernel[i] - 1) * dilations[i] + 1 - pads[i] - pads[i + n];
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (out[i] < 1) {
      return ctx.error("output spatial size " + dims_to_string(out) + " is not positive");
    }
  }
  std::vector<int64_t> y = {x[0], c_out};
  y.insert(y.end(), out.begin(), out.end());
  return std::vector<InferredOutput>{{TensorType::make(ctx.type(0).dtype, y), std::nullopt}};
}

OpCost conv_transpose_cost(const CostContext& ctx) {
  const auto w = dims_of(ctx.input(1));
  const double macs = w.empty() ? 0 : ctx.numel(ctx.input(0)) * static_cast<double>(product(w, 1));
  const double bias = ctx.input(2) ? ctx.numel(ctx.output(0)) : 0;
  return compute_cost(ctx, macs, 2 * macs + bias);
}

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "Conv",
    .domain = "",
    .op_class = OpClass::kConv,
    .infer = [](const InferContext& ctx) -> InferResult {
      GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(2));
      return conv_shape(ctx, {.x = 0, .w = 1, .bias = 2}, ctx.type(0).dtype);
    },
    .cost = conv_cost,
    .flops_note = "2 × MACs (MACs = N·C_out·∏out_spatial·(C_in/group)·∏kernel) + 1 per output "
                  "element when a bias is present",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "ConvTranspose",
    .domain = "",
    .op_class = OpClass::kConv,
    .infer = [](const InferContext& ctx) -> InferResult {
      GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(2));
      return conv_transpose_shape(ctx);
    },
    .cost = conv_transpose_cost,
    .flops_note = "2 × MACs (MACs = N·C_in·∏in_spatial·(C_out/group)·∏kernel) + 1 per output "
                  "element when a bias is present",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "ConvInteger",
    .domain = "",
    .op_class = OpClass::kConv,
    .infer = [](const InferContext& ctx) -> InferResult {
      GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(2));
      return conv_shape(ctx, {.x = 0, .w = 1}, DType::kInt32);
    },
    .cost = [](const CostContext& ctx) {
      const double macs = conv_macs(ctx, 1);
      return compute_cost(ctx, macs, 2 * macs);
    },
    .flops_note = "2 × MACs as Conv; zero-point corrections not counted",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "QLinearConv",
    .domain = "",
    .op_class = OpClass::kConv,
    .infer = [](const InferContext& ctx) -> InferResult {
      GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(8));
      return conv_shape(ctx, {.x = 0, .w = 3, .bias = 8}, ctx.type(7).dtype);
    },
    .cost = [](const CostContext& ctx) {
      const double macs = conv_macs(ctx, 3);
      const double out = ctx.numel(ctx.output(0));
      return compute_cost(ctx, macs, 2 * macs + 2 * out + (ctx.input(8) ? out : 0));
    },
    .flops_note = "2 × MACs as Conv + 2 per output element (requantize) + 1 per output element "
                  "with bias",
});

}  // namespace
}  // namespace graphs::ops
