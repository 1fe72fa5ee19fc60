// String ops (ai.onnx): StringNormalizer-10, StringConcat-20, RegexFullMatch-20, StringSplit-20,
// and TfIdfVectorizer-9 (n-gram counts over strings or token ids). Registered so that a model
// holding one is recognised and its shapes flow; string work is not costed: the cost rule returns
// zero MACs, FLOPs and bytes (strings have no fixed element size), which `graphs ops` states.
// TfIdfVectorizer counts 1 lookup per input element, n-gram length and skip.
//
// StringConcat: the two inputs broadcast (numpy rules), string output. RegexFullMatch: X's
// shape, bool. StringSplit: Y = X's dims + [the most substrings of any element], string, and
// Z = X's dims (int64, the counts); the last dim of Y depends on the strings: "output shape
// depends on tensor contents" (analysis/data_dependent.cc names it, at most maxsplit + 1); 0
// for an X without elements.
// TfIdfVectorizer (Operators.md): X [C] or [N, C] (int32, int64 or string) → float [K] or
// [N, K], K = max(ngram_indexes) + 1.
//
// Shape (Operators.md "StringNormalizer"): X is a string tensor [C] or [1, C]. Without
// `stopwords` the output has X's shape. With stopwords the kept count C' (at most C) depends on
// the strings, which analysis never sees: the rule fails with "output shape depends on tensor
// contents", as NonZero's does (gather_scatter.cc). case_change_action is LOWER, UPPER or NONE.
#include <algorithm>
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

Status require_strings(const InferContext& ctx, std::size_t n) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(n));
  for (std::size_t i = 0; i < n; ++i) {
    if (ctx.type(i).dtype != DType::kString) {
      return ctx.error("input " + std::to_string(i) + " must be a string tensor, not " +
                       std::string(dtype_name(ctx.type(i).dtype)));
    }
  }
  return ok_status();
}

InferResult string_concat_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(require_strings(ctx, 2));
  return broadcast_elementwise(ctx);
}

InferResult regex_full_match_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(require_strings(ctx, 1));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "X"));
  return std::vector<InferredOutput>{{TensorType::make(DType::kBool, x), std::nullopt}};
}

InferResult string_split_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(require_strings(ctx, 1));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "X"));
  if (product(x) == 0) {  // no strings: no substrings
    auto y = x;
    y.push_back(0);
    return std::vector<InferredOutput>{{TensorType::make(DType::kString, y), std::nullopt},
                                       {TensorType::make(DType::kInt64, x), std::nullopt}};
  }
  const std::string bound =
      ctx.node.attrs.has("maxsplit")
          ? " (at most " + std::to_string(ctx.node.attrs.get_int("maxsplit", 0) + 1) + ")"
          : "";
  return ctx.error("output shape depends on tensor contents: the number of substrings of '" +
                   ctx.input(0)->name + "' is not known at analysis time" + bound);
}

InferResult tfidf_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "X"));
  if (x.size() != 1 && x.size() != 2) {
    return ctx.error("X " + dims_to_string(x) + " must be [C] or [N, C]");
  }
  const auto indexes = ctx.node.attrs.get_ints("ngram_indexes");
  if (indexes.empty()) return ctx.error("ngram_indexes is empty");
  const int64_t k = *std::max_element(indexes.begin(), indexes.end()) + 1;
  if (k < 1) return ctx.error("ngram_indexes must hold an index of 0 or more");
  const auto out = x.size() == 1 ? std::vector<int64_t>{k} : std::vector<int64_t>{x[0], k};
  return std::vector<InferredOutput>{{TensorType::make(DType::kFloat32, out), std::nullopt}};
}

OpCost tfidf_cost(const CostContext& ctx) {
  const auto& a = ctx.node.attrs;
  const double lengths = static_cast<double>(
      std::max<int64_t>(1, a.get_int("max_gram_length", 1) - a.get_int("min_gram_length", 1) + 1));
  const double skips = static_cast<double>(std::max<int64_t>(0, a.get_int("max_skip_count", 0)) + 1);
  return compute_cost(ctx, 0, ctx.numel(ctx.input(0)) * lengths * skips);
}

GRAPHS_REGISTER_OP(since_opset(20, OpSchema{
    .op_type = "StringConcat", .domain = "", .op_class = OpClass::kOther,
    .infer = string_concat_shape, .cost = zero_cost,
    .flops_note = "string op: not costed (0 FLOPs, 0 bytes)"}));
GRAPHS_REGISTER_OP(since_opset(20, OpSchema{
    .op_type = "RegexFullMatch", .domain = "", .op_class = OpClass::kOther,
    .infer = regex_full_match_shape, .cost = zero_cost,
    .flops_note = "string op: not costed (0 FLOPs, 0 bytes)"}));
GRAPHS_REGISTER_OP(since_opset(20, OpSchema{
    .op_type = "StringSplit", .domain = "", .op_class = OpClass::kOther,
    .infer = string_split_shape, .cost = zero_cost,
    .flops_note = "string op: not costed (0 FLOPs, 0 bytes)"}));
GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "TfIdfVectorizer", .domain = "", .op_class = OpClass::kOther,
    .infer = tfidf_shape, .cost = tfidf_cost,
    .flops_note = "1 lookup per input element, n-gram length and skip; bytes = X read (0 for "
                  "strings) + output written"});

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
