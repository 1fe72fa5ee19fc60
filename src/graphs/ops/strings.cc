// String ops (ai.onnx): StringNormalizer-10. Registered so that a model holding one is
// recognised and its shapes flow; string work is not costed: the cost rule returns zero MACs,
// FLOPs and bytes (strings have no fixed element size), which `graphs ops` states.
//
// Shape (Operators.md "StringNormalizer"): X is a string tensor [C] or [1, C]. Without
// `stopwords` the output has X's shape. With stopwords the kept count C' (at most C) depends on
// the strings, which analysis never sees: the rule fails with "output shape depends on tensor
// contents", as NonZero's does (gather_scatter.cc). case_change_action is LOWER, UPPER or NONE.
#include <string>
#include <vector>

#include "graphs/ops/compute_helpers.h"
#include "graphs/ops/op_helpers.h"

namespace graphs::ops {
namespace {

InferResult string_normalizer_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "X"));
  if (ctx.type(0).dtype != DType::kString) {
    return ctx.error("X must be a string tensor, not " +
                     std::string(dtype_name(ctx.type(0).dtype)));
  }
  if (!(x.size() == 1 || (x.size() == 2 && x[0] == 1))) {
    return ctx.error("X " + dims_to_string(x) + " must be [C] or [1, C]");
  }
  const std::string action = ctx.node.attrs.get_string("case_change_action", "NONE");
  if (action != "LOWER" && action != "UPPER" && action != "NONE") {
    return ctx.error("case_change_action '" + action + "' must be LOWER, UPPER or NONE");
  }
  const Attribute* stopwords = ctx.node.attrs.find("stopwords");
  const auto* words = stopwords ? std::get_if<std::vector<std::string>>(stopwords) : nullptr;
  if (!words || words->empty()) {
    return std::vector<InferredOutput>{{ctx.type(0), std::nullopt}};
  }
  return ctx.error("output shape depends on tensor contents: the number of strings of '" +
                   ctx.input(0)->name + "' left after removing the " +
                   std::to_string(words->size()) + " stopwords is not known at analysis time (at most " +
                   std::to_string(x.back()) + ")");
}

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "StringNormalizer",
    .domain = "",
    .op_class = OpClass::kOther,
    .infer = string_normalizer_shape,
    .cost = zero_cost,
    .flops_note = "string op: not costed (0 FLOPs, 0 bytes)",
});

}  // namespace
}  // namespace graphs::ops
