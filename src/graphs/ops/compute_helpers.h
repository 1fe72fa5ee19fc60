// Helpers shared by the compute op families (conv.cc, matmul.cc, normalization.cc, pooling.cc,
// reduction.cc): opset resolution, static-shape access with node-named errors, the sliding-window
// geometry of ONNX convolution and pooling, and the byte accounting common to these ops.
//
// Internal to ops/: other modules ask the OpRegistry, not these functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "graphs/ops/op_registry.h"

namespace graphs::ops {

/// What a shape rule returns.
using InferResult = Result<std::vector<InferredOutput>>;

/// Newest ai.onnx opset whose semantics these rules know (op_registry.h).
inline constexpr int kNewestOpset = kNewestOnnxOpset;

/// The opset a rule applies: the node's own, or kNewestOpset when the graph did not say
/// (opset 0: hand-built graphs such as zoo builders).
int resolved_opset(int opset);

/// Static dims of input i. Errors name the node and `role` ("input 'x' (W) is missing",
/// "... has no static shape").
Result<std::vector<int64_t>> static_input_dims(const InferContext& ctx, std::size_t i,
                                               std::string_view role);

/// Static dims of a value in a cost rule; empty for nullptr or a non-static type.
std::vector<int64_t> dims_of(const Value* v);

/// "[1,3,224,224]".
std::string dims_to_string(const std::vector<int64_t>& dims);

/// Reads the int attribute `name` (or `fallback`) as an axis of a rank-`rank` tensor, normalised
/// into [0, rank). Error naming the node when out of range.
Result<int64_t> axis_attribute(const InferContext& ctx, const std::string& name, int64_t fallback,
                               int64_t rank);

/// Normalises a list of axes into [0, rank), sorted; error naming the node for an axis out of
/// range or repeated.
Result<std::vector<int64_t>> normalize_axes(const InferContext& ctx,
                                            const std::vector<int64_t>& axes, int64_t rank);

/// Error unless input `index` (when present) broadcasts unidirectionally to `target`
/// ("scale [4] does not broadcast to [2,3]").
Status check_broadcasts_to(const InferContext& ctx, std::size_t index, std::string_view role,
                           const std::vector<int64_t>& target);

/// Error unless input `index` is present with shape exactly `expected`.
Status check_input_shape(const InferContext& ctx, std::size_t index, std::string_view role,
                         const std::vector<int64_t>& expected);

/// An OpCost with the given MACs and FLOPs, bytes_read = every present input (weights included),
/// bytes_written = every present output, both through the precision map.
OpCost compute_cost(const CostContext& ctx, double macs, double flops);

/// Resolved geometry of a sliding window over the spatial dims (D1..Dn of an N×C×D1..Dn tensor).
struct Window {
  std::vector<int64_t> kernel;     // n
  std::vector<int64_t> strides;    // n
  std::vector<int64_t> dilations;  // n
  std::vector<int64_t> pads;       // 2n: [x1_begin, .., xn_begin, x1_end, .., xn_end]
  std::vector<int64_t> output;     // n: output spatial sizes

  int64_t kernel_elements() const;
};

/// What a window rule reads from the node's attributes.
struct WindowOptions {
  bool use_dilation = true;   // read `dilations` (AveragePool before opset 19 ignores it)
  bool use_ceil_mode = false; // read `ceil_mode` (pools only)
};

/// Computes the output spatial sizes of Conv and the pools from `kernel_shape` (given),
/// `strides`, `dilations`, `pads`, `auto_pad` and `ceil_mode`, following ONNX
/// convPoolShapeInference (onnx/defs/nn/defs.cc) and Operators.md:
///   effective_kernel = (k − 1) × dilation + 1
///   out = floor((in + pad_begin + pad_end − effective_kernel) / stride) + 1
///   ceil_mode: out = ceil(...) + 1, minus one when the last window would start in the right
///              padding ("sliding windows that would start in the right padded region are
///              ignored", ONNX ≥ 1.16, as PyTorch).
///   auto_pad SAME_UPPER/SAME_LOWER (when `pads` is absent): total pad = effective_kernel − stride
///   (or effective_kernel − in mod stride when that is non-zero), clamped at 0, the odd pixel at
///   the end (UPPER) or the beginning (LOWER); gives out = ceil(in / stride). VALID: no pads.
/// Errors (naming the node): attribute lengths that do not match the spatial rank, non-positive
/// strides/dilations/kernel, negative pads, an unknown auto_pad, a window larger than the padded
/// input.
Result<Window> resolve_window(const InferContext& ctx, const std::vector<int64_t>& spatial_in,
                              const std::vector<int64_t>& kernel, const WindowOptions& options);

}  // namespace graphs::ops
