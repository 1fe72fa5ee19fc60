// Constant evaluation of pointwise ops, and the shared shape rule of the elementwise family.
//
// Exporters compute shapes with small integer tensors (Shape → Gather → Mul/Div → Concat →
// Reshape); a Reshape's output shape is only known when those intermediate contents are. These
// helpers evaluate a pointwise op on inputs whose contents are known (Value::data) with ONNX
// semantics:
//   - numpy-style multidirectional broadcasting (onnx/docs/Broadcasting.md);
//   - integer arithmetic in int64, then wrapped to the element type's width (two's complement);
//   - conversions as ONNX Cast (Operators.md "Cast"): float → integer truncates toward zero,
//     anything → bool is `x != 0`, bool → number is 0/1, float32 results are rounded to float.
// Contents are held as ConstData: `ints` for integer and bool types (bool as 0/1), `floats` for
// floating types. Unsigned 64-bit values above INT64_MAX are not represented faithfully.
//
// Folding never fails a rule: when contents cannot be computed (an input unknown, an output above
// kMaxConstElements elements, integer division by zero, NaN cast to an integer) the output simply
// has no known contents.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "graphs/ops/op_registry.h"

namespace graphs::ops {

/// Kernel of a pointwise op on one element of each present input, in input order. Integer kernels
/// see int64 values (bool as 0/1) and return nullopt when the result is undefined (integer
/// division by zero), which stops folding. Floating kernels compute in double.
using IntKernel = std::function<std::optional<int64_t>(std::span<const int64_t>)>;
using FloatKernel = std::function<double(std::span<const double>)>;

/// Wraps `v` to the width and signedness of integer `dtype` (two's complement); bool gives 0/1;
/// 64-bit and non-integer dtypes leave `v` unchanged.
int64_t wrap_integer(int64_t v, DType dtype);

/// Rounds `v` to the precision of floating `dtype` (float32 only; wider or narrower float types
/// are kept in double).
double round_floating(double v, DType dtype);

/// Converts contents stored for dtype `from` into contents of dtype `to` with ONNX Cast
/// semantics (see the file comment). nullopt when some element has no defined result (NaN,
/// infinity or a float beyond int64 cast to an integer) or either dtype is not numeric/bool.
std::optional<ConstData> cast_const(const ConstData& src, DType from, DType to);

/// Evaluates a pointwise op over the present inputs of `ctx` into `out`, whose static shape must
/// be their broadcast shape. The compute domain is floating when any input's dtype is floating,
/// else integer; each result is converted to `out.dtype` as by cast_const. nullopt (never an
/// error) when an input's contents are unknown or do not match its shape, `out` has more than
/// kMaxConstElements elements, the domain's kernel is null, or a kernel declines an element.
std::optional<ConstData> fold_pointwise(const InferContext& ctx, const TensorType& out,
                                        const IntKernel& on_ints, const FloatKernel& on_floats);

/// kShapeError naming the node unless it has between `min` and `max` inputs (an omitted input
/// before a present one counts as a position) and inputs [0, min) are present with known rank.
Status check_input_count(const InferContext& ctx, std::size_t min, std::size_t max);

/// Declarative shape rule of a pointwise op: arity check, numpy broadcast of all present inputs,
/// output dtype, and constant folding with the given kernels.
struct PointwiseRule {
  std::size_t min_inputs = 1;
  std::size_t max_inputs = 1;
  /// Output dtype: `out_dtype` when set (bool for comparisons), else input `dtype_from_input`'s
  /// (which must be below min_inputs).
  std::optional<DType> out_dtype;
  std::size_t dtype_from_input = 0;
  IntKernel on_ints;      // null: not folded on integer/bool inputs
  FloatKernel on_floats;  // null: not folded on floating inputs
};

/// A rule for ops with `min`..`max` inputs (kUnboundedInputs: variadic).
PointwiseRule nary_rule(std::size_t min, std::size_t max, IntKernel on_ints, FloatKernel on_floats,
                        std::optional<DType> out_dtype = {});
/// A rule for one-input ops.
inline PointwiseRule unary_rule(IntKernel on_ints, FloatKernel on_floats,
                                std::optional<DType> out_dtype = {}) {
  return nary_rule(1, 1, std::move(on_ints), std::move(on_floats), out_dtype);
}
inline constexpr std::size_t kUnboundedInputs = static_cast<std::size_t>(-1);

/// Applies `rule` to one node: one output, broadcast shape, folded contents when known.
Result<std::vector<InferredOutput>> infer_pointwise(const InferContext& ctx,
                                                    const PointwiseRule& rule);

/// `rule` as a ShapeFn for OpSchema::infer.
ShapeFn pointwise_shape_fn(PointwiseRule rule);

/// The registration of a default-domain OpClass::kElementwise op.
inline OpSchema elementwise_schema(std::string op, ShapeFn infer, CostFn cost, std::string note) {
  return OpSchema{.op_type = std::move(op),
                  .domain = "",
                  .op_class = OpClass::kElementwise,
                  .infer = std::move(infer),
                  .cost = std::move(cost),
                  .flops_note = std::move(note)};
}

/// A shape rule's output that passes input 0 through unchanged, type and contents (Identity,
/// Dropout at inference).
InferredOutput pass_through(const InferContext& ctx);

/// A cost rule of `flops_per_element` FLOPs per output element, bytes = inputs + outputs
/// (ops::elementwise_cost).
CostFn per_element_cost(double flops_per_element);

}  // namespace graphs::ops
