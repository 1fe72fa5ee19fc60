// Pointwise ops of the ONNX default domain, opsets 11–21 (onnx/docs/Operators.md): arithmetic
// (Add Sub Mul Div Pow Mod), comparison (Equal Less Greater LessOrEqual GreaterOrEqual), logical
// (And Or Xor Not), bitwise (BitwiseAnd/Or/Xor/Not, BitShift), IsNaN, IsInf, Where, Clip, the
// variadic Min Max Sum Mean, Cast, CastLike, and the inference no-ops Identity and Dropout.
// Unary math and activations live in activations.cc.
//
// Shape: numpy broadcasting over all present inputs (Broadcasting.md); comparisons, logical ops,
// IsNaN and IsInf give bool; Cast gives its `to` type, CastLike its second input's type.
// Contents are folded when every input is known (const_eval.h), which resolves exporters' shape
// arithmetic (Shape → Gather → Mul/Div → Concat → Reshape).
//
// FLOPs per output element (docs/conventions.md): each arithmetic op, comparison, min/max,
// select, logical or bitwise op counts 1; special functions (exp, log, …) count 1 each; Cast is a
// copy (0). Identity and Dropout are views at inference: no kernel, zero cost. MACs are 0.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "graphs/ops/const_eval.h"
#include "graphs/ops/op_helpers.h"

namespace graphs {
namespace {

using ops::FloatKernel;
using ops::IntKernel;
using ops::PointwiseRule;
using Ints = std::span<const int64_t>;
using Floats = std::span<const double>;
using Outputs = std::vector<InferredOutput>;

constexpr char kOneFlop[] = "1 per output element";

// Integer arithmetic in two's complement without signed-overflow UB; results are wrapped to the
// element type afterwards by fold_pointwise.
int64_t wrapping_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
int64_t wrapping_sub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
int64_t wrapping_mul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}


// A two-input op with numpy broadcasting; output dtype = input 0's unless `out` is given.
OpSchema binary_op(std::string op, IntKernel on_ints, FloatKernel on_floats,
                   std::optional<DType> out = {}, double flops = 1, std::string note = kOneFlop) {
  return ops::elementwise_schema(std::move(op),
                      ops::pointwise_shape_fn(
                          ops::nary_rule(2, 2, std::move(on_ints), std::move(on_floats), out)),
                      ops::per_element_cost(flops), std::move(note));
}

OpSchema comparison_op(std::string op, IntKernel on_ints, FloatKernel on_floats) {
  return binary_op(std::move(op), std::move(on_ints), std::move(on_floats), DType::kBool, 1,
                   "1 per output element (one compare); output bool");
}

// ---- Arithmetic ---------------------------------------------------------------------------

// Integer division truncates toward zero (C++ and ONNX Runtime semantics); x/0 is not folded.
std::optional<int64_t> int_div(Ints x) {
  if (x[1] == 0) return std::nullopt;
  if (x[0] == std::numeric_limits<int64_t>::min() && x[1] == -1) return x[0];  // wraps
  return x[0] / x[1];
}

// Integer power by squaring (wrapping). Negative exponents give the truncated real result:
// 1 for base 1, ±1 for base -1, 0 otherwise; 0 to a negative power is not folded.
std::optional<int64_t> int_pow(Ints x) {
  int64_t base = x[0];
  int64_t exp = x[1];
  if (exp < 0) {
    if (base == 1) return 1;
    if (base == -1) return exp % 2 == 0 ? 1 : -1;
    if (base == 0) return std::nullopt;
    return 0;
  }
  int64_t result = 1;
  while (exp > 0) {
    if (exp & 1) result = wrapping_mul(result, base);
    base = wrapping_mul(base, base);
    exp >>= 1;
  }
  return result;
}

// Pow counts as log, mul, exp (3) unless the exponent is a known constant whose every element
// is 1, 2 or 0.5, when it is one multiply or one sqrt (decomposed LayerNorm's Pow(x, 2)).
OpCost pow_cost(const CostContext& ctx) {
  const Value* e = ctx.input(1);
  bool cheap = e && e->data && e->data->size() > 0;
  for (std::size_t i = 0; cheap && i < e->data->size(); ++i) {
    const double v = e->data->as_double(i);
    cheap = v == 1.0 || v == 2.0 || v == 0.5;
  }
  return ops::elementwise_cost(ctx, cheap ? 1 : 3);
}

// Mod (Operators.md "Mod"): fmod=0 takes the sign of the divisor (Python %), fmod=1 the sign of
// the dividend (C fmod). x mod 0 is not folded for integers.
Result<Outputs> infer_mod(const InferContext& ctx) {
  const int64_t fmod = ctx.node.attrs.get_int("fmod", 0);
  if (fmod != 0 && fmod != 1) {
    return ctx.error("attribute 'fmod' must be 0 or 1, got " + std::to_string(fmod));
  }
  const bool c_style = fmod == 1;
  IntKernel on_ints = [c_style](Ints x) -> std::optional<int64_t> {
    const int64_t a = x[0];
    const int64_t b = x[1];
    if (b == 0) return std::nullopt;
    if (b == -1) return 0;  // avoids INT64_MIN % -1
    int64_t r = a % b;
    if (!c_style && r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
  };
  FloatKernel on_floats = [c_style](Floats x) {
    double r = std::fmod(x[0], x[1]);
    if (!c_style && r != 0 && ((r < 0) != (x[1] < 0))) r += x[1];
    return r;
  };
  return ops::infer_pointwise(ctx, ops::nary_rule(2, 2, std::move(on_ints), std::move(on_floats)));
}

// ---- Bitwise ------------------------------------------------------------------------------

// BitShift (unsigned types only): bits shifted past the element width are dropped, so a shift
// by the width or more gives 0.
Result<Outputs> infer_bit_shift(const InferContext& ctx) {
  const std::string direction = ctx.node.attrs.get_string("direction", "");
  if (direction != "LEFT" && direction != "RIGHT") {
    return ctx.error("attribute 'direction' must be \"LEFT\" or \"RIGHT\", got \"" + direction +
                     "\"");
  }
  const bool left = direction == "LEFT";
  return ops::infer_pointwise(
      ctx, ops::nary_rule(
               2, 2,
               [left](Ints x) -> std::optional<int64_t> {
                 if (x[1] < 0 || x[1] >= 64) return 0;
                 const auto a = static_cast<uint64_t>(x[0]);
                 return static_cast<int64_t>(left ? a << x[1] : a >> x[1]);
               },
               nullptr));
}

// ---- IsNaN / IsInf ------------------------------------------------------------------------

Result<Outputs> infer_is_inf(const InferContext& ctx) {
  const bool negative = ctx.node.attrs.get_int("detect_negative", 1) != 0;
  const bool positive = ctx.node.attrs.get_int("detect_positive", 1) != 0;
  return ops::infer_pointwise(
      ctx, ops::unary_rule([](Ints) -> std::optional<int64_t> { return 0; },
                           [negative, positive](Floats x) {
                             const bool inf = std::isinf(x[0]);
                             return (inf && ((x[0] < 0 && negative) || (x[0] > 0 && positive)))
                                        ? 1.0
                                        : 0.0;
                           },
                           DType::kBool));
}

// ---- Variadic Min / Max / Sum / Mean ------------------------------------------------------

double nan_or(double a, double b, double chosen) {
  return (std::isnan(a) || std::isnan(b)) ? std::numeric_limits<double>::quiet_NaN() : chosen;
}

// Number of present inputs of a cost context.
double present_inputs(const CostContext& ctx) {
  double n = 0;
  for (const Value* v : ctx.inputs) n += v ? 1 : 0;
  return n;
}

OpSchema variadic_op(std::string op, IntKernel on_ints, FloatKernel on_floats, bool mean) {
  CostFn cost = [mean](const CostContext& ctx) {
    const double n = present_inputs(ctx);
    return ops::elementwise_cost(ctx, mean ? n : std::max(n - 1, 0.0));
  };
  std::string note = mean ? "n per output element for n inputs: n-1 adds and 1 scale"
                          : "n-1 per output element for n inputs (one binary op per extra input)";
  return ops::elementwise_schema(std::move(op),
                      ops::pointwise_shape_fn(ops::nary_rule(1, ops::kUnboundedInputs,
                                                             std::move(on_ints),
                                                             std::move(on_floats))),
                      std::move(cost), std::move(note));
}

// ---- Where --------------------------------------------------------------------------------

// Where(condition, X, Y): output dtype is X's; the condition is bool.
ops::PointwiseRule where_rule() {
  auto rule = ops::nary_rule(
      3, 3, [](Ints x) -> std::optional<int64_t> { return x[0] != 0 ? x[1] : x[2]; },
      [](Floats x) { return x[0] != 0 ? x[1] : x[2]; });
  rule.dtype_from_input = 1;
  return rule;
}

// ---- Clip ---------------------------------------------------------------------------------

// Clip (Operators.md "Clip"): before opset 11 the bounds are float attributes `min`/`max`; from
// opset 11 they are optional scalar inputs 1 and 2. Output has input 0's type.
// y = min(max(x, min), max); NaN stays NaN.
bool clip_bounds_from_attrs(const Node& node, int opset) {
  return (opset > 0 && opset < 11) || node.attrs.has("min") || node.attrs.has("max");
}

Result<Outputs> infer_clip(const InferContext& ctx) {
  const bool from_attrs = clip_bounds_from_attrs(ctx.node, ctx.opset);
  GRAPHS_RETURN_IF_ERROR(ops::check_input_count(ctx, 1, from_attrs ? 1 : 3));
  const TensorType& type = ctx.type(0);
  Outputs outputs{{type, std::nullopt}};

  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::optional<double> lo;
  std::optional<double> hi;
  bool bounds_known = true;
  if (from_attrs) {
    if (ctx.node.attrs.has("min")) lo = ctx.node.attrs.get_float("min", -kInf);
    if (ctx.node.attrs.has("max")) hi = ctx.node.attrs.get_float("max", kInf);
  } else {
    for (std::size_t i = 1; i <= 2; ++i) {
      const Value* bound = ctx.input(i);
      if (!bound) continue;
      const auto n = bound->type.numel();
      if (!bound->type.rank_known || !n || *n != 1) {
        return ctx.error(std::string(i == 1 ? "min" : "max") + " input '" + bound->name +
                         "' must be a scalar, got " + bound->type.to_string());
      }
      if (!bound->data || bound->data->size() != 1) {
        bounds_known = false;
        continue;
      }
      (i == 1 ? lo : hi) = bound->data->as_double(0);
    }
  }

  const ConstData* x = ctx.data(0);
  const auto numel = type.numel();
  if (!x || !bounds_known || !numel || static_cast<int64_t>(x->size()) != *numel ||
      *numel > kMaxConstElements) {
    return outputs;
  }
  const DType dtype = type.dtype;
  const bool floating = is_floating(dtype) || (dtype == DType::kUndefined && x->is_float);
  if (floating) {
    std::vector<double> out(x->size());
    for (std::size_t i = 0; i < out.size(); ++i) {
      double v = x->as_double(i);
      if (lo && v < *lo) v = *lo;
      if (hi && v > *hi) v = *hi;
      out[i] = ops::round_floating(v, dtype);
    }
    outputs[0].data = ConstData::of_floats(std::move(out));
  } else if (is_integer(dtype) || dtype == DType::kUndefined) {
    // Bounds of integer Clip are inputs of the same integer type, so exact as int64.
    std::vector<int64_t> out(x->size());
    for (std::size_t i = 0; i < out.size(); ++i) {
      int64_t v = x->as_int(i);
      if (lo && static_cast<double>(v) < *lo) v = static_cast<int64_t>(*lo);
      if (hi && static_cast<double>(v) > *hi) v = static_cast<int64_t>(*hi);
      out[i] = v;
    }
    outputs[0].data = ConstData::of_ints(std::move(out));
  }
  return outputs;
}

OpCost clip_cost(const CostContext& ctx) {
  double bounds = 0;
  if (clip_bounds_from_attrs(ctx.node, ctx.opset)) {
    bounds = (ctx.node.attrs.has("min") ? 1 : 0) + (ctx.node.attrs.has("max") ? 1 : 0);
  } else {
    bounds = (ctx.input(1) ? 1 : 0) + (ctx.input(2) ? 1 : 0);
  }
  return ops::elementwise_cost(ctx, bounds);
}

// ---- Cast / CastLike ----------------------------------------------------------------------

// Cast (Operators.md "Cast"): output has input 0's shape and the `to` element type (an ONNX
// TensorProto.DataType number). Contents convert as cast_const does.
Result<Outputs> cast_to(const InferContext& ctx, DType to) {
  const TensorType& in = ctx.type(0);
  TensorType out = in;
  out.dtype = to;
  std::optional<ConstData> data;
  const ConstData* x = ctx.data(0);
  const auto numel = in.numel();
  if (x && numel && static_cast<int64_t>(x->size()) == *numel && *numel <= kMaxConstElements) {
    data = ops::cast_const(*x, in.dtype, to);
  }
  return Outputs{{std::move(out), std::move(data)}};
}

Result<Outputs> infer_cast(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ops::check_input_count(ctx, 1, 1));
  const Attribute* to = ctx.node.attrs.find("to");
  if (!to) return ctx.error("missing required attribute 'to'");
  const auto* code = std::get_if<int64_t>(to);
  if (!code) return ctx.error("attribute 'to' must be an integer TensorProto.DataType");
  const auto dtype = dtype_from_onnx(static_cast<int32_t>(*code));
  if (!dtype || *dtype == DType::kUndefined || *code != static_cast<int32_t>(*code)) {
    return ctx.error("attribute 'to' = " + std::to_string(*code) +
                     " is not a known tensor element type");
  }
  return cast_to(ctx, *dtype);
}

// CastLike (opset 15): casts input 0 to the element type of input 1.
Result<Outputs> infer_cast_like(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ops::check_input_count(ctx, 2, 2));
  const DType to = ctx.type(1).dtype;
  if (to == DType::kUndefined) {
    return ctx.error("input 1 ('" + ctx.input(1)->name + "') has no element type to cast to");
  }
  return cast_to(ctx, to);
}

// A cast copies input 0; CastLike reads only the type of its second input, not its data.
OpCost cast_cost(const CostContext& ctx) {
  OpCost c;
  c.bytes_read = ctx.bytes(ctx.input(0));
  c.bytes_written = ctx.output_bytes();
  return c;
}

// ---- Identity / Dropout -------------------------------------------------------------------

Result<Outputs> infer_identity(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ops::check_input_count(ctx, 1, 1));
  return Outputs{ops::pass_through(ctx)};
}

// Dropout at inference (Operators.md "Dropout"): output 0 is input 0; the optional mask (output
// 1) has the same shape, bool from opset 10 (the input's type before). Inputs `ratio` and
// `training_mode` (opset 12+) are optional; a known true training_mode drops folded contents.
Result<Outputs> infer_dropout(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ops::check_input_count(ctx, 1, 3));
  InferredOutput out = ops::pass_through(ctx);
  const ConstData* training = ctx.data(2);
  if (training && training->size() == 1 && training->as_int(0) != 0) out.data.reset();
  Outputs outputs{std::move(out)};
  if (ctx.node.outputs.size() > 1) {
    TensorType mask = ctx.type(0);
    if (ctx.opset == 0 || ctx.opset >= 10) mask.dtype = DType::kBool;
    outputs.push_back({std::move(mask), std::nullopt});
  }
  return outputs;
}

OpSchema view_op(std::string op, ShapeFn infer) {
  return OpSchema{.op_type = std::move(op),
                  .domain = "",
                  .op_class = OpClass::kShape,
                  .infer = std::move(infer),
                  .cost = ops::zero_cost,
                  .flops_note = "0: no kernel at inference (output aliases input 0)"};
}

// ---- Registrations ------------------------------------------------------------------------

GRAPHS_REGISTER_OP(binary_op(
    "Add", [](Ints x) -> std::optional<int64_t> { return wrapping_add(x[0], x[1]); },
    [](Floats x) { return x[0] + x[1]; }));
GRAPHS_REGISTER_OP(binary_op(
    "Sub", [](Ints x) -> std::optional<int64_t> { return wrapping_sub(x[0], x[1]); },
    [](Floats x) { return x[0] - x[1]; }));
GRAPHS_REGISTER_OP(binary_op(
    "Mul", [](Ints x) -> std::optional<int64_t> { return wrapping_mul(x[0], x[1]); },
    [](Floats x) { return x[0] * x[1]; }));
GRAPHS_REGISTER_OP(binary_op("Div", int_div, [](Floats x) { return x[0] / x[1]; }, {}, 1,
                             "1 per output element; integer Div truncates toward zero"));
GRAPHS_REGISTER_OP(ops::elementwise_schema(
    "Pow",
    ops::pointwise_shape_fn(
        ops::nary_rule(2, 2, int_pow, [](Floats x) { return std::pow(x[0], x[1]); })),
    pow_cost,
    "3 per output element (log, mul, exp); 1 when the exponent is a known constant of only 1, 2 "
    "or 0.5 (one multiply or sqrt)"));
GRAPHS_REGISTER_OP(ops::elementwise_schema("Mod", infer_mod, ops::per_element_cost(1),
                                "1 per output element (one division-class op)"));

GRAPHS_REGISTER_OP(comparison_op(
    "Equal", [](Ints x) -> std::optional<int64_t> { return x[0] == x[1]; },
    [](Floats x) { return x[0] == x[1] ? 1.0 : 0.0; }));
GRAPHS_REGISTER_OP(comparison_op(
    "Less", [](Ints x) -> std::optional<int64_t> { return x[0] < x[1]; },
    [](Floats x) { return x[0] < x[1] ? 1.0 : 0.0; }));
GRAPHS_REGISTER_OP(comparison_op(
    "Greater", [](Ints x) -> std::optional<int64_t> { return x[0] > x[1]; },
    [](Floats x) { return x[0] > x[1] ? 1.0 : 0.0; }));
GRAPHS_REGISTER_OP(comparison_op(
    "LessOrEqual", [](Ints x) -> std::optional<int64_t> { return x[0] <= x[1]; },
    [](Floats x) { return x[0] <= x[1] ? 1.0 : 0.0; }));
GRAPHS_REGISTER_OP(comparison_op(
    "GreaterOrEqual", [](Ints x) -> std::optional<int64_t> { return x[0] >= x[1]; },
    [](Floats x) { return x[0] >= x[1] ? 1.0 : 0.0; }));

GRAPHS_REGISTER_OP(binary_op(
    "And", [](Ints x) -> std::optional<int64_t> { return x[0] != 0 && x[1] != 0; }, nullptr,
    DType::kBool, 1, "1 per output element (one logical op); output bool"));
GRAPHS_REGISTER_OP(binary_op(
    "Or", [](Ints x) -> std::optional<int64_t> { return x[0] != 0 || x[1] != 0; }, nullptr,
    DType::kBool, 1, "1 per output element (one logical op); output bool"));
GRAPHS_REGISTER_OP(binary_op(
    "Xor", [](Ints x) -> std::optional<int64_t> { return (x[0] != 0) != (x[1] != 0); }, nullptr,
    DType::kBool, 1, "1 per output element (one logical op); output bool"));
GRAPHS_REGISTER_OP(ops::elementwise_schema(
    "Not",
    ops::pointwise_shape_fn(ops::unary_rule(
        [](Ints x) -> std::optional<int64_t> { return x[0] == 0; }, nullptr, DType::kBool)),
    ops::per_element_cost(1), "1 per output element (one logical op); output bool"));

GRAPHS_REGISTER_OP(ops::since_opset(18, binary_op(
    "BitwiseAnd", [](Ints x) -> std::optional<int64_t> { return x[0] & x[1]; }, nullptr)));
GRAPHS_REGISTER_OP(ops::since_opset(18, binary_op(
    "BitwiseOr", [](Ints x) -> std::optional<int64_t> { return x[0] | x[1]; }, nullptr)));
GRAPHS_REGISTER_OP(ops::since_opset(18, binary_op(
    "BitwiseXor", [](Ints x) -> std::optional<int64_t> { return x[0] ^ x[1]; }, nullptr)));
GRAPHS_REGISTER_OP(ops::since_opset(18, ops::elementwise_schema(
    "BitwiseNot",
    ops::pointwise_shape_fn(
        ops::unary_rule([](Ints x) -> std::optional<int64_t> { return ~x[0]; }, nullptr)),
    ops::per_element_cost(1), kOneFlop)));
GRAPHS_REGISTER_OP(ops::elementwise_schema("BitShift", infer_bit_shift, ops::per_element_cost(1),
                                kOneFlop));

GRAPHS_REGISTER_OP(ops::elementwise_schema(
    "IsNaN",
    ops::pointwise_shape_fn(
        ops::unary_rule([](Ints) -> std::optional<int64_t> { return 0; },
                        [](Floats x) { return std::isnan(x[0]) ? 1.0 : 0.0; }, DType::kBool)),
    ops::per_element_cost(1), "1 per output element (one compare); output bool"));
GRAPHS_REGISTER_OP(ops::elementwise_schema("IsInf", infer_is_inf, ops::per_element_cost(1),
                                "1 per output element (one compare); output bool"));

GRAPHS_REGISTER_OP(ops::elementwise_schema(
    "Where",
    ops::pointwise_shape_fn(where_rule()),
    ops::per_element_cost(1), "1 per output element (one select)"));

GRAPHS_REGISTER_OP(ops::elementwise_schema("Clip", infer_clip, clip_cost,
                                "1 per output element per bound given: 2 with min and max "
                                "(max, then min)"));

GRAPHS_REGISTER_OP(variadic_op(
    "Sum",
    [](Ints x) -> std::optional<int64_t> {
      int64_t s = 0;
      for (int64_t v : x) s = wrapping_add(s, v);
      return s;
    },
    [](Floats x) {
      double s = 0;
      for (double v : x) s += v;
      return s;
    },
    false));
GRAPHS_REGISTER_OP(variadic_op(
    "Mean", nullptr,
    [](Floats x) {
      double s = 0;
      for (double v : x) s += v;
      return s / static_cast<double>(x.size());
    },
    true));
GRAPHS_REGISTER_OP(variadic_op(
    "Min",
    [](Ints x) -> std::optional<int64_t> {
      int64_t m = x[0];
      for (int64_t v : x) m = std::min(m, v);
      return m;
    },
    [](Floats x) {
      double m = x[0];
      for (double v : x) m = nan_or(m, v, std::min(m, v));
      return m;
    },
    false));
GRAPHS_REGISTER_OP(variadic_op(
    "Max",
    [](Ints x) -> std::optional<int64_t> {
      int64_t m = x[0];
      for (int64_t v : x) m = std::max(m, v);
      return m;
    },
    [](Floats x) {
      double m = x[0];
      for (double v : x) m = nan_or(m, v, std::max(m, v));
      return m;
    },
    false));

GRAPHS_REGISTER_OP(ops::elementwise_schema("Cast", infer_cast, cast_cost,
                                "0: a conversion copy (bytes only)"));
GRAPHS_REGISTER_OP(ops::elementwise_schema("CastLike", infer_cast_like, cast_cost,
                                "0: a conversion copy (bytes only; input 1 supplies only a type)"));

GRAPHS_REGISTER_OP(view_op("Identity", infer_identity));
GRAPHS_REGISTER_OP(view_op("Dropout", infer_dropout));

// Swish-24: x · sigmoid(alpha · x) (Operators.md "Swish"; alpha default 1).
GRAPHS_REGISTER_OP(ops::since_opset(
    24, ops::elementwise_schema("Swish", ops::same_as_first_input, ops::per_element_cost(6),
                                "6 per output element (x·sigmoid(alpha·x): multiply, sigmoid 4, "
                                "multiply)")));

}  // namespace
}  // namespace graphs
