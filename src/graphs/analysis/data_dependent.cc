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
//   Reduce* (axes    keepdims 1: every dim; keepdims 0: rank −    the input dim    -
//   input unknown)   k dims for k axes listed                  (0: the largest
//                                                              it can be)
//   Split            each output's size along `axis`          axis size        -
//   Unsqueeze        rank + k dims (k axes listed)            largest input    -
//   Squeeze          rank − k dims                            dim it can be    -
//   OneHot           the new axis (depth)                     -                1
//   Unique           U items (one symbol for Y, indices,      item count       -
//                    counts)
//   NonMaxSuppression  the selected boxes                     B·C·min(S, max)  -
//   StringNormalizer the kept strings (stopwords)             X's last dim     -
//   StringSplit      Y's last axis (most substrings)          maxsplit + 1     1
//   ImageDecoder     height and width                         -                1
//   CenterCropPad    every selected axis                      -                input dim
//   Hann/Hamming/BlackmanWindow  the length                   -                1
//
// Ranks are always known: they come from the static shape of the deciding input (a shape
// tensor's length) or the data input. Rules apply to the default ONNX domain only.
#include <algorithm>
#include <cctype>
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
  int64_t bound = 1;         // product of the nonzero sizes bound, at most total + 1
  bool zero_bound = false;  // a size bound to 0
  for (int64_t i = 0; i < *r; ++i) {
    symbols.push_back(s.new_symbol(ctx.node.op_type));
    if (auto user = s.user_size(symbols.back())) {
      out[static_cast<std::size_t>(i)] = *user;
      if (*user == 0) {
        zero_bound = true;
      } else {
        // Kept at most the element count + 1 so that the product cannot overflow.
        bound = *user > std::max<int64_t>(total, 1) / bound ? total + 1 : bound * *user;
      }
    } else {
      free.push_back(static_cast<std::size_t>(i));
    }
  }
  // No elements: some dim is 0, bound so or left free. Else every bound size is nonzero and
  // their product divides the element count (equals it when nothing is left free).
  const bool fits = total == 0 ? zero_bound || !free.empty()
                               : !zero_bound && bound <= total && total % bound == 0 &&
                                     (!free.empty() || bound == total);
  if (!fits) {
    return Result<Outputs>(Error(
        ErrorCode::kShapeError,
        ctx.node.label() + ": the --dim sizes bound to its data-dependent dims (product " +
            (zero_bound ? std::string("0")
                        : bound > total ? "above " + std::to_string(total) : std::to_string(bound)) +
            ") do not fit the input's " + std::to_string(total) + " elements"));
  }
  for (std::size_t j = 0; j < free.size(); ++j) {
    // All but the last unbound dim are assumed 1; the last takes the remaining elements.
    out[free[j]] = j + 1 < free.size() || zero_bound ? 1 : total / bound;
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

// Resize and CenterCropPad: every axis the `axes` attribute selects (all when absent) named,
// assumed the input's size; the output is input 0's dtype. nullopt when input 0's dims or an
// axis are unusable.
std::optional<Result<Outputs>> name_selected_axes(InferSession& s, const Graph& g,
                                                  const InferContext& ctx) {
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
  return name_selected_axes(s, g, ctx);
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

// Reduce*: the reduced axes (input 1) unknown. keepdims = 1 keeps the rank, each dim 1 or the
// input's; keepdims = 0 drops one dim per axis listed (its length), output dim j being one of
// the input's dims j … j + k.
std::optional<Result<Outputs>> reduce(InferSession& s, const Graph& g, const InferContext& ctx) {
  if (!unknown(ctx, 1)) return std::nullopt;
  auto x = dims_of(ctx, 0);
  auto k = length_of(ctx, 1);
  if (!x || !k || *k == 0) return std::nullopt;
  const auto rank = static_cast<int64_t>(x->size());
  const bool keep = ctx.node.attrs.get_int("keepdims", 1) != 0;
  if (!keep && *k > rank) return std::nullopt;
  Namer n{s, g, ctx};
  std::vector<int64_t> out;
  for (int64_t j = 0; j < (keep ? rank : rank - *k); ++j) {
    const auto first = x->begin() + j;
    const int64_t bound = keep ? (*x)[static_cast<std::size_t>(j)]
                               : *std::max_element(first, first + *k + 1);
    out.push_back(n.settle(0, j, bound, bound));
  }
  return Result<Outputs>(Outputs{output(ctx.type(0).dtype, out)});
}

// Split: the sizes (input 1) unknown; each output's size along `axis` named, at most the axis.
std::optional<Result<Outputs>> split(InferSession& s, const Graph& g, const InferContext& ctx) {
  if (!unknown(ctx, 1)) return std::nullopt;
  auto x = dims_of(ctx, 0);
  if (!x || ctx.node.outputs.empty()) return std::nullopt;
  auto axis = normalize(ctx.node.attrs.get_int("axis", 0), static_cast<int64_t>(x->size()));
  if (!axis) return std::nullopt;
  Namer n{s, g, ctx};
  Outputs outs;
  const auto a = static_cast<std::size_t>(*axis);
  for (std::size_t i = 0; i < ctx.node.outputs.size(); ++i) {
    auto d = *x;
    d[a] = n.settle(i, *axis, (*x)[a], (*x)[a]);
    outs.push_back(output(ctx.type(0).dtype, d));
  }
  return Result<Outputs>(std::move(outs));
}

// Unsqueeze and Squeeze: the axes (input 1, its length k known) unknown. Unsqueeze: rank + k,
// output dim j 1 or one of the input's dims j − k … j; Squeeze: rank − k, dim j one of j … j + k.
std::optional<Result<Outputs>> squeeze_like(InferSession& s, const Graph& g,
                                            const InferContext& ctx, bool unsqueeze) {
  if (!unknown(ctx, 1)) return std::nullopt;
  auto x = dims_of(ctx, 0);
  auto k = length_of(ctx, 1);
  if (!x || !k || *k == 0) return std::nullopt;
  const auto rank = static_cast<int64_t>(x->size());
  if (!unsqueeze && *k > rank) return std::nullopt;
  const int64_t out_rank = unsqueeze ? rank + *k : rank - *k;
  Namer n{s, g, ctx};
  std::vector<int64_t> out;
  for (int64_t j = 0; j < out_rank; ++j) {
    const int64_t lo = unsqueeze ? std::max<int64_t>(0, j - *k) : j;
    const int64_t hi = unsqueeze ? std::min(j, rank - 1) : j + *k;
    int64_t bound = 1;
    for (int64_t i = lo; i <= hi && i < rank; ++i) bound = std::max(bound, (*x)[static_cast<std::size_t>(i)]);
    out.push_back(n.settle(0, j, bound, bound));
  }
  return Result<Outputs>(Outputs{output(ctx.type(0).dtype, out)});
}

std::optional<Result<Outputs>> unsqueeze(InferSession& s, const Graph& g, const InferContext& ctx) {
  return squeeze_like(s, g, ctx, true);
}

std::optional<Result<Outputs>> squeeze(InferSession& s, const Graph& g, const InferContext& ctx) {
  return squeeze_like(s, g, ctx, false);
}

// OneHot: depth (input 1) unknown; the new axis named, no bound.
std::optional<Result<Outputs>> one_hot(InferSession& s, const Graph& g, const InferContext& ctx) {
  if (!unknown(ctx, 1) || !present(ctx, 2)) return std::nullopt;
  auto x = dims_of(ctx, 0);
  if (!x) return std::nullopt;
  const auto rank = static_cast<int64_t>(x->size()) + 1;
  auto axis = normalize(ctx.node.attrs.get_int("axis", -1), rank);
  if (!axis) return std::nullopt;
  Namer n{s, g, ctx};
  auto out = *x;
  out.insert(out.begin() + *axis, n.settle(0, *axis, std::nullopt, 1));
  return Result<Outputs>(Outputs{output(ctx.type(2).dtype, out)});
}

// Unique: U unique items (elements, or slices along `axis`), at most their count. One symbol,
// recorded on the first present output of Y, indices, counts; inverse_indices has the item count.
std::optional<Result<Outputs>> unique(InferSession& s, const Graph& g, const InferContext& ctx) {
  if (!unknown(ctx, 0)) return std::nullopt;
  auto x = dims_of(ctx, 0);
  if (!x) return std::nullopt;
  const bool has_axis = ctx.node.attrs.has("axis");
  std::optional<int64_t> axis = 0;
  if (has_axis) axis = normalize(ctx.node.attrs.get_int("axis", 0), static_cast<int64_t>(x->size()));
  if (!axis) return std::nullopt;
  const int64_t items = has_axis ? (*x)[static_cast<std::size_t>(*axis)] : numel(*x);
  Namer n{s, g, ctx};
  std::size_t record = 0;
  for (std::size_t i : {0, 1, 3}) {
    if (!n.value_name(i).empty()) {
      record = i;
      break;
    }
  }
  const int64_t u = n.settle(record, record == 0 && has_axis ? *axis : 0, items, items);
  auto y = has_axis ? *x : std::vector<int64_t>{u};
  if (has_axis) y[static_cast<std::size_t>(*axis)] = u;
  return Result<Outputs>(Outputs{output(ctx.type(0).dtype, y), output(DType::kInt64, {u}),
                                 output(DType::kInt64, {items}), output(DType::kInt64, {u})});
}

// NonMaxSuppression: selected boxes at most B·C·min(S, max_output_boxes_per_class) (B·C·S when
// that maximum is unknown).
std::optional<Result<Outputs>> non_max_suppression(InferSession& s, const Graph& g,
                                                   const InferContext& ctx) {
  auto boxes = dims_of(ctx, 0);
  auto scores = dims_of(ctx, 1);
  if (!boxes || !scores || boxes->size() != 3 || scores->size() != 3) return std::nullopt;
  int64_t per_class = (*scores)[2];
  if (const ConstData* m = known(ctx, 2); m && m->size() == 1) {
    per_class = std::min(per_class, std::max<int64_t>(0, m->as_int(0)));
  }
  Namer n{s, g, ctx};
  const int64_t bound = (*scores)[0] * (*scores)[1] * per_class;
  const int64_t selected = n.settle(0, 0, bound, bound);
  return Result<Outputs>(Outputs{output(DType::kInt64, {selected, 3})});
}

// StringNormalizer with stopwords: the kept strings along the last axis, at most X's.
std::optional<Result<Outputs>> string_normalizer(InferSession& s, const Graph& g,
                                                 const InferContext& ctx) {
  if (!present(ctx, 0) || known(ctx, 0)) return std::nullopt;
  auto x = dims_of(ctx, 0);
  if (!x || x->empty() || x->size() > 2) return std::nullopt;
  Namer n{s, g, ctx};
  auto out = *x;
  const auto last = static_cast<int64_t>(out.size()) - 1;
  out.back() = n.settle(0, last, x->back(), x->back());
  return Result<Outputs>(Outputs{output(DType::kString, out)});
}

// StringSplit: the most substrings of any element (Y's last axis), at most maxsplit + 1.
std::optional<Result<Outputs>> string_split(InferSession& s, const Graph& g,
                                            const InferContext& ctx) {
  if (!present(ctx, 0) || known(ctx, 0)) return std::nullopt;
  auto x = dims_of(ctx, 0);
  if (!x) return std::nullopt;
  std::optional<int64_t> bound;
  if (ctx.node.attrs.has("maxsplit")) bound = ctx.node.attrs.get_int("maxsplit", 0) + 1;
  Namer n{s, g, ctx};
  auto y = *x;
  y.push_back(n.settle(0, static_cast<int64_t>(x->size()), bound, 1));
  return Result<Outputs>(Outputs{output(DType::kString, y), output(DType::kInt64, *x)});
}

// ImageDecoder: the image's height and width, no bound.
std::optional<Result<Outputs>> image_decoder(InferSession& s, const Graph& g,
                                             const InferContext& ctx) {
  if (!present(ctx, 0) || known(ctx, 0)) return std::nullopt;
  const std::string format = ctx.node.attrs.get_string("pixel_format", "RGB");
  if (format != "RGB" && format != "BGR" && format != "Grayscale") return std::nullopt;
  Namer n{s, g, ctx};
  const int64_t h = n.settle(0, 0, std::nullopt, 1);
  const int64_t w = n.settle(0, 1, std::nullopt, 1);
  return Result<Outputs>(Outputs{output(DType::kUInt8, {h, w, format == "Grayscale" ? 1 : 3})});
}

// CenterCropPad: `shape` (input 1) unknown; each selected axis named, assumed the input's.
std::optional<Result<Outputs>> center_crop_pad(InferSession& s, const Graph& g,
                                               const InferContext& ctx) {
  if (!unknown(ctx, 1)) return std::nullopt;
  return name_selected_axes(s, g, ctx);
}

// Hann/Hamming/BlackmanWindow: `size` (input 0) unknown; the length named, no bound.
std::optional<Result<Outputs>> window(InferSession& s, const Graph& g, const InferContext& ctx) {
  if (!unknown(ctx, 0)) return std::nullopt;
  const auto dtype = dtype_from_onnx(
      static_cast<int32_t>(ctx.node.attrs.get_int("output_datatype", 1)));
  if (!dtype) return std::nullopt;
  Namer n{s, g, ctx};
  return Result<Outputs>(Outputs{output(*dtype, {n.settle(0, 0, std::nullopt, 1)})});
}

const std::map<std::string, Rule>& rules() {
  static const std::map<std::string, Rule> r = {
      {"NonZero", non_zero}, {"Compress", compress}, {"TopK", top_k},
      {"Range", range},      {"Slice", slice},       {"Reshape", reshape},
      {"Expand", expand},    {"Tile", tile},         {"Pad", pad},
      {"Resize", resize},    {"ConstantOfShape", constant_of_shape},
      {"Split", split},      {"Unsqueeze", unsqueeze},  {"Squeeze", squeeze},
      {"OneHot", one_hot},   {"Unique", unique},        {"NonMaxSuppression", non_max_suppression},
      {"ReduceSum", reduce}, {"ReduceMean", reduce},    {"ReduceMax", reduce},
      {"ReduceMin", reduce}, {"ReduceProd", reduce},    {"ReduceL1", reduce},
      {"ReduceL2", reduce},  {"ReduceLogSum", reduce},  {"ReduceLogSumExp", reduce},
      {"ReduceSumSquare", reduce},
      {"StringNormalizer", string_normalizer}, {"StringSplit", string_split},
      {"ImageDecoder", image_decoder},         {"CenterCropPad", center_crop_pad},
      {"HannWindow", window}, {"HammingWindow", window}, {"BlackmanWindow", window},
  };
  return r;
}

}  // namespace

bool is_contents_error(const Error& error) {
  const std::string& m = error.message();
  return m.find("not known at analysis time") != std::string::npos ||
         m.find("depends on tensor contents") != std::string::npos ||
         m.find("has no known contents") != std::string::npos;
}

bool has_data_dependent_rule(const std::string& lowercase_op) {
  for (const auto& [op, rule] : rules()) {
    std::string lower;
    for (char c : op) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == lowercase_op) return true;
  }
  return false;
}

std::optional<Result<std::vector<InferredOutput>>> infer_data_dependent(InferSession& session,
                                                                        const Graph& graph,
                                                                        const InferContext& ctx) {
  if (!ctx.node.domain.empty() && ctx.node.domain != "ai.onnx") return std::nullopt;
  auto it = rules().find(ctx.node.op_type);
  if (it == rules().end()) return std::nullopt;
  return it->second(session, graph, ctx);
}

}  // namespace graphs::detail
