// Loss family (ai.onnx): NegativeLogLikelihoodLoss-12/13/22 and SoftmaxCrossEntropyLoss-12/13.
// OpClass::kReduction.
//
// Shapes follow Operators.md: input/scores [N, C] or [N, C, d1..dk]; target/labels [N] or
// [N, d1..dk] (the input's dims without C); weight(s) optional [C]; reduction none | sum | mean
// (default mean). The loss is [N, d1..dk] with reduction none and a scalar otherwise, of the
// input's type; SoftmaxCrossEntropyLoss's optional log_prob has the scores' type.
//
// FLOPs (no MACs), per target element (t = ∏ target dims):
//   NegativeLogLikelihoodLoss  1 (negate the picked log-probability) + 1 with weight (multiply);
//                              sum or mean: + 1 (add); mean with weight: + 1 (sum the weights);
//                              mean: + 1 in total (the divide).
//   SoftmaxCrossEntropyLoss    the log-softmax over C as LogSoftmax counts it (5 per score element
//                              + 1 per row: max, subtract, exp, sum, subtract; log), then the
//                              negative log-likelihood as above.
// The gather of the picked class moves no data worth counting (t elements). Bytes: every present
// input read once, every present output written once.
#include <string>
#include <vector>

#include "graphs/ops/compute_helpers.h"
#include "graphs/ops/op_helpers.h"

namespace graphs::ops {
namespace {

InferResult loss_shape(const InferContext& ctx, bool softmax) {
  const char* input_role = softmax ? "scores" : "input";
  const char* target_role = softmax ? "labels" : "target";
  const char* weight_role = softmax ? "weights" : "weight";
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(2));
  GRAPHS_ASSIGN_OR_RETURN(const auto in, static_input_dims(ctx, 0, input_role));
  GRAPHS_ASSIGN_OR_RETURN(const auto target, static_input_dims(ctx, 1, target_role));
  if (in.size() < 2) {
    return ctx.error(std::string(input_role) + " " + dims_to_string(in) +
                     " must have rank ≥ 2 (N, C, …)");
  }
  std::vector<int64_t> expected = {in[0]};
  expected.insert(expected.end(), in.begin() + 2, in.end());
  if (target != expected) {
    return ctx.error(std::string(target_role) + " " + dims_to_string(target) + ", expected " +
                     dims_to_string(expected) + " (" + input_role + " without the class dim)");
  }
  if (!is_integer(ctx.type(1).dtype)) {
    return ctx.error(std::string(target_role) + " must hold integer class indices, not " +
                     std::string(dtype_name(ctx.type(1).dtype)));
  }
  if (ctx.input(2)) GRAPHS_RETURN_IF_ERROR(check_input_shape(ctx, 2, weight_role, {in[1]}));
  const std::string reduction = ctx.node.attrs.get_string("reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean") {
    return ctx.error("reduction '" + reduction + "' must be none, sum or mean");
  }
  const DType dtype = ctx.type(0).dtype;
  std::vector<InferredOutput> out = {
      {TensorType::make(dtype, reduction == "none" ? target : std::vector<int64_t>{}),
       std::nullopt}};
  if (softmax) out.push_back({TensorType::make(dtype, in), std::nullopt});
  return out;
}

// FLOPs of the negative log-likelihood part over the target's elements.
double nll_flops(const CostContext& ctx) {
  const double t = ctx.numel(ctx.input(1));
  const bool weighted = ctx.input(2) != nullptr;
  const std::string reduction = ctx.node.attrs.get_string("reduction", "mean");
  double per = 1 + (weighted ? 1 : 0);
  if (reduction != "none") per += 1;
  if (reduction == "mean" && weighted) per += 1;
  return per * t + (reduction == "mean" ? 1 : 0);
}

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "NegativeLogLikelihoodLoss",
    .domain = "",
    .op_class = OpClass::kReduction,
    .infer = [](const InferContext& ctx) { return loss_shape(ctx, false); },
    .cost = [](const CostContext& ctx) { return compute_cost(ctx, 0, nll_flops(ctx)); },
    .flops_note = "per target element: 1 (+ 1 with weight) + 1 with sum/mean (+ 1 more for a "
                  "weighted mean) + 1 divide for mean",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "SoftmaxCrossEntropyLoss",
    .domain = "",
    .op_class = OpClass::kReduction,
    .infer = [](const InferContext& ctx) { return loss_shape(ctx, true); },
    .cost = [](const CostContext& ctx) {
      const double scores = ctx.numel(ctx.input(0));
      const double rows = ctx.numel(ctx.input(1));
      return compute_cost(ctx, 0, 5 * scores + rows + nll_flops(ctx));
    },
    .flops_note = "log-softmax over C (5 per score element + 1 per row) + the "
                  "NegativeLogLikelihoodLoss count",
});

}  // namespace
}  // namespace graphs::ops
