// Control-flow family (ai.onnx If-1..21, Loop-1..21, Scan-9..21). OpClass::kOther.
//
// These ops hold subgraphs (Node::subgraphs), so their shapes and costs come from their bodies,
// which only the analysis layer can infer: analysis/shape_inference infers each body and the
// node's outputs and resolves how often each body runs (Subgraph::runs: Loop's trip count,
// Scan's sequence length, 1 for the If branch taken), and analysis/characterize adds each
// body's totals × runs to the node. The registrations here give the class and the counting note;
// the shape rule only answers for a node that has lost its subgraphs (a hand-built graph), and
// the node's own cost is zero (the body kernels carry it).
#include <string>

#include "graphs/ops/op_helpers.h"

namespace graphs::ops {
namespace {

ShapeFn needs_subgraphs(std::string what) {
  return [what = std::move(what)](const InferContext& ctx) -> Result<std::vector<InferredOutput>> {
    return ctx.error("has no " + what + " subgraph; control flow is inferred from its bodies");
  };
}

OpSchema control_op(std::string op, std::string what, std::string note) {
  return OpSchema{.op_type = std::move(op),
                  .domain = "",
                  .op_class = OpClass::kOther,
                  .infer = needs_subgraphs(std::move(what)),
                  .cost = zero_cost,
                  .flops_note = std::move(note)};
}

GRAPHS_REGISTER_OP(control_op("If", "then_branch/else_branch",
                              "the branch taken: a known condition's, else --branch, else the "
                              "costlier (bodies costed op by op)"));
GRAPHS_REGISTER_OP(control_op("Loop", "body",
                              "the body's FLOPs × trip count (M when known, else the "
                              "data-dependent loop_N)"));
// Scan-8 (a batch axis and sequence_lens) is refused by the analysis: the rules start at 9.
GRAPHS_REGISTER_OP(since_opset(9, control_op("Scan", "body", "the body's FLOPs × sequence length")));

}  // namespace
}  // namespace graphs::ops
