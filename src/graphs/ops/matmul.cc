// Matrix-product family (ai.onnx, opsets 11–21): MatMul, Gemm, Einsum, and the quantized
// MatMulInteger and QLinearMatMul. OpClass::kMatMul.
//
// Shapes follow ONNX Operators.md: MatMul has numpy.matmul semantics (a 1-D first operand is
// promoted to [1, K] and the 1 removed afterwards, a 1-D second operand to [K, 1]; batch dims
// broadcast); Gemm is rank 2 with transA/transB and C unidirectionally broadcast to [M, N];
// Einsum follows numpy.einsum (explicit "->" or implicit output, "..." broadcast dims).
//
// Counting:
//   MatMul:        MACs = batch × M × N × K (batch = ∏ broadcast batch dims); FLOPs = 2 × MACs.
//   Gemm:          MACs = M × N × K; FLOPs = 2 × MACs + M·N (× alpha, when alpha ≠ 1)
//                  + M·N (+ C, when C is present) + M·N (× beta, when C is present and beta ≠ 1).
//   Einsum:        with ≥ 2 operands and a contraction (a label, or an ellipsis dim, summed away):
//                  MACs = (operands − 1) × ∏ sizes of all distinct labels (ellipsis dims
//                  included), the loop nest of a direct evaluation; FLOPs = 2 × MACs.
//                  Without a contraction (outer/Hadamard products): MACs 0, FLOPs =
//                  (operands − 1) × output elements. One operand (transpose, diagonal, sum,
//                  trace): MACs 0, FLOPs = input elements when labels are summed, else 0.
//   MatMulInteger: as MatMul; zero-point corrections not counted.
//   QLinearMatMul: as MatMul + 2 FLOPs per output element (requantize: scale, zero point).
// Bytes: every present input read once, every output written once, at the costing precision.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "graphs/ops/compute_helpers.h"
#include "graphs/ops/op_helpers.h"

namespace graphs::ops {
namespace {

// ---------------------------------------------------------------------------------------------
// MatMul

struct MatMulGeometry {
  std::vector<int64_t> out;
  double batch = 1;
  int64_t m = 1, n = 1, k = 1;
};

// numpy.matmul shape rule (ONNX MatMul-13).
Result<MatMulGeometry> matmul_geometry(const InferContext& ctx, std::size_t a_index,
                                       std::size_t b_index) {
  GRAPHS_ASSIGN_OR_RETURN(auto a, static_input_dims(ctx, a_index, "A"));
  GRAPHS_ASSIGN_OR_RETURN(auto b, static_input_dims(ctx, b_index, "B"));
  if (a.empty() || b.empty()) {
    return ctx.error("operands must have rank at least 1, got " + dims_to_string(a) + " and " +
                     dims_to_string(b));
  }
  const bool a_vector = a.size() == 1;
  const bool b_vector = b.size() == 1;
  if (a_vector) a.insert(a.begin(), 1);
  if (b_vector) b.push_back(1);
  MatMulGeometry g;
  g.m = a[a.size() - 2];
  g.k = a[a.size() - 1];
  g.n = b[b.size() - 1];
  if (b[b.size() - 2] != g.k) {
    return ctx.error("inner dims " + std::to_string(g.k) + " and " +
                     std::to_string(b[b.size() - 2]) + " differ (A " +
                     dims_to_string(ctx.type(a_index).dims()) + ", B " +
                     dims_to_string(ctx.type(b_index).dims()) + ")");
  }
  auto batch = broadcast_shapes({std::vector<int64_t>(a.begin(), a.end() - 2),
                                 std::vector<int64_t>(b.begin(), b.end() - 2)});
  if (!batch.ok()) return ctx.error("batch dims: " + batch.error().message());
  g.out = *batch;
  for (int64_t d : g.out) g.batch *= static_cast<double>(d);
  if (!a_vector) g.out.push_back(g.m);
  if (!b_vector) g.out.push_back(g.n);
  return g;
}

// K of a MatMul node from its first operand (the last dim, or the only one for a vector).
double matmul_macs(const CostContext& ctx, std::size_t a_index) {
  const auto a = dims_of(ctx.input(a_index));
  if (a.empty()) return 0;
  return ctx.numel(ctx.output(0)) * static_cast<double>(a.back());
}

InferResult matmul_shape(const InferContext& ctx, std::size_t a, std::size_t b, DType dtype) {
  GRAPHS_ASSIGN_OR_RETURN(const auto g, matmul_geometry(ctx, a, b));
  return std::vector<InferredOutput>{{TensorType::make(dtype, g.out), std::nullopt}};
}

// ---------------------------------------------------------------------------------------------
// Gemm

struct GemmGeometry {
  int64_t m = 0, n = 0, k = 0;
};

// Gemm-13: Y = alpha × A' × B' + beta × C, A' = transA ? Aᵀ : A (M × K), B' likewise (K × N).
Result<GemmGeometry> gemm_geometry(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(const auto a, static_input_dims(ctx, 0, "A"));
  GRAPHS_ASSIGN_OR_RETURN(const auto b, static_input_dims(ctx, 1, "B"));
  if (a.size() != 2) return ctx.error("A rank " + std::to_string(a.size()) + ", expected 2");
  if (b.size() != 2) return ctx.error("B rank " + std::to_string(b.size()) + ", expected 2");
  const bool trans_a = ctx.node.attrs.get_int("transA", 0) != 0;
  const bool trans_b = ctx.node.attrs.get_int("transB", 0) != 0;
  GemmGeometry g;
  g.m = trans_a ? a[1] : a[0];
  g.k = trans_a ? a[0] : a[1];
  const int64_t kb = trans_b ? b[1] : b[0];
  g.n = trans_b ? b[0] : b[1];
  if (g.k != kb) {
    return ctx.error("inner dims " + std::to_string(g.k) + " and " + std::to_string(kb) +
                     " differ (A " + dims_to_string(a) + (trans_a ? "ᵀ" : "") + ", B " +
                     dims_to_string(b) + (trans_b ? "ᵀ" : "") + ")");
  }
  if (const Value* c = ctx.input(2)) {
    GRAPHS_ASSIGN_OR_RETURN(const auto cd, static_input_dims(ctx, 2, "C"));
    const std::vector<int64_t> y = {g.m, g.n};
    auto bc = broadcast_shapes({cd, y});
    if (cd.size() > 2 || !bc.ok() || *bc != y) {
      return ctx.error("C '" + c->name + "' " + dims_to_string(cd) +
                       " does not broadcast to the output " + dims_to_string(y));
    }
  }
  return g;
}

OpCost gemm_cost(const CostContext& ctx) {
  const auto a = dims_of(ctx.input(0));
  if (a.size() != 2) return compute_cost(ctx, 0, 0);
  const double k = static_cast<double>(ctx.node.attrs.get_int("transA", 0) ? a[0] : a[1]);
  const double mn = ctx.numel(ctx.output(0));
  const double macs = mn * k;
  double flops = 2 * macs;
  if (ctx.node.attrs.get_float("alpha", 1.0) != 1.0) flops += mn;
  if (ctx.input(2)) {
    flops += mn;
    if (ctx.node.attrs.get_float("beta", 1.0) != 1.0) flops += mn;
  }
  return compute_cost(ctx, macs, flops);
}

// ---------------------------------------------------------------------------------------------
// Einsum (numpy.einsum semantics, ONNX Einsum-12)

constexpr char kEllipsis = '.';  // one token standing for "..." in a parsed term

struct EinsumPlan {
  std::vector<int64_t> out;        // output shape
  double all_labels_product = 1;   // ∏ sizes of all distinct labels and ellipsis dims
  bool contraction = false;        // some label or ellipsis dim is summed away
  std::size_t operands = 0;
};

// Splits one term ("b...ij") into labels, with kEllipsis for "...".
Result<std::string> parse_term(const std::string& term) {
  std::string labels;
  for (std::size_t i = 0; i < term.size();) {
    const char c = term[i];
    if (c == '.') {
      if (term.compare(i, 3, "...") != 0) {
        return make_error(ErrorCode::kShapeError, "'.' must be part of '...' in term '", term, "'");
      }
      if (labels.find(kEllipsis) != std::string::npos) {
        return make_error(ErrorCode::kShapeError, "term '", term, "' has more than one '...'");
      }
      labels += kEllipsis;
      i += 3;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      labels += c;
      ++i;
    } else {
      return make_error(ErrorCode::kShapeError, "unexpected character '", std::string(1, c),
                        "' in term '", term, "'");
    }
  }
  return labels;
}

Result<EinsumPlan> plan_einsum(const std::string& equation,
                               const std::vector<std::vector<int64_t>>& shapes) {
  std::string eq;
  for (char c : equation) {
    if (c != ' ' && c != '\t') eq += c;
  }
  const auto arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<std::string> terms;
  for (std::size_t start = 0;;) {
    const auto comma = lhs.find(',', start);
    GRAPHS_ASSIGN_OR_RETURN(auto t, parse_term(lhs.substr(start, comma - start)));
    terms.push_back(std::move(t));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != shapes.size()) {
    return make_error(ErrorCode::kShapeError, "equation '", equation, "' has ", terms.size(),
                      " input terms but the node has ", shapes.size(), " inputs");
  }

  // Label sizes and the broadcast ellipsis dims.
  std::map<char, int64_t> size;
  std::map<char, int> count;
  std::vector<int64_t> ellipsis;
  bool any_ellipsis = false;
  for (std::size_t t = 0; t < terms.size(); ++t) {
    const std::string& term = terms[t];
    const auto& shape = shapes[t];
    const bool has_ellipsis = term.find(kEllipsis) != std::string::npos;
    const std::size_t letters = term.size() - (has_ellipsis ? 1 : 0);
    if (has_ellipsis ? shape.size() < letters : shape.size() != letters) {
      return make_error(ErrorCode::kShapeError, "term ", t, " ('", term, "') has ", letters,
                        " labels but input ", t, " has rank ", shape.size());
    }
    const std::size_t ell_rank = shape.size() - letters;
    std::size_t dim = 0;
    for (char c : term) {
      if (c == kEllipsis) {
        any_ellipsis = true;
        std::vector<int64_t> e(shape.begin() + dim, shape.begin() + dim + ell_rank);
        auto b = broadcast_shapes({ellipsis, e});
        if (!b.ok()) return make_error(ErrorCode::kShapeError, "'...' dims: ", b.error().message());
        ellipsis = *b;
        dim += ell_rank;
        continue;
      }
      const int64_t d = shape[dim++];
      ++count[c];
      auto [it, inserted] = size.emplace(c, d);
      if (!inserted && it->second != d) {
        if (it->second == 1) {
          it->second = d;
        } else if (d != 1) {
          return make_error(ErrorCode::kShapeError, "label '", std::string(1, c), "' has sizes ",
                            it->second, " and ", d);
        }
      }
    }
  }

  std::string out_term;
  if (arrow != std::string::npos) {
    GRAPHS_ASSIGN_OR_RETURN(out_term, parse_term(eq.substr(arrow + 2)));
    std::set<char> seen;
    for (char c : out_term) {
      if (!seen.insert(c).second) {
        return make_error(ErrorCode::kShapeError, "output label '", std::string(1, c),
                          "' appears twice");
      }
      if (c == kEllipsis && !any_ellipsis) {
        return make_error(ErrorCode::kShapeError, "output has '...' but no input does");
      }
      if (c != kEllipsis && !size.count(c)) {
        return make_error(ErrorCode::kShapeError, "output label '", std::string(1, c),
                          "' appears in no input");
      }
    }
  } else {
    // Implicit mode: broadcast dims first, then labels used exactly once, in alphabetical order.
    if (any_ellipsis) out_term += kEllipsis;
    for (const auto& [c, n] : count) {
      if (n == 1) out_term += c;
    }
  }

  EinsumPlan plan;
  plan.operands = terms.size();
  for (char c : out_term) {
    if (c == kEllipsis) {
      plan.out.insert(plan.out.end(), ellipsis.begin(), ellipsis.end());
    } else {
      plan.out.push_back(size[c]);
    }
  }
  for (const auto& [c, d] : size) {
    plan.all_labels_product *= static_cast<double>(d);
    if (out_term.find(c) == std::string::npos) plan.contraction = true;
  }
  for (int64_t d : ellipsis) plan.all_labels_product *= static_cast<double>(d);
  if (!ellipsis.empty() && out_term.find(kEllipsis) == std::string::npos) plan.contraction = true;
  return plan;
}

InferResult einsum_shape(const InferContext& ctx) {
  if (!ctx.node.attrs.has("equation")) return ctx.error("attribute 'equation' is required");
  if (ctx.num_inputs() == 0) return ctx.error("Einsum needs at least one input");
  std::vector<std::vector<int64_t>> shapes;
  for (std::size_t i = 0; i < ctx.num_inputs(); ++i) {
    GRAPHS_ASSIGN_OR_RETURN(auto d, static_input_dims(ctx, i, "Inputs"));
    shapes.push_back(std::move(d));
  }
  const std::string equation = ctx.node.attrs.get_string("equation", "");
  auto plan = plan_einsum(equation, shapes);
  if (!plan.ok()) {
    return ctx.error("bad equation '" + equation + "': " + plan.error().message());
  }
  return std::vector<InferredOutput>{{TensorType::make(ctx.type(0).dtype, plan->out), std::nullopt}};
}

OpCost einsum_cost(const CostContext& ctx) {
  std::vector<std::vector<int64_t>> shapes;
  for (const Value* v : ctx.inputs) shapes.push_back(dims_of(v));
  auto plan = plan_einsum(ctx.node.attrs.get_string("equation", ""), shapes);
  if (!plan.ok()) return compute_cost(ctx, 0, 0);
  const double operands = static_cast<double>(plan->operands);
  if (plan->operands == 1) {
    return compute_cost(ctx, 0, plan->contraction ? ctx.numel(ctx.input(0)) : 0);
  }
  if (!plan->contraction) {
    return compute_cost(ctx, 0, (operands - 1) * ctx.numel(ctx.output(0)));
  }
  const double macs = (operands - 1) * plan->all_labels_product;
  return compute_cost(ctx, macs, 2 * macs);
}

// ---------------------------------------------------------------------------------------------
// Registrations

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "MatMul",
    .domain = "",
    .op_class = OpClass::kMatMul,
    .infer = [](const InferContext& ctx) -> InferResult {
      GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(2));
      return matmul_shape(ctx, 0, 1, ctx.type(0).dtype);
    },
    .cost = [](const CostContext& ctx) {
      const double macs = matmul_macs(ctx, 0);
      return compute_cost(ctx, macs, 2 * macs);
    },
    .flops_note = "2 × MACs, MACs = batch·M·N·K",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "Gemm",
    .domain = "",
    .op_class = OpClass::kMatMul,
    .infer = [](const InferContext& ctx) -> InferResult {
      GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(2));
      GRAPHS_ASSIGN_OR_RETURN(const auto g, gemm_geometry(ctx));
      return std::vector<InferredOutput>{
          {TensorType::make(ctx.type(0).dtype, {g.m, g.n}), std::nullopt}};
    },
    .cost = gemm_cost,
    .flops_note = "2 × MACs (M·N·K) + M·N each for alpha ≠ 1, the C add, and beta ≠ 1 with C",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "Einsum",
    .domain = "",
    .op_class = OpClass::kMatMul,
    .infer = einsum_shape,
    .cost = einsum_cost,
    .flops_note = "with a contraction: 2 × MACs, MACs = (operands − 1) × ∏ all label sizes; "
                  "otherwise (operands − 1) per output element; one operand: 1 per input "
                  "element when summing",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "MatMulInteger",
    .domain = "",
    .op_class = OpClass::kMatMul,
    .infer = [](const InferContext& ctx) -> InferResult {
      GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(2));
      return matmul_shape(ctx, 0, 1, DType::kInt32);
    },
    .cost = [](const CostContext& ctx) {
      const double macs = matmul_macs(ctx, 0);
      return compute_cost(ctx, macs, 2 * macs);
    },
    .flops_note = "2 × MACs as MatMul; zero-point corrections not counted",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "QLinearMatMul",
    .domain = "",
    .op_class = OpClass::kMatMul,
    .infer = [](const InferContext& ctx) -> InferResult {
      GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(8));
      return matmul_shape(ctx, 0, 3, ctx.type(7).dtype);
    },
    .cost = [](const CostContext& ctx) {
      const double macs = matmul_macs(ctx, 0);
      return compute_cost(ctx, macs, 2 * macs + 2 * ctx.numel(ctx.output(0)));
    },
    .flops_note = "2 × MACs as MatMul + 2 per output element (requantize)",
});

// Det-11: X [*, M, M] → [*] (Operators.md "Det"). FLOPs per matrix: 2M³/3 for the LU
// factorisation with partial pivoting (Golub & Van Loan, Matrix Computations, 4th ed., §3.2) +
// M − 1 for the product of the diagonal; no MACs counted (not a GEMM).
InferResult det_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  GRAPHS_ASSIGN_OR_RETURN(auto x, static_input_dims(ctx, 0, "X"));
  if (x.size() < 2 || x[x.size() - 1] != x[x.size() - 2]) {
    return ctx.error("X " + dims_to_string(x) + " must be [*, M, M]");
  }
  x.resize(x.size() - 2);
  return std::vector<InferredOutput>{{TensorType::make(ctx.type(0).dtype, x), std::nullopt}};
}

OpCost det_cost(const CostContext& ctx) {
  const auto x = dims_of(ctx.input(0));
  if (x.size() < 2) return compute_cost(ctx, 0, 0);
  const double m = static_cast<double>(x.back());
  const double matrices = ctx.numel(ctx.output(0));
  return compute_cost(ctx, 0, matrices * (2 * m * m * m / 3 + std::max(0.0, m - 1)));
}

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "Det",
    .domain = "",
    .op_class = OpClass::kOther,
    .infer = det_shape,
    .cost = det_cost,
    .flops_note = "per M×M matrix: 2M³/3 (LU factorisation) + M − 1 (product of the diagonal)",
});

}  // namespace
}  // namespace graphs::ops
