// Random-number family (ai.onnx): RandomNormal-1/22, RandomUniform-1/22, RandomNormalLike-1/22,
// RandomUniformLike-1/22, Bernoulli-15/22.
//
// Shapes follow Operators.md: RandomNormal/RandomUniform take the `shape` attribute (required)
// and `dtype` (default float); the *Like ops take the input's shape and `dtype` or the input's
// type; Bernoulli has the input's shape and `dtype` or the input's type. Output types of the
// Random* ops must be floating (float16, float, double, bfloat16).
//
// FLOPs (no MACs), per output element, one draw of the generator counted as 1:
//   RandomUniform(Like)  3 (draw, × (high − low), + low)
//   RandomNormal(Like)   6 (Box–Muller: two draws, a log, a square root and a cos/sin shared by
//                        each pair of outputs ≈ 4 per element; × scale, + mean)
//   Bernoulli            2 (draw, compare with p)
// Bytes: the output written; Bernoulli also reads its input (the probabilities); the *Like ops
// read only their input's shape, so no bytes. OpClass::kOther, except Bernoulli, which is
// pointwise (kElementwise).
#include <string>
#include <vector>

#include "graphs/ops/compute_helpers.h"
#include "graphs/ops/op_helpers.h"

namespace graphs::ops {
namespace {

// The `dtype` attribute, or `fallback` when absent; must be floating unless `any_numeric`.
Result<DType> dtype_attribute(const InferContext& ctx, DType fallback, bool any_numeric) {
  if (!ctx.node.attrs.has("dtype")) return fallback;
  const int64_t t = ctx.node.attrs.get_int("dtype", 0);
  const auto d = dtype_from_onnx(static_cast<int32_t>(t));
  const bool ok = d && (is_floating(*d) || (any_numeric && (is_integer(*d) || *d == DType::kBool)));
  if (!ok) {
    return ctx.error("dtype " + std::to_string(t) + " is not " +
                     (any_numeric ? "a numeric or bool type" : "a floating type"));
  }
  return *d;
}

InferResult random_shape(const InferContext& ctx) {
  if (!ctx.node.attrs.has("shape")) return ctx.error("attribute shape is required");
  const auto shape = ctx.node.attrs.get_ints("shape");
  for (int64_t d : shape) {
    if (d < 0) return ctx.error("shape " + dims_to_string(shape) + " has a negative dim");
  }
  GRAPHS_ASSIGN_OR_RETURN(const DType dtype, dtype_attribute(ctx, DType::kFloat32, false));
  return std::vector<InferredOutput>{{TensorType::make(dtype, shape), std::nullopt}};
}

InferResult random_like_shape(const InferContext& ctx, bool bernoulli) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "input"));
  if (bernoulli && !is_floating(ctx.type(0).dtype)) {
    return ctx.error("input must hold floating probabilities, not " +
                     std::string(dtype_name(ctx.type(0).dtype)));
  }
  const DType fallback = ctx.type(0).dtype;
  if (!bernoulli && !ctx.node.attrs.has("dtype") && !is_floating(fallback)) {
    return ctx.error("input type " + std::string(dtype_name(fallback)) +
                     " is not floating; give the dtype attribute");
  }
  GRAPHS_ASSIGN_OR_RETURN(const DType dtype, dtype_attribute(ctx, fallback, bernoulli));
  return std::vector<InferredOutput>{{TensorType::make(dtype, x), std::nullopt}};
}

// A generator's cost: `per_element` FLOPs per output element, output written, `read_input`:
// input 0 read.
OpCost generator_cost(const CostContext& ctx, double per_element, bool read_input) {
  OpCost c;
  c.flops = per_element * ctx.numel(ctx.output(0));
  c.bytes_read = read_input ? ctx.bytes(ctx.input(0)) : 0;
  c.bytes_written = ctx.output_bytes();
  return c;
}

OpSchema random_op(std::string op_type, ShapeFn infer, double per_element, bool read_input,
                   OpClass op_class, std::string note) {
  return OpSchema{
      .op_type = std::move(op_type),
      .domain = "",
      .op_class = op_class,
      .infer = std::move(infer),
      .cost = [per_element, read_input](const CostContext& ctx) {
        return generator_cost(ctx, per_element, read_input);
      },
      .flops_note = std::move(note),
  };
}

GRAPHS_REGISTER_OP(random_op("RandomUniform", random_shape, 3, false, OpClass::kOther,
                             "3 per output element (draw, scale, offset); bytes = output written"));
GRAPHS_REGISTER_OP(random_op("RandomNormal", random_shape, 6, false, OpClass::kOther,
                             "6 per output element (Box–Muller ≈ 4, scale, mean); bytes = output "
                             "written"));
GRAPHS_REGISTER_OP(random_op(
    "RandomUniformLike", [](const InferContext& ctx) { return random_like_shape(ctx, false); }, 3,
    false, OpClass::kOther, "3 per output element (draw, scale, offset); bytes = output written"));
GRAPHS_REGISTER_OP(random_op(
    "RandomNormalLike", [](const InferContext& ctx) { return random_like_shape(ctx, false); }, 6,
    false, OpClass::kOther,
    "6 per output element (Box–Muller ≈ 4, scale, mean); bytes = output written"));
GRAPHS_REGISTER_OP(random_op(
    "Bernoulli", [](const InferContext& ctx) { return random_like_shape(ctx, true); }, 2, true,
    OpClass::kElementwise, "2 per output element (draw, compare)"));

}  // namespace
}  // namespace graphs::ops
