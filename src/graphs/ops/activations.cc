// Unary math and activations of the ONNX default domain, opsets 11–21 (onnx/docs/Operators.md):
// Neg Abs Sign Reciprocal Sqrt Exp Log Erf Floor Ceil Round, trigonometric and hyperbolic
// functions, Tanh Sigmoid Relu LeakyRelu PRelu Elu Selu Celu Gelu HardSigmoid HardSwish Mish
// Softplus Softsign ThresholdedRelu Shrink.
//
// Shape: output has input 0's type (PRelu: X's type, the slope broadcasts unidirectionally;
// before opset 7 a slope of lower rank is aligned at X's axis 1, one value per channel).
// Contents are folded when the input is known (const_eval.h), in double, rounded to float32 for
// float32 tensors.
//
// FLOPs per output element (docs/conventions.md): each primitive of the op's definition in
// Operators.md counts 1 — an add, subtract, multiply, divide, negate, abs, compare/select,
// min/max, floor/ceil/round, and each special-function evaluation (exp, log, sqrt, erf, tanh,
// sin, cos, …). Composite activations are the sum of their primitives, listed in each
// schema's flops_note. MACs are 0.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numbers>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "graphs/ops/compute_helpers.h"
#include "graphs/ops/const_eval.h"
#include "graphs/ops/op_helpers.h"

namespace graphs {
namespace {

using ops::FloatKernel;
using ops::IntKernel;
using Ints = std::span<const int64_t>;
using Floats = std::span<const double>;
using Outputs = std::vector<InferredOutput>;

/// Builds a node's float kernel from its attributes; an error for invalid attributes.
using KernelFactory = std::function<Result<FloatKernel>(const Attributes&, const InferContext&)>;

std::string per_element(double flops, const std::string& breakdown) {
  std::string n = std::to_string(static_cast<int64_t>(flops));
  return n + " per output element" + (breakdown.empty() ? "" : " (" + breakdown + ")");
}


// A one-input op with a fixed kernel.
OpSchema unary(std::string op, double flops, const std::string& breakdown, FloatKernel on_floats,
               IntKernel on_ints = nullptr) {
  return ops::elementwise_schema(std::move(op),
                    ops::pointwise_shape_fn(
                        ops::unary_rule(std::move(on_ints), std::move(on_floats))),
                    ops::per_element_cost(flops), per_element(flops, breakdown));
}

// A one-input op whose kernel depends on the node's attributes (alpha, beta, …).
OpSchema unary_with_attrs(std::string op, double flops, const std::string& breakdown,
                          KernelFactory make_kernel) {
  ShapeFn infer = [make_kernel = std::move(make_kernel)](
                      const InferContext& ctx) -> Result<Outputs> {
    GRAPHS_ASSIGN_OR_RETURN(FloatKernel kernel, make_kernel(ctx.node.attrs, ctx));
    return ops::infer_pointwise(ctx, ops::unary_rule(nullptr, std::move(kernel)));
  };
  return ops::elementwise_schema(std::move(op), std::move(infer), ops::per_element_cost(flops),
                    per_element(flops, breakdown));
}

int64_t wrapping_neg(int64_t v) { return static_cast<int64_t>(0 - static_cast<uint64_t>(v)); }

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// log(1 + exp(x)) without overflow for large x.
double softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }

double hard_sigmoid(double x, double alpha, double beta) {
  return std::max(0.0, std::min(1.0, alpha * x + beta));
}

// Gelu (opset 20): approximate="none" is x·Φ(x) = 0.5·x·(1 + erf(x/√2));
// approximate="tanh" is 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
double gelu_erf(double x) { return 0.5 * x * (1.0 + std::erf(x / std::numbers::sqrt2)); }
double gelu_tanh(double x) {
  const double k = std::sqrt(2.0 / std::numbers::pi);
  return 0.5 * x * (1.0 + std::tanh(k * (x + 0.044715 * x * x * x)));
}
constexpr double kGeluErfFlops = 5;
constexpr double kGeluTanhFlops = 9;

Result<std::string> gelu_approximation(const InferContext* ctx, const Node& node) {
  const std::string a = node.attrs.get_string("approximate", "none");
  if (a == "none" || a == "tanh") return a;
  const std::string msg = "attribute 'approximate' must be \"none\" or \"tanh\", got \"" + a + "\"";
  if (ctx) return ctx->error(msg);
  return Error(ErrorCode::kShapeError, node.label() + ": " + msg);
}

Result<Outputs> infer_gelu(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(const std::string approx, gelu_approximation(&ctx, ctx.node));
  FloatKernel kernel = [](Floats x) { return gelu_erf(x[0]); };
  if (approx == "tanh") kernel = [](Floats x) { return gelu_tanh(x[0]); };
  return ops::infer_pointwise(ctx, ops::unary_rule(nullptr, std::move(kernel)));
}

OpCost gelu_cost(const CostContext& ctx) {
  const auto approx = gelu_approximation(nullptr, ctx.node);
  const bool tanh_form = approx.ok() && *approx == "tanh";
  return ops::elementwise_cost(ctx, tanh_form ? kGeluTanhFlops : kGeluErfFlops);
}

// The slope of a PRelu before opset 7 (PRelu-1, PRelu-6: "if Slope is of size 1, the value is
// shared across different channels", else one value per channel, Caffe2's layout) aligned at
// X's axis 1: trailing 1s make it rank(X) − 1, which numpy broadcasting then aligns from axis 1.
// nullopt when it needs no change (opset ≥ 7, or a slope of X's rank).
std::optional<Value> legacy_prelu_slope(const InferContext& ctx) {
  const int opset = ops::resolved_opset(ctx.opset);
  const Value* x = ctx.input(0);
  const Value* slope = ctx.input(1);
  if (opset >= 7 || !x || !slope || !x->type.rank_known || !slope->type.rank_known) {
    return std::nullopt;
  }
  if (slope->type.rank() >= x->type.rank() - 1) return std::nullopt;
  Value aligned = *slope;
  aligned.type.shape.resize(static_cast<std::size_t>(x->type.rank() - 1), Dim::fixed(1));
  return aligned;  // row-major contents are unchanged by trailing 1s
}

// PRelu (opset 16 adds integer types): y = x < 0 ? slope·x : x, slope broadcast to X's shape
// (unidirectional, Broadcasting.md; from axis 1 before opset 7, legacy_prelu_slope).
Result<Outputs> infer_prelu(const InferContext& ctx) {
  const std::optional<Value> legacy_slope = legacy_prelu_slope(ctx);
  InferContext aligned = ctx;
  if (legacy_slope) aligned.inputs[1] = &*legacy_slope;
  GRAPHS_ASSIGN_OR_RETURN(
      Outputs outputs,
      ops::infer_pointwise(
          aligned, ops::nary_rule(
                   2, 2,
                   [](Ints x) -> std::optional<int64_t> {
                     return x[0] < 0 ? static_cast<int64_t>(static_cast<uint64_t>(x[0]) *
                                                            static_cast<uint64_t>(x[1]))
                                     : x[0];
                   },
                   [](Floats x) { return x[0] < 0 ? x[1] * x[0] : x[0]; })));
  if (outputs[0].type.shape != ctx.type(0).shape) {
    return ctx.error("slope " + ctx.type(1).to_string() + " does not broadcast to X " +
                     ctx.type(0).to_string() + (legacy_slope ? " from axis 1" : ""));
  }
  return outputs;
}

// ---- Registrations ------------------------------------------------------------------------

// Sign, absolute value and rounding.
GRAPHS_REGISTER_OP(unary(
    "Neg", 1, "", [](Floats x) { return -x[0]; },
    [](Ints x) -> std::optional<int64_t> { return wrapping_neg(x[0]); }));
GRAPHS_REGISTER_OP(unary(
    "Abs", 1, "", [](Floats x) { return std::abs(x[0]); },
    [](Ints x) -> std::optional<int64_t> { return x[0] < 0 ? wrapping_neg(x[0]) : x[0]; }));
GRAPHS_REGISTER_OP(unary(
    "Sign", 1, "",
    [](Floats x) { return x[0] > 0 ? 1.0 : (x[0] < 0 ? -1.0 : x[0]); },
    [](Ints x) -> std::optional<int64_t> { return (x[0] > 0) - (x[0] < 0); }));
GRAPHS_REGISTER_OP(unary("Floor", 1, "", [](Floats x) { return std::floor(x[0]); }));
GRAPHS_REGISTER_OP(unary("Ceil", 1, "", [](Floats x) { return std::ceil(x[0]); }));
// Round: half to even (Operators.md "Round"); std::nearbyint in the default rounding mode.
GRAPHS_REGISTER_OP(unary("Round", 1, "half to even", [](Floats x) { return std::nearbyint(x[0]); }));

// Arithmetic and special functions: one primitive each.
GRAPHS_REGISTER_OP(unary("Reciprocal", 1, "one divide", [](Floats x) { return 1.0 / x[0]; }));
GRAPHS_REGISTER_OP(unary("Sqrt", 1, "special function", [](Floats x) { return std::sqrt(x[0]); }));
GRAPHS_REGISTER_OP(unary("Exp", 1, "special function", [](Floats x) { return std::exp(x[0]); }));
GRAPHS_REGISTER_OP(unary("Log", 1, "special function", [](Floats x) { return std::log(x[0]); }));
GRAPHS_REGISTER_OP(unary("Erf", 1, "special function", [](Floats x) { return std::erf(x[0]); }));
GRAPHS_REGISTER_OP(unary("Tanh", 1, "special function", [](Floats x) { return std::tanh(x[0]); }));
GRAPHS_REGISTER_OP(unary("Sin", 1, "special function", [](Floats x) { return std::sin(x[0]); }));
GRAPHS_REGISTER_OP(unary("Cos", 1, "special function", [](Floats x) { return std::cos(x[0]); }));
GRAPHS_REGISTER_OP(unary("Tan", 1, "special function", [](Floats x) { return std::tan(x[0]); }));
GRAPHS_REGISTER_OP(unary("Asin", 1, "special function", [](Floats x) { return std::asin(x[0]); }));
GRAPHS_REGISTER_OP(unary("Acos", 1, "special function", [](Floats x) { return std::acos(x[0]); }));
GRAPHS_REGISTER_OP(unary("Atan", 1, "special function", [](Floats x) { return std::atan(x[0]); }));
GRAPHS_REGISTER_OP(unary("Sinh", 1, "special function", [](Floats x) { return std::sinh(x[0]); }));
GRAPHS_REGISTER_OP(unary("Cosh", 1, "special function", [](Floats x) { return std::cosh(x[0]); }));
GRAPHS_REGISTER_OP(
    unary("Asinh", 1, "special function", [](Floats x) { return std::asinh(x[0]); }));
GRAPHS_REGISTER_OP(
    unary("Acosh", 1, "special function", [](Floats x) { return std::acosh(x[0]); }));
GRAPHS_REGISTER_OP(
    unary("Atanh", 1, "special function", [](Floats x) { return std::atanh(x[0]); }));

// Activations.
GRAPHS_REGISTER_OP(unary(
    "Relu", 1, "max(0, x)", [](Floats x) { return x[0] < 0 ? 0.0 : x[0]; },
    [](Ints x) -> std::optional<int64_t> { return x[0] < 0 ? 0 : x[0]; }));
GRAPHS_REGISTER_OP(unary("Sigmoid", 4, "1/(1+exp(-x)): neg, exp, add, divide",
                         [](Floats x) { return sigmoid(x[0]); }));
GRAPHS_REGISTER_OP(unary("Softplus", 3, "log(exp(x)+1): exp, add, log",
                         [](Floats x) { return softplus(x[0]); }));
GRAPHS_REGISTER_OP(unary("Softsign", 3, "x/(1+|x|): abs, add, divide",
                         [](Floats x) { return x[0] / (1.0 + std::abs(x[0])); }));
GRAPHS_REGISTER_OP(ops::since_opset(
    18, unary("Mish", 5, "x*tanh(softplus(x)): exp, add, log, tanh, multiply",
              [](Floats x) { return x[0] * std::tanh(softplus(x[0])); })));
GRAPHS_REGISTER_OP(unary("HardSwish", 5,
                         "x*max(0, min(1, x/6+0.5)): multiply, add, min, max, multiply",
                         [](Floats x) { return x[0] * hard_sigmoid(x[0], 1.0 / 6.0, 0.5); }));

GRAPHS_REGISTER_OP(unary_with_attrs(
    "LeakyRelu", 2, "x<0 ? alpha*x : x: compare, multiply",
    [](const Attributes& a, const InferContext&) -> Result<FloatKernel> {
      const double alpha = a.get_float("alpha", 0.01);
      return FloatKernel([alpha](Floats x) { return x[0] < 0 ? alpha * x[0] : x[0]; });
    }));
GRAPHS_REGISTER_OP(unary_with_attrs(
    "ThresholdedRelu", 1, "x>alpha ? x : 0: one compare-select",
    [](const Attributes& a, const InferContext&) -> Result<FloatKernel> {
      const double alpha = a.get_float("alpha", 1.0);
      return FloatKernel([alpha](Floats x) { return x[0] > alpha ? x[0] : 0.0; });
    }));
GRAPHS_REGISTER_OP(unary_with_attrs(
    "Elu", 4, "x<0 ? alpha*(exp(x)-1) : x: compare, exp, subtract, multiply",
    [](const Attributes& a, const InferContext&) -> Result<FloatKernel> {
      const double alpha = a.get_float("alpha", 1.0);
      return FloatKernel(
          [alpha](Floats x) { return x[0] < 0 ? alpha * (std::exp(x[0]) - 1.0) : x[0]; });
    }));
GRAPHS_REGISTER_OP(unary_with_attrs(
    "Selu", 5, "gamma*(x>0 ? x : alpha*exp(x)-alpha): compare, exp, multiply, subtract, multiply",
    [](const Attributes& a, const InferContext&) -> Result<FloatKernel> {
      const double alpha = a.get_float("alpha", 1.67326319217681884765625);
      const double gamma = a.get_float("gamma", 1.05070102214813232421875);
      return FloatKernel([alpha, gamma](Floats x) {
        return gamma * (x[0] > 0 ? x[0] : alpha * std::exp(x[0]) - alpha);
      });
    }));
GRAPHS_REGISTER_OP(unary_with_attrs(
    "Celu", 7,
    "max(0,x) + min(0, alpha*(exp(x/alpha)-1)): divide, exp, subtract, multiply, min, max, add",
    [](const Attributes& a, const InferContext& ctx) -> Result<FloatKernel> {
      const double alpha = a.get_float("alpha", 1.0);
      if (alpha == 0) return ctx.error("attribute 'alpha' must be non-zero");
      return FloatKernel([alpha](Floats x) {
        return std::max(0.0, x[0]) + std::min(0.0, alpha * (std::exp(x[0] / alpha) - 1.0));
      });
    }));
GRAPHS_REGISTER_OP(unary_with_attrs(
    "HardSigmoid", 4, "max(0, min(1, alpha*x+beta)): multiply, add, min, max",
    [](const Attributes& a, const InferContext&) -> Result<FloatKernel> {
      const double alpha = a.get_float("alpha", 0.2);
      const double beta = a.get_float("beta", 0.5);
      return FloatKernel([alpha, beta](Floats x) { return hard_sigmoid(x[0], alpha, beta); });
    }));
// Shrink: x < -lambd ? x+bias : (x > lambd ? x-bias : 0).
GRAPHS_REGISTER_OP(unary_with_attrs(
    "Shrink", 3, "two compares, one add or subtract",
    [](const Attributes& a, const InferContext&) -> Result<FloatKernel> {
      const double bias = a.get_float("bias", 0.0);
      const double lambd = a.get_float("lambd", 0.5);
      return FloatKernel([bias, lambd](Floats x) {
        return x[0] < -lambd ? x[0] + bias : (x[0] > lambd ? x[0] - bias : 0.0);
      });
    }));

GRAPHS_REGISTER_OP(ops::since_opset(20, ops::elementwise_schema(
    "Gelu", infer_gelu, gelu_cost,
    "approximate=\"none\": 5 per output element (0.5*x*(1+erf(x/sqrt2)): divide, erf, add, "
    "multiply, multiply); approximate=\"tanh\": 9 (0.5*x*(1+tanh(sqrt(2/pi)*(x+0.044715*x^3))): "
    "2 multiplies for x^3, multiply, add, multiply, tanh, add, multiply, multiply)")));
GRAPHS_REGISTER_OP(ops::elementwise_schema("PRelu", infer_prelu, ops::per_element_cost(2),
                              "2 per output element (x<0 ? slope*x : x: compare, multiply)"));

}  // namespace
}  // namespace graphs
