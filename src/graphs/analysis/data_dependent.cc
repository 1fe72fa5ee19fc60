// Data-dependent output shapes (shape_inference.h): the rules that take over when an op's own
// shape rule fails because the contents deciding its output shape are unknown at analysis time.
// Each names the dims it cannot decide and settles them through InferSession::resolve:
//
//   op               undecidable dims                         upper bound      assumed
//   NonZero          the count of non-zero elements           input numel      -
//   Compress         the kept count (the axis, or flat)       axis size        -
//   TopK             K along `axis` (both outputs)            axis size        -
//   Slice            each sliced axis                         axis size        -
//   Range            the length                               -                1
//   Reshape          every output dim; one left unbound is    -                1
//                    the element count over the bound ones
//   Expand           output dims where the input has 1/none   -                1
//   Tile             every axis                               -                input dim
//   Pad              every padded axis (`axes`, else all)     -                input dim
//   Resize           every resized axis (`axes`, else all)    -                input dim
//   ConstantOfShape  every output dim                         -                1
//
// Ranks are always known: they come from the static shape of the deciding input (a shape
// tensor's length) or the data input. Rules apply to the default ONNX domain only.
#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "graphs/analysis/shape_inference_internal.h"

namespace graphs::detail {
namespace {

using Outputs = std::vector<InferredOutput>;
using Rule = std::function<std::optional<Result<Outputs>>(InferSession&, const Graph&,
                                                          const InferContext&)>;

// Contents of input i when present, static and consistent with its shape.
const ConstData* known(const InferContext& ctx, std::size_t i) {
  const Value* v = ctx.input(i);
  if (!v || !v->data || !v->type.is_static()) return nullptr;
  const auto n = v->type.numel();
  return n && static_cast<int64_t>(v->data->size()) == *n ? &*v->data : nullptr;
}

bool present(const InferContext& ctx, std::size_t i) { return ctx.input(i) != nullptr; }

// Whether input i is present with unknown contents: what makes a shape data-dependent.
bool unknown(const InferContext& ctx, std::size_t i) {
  return present(ctx, i) && known(ctx, i) == nullptr;
}

std::optional<std::vector<int64_t>> dims_of(const InferContext& ctx, std::size_t i) {
  const Value* v = ctx.input(i);
  if (!v || !v->type.is_static()) return std::nullopt;
  return v->type.dims();
}

// Ranks above this are not a shape any model means; the op's own error stands.
constexpr int64_t kMaxRank = 64;

// Length of a 1-D input (a shape, pads, repeats tensor), at most kMaxRank.
std::optional<int64_t> length_of(const InferContext& ctx, std::size_t i) {
  auto d = dims_of(ctx, i);
  if (!d || d->size() != 1 || (*d)[0] > kMaxRank) return std::nullopt;
  return (*d)[0];
}

int64_t numel(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

std::optional<int64_t> normalize(int64_t axis, int64_t rank) {
  const int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) return std::nullopt;
  return a;
}

// Builds the records of one node.
struct Namer {
  InferSession& session;
  const Graph& graph;
  const InferContext& ctx;

  std::string value_name(std::size_t output) const {
    if (output >= ctx.node.outputs.size() || ctx.node.outputs[output] == kNoValue) return "";
    return graph.value(ctx.node.outputs[output]).name;
  }
  DataDependentDim dim(const std::string& symbol, std::size_t output, int64_t axis) const {
    DataDependentDim d;
    d.symbol = symbol;
    d.node = ctx.node.label();
    d.value = value_name(output);
    d.axis = axis;
    return d;
  }
  // A new symbol for (output, axis), settled.
  int64_t settle(std::size_t output, int64_t axis, std::optional<int64_t> bound, int64_t assumed) {
    return session.resolve(dim(session.new_symbol(ctx.node.op_type), output, axis), bound,
                           assumed);
  }
};

InferredOutput output(DType dtype, const std::vector<int64_t>& dims) {
  return InferredOutput{TensorType::make(dtype, dims), std::nullopt};
}

// ---- the rules ----------------------------------------------------------------------------

std::optional<Result<Outputs>> non_zero(InferSession& s, const Graph& g, const InferContext& ctx) {
  if (!unknown(ctx, 0)) return std::nullopt;
  auto x = dims_of(ctx, 0);
  if (!x) return std::nullopt;
  Namer n{s, g, ctx};
  const int64_t count = n.settle(0, 1, numel(*x), 0);
  const int64_t rank = std::max<int64_t>(1, static_cast<int64_t>(x->size()));
  return Result<Outputs>(Outputs{output(DType::kInt64, {rank, count})});
}

std::optional<Result<Outputs>> compress(InferSession& s, const Graph& g, const InferContext& ctx) {
  if (!unknown(ctx, 1)) return std::nullopt;
  auto x = dims_of(ctx, 0);
  auto c = length_of(ctx, 1);
  if (!x || !c) return std::nullopt;
  Namer n{s, g, ctx};
  const DType dtype = ctx.type(0).dtype;
  if (!ctx.node.attrs.has("axis")) {
    const int64_t kept = n.settle(0, 0, std::min(*c, numel(*x)), 0);
    return Result<Outputs>(Outputs{output(dtype, {kept})});
  }
  auto axis = normalize(ctx.node.attrs.get_int("axis", 0), static_cast<int64_t>(x->size()));
  if (!axis) return std::nullopt;
  auto out = *x;
  const auto a = static_cast<std::size_t>(*axis);
  out[a] = n.settle(0, *axis, std::min(*c, (*x)[a]), 0);
  return Result<Outputs>(Outputs{output(dtype, out)});
}

std::optional<Result<Outputs>> top_k(InferSession& s, const Graph& g, const InferContext& ctx) {
  if (!unknown(ctx, 1)) return std::nullopt;
  auto x = dims_of(ctx, 0);
  if (!x) return std::nullopt;
  auto axis = normalize(ctx.node.attrs.get_int("axis", -1), static_cast<int64_t>(x->size()));
  if (!axis) return std::nullopt;
  Namer n{s, g, ctx};
  auto out = *x;
  const auto a = static_cast<std::size_t>(*axis);
  out[a] = n.settle(0, *axis, (*x)[a], 0);
  return Result<Outputs>(Outputs{output(ctx.type(0).dtype, out), output(DType::kInt64, out)});
}

std::optional<Result<Outputs>> range(InferSession& s, const Graph& g, const InferContext& ctx) {
  if (!(unknown(ctx, 0) || unknown(ctx, 1) || unknown(ctx, 2))) return std::nullopt;
  if (!present(ctx, 0)) return std::nullopt;
  Namer n{s, g, ctx};
  const int64_t len = n.settle(0, 0, std::nullopt, 1);
  return Result<Outputs>(Outputs{output(ctx.type(0).dtype, {len})});
}

std::optional<Result<Outputs>> slice(InferSession& s, const Graph& g, const InferContext& ctx) {
  if (!(unknown(ctx, 1) || unknown(ctx, 2) || unknown(ctx, 3) || unknown(ctx, 4))) {
    return std::nullopt;
  }
  auto x = dims_of(ctx, 0);
  auto k = length_of(ctx, 1);
  if (!x || !k) return std::nullopt;
  const auto rank = static_cast<int64_t>(x->size());
  std::vector<int64_t> axes;
  if (const ConstData* a = known(ctx, 3)) {
    for (std::size_t i = 0; i < a->size(); ++i) {
      auto axis = normalize(a->as_int(i), rank);
      if (!axis) return std::nullopt;
      axes.push_back(*axis);
    }
  } else if (present(ctx, 3)) {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  } else {
    for (int64_t i = 0; i < std::min(*k, rank); ++i) axes.push_back(i);
  }
  Namer n{s, g, ctx};
  auto out = *x;
  for (int64_t a : axes) {
    const auto i = static_cast<std::size_t>(a);
    out[i] = n.settle(0, a, (*x)[i], (*x)[i]);
  }
  return Result<Outputs>(Outputs{output(ctx.type(0).dtype, out)});
}

std::optional<Result<Outputs>> reshape(InferSession& s, const Graph& g, const InferContext& ctx) {
  if (!unknown(ctx, 1)) return std::nullopt;
  auto x = dims_of(ctx, 0);
  auto r = length_of(ctx, 1);
  if (!x || !r) return std::nullopt;
  const int64_t total = numel(*x);
  const DType dtype = ctx.type(0).dtype;
  std::optional<ConstData> data;
  if (const ConstData* d = known(ctx, 0)) data = *d;
  if (*r == 0) return Result<Outputs>(Outputs{InferredOutput{TensorType::make(dtype, {}), data}});
  if (*r == 1) {  // one dim: the element count, whatever the contents say
    return Result<Outputs>(Outputs{InferredOutput{TensorType::make(dtype, {total}), data}});
  }
  Namer n{s, g, ctx};
  std::vector<std::string> symbols;
  std::vector<int64_t> out(static_cast<std::size_t>(*r), 0);
  std::vector<std::size_t> free;
  int64_t bound = 1;
  for (int64_t i = 0; i < *r; ++i) {
    symbols.push_back(s.new_symbol(ctx.node.op_type));
    if (auto user = s.user_size(symbols.back())) {
      out[static_cast<std::size_t>(i)] = *user;
      // Kept at most the element count + 1 so that the product cannot overflow.
      bound = *user > total / std::max<int64_t>(bound, 1) ? total + 1 : bound * *user;
    } else {
      free.push_back(static_cast<std::size_t>(i));
    }
  }
  const bool fits = total == 0 ? !free.empty()
                               : bound <= total && total % bound == 0 &&
                                     (!free.empty() || bound == total);
  if (!fits) {
    return Result<Outputs>(Error(
        ErrorCode::kShapeError,
        ctx.node.label() + ": the --dim sizes bound to its data-dependent dims (product " +
            (bound > total ? "above " + std::to_string(total) : std::to_string(bound)) +
            ") do not fit the input's " + std::to_string(total) +
            " elements"));
  }
  for (std::size_t j = 0; j < free.size(); ++j) {
    // All but the last unbound dim are assumed 1; the last takes the remaining elements.
    out[free[j]] = j + 1 < free.size() ? 1 : total / bound;
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    DataDependentDim d = n.dim(symbols[i], 0, static_cast<int64_t>(i));
    d.size = out[i];
    const bool user = std::find(free.begin(), free.end(), i) == free.end();
    d.source = user ? "bound by --dim"
                    : (i == free.back() ? "the element count over the other dims"
                                        : "assumed (no bound)");
    s.record(std::move(d));
  }
  return Result<Outputs>(Outputs{InferredOutput{TensorType::make(dtype, out), data}});
}

std::optional<Result<Outputs>> expand(InferSession& s, const Graph& g, const InferContext& ctx) {
  if (!unknown(ctx, 1)) return std::nullopt;
  auto x = dims_of(ctx, 0);
  auto r = length_of(ctx, 1);
  if (!x || !r) return std::nullopt;
  const auto rank = std::max<std::size_t>(x->size(), static_cast<std::size_t>(*r));
  std::vector<int64_t> out(rank, 1);
  Namer n{s, g, ctx};
  for (std::size_t i = 0; i < rank; ++i) {
    const std::size_t offset = rank - x->size();
    const int64_t in = i >= offset ? (*x)[i - offset] : 1;
    // An input dim above 1 stays (the shape entry must be 1 or equal to it).
    out[i] = in > 1 ? in : n.settle(0, static_cast<int64_t>(i), std::nullopt, 1);
  }
  return Result<Outputs>(Outputs{output(ctx.type(0).dtype, out)});
}

std::optional<Result<Outputs>> tile(InferSession& s, const Graph& g, const InferContext& ctx) {
  if (!unknown(ctx, 1)) return std::nullopt;
  auto x = dims_of(ctx, 0);
  if (!x) return std::nullopt;
  Namer n{s, g, ctx};
  auto out = *x;
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = n.settle(0, static_cast<int64_t>(i), std::nullopt, (*x)[i]);
  }
  return Result<Outputs>(Outputs{output(ctx.type(0).dtype, out)});
}

// Axes an op's optional `axes` input (index i) or attribute selects; all when neither is known.
std::optional<std::vector<int64_t>> selected_axes(const InferContext& ctx, std::size_t input,
                                                  int64_t rank) {
  std::vector<int64_t> raw;
  if (const ConstData* a = known(ctx, input)) {
    for (std::size_t i = 0; i < a->size(); ++i) raw.push_back(a->as_int(i));
  } else if (!present(ctx, input) && ctx.node.attrs.has("axes")) {
    raw = ctx.node.attrs.get_ints("axes");
  } else {
    for (int64_t i = 0; i < rank; ++i) raw.push_back(i);
  }
  std::vector<int64_t> out;
  for (int64_t a : raw) {
    auto axis = normalize(a, rank);
    if (!axis) return std::nullopt;
    out.push_back(*axis);
  }
  return out;
}

std::optional<Result<Outputs>> pad(InferSession& s, const Graph& g, const InferContext& ctx) {
  if (!(unknown(ctx, 1) || unknown(ctx, 3))) return std::nullopt;
  auto x = dims_of(ctx, 0);
  if (!x) return std::nullopt;
  auto axes = selected_axes(ctx, 3, static_cast<int64_t>(x->size()));
  if (!axes) return std::nullopt;
  Namer n{s, g, ctx};
  auto out = *x;
  for (int64_t a : *axes) {
    const auto i = static_cast<std::size_t>(a);
    out[i] = n.settle(0, a, std::nullopt, (*x)[i]);
  }
  return Result<Outputs>(Outputs{output(ctx.type(0).dtype, out)});
}

std::optional<Result<Outputs>> resize(InferSession& s, const Graph& g, const InferContext& ctx) {
  // Resize-10: (X, scales); Resize-11+: (X, roi, scales, sizes).
  const bool v10 = ctx.opset > 0 && ctx.opset < 11;
  const std::vector<std::size_t> deciding =
      v10 ? std::vector<std::size_t>{1} : std::vector<std::size_t>{2, 3};
  bool any_unknown = false;
  for (std::size_t i : deciding) {
    // An empty scales tensor next to sizes means "use sizes".
    const auto len = length_of(ctx, i);
    if (unknown(ctx, i) && !(len && *len == 0)) any_unknown = true;
  }
  if (!any_unknown) return std::nullopt;
  auto x = dims_of(ctx, 0);
  if (!x) return std::nullopt;
  const auto rank = static_cast<int64_t>(x->size());
  std::vector<int64_t> axes;
  if (ctx.node.attrs.has("axes")) {
    for (int64_t a : ctx.node.attrs.get_ints("axes")) {
      auto axis = normalize(a, rank);
      if (!axis) return std::nullopt;
      axes.push_back(*axis);
    }
  } else {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  Namer n{s, g, ctx};
  auto out = *x;
  for (int64_t a : axes) {
    const auto i = static_cast<std::size_t>(a);
    out[i] = n.settle(0, a, std::nullopt, (*x)[i]);
  }
  return Result<Outputs>(Outputs{output(ctx.type(0).dtype, out)});
}

std::optional<Result<Outputs>> constant_of_shape(InferSession& s, const Graph& g,
                                                 const InferContext& ctx) {
  if (!unknown(ctx, 0)) return std::nullopt;
  auto r = length_of(ctx, 0);
  if (!r) return std::nullopt;
  DType dtype = DType::kFloat32;
  if (const TensorAttr* t = ctx.node.attrs.get_tensor("value")) dtype = t->type.dtype;
  Namer n{s, g, ctx};
  std::vector<int64_t> out;
  for (int64_t i = 0; i < *r; ++i) out.push_back(n.settle(0, i, std::nullopt, 1));
  return Result<Outputs>(Outputs{output(dtype, out)});
}

const std::map<std::string, Rule>& rules() {
  static const std::map<std::string, Rule> r = {
      {"NonZero", non_zero}, {"Compress", compress}, {"TopK", top_k},
      {"Range", range},      {"Slice", slice},       {"Reshape", reshape},
      {"Expand", expand},    {"Tile", tile},         {"Pad", pad},
      {"Resize", resize},    {"ConstantOfShape", constant_of_shape},
  };
  return r;
}

}  // namespace

std::optional<Result<std::vector<InferredOutput>>> infer_data_dependent(InferSession& session,
                                                                        const Graph& graph,
                                                                        const InferContext& ctx) {
  if (!ctx.node.domain.empty() && ctx.node.domain != "ai.onnx") return std::nullopt;
  auto it = rules().find(ctx.node.op_type);
  if (it == rules().end()) return std::nullopt;
  return it->second(session, graph, ctx);
}

}  // namespace graphs::detail
