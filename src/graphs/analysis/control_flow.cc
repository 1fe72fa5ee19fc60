// Control-flow shape inference (shape_inference.h): If, Loop and Scan (ONNX Operators.md, If-1..21,
// Loop-1..21, Scan-9..21). Each body is inferred as a graph of its own, its formal inputs typed
// from the node, its outer-scope values from the enclosing graph; the node's outputs come from
// the body's outputs:
//   If    outputs of the branch taken (see below); both branches are inferred.
//   Loop  inputs (M, cond, v_initial…); body (iteration_num, cond, v…) → (cond, v…, scan…);
//         outputs: the final v… and each scan output stacked: [trips] + its per-iteration shape.
//         trips = M when its contents are known (0 when cond is known false), else a
//         data-dependent dim "loop_N" (--dim loop_N=T; assumed 1).
//   Scan  inputs (state…, scan input…), num_scan_inputs; the body sees each scan input without
//         its scan axis (scan_input_axes, default 0); outputs: the final states and each scan
//         output with the sequence length inserted at scan_output_axes (default 0).
// The branch an If takes: the one its condition selects when known; else DimBindings::branch;
// else the one with more FLOPs (then bytes; then `then`), with a note naming both.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "graphs/analysis/characterize.h"
#include "graphs/analysis/shape_inference_internal.h"

namespace graphs::detail {
namespace {

using Outputs = std::vector<InferredOutput>;

std::string dims_text(const TensorType& t) { return t.to_string(); }

// Types (and contents, where given) of a body's formal inputs, then the body itself.
Status infer_body(InferSession& session, Graph& outer, const std::string& label, Subgraph& sub,
                  const std::vector<TensorType>& formal) {
  Graph& body = sub.graph;
  if (body.inputs.size() != formal.size()) {
    return make_error(ErrorCode::kShapeError, sub.attribute, " declares ", body.inputs.size(),
                      " inputs; the node supplies ", formal.size());
  }
  for (std::size_t i = 0; i < formal.size(); ++i) {
    Value& v = body.value(body.inputs[i]);
    v.type = formal[i];
    v.data.reset();
  }
  session.enter(label + ", " + sub.attribute);
  auto status = session.infer_graph(body, &outer);
  session.leave();
  if (!status.ok()) return std::move(status).error().with_context(sub.attribute);
  return ok_status();
}

// FLOPs as a whole number for notes.
std::string flops_text(double flops) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f", flops);
  return buf;
}

const Value* value_or_null(const Graph& g, ValueId id) {
  return id == kNoValue ? nullptr : &g.value(id);
}

const ConstData* known(const Value* v) {
  if (!v || !v->data || !v->type.is_static()) return nullptr;
  const auto n = v->type.numel();
  return n && *n >= 1 && static_cast<int64_t>(v->data->size()) == *n ? &*v->data : nullptr;
}

Result<Subgraph*> body_named(Node& node, const std::string& attribute) {
  for (auto& s : node.subgraphs) {
    if (s.attribute == attribute) return &s;
  }
  return make_error(ErrorCode::kShapeError, node.label(), ": subgraph attribute '", attribute,
                    "' is missing");
}

// ---- If -----------------------------------------------------------------------------------

struct BranchCost {
  double flops = 0;
  double bytes = 0;
};

BranchCost branch_cost(const Graph& body) {
  auto ch = characterize(body, PrecisionMap{});
  if (!ch.ok()) return {};
  return {ch->flops, ch->bytes_read + ch->bytes_written};
}

Result<Outputs> infer_if(InferSession& session, Graph& g, NodeId id) {
  Node& node = g.node(id);
  const std::string label = node.label();
  GRAPHS_ASSIGN_OR_RETURN(Subgraph * then_branch, body_named(node, "then_branch"));
  GRAPHS_ASSIGN_OR_RETURN(Subgraph * else_branch, body_named(node, "else_branch"));
  if (node.inputs.empty() || node.inputs[0] == kNoValue) {
    return make_error(ErrorCode::kShapeError, label, ": input 0 (cond) is required but missing");
  }
  const ConstData* cond = known(value_or_null(g, node.inputs[0]));

  // Both branches; a failure is kept for the decision below.
  std::optional<Error> failed[2];
  Subgraph* branches[2] = {then_branch, else_branch};
  for (int b = 0; b < 2; ++b) {
    const auto mark = session.mark();
    auto status = infer_body(session, g, label, *branches[b], {});
    if (!status.ok()) {
      session.rollback(mark);
      failed[b] = std::move(status).error().with_context(label);
    }
  }

  int taken = 0;
  if (cond) {
    taken = cond->as_double(0) != 0 ? 0 : 1;
    if (failed[taken]) return *failed[taken];
    if (failed[1 - taken]) {
      session.note(label + ": " + branches[1 - taken]->attribute +
                   " is never taken (the condition is known) and could not be analysed: " +
                   failed[1 - taken]->message());
    }
  } else if (failed[0] || failed[1]) {
    if (failed[0] && failed[1]) return *failed[0];
    taken = failed[0] ? 1 : 0;
    session.note(label + ": condition unknown at analysis time; " +
                 branches[1 - taken]->attribute + " could not be analysed (" +
                 failed[1 - taken]->message() + "), so the estimate takes " +
                 branches[taken]->attribute);
  } else if (!session.bindings().branch.empty()) {
    taken = session.bindings().branch == "then" ? 0 : 1;
    session.note(label + ": condition unknown at analysis time; the estimate takes " +
                 branches[taken]->attribute + " (--branch " + session.bindings().branch + ")");
  } else {
    const BranchCost c[2] = {branch_cost(then_branch->graph), branch_cost(else_branch->graph)};
    taken = (c[1].flops > c[0].flops || (c[1].flops == c[0].flops && c[1].bytes > c[0].bytes))
                ? 1
                : 0;
    const bool tie = c[0].flops == c[1].flops && c[0].bytes == c[1].bytes;
    session.note(label + ": condition unknown at analysis time; the estimate takes " +
                 (tie ? branches[taken]->attribute + " (both cost " + flops_text(c[0].flops) +
                            " FLOPs)"
                      : "the costlier " + branches[taken]->attribute + " (" +
                            flops_text(c[taken].flops) + " FLOPs against " +
                            flops_text(c[1 - taken].flops) + ")") +
                 "; choose with --branch then|else");
  }
  then_branch->runs = taken == 0 ? 1 : 0;
  else_branch->runs = taken == 1 ? 1 : 0;

  const Graph& body = branches[taken]->graph;
  if (body.outputs.size() < node.outputs.size()) {
    return make_error(ErrorCode::kShapeError, label, ": ", branches[taken]->attribute, " has ",
                      body.outputs.size(), " outputs; the node has ", node.outputs.size());
  }
  Outputs out;
  for (std::size_t i = 0; i < node.outputs.size(); ++i) {
    const Value& v = body.value(body.outputs[i]);
    InferredOutput o{v.type, cond ? v.data : std::nullopt};
    if (!failed[1 - taken] && !cond) {
      const Graph& other = branches[1 - taken]->graph;
      if (i < other.outputs.size() && !(other.value(other.outputs[i]).type == v.type)) {
        session.note(label + ": output " + std::to_string(i) + " is " + dims_text(v.type) +
                     " in " + branches[taken]->attribute + " and " +
                     dims_text(other.value(other.outputs[i]).type) + " in " +
                     branches[1 - taken]->attribute + "; the analysis uses the first");
      }
    }
    out.push_back(std::move(o));
  }
  return out;
}

// ---- Loop ---------------------------------------------------------------------------------

// An M above this bounds a while loop rather than counting iterations (the largest --dim).
constexpr int64_t kMaxTrips = (int64_t{1} << 31) - 1;

Result<Outputs> infer_loop(InferSession& session, Graph& g, NodeId id) {
  Node& node = g.node(id);
  const std::string label = node.label();
  GRAPHS_ASSIGN_OR_RETURN(Subgraph * body, body_named(node, "body"));
  if (node.inputs.size() < 2) {
    return make_error(ErrorCode::kShapeError, label,
                      ": expects inputs (M, cond, v_initial…); give '' for an omitted M or cond");
  }
  const std::size_t carried = node.inputs.size() - 2;

  // Trip count.
  const ConstData* m = known(value_or_null(g, node.inputs[0]));
  const ConstData* cond = known(value_or_null(g, node.inputs[1]));
  int64_t trips = 0;
  if (cond && cond->as_double(0) == 0) {
    trips = 0;
  } else if (m && m->as_int(0) <= kMaxTrips) {
    trips = std::max<int64_t>(0, m->as_int(0));
  } else {
    // No M, an M computed from contents, or a while loop's INT64_MAX bound (PyTorch exports
    // `while` that way): the trip count is the condition's business.
    if (m) {
      session.note(label + ": M = " + std::to_string(m->as_int(0)) +
                   " only bounds the loop; its trip count depends on the condition");
    }
    DataDependentDim d;
    d.symbol = session.new_symbol("Loop");
    d.node = label;
    trips = session.resolve(std::move(d), std::nullopt, 1);
  }

  std::vector<TensorType> formal = {TensorType::make(DType::kInt64, {}),
                                    TensorType::make(DType::kBool, {})};
  for (std::size_t i = 0; i < carried; ++i) {
    const Value* v = value_or_null(g, node.inputs[2 + i]);
    if (!v) {
      return make_error(ErrorCode::kShapeError, label, ": loop-carried input ", 2 + i,
                        " is missing");
    }
    formal.push_back(v->type);
  }
  auto status = infer_body(session, g, label, *body, formal);
  if (!status.ok()) return std::move(status).error().with_context(label);
  body->runs = trips;

  const Graph& b = body->graph;
  if (b.outputs.size() < 1 + carried) {
    return make_error(ErrorCode::kShapeError, label, ": body has ", b.outputs.size(),
                      " outputs; expected cond and ", carried, " loop-carried values");
  }
  const std::size_t scans = b.outputs.size() - 1 - carried;
  Outputs out;
  for (std::size_t i = 0; i < carried; ++i) {
    const TensorType& first = formal[2 + i];
    TensorType last = b.value(b.outputs[1 + i]).type;
    if (last.rank() == first.rank() && !(last == first) && first.is_static() &&
        last.is_static()) {
      // Grows (or shrinks) by the same step each iteration: extrapolate to the last one.
      auto f = first.dims(), l = last.dims();
      for (std::size_t k = 0; k < f.size(); ++k) f[k] = std::max<int64_t>(0, f[k] + trips * (l[k] - f[k]));
      session.note(label + ": loop-carried '" + b.value(b.inputs[2 + i]).name + "' goes from " +
                   first.to_string() + " to " + last.to_string() +
                   " in one iteration; taken as linear over " + std::to_string(trips) +
                   " iterations, the body costed at the first iteration's shapes");
      last = TensorType::make(last.dtype, f);
    }
    out.push_back({last, std::nullopt});
  }
  for (std::size_t k = 0; k < scans; ++k) {
    const TensorType& per = b.value(b.outputs[1 + carried + k]).type;
    std::vector<int64_t> dims = {trips};
    for (int64_t d : per.dims()) dims.push_back(d);
    out.push_back({TensorType::make(per.dtype, dims), std::nullopt});
  }
  return out;
}

// ---- Scan ---------------------------------------------------------------------------------

Result<int64_t> scan_axis(const std::vector<int64_t>& axes, std::size_t i, int64_t rank,
                          const std::string& what) {
  const int64_t a = i < axes.size() ? axes[i] : 0;
  const int64_t n = a < 0 ? a + rank : a;
  if (n < 0 || n >= rank) {
    return make_error(ErrorCode::kShapeError, what, " axis ", a, " is out of range for rank ",
                      rank);
  }
  return n;
}

Result<Outputs> infer_scan(InferSession& session, Graph& g, NodeId id) {
  Node& node = g.node(id);
  const std::string label = node.label();
  if (node.opset > 0 && node.opset < 9) {
    return make_error(ErrorCode::kUnsupported, label,
                      ": Scan-8 (with a batch axis and sequence_lens) is not supported; "
                      "re-export at opset 9 or later");
  }
  GRAPHS_ASSIGN_OR_RETURN(Subgraph * body, body_named(node, "body"));
  const int64_t m = node.attrs.get_int("num_scan_inputs", -1);
  if (m < 1 || static_cast<std::size_t>(m) > node.inputs.size()) {
    return make_error(ErrorCode::kShapeError, label, ": num_scan_inputs ", m,
                      " must be between 1 and the ", node.inputs.size(), " inputs");
  }
  const std::size_t states = node.inputs.size() - static_cast<std::size_t>(m);
  const auto in_axes = node.attrs.get_ints("scan_input_axes");
  const auto out_axes = node.attrs.get_ints("scan_output_axes");

  std::vector<TensorType> formal;
  for (std::size_t i = 0; i < node.inputs.size(); ++i) {
    const Value* v = value_or_null(g, node.inputs[i]);
    if (!v || !v->type.is_static()) {
      return make_error(ErrorCode::kShapeError, label, ": input ", i,
                        " is missing or has no static shape");
    }
    formal.push_back(v->type);
  }
  int64_t seq = -1;
  for (std::size_t j = 0; j < static_cast<std::size_t>(m); ++j) {
    TensorType& t = formal[states + j];
    GRAPHS_ASSIGN_OR_RETURN(const int64_t axis,
                            scan_axis(in_axes, j, t.rank(), label + ": scan input " +
                                                                std::to_string(j)));
    const int64_t len = t.shape[static_cast<std::size_t>(axis)].size();
    if (seq >= 0 && len != seq) {
      return make_error(ErrorCode::kShapeError, label, ": scan inputs have sequence lengths ",
                        seq, " and ", len);
    }
    seq = len;
    t.shape.erase(t.shape.begin() + axis);
  }
  auto status = infer_body(session, g, label, *body, formal);
  if (!status.ok()) return std::move(status).error().with_context(label);
  body->runs = seq;

  const Graph& b = body->graph;
  if (b.outputs.size() < states) {
    return make_error(ErrorCode::kShapeError, label, ": body has ", b.outputs.size(),
                      " outputs; expected at least the ", states, " states");
  }
  Outputs out;
  for (std::size_t i = 0; i < states; ++i) out.push_back({b.value(b.outputs[i]).type, std::nullopt});
  for (std::size_t k = 0; k + states < b.outputs.size(); ++k) {
    const TensorType& per = b.value(b.outputs[states + k]).type;
    auto dims = per.dims();
    GRAPHS_ASSIGN_OR_RETURN(const int64_t axis,
                            scan_axis(out_axes, k, per.rank() + 1,
                                      label + ": scan output " + std::to_string(k)));
    dims.insert(dims.begin() + axis, seq);
    out.push_back({TensorType::make(per.dtype, dims), std::nullopt});
  }
  return out;
}

}  // namespace

Result<std::vector<InferredOutput>> infer_control_flow(InferSession& session, Graph& graph,
                                                       NodeId id) {
  const Node& node = graph.node(id);
  const bool onnx_domain = node.domain.empty() || node.domain == "ai.onnx";
  if (onnx_domain && node.op_type == "If") return infer_if(session, graph, id);
  if (onnx_domain && node.op_type == "Loop") return infer_loop(session, graph, id);
  if (onnx_domain && node.op_type == "Scan") return infer_scan(session, graph, id);
  return make_error(ErrorCode::kUnsupported, node.label(),
                    ": subgraphs are analysed for If, Loop and Scan only");
}

}  // namespace graphs::detail
