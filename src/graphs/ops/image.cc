// Image preprocessing family (ai.onnx): CenterCropPad-18 and ImageDecoder-20.
//
// CenterCropPad (Operators.md): input_data, shape (1-D int, one size per axis in `axes`, default
// every axis) → input_data's dims with those axes set to `shape`: each is center-cropped or
// zero-padded. Unknown `shape` contents: analysis/data_dependent.cc names the dims.
// ImageDecoder: encoded_stream (1-D uint8 bytes of a BMP, JPEG, PNG, ... file) → uint8 [H, W, C],
// C = 3 for pixel_format RGB or BGR, 1 for Grayscale. H and W are in the file's header, which
// analysis never reads: "output shape depends on tensor contents" (data_dependent.cc names them).
// Counting: copies, 0 FLOPs; bytes = inputs read + output written. Decoding work is not costed.
#include <string>
#include <vector>

#include "graphs/ops/compute_helpers.h"
#include "graphs/ops/op_helpers.h"
#include "graphs/ops/tensor_fold.h"

namespace graphs::ops {
namespace {

InferResult center_crop_pad_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(2));
  GRAPHS_ASSIGN_OR_RETURN(auto x, static_input_dims(ctx, 0, "input_data"));
  const auto rank = static_cast<int64_t>(x.size());
  std::vector<int64_t> axes = ctx.node.attrs.get_ints("axes");
  if (!ctx.node.attrs.has("axes")) {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  GRAPHS_ASSIGN_OR_RETURN(const auto sizes, fold::require_ints(ctx, 1, "crop/pad shape"));
  if (sizes.size() != axes.size()) {
    return ctx.error("shape has " + std::to_string(sizes.size()) + " sizes for " +
                     std::to_string(axes.size()) + " axes");
  }
  for (std::size_t i = 0; i < axes.size(); ++i) {
    GRAPHS_ASSIGN_OR_RETURN(const int64_t a, fold::normalize_axis(ctx, axes[i], rank));
    if (sizes[i] < 0) return ctx.error("shape " + dims_to_string(sizes) + " has a negative size");
    x[static_cast<std::size_t>(a)] = sizes[i];
  }
  return std::vector<InferredOutput>{{TensorType::make(ctx.type(0).dtype, x), std::nullopt}};
}

InferResult image_decoder_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "encoded_stream"));
  const std::string format = ctx.node.attrs.get_string("pixel_format", "RGB");
  if (format != "RGB" && format != "BGR" && format != "Grayscale") {
    return ctx.error("pixel_format '" + format + "' must be RGB, BGR or Grayscale");
  }
  if (x.size() != 1 || ctx.type(0).dtype != DType::kUInt8) {
    return ctx.error("encoded_stream must be 1-D uint8 bytes, not " + ctx.type(0).to_string());
  }
  return ctx.error("output shape depends on tensor contents: the height and width of the image "
                   "in '" + ctx.input(0)->name + "' are not known at analysis time");
}

GRAPHS_REGISTER_OP(since_opset(18, OpSchema{
    .op_type = "CenterCropPad", .domain = "", .op_class = OpClass::kDataMovement,
    .infer = center_crop_pad_shape, .cost = data_movement_cost,
    .flops_note = "0; bytes = input read + output written"}));
GRAPHS_REGISTER_OP(since_opset(20, OpSchema{
    .op_type = "ImageDecoder", .domain = "", .op_class = OpClass::kOther,
    .infer = image_decoder_shape, .cost = data_movement_cost,
    .flops_note = "decoding not costed: 0 FLOPs; bytes = encoded stream read + image written"}));

}  // namespace
}  // namespace graphs::ops
