// Recurrent family (ai.onnx RNN, GRU, LSTM: versions 7/14/22; the earlier versions differ only in
// attributes these rules do not read): one layer of a recurrent network over a whole sequence.
// OpClass::kMatMul (the per-step products are GEMMs).
//
// Shapes (Operators.md "RNN", "GRU", "LSTM"; g = gates: 1 RNN, 3 GRU, 4 LSTM):
//   X [seq, batch, input] (layout 0) or [batch, seq, input] (layout 1, an attribute from opset 14)
//   W [dirs, g·hidden, input], R [dirs, g·hidden, hidden], B [dirs, 2·g·hidden],
//   sequence_lens [batch], initial_h (and LSTM initial_c) [dirs, batch, hidden] (layout 1:
//   [batch, dirs, hidden]), LSTM P [dirs, 3·hidden]; dirs = 2 for direction "bidirectional".
//   Y [seq, dirs, batch, hidden] (layout 1: [batch, seq, dirs, hidden]); Y_h (and LSTM Y_c) have
//   initial_h's shape. hidden = the hidden_size attribute, or R's last dim when it is absent.
//
// Counting, per time step and direction (every step counted: sequence_lens only shortens runs,
// so the figures are the padded sequence's):
//   MACs = batch × g·hidden × input (input GEMM Xt·Wᵀ) + batch × g·hidden × hidden (recurrent
//          GEMM Ht-1·Rᵀ); total MACs = seq × dirs × batch × g·hidden × (input + hidden).
//   FLOPs = 2 × MACs + seq × batch × hidden × (per hidden unit and direction):
//     RNN   a_f + 1 (add the two products) + 2 with B (Wb + Rb)
//     GRU   3 × (1 + 2 with B) + 2·a_f (z, r) + a_g (h) + 1 (r ⊙ …) + 4 (Ht = (1 − z) ⊙ h + z ⊙ Ht-1)
//     LSTM  4 × (1 + 2 with B) + 3·a_f (i, f, o) + a_g (c) + a_h (h(Ct)) + 3 (Ct = f ⊙ Ct-1 + i ⊙ c)
//           + 1 (Ht = o ⊙ h(Ct)) + 6 with P (three peephole multiply-adds)
//   + 2 per activation input (min, max) when `clip` is set (RNN 1, GRU 3, LSTM 5 per unit).
//   a_x is the activation's FLOPs per element as the activation ops count them (Sigmoid 4,
//   Tanh 1, Relu 1, HardSigmoid 4, …); defaults f = Sigmoid, g = h = Tanh (RNN f = Tanh).
//   With defaults and B: RNN 4, GRU 23, LSTM 30 per unit; LSTM input_forget is not modelled.
// Bytes: every present input read once (weights included), every present output written once.
// com.microsoft DynamicQuantizeLSTM (below) follows LSTM with its weights stored transposed.
#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "graphs/ops/compute_helpers.h"
#include "graphs/ops/op_helpers.h"

namespace graphs::ops {
namespace {

enum class Cell { kRnn, kGru, kLstm };

int64_t gates(Cell c) { return c == Cell::kRnn ? 1 : c == Cell::kGru ? 3 : 4; }
std::size_t activations_per_direction(Cell c) {
  return c == Cell::kRnn ? 1 : c == Cell::kGru ? 2 : 3;
}

// FLOPs per element of the activation functions the recurrent ops accept (Operators.md "LSTM",
// "Activation functions"), as the standalone activation ops count them (activations.cc).
const std::map<std::string, double>& activation_flops() {
  static const std::map<std::string, double> table = {
      {"relu", 1},    {"tanh", 1},      {"sigmoid", 4},         {"affine", 2},
      {"leakyrelu", 2}, {"thresholdedrelu", 1}, {"scaledtanh", 3}, {"hardsigmoid", 4},
      {"elu", 4},     {"softsign", 3},  {"softplus", 3},
  };
  return table;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The resolved geometry of a recurrent node.
struct Recurrence {
  int64_t seq = 0, batch = 0, input = 0, hidden = 0, dirs = 1;
  bool batch_major = false;  // layout 1
  std::vector<std::string> activations;  // lower-case, activations_per_direction × dirs
};

std::vector<std::string> default_activations(Cell c) {
  switch (c) {
    case Cell::kRnn: return {"tanh"};
    case Cell::kGru: return {"sigmoid", "tanh"};
    case Cell::kLstm: return {"sigmoid", "tanh", "tanh"};
  }
  return {};
}

// Reads the attributes (direction, layout, activations) and checks them; error naming the node.
Status read_attributes(const Node& node, int opset, Cell cell, Recurrence& r,
                       const std::function<Error(const std::string&)>& error) {
  const std::string direction = node.attrs.get_string("direction", "forward");
  if (direction == "bidirectional") {
    r.dirs = 2;
  } else if (direction != "forward" && direction != "reverse") {
    return error("direction '" + direction + "' must be forward, reverse or bidirectional");
  }
  const int64_t layout = node.attrs.get_int("layout", 0);
  if (layout != 0 && layout != 1) {
    return error("layout " + std::to_string(layout) + " must be 0 or 1");
  }
  if (layout == 1 && opset > 0 && opset < 14) {
    return error("layout = 1 needs opset 14 or later (the node's opset is " +
                 std::to_string(opset) + ")");
  }
  r.batch_major = layout == 1;
  const std::size_t per_dir = activations_per_direction(cell);
  if (node.attrs.has("activations")) {
    const Attribute* a = node.attrs.find("activations");
    const auto* names = std::get_if<std::vector<std::string>>(a);
    if (!names) return error("activations must be a list of strings");
    if (names->size() != per_dir * static_cast<std::size_t>(r.dirs)) {
      return error("activations lists " + std::to_string(names->size()) + " functions, expected " +
                   std::to_string(per_dir * static_cast<std::size_t>(r.dirs)) + " (" +
                   std::to_string(per_dir) + " per direction)");
    }
    for (const auto& n : *names) {
      if (!activation_flops().count(lower(n))) {
        return error("activation '" + n + "' is not one of the functions Operators.md lists");
      }
      r.activations.push_back(lower(n));
    }
  } else {
    for (int64_t d = 0; d < r.dirs; ++d) {
      for (const auto& n : default_activations(cell)) r.activations.push_back(n);
    }
  }
  return ok_status();
}

// Shape rule.
// `transposed`: W [dirs, input, g·hidden] and R [dirs, hidden, g·hidden], as ONNX Runtime's
// DynamicQuantizeLSTM stores them (contrib_defs.cc).
InferResult recurrent_shape(const InferContext& ctx, Cell cell, bool transposed = false) {
  Recurrence r;
  auto err = [&](const std::string& m) { return ctx.error(m); };
  GRAPHS_RETURN_IF_ERROR(read_attributes(ctx.node, ctx.opset, cell, r, err));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "X"));
  GRAPHS_ASSIGN_OR_RETURN(const auto w, static_input_dims(ctx, 1, "W"));
  GRAPHS_ASSIGN_OR_RETURN(const auto rd, static_input_dims(ctx, 2, "R"));
  if (x.size() != 3) return ctx.error("X " + dims_to_string(x) + " must have rank 3");
  if (w.size() != 3) return ctx.error("W " + dims_to_string(w) + " must have rank 3");
  if (rd.size() != 3) return ctx.error("R " + dims_to_string(rd) + " must have rank 3");
  r.seq = r.batch_major ? x[1] : x[0];
  r.batch = r.batch_major ? x[0] : x[1];
  r.input = x[2];
  const int64_t g = gates(cell);
  if (ctx.node.attrs.has("hidden_size")) {
    r.hidden = ctx.node.attrs.get_int("hidden_size", 0);
    if (r.hidden < 1) {
      return ctx.error("hidden_size " + std::to_string(r.hidden) + " must be positive");
    }
  } else {
    r.hidden = transposed ? rd[1] : rd[2];
  }
  const std::string gh = std::to_string(g) + "·hidden_size";
  const std::vector<int64_t> w_expected =
      transposed ? std::vector<int64_t>{r.dirs, r.input, g * r.hidden}
                 : std::vector<int64_t>{r.dirs, g * r.hidden, r.input};
  const std::vector<int64_t> r_expected =
      transposed ? std::vector<int64_t>{r.dirs, r.hidden, g * r.hidden}
                 : std::vector<int64_t>{r.dirs, g * r.hidden, r.hidden};
  if (w != w_expected) {
    return ctx.error("W " + dims_to_string(w) + ", expected " + dims_to_string(w_expected) +
                     (transposed ? " ([directions, input_size, " + gh + "])"
                                 : " ([directions, " + gh + ", input_size])"));
  }
  if (rd != r_expected) {
    return ctx.error("R " + dims_to_string(rd) + ", expected " + dims_to_string(r_expected) +
                     (transposed ? " ([directions, hidden_size, " + gh + "])"
                                 : " ([directions, " + gh + ", hidden_size])"));
  }
  if (ctx.input(3)) GRAPHS_RETURN_IF_ERROR(check_input_shape(ctx, 3, "B", {r.dirs, 2 * g * r.hidden}));
  if (ctx.input(4)) GRAPHS_RETURN_IF_ERROR(check_input_shape(ctx, 4, "sequence_lens", {r.batch}));
  const std::vector<int64_t> state = r.batch_major
                                         ? std::vector<int64_t>{r.batch, r.dirs, r.hidden}
                                         : std::vector<int64_t>{r.dirs, r.batch, r.hidden};
  if (ctx.input(5)) GRAPHS_RETURN_IF_ERROR(check_input_shape(ctx, 5, "initial_h", state));
  if (cell == Cell::kLstm) {
    if (ctx.input(6)) GRAPHS_RETURN_IF_ERROR(check_input_shape(ctx, 6, "initial_c", state));
    if (ctx.input(7)) GRAPHS_RETURN_IF_ERROR(check_input_shape(ctx, 7, "P", {r.dirs, 3 * r.hidden}));
  }
  const DType dtype = ctx.type(0).dtype;
  const std::vector<int64_t> y = r.batch_major
                                     ? std::vector<int64_t>{r.batch, r.seq, r.dirs, r.hidden}
                                     : std::vector<int64_t>{r.seq, r.dirs, r.batch, r.hidden};
  std::vector<InferredOutput> out = {{TensorType::make(dtype, y), std::nullopt},
                                     {TensorType::make(dtype, state), std::nullopt}};
  if (cell == Cell::kLstm) out.push_back({TensorType::make(dtype, state), std::nullopt});
  return out;
}

// FLOPs per hidden unit, time step and direction besides the GEMMs (see the file comment).
double unit_flops(Cell cell, const std::vector<std::string>& act, bool bias, bool peephole,
                  bool clip) {
  auto a = [&](std::size_t i) { return activation_flops().at(act[i]); };
  const double gate_sum = 1 + (bias ? 2 : 0);
  const double clip_per_input = clip ? 2 : 0;
  switch (cell) {
    case Cell::kRnn: return gate_sum + a(0) + clip_per_input;
    case Cell::kGru: return 3 * gate_sum + 2 * a(0) + a(1) + 1 + 4 + 3 * clip_per_input;
    case Cell::kLstm:
      return 4 * gate_sum + 3 * a(0) + a(1) + a(2) + 3 + 1 + (peephole ? 6 : 0) +
             5 * clip_per_input;
  }
  return 0;
}

OpCost recurrent_cost(const CostContext& ctx, Cell cell, bool transposed = false) {
  Recurrence r;
  auto ignore = [](const std::string& m) { return Error(ErrorCode::kShapeError, m); };
  const auto x = dims_of(ctx.input(0));
  const auto rd = dims_of(ctx.input(2));
  if (!read_attributes(ctx.node, ctx.opset, cell, r, ignore).ok() || x.size() != 3 ||
      rd.size() != 3) {
    return compute_cost(ctx, 0, 0);
  }
  r.seq = r.batch_major ? x[1] : x[0];
  r.batch = r.batch_major ? x[0] : x[1];
  r.input = x[2];
  r.hidden = ctx.node.attrs.get_int("hidden_size", transposed ? rd[1] : rd[2]);
  const double g = static_cast<double>(gates(cell));
  const double steps = static_cast<double>(r.seq);
  const double batch = static_cast<double>(r.batch);
  const double hidden = static_cast<double>(r.hidden);
  const double macs = steps * static_cast<double>(r.dirs) * batch * g * hidden *
                      static_cast<double>(r.input + r.hidden);
  const bool bias = ctx.input(3) != nullptr;
  const bool peephole = cell == Cell::kLstm && ctx.input(7) != nullptr;
  const bool clip = ctx.node.attrs.has("clip");
  const std::size_t per_dir = activations_per_direction(cell);
  double per_unit = 0;
  for (int64_t d = 0; d < r.dirs; ++d) {
    const std::vector<std::string> act(r.activations.begin() + static_cast<long>(per_dir * d),
                                       r.activations.begin() + static_cast<long>(per_dir * (d + 1)));
    per_unit += unit_flops(cell, act, bias, peephole, clip);
  }
  return compute_cost(ctx, macs, 2 * macs + steps * batch * hidden * per_unit);
}

OpSchema recurrent_schema(std::string op_type, Cell cell, std::string note) {
  return OpSchema{
      .op_type = std::move(op_type),
      .domain = "",
      .op_class = OpClass::kMatMul,
      .infer = [cell](const InferContext& ctx) { return recurrent_shape(ctx, cell); },
      .cost = [cell](const CostContext& ctx) { return recurrent_cost(ctx, cell); },
      .flops_note = std::move(note),
  };
}

GRAPHS_REGISTER_OP(recurrent_schema(
    "RNN", Cell::kRnn,
    "2 × MACs (MACs = seq·dirs·batch·hidden·(input+hidden)) + per step, direction and hidden "
    "unit: activation + 1 (+ 2 with B, + 2 with clip); defaults with B: 4"));
GRAPHS_REGISTER_OP(recurrent_schema(
    "GRU", Cell::kGru,
    "2 × MACs (MACs = seq·dirs·batch·3·hidden·(input+hidden)) + per step, direction and hidden "
    "unit: 3 gate sums (1, + 2 with B) + 2 f + g + 5 (reset and update products); defaults with "
    "B: 23"));
GRAPHS_REGISTER_OP(recurrent_schema(
    "LSTM", Cell::kLstm,
    "2 × MACs (MACs = seq·dirs·batch·4·hidden·(input+hidden)) + per step, direction and hidden "
    "unit: 4 gate sums (1, + 2 with B) + 3 f + g + h + 4 (cell and hidden updates) + 6 with P; "
    "defaults with B: 30"));

// ONNX Runtime's DynamicQuantizeLSTM (com.microsoft): LSTM with 8-bit W and R stored transposed
// and their scales and zero points (inputs 8–11); X is quantized per step at run time. Shapes
// and counts as LSTM's; the weights' bytes are their int8/uint8 storage.
GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "DynamicQuantizeLSTM",
    .domain = "com.microsoft",
    .op_class = OpClass::kMatMul,
    .infer = [](const InferContext& ctx) { return recurrent_shape(ctx, Cell::kLstm, true); },
    .cost = [](const CostContext& ctx) { return recurrent_cost(ctx, Cell::kLstm, true); },
    .flops_note = "as LSTM (W [dirs, input, 4·hidden] and R [dirs, hidden, 4·hidden] int8, "
                  "read at their 8-bit size)",
});

}  // namespace
}  // namespace graphs::ops
