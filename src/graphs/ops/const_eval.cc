#include "graphs/ops/const_eval.h"

#include <cmath>
#include <string>
#include <utility>

#include "graphs/ops/op_helpers.h"

namespace graphs::ops {
namespace {

bool is_unsigned(DType d) { return is_unsigned_integer(d); }

// How contents of a dtype are held in ConstData.
enum class Repr { kInts, kFloats, kNone };

Repr repr_of(DType d) {
  if (is_floating(d)) return Repr::kFloats;
  if (is_integer(d) || d == DType::kBool) return Repr::kInts;
  return Repr::kNone;
}

// A double converted to an integer or bool dtype as ONNX Cast does.
std::optional<int64_t> float_to_int(double v, DType to) {
  if (to == DType::kBool) return v != 0 ? 1 : 0;  // NaN != 0 holds: true, as in C++ and ORT
  // Truncation is only defined where the value fits int64 (2^63 is exactly representable).
  constexpr double kLimit = 9223372036854775808.0;
  if (!std::isfinite(v) || v >= kLimit || v < -kLimit) return std::nullopt;
  return wrap_integer(static_cast<int64_t>(v), to);
}

double int_to_float(int64_t v, DType to) { return round_floating(static_cast<double>(v), to); }

bool input_is_floating(const Value& v) {
  if (v.type.dtype == DType::kUndefined) return v.data && v.data->is_float;
  return is_floating(v.type.dtype);
}

}  // namespace

int64_t wrap_integer(int64_t v, DType dtype) {
  if (dtype == DType::kBool) return v != 0 ? 1 : 0;
  if (!is_integer(dtype)) return v;
  const int bits = dtype_bits(dtype);
  if (bits <= 0 || bits >= 64) return v;
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  uint64_t u = static_cast<uint64_t>(v) & mask;
  if (!is_unsigned(dtype) && (u >> (bits - 1)) != 0) u |= ~mask;  // sign-extend
  return static_cast<int64_t>(u);
}

double round_floating(double v, DType dtype) {
  return dtype == DType::kFloat32 ? static_cast<double>(static_cast<float>(v)) : v;
}

std::optional<ConstData> cast_const(const ConstData& src, DType from, DType to) {
  const Repr in = from == DType::kUndefined ? (src.is_float ? Repr::kFloats : Repr::kInts)
                                            : repr_of(from);
  const Repr out = repr_of(to);
  if (in == Repr::kNone || out == Repr::kNone) return std::nullopt;
  const std::size_t n = src.size();
  if (out == Repr::kFloats) {
    std::vector<double> values(n);
    for (std::size_t i = 0; i < n; ++i) {
      values[i] = in == Repr::kFloats ? round_floating(src.as_double(i), to)
                                      : int_to_float(src.ints[i], to);
    }
    return ConstData::of_floats(std::move(values));
  }
  std::vector<int64_t> values(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (in == Repr::kFloats) {
      const auto v = float_to_int(src.as_double(i), to);
      if (!v) return std::nullopt;
      values[i] = *v;
    } else {
      values[i] = wrap_integer(src.as_int(i), to);
    }
  }
  return ConstData::of_ints(std::move(values));
}

std::optional<ConstData> fold_pointwise(const InferContext& ctx, const TensorType& out,
                                        const IntKernel& on_ints, const FloatKernel& on_floats) {
  if (!out.is_static()) return std::nullopt;
  const std::vector<int64_t> out_dims = out.dims();
  const int64_t total = product(out_dims);
  if (total > kMaxConstElements) return std::nullopt;
  const std::size_t rank = out_dims.size();

  // Present inputs with their strides in output coordinates (0 along broadcast dims).
  std::vector<const ConstData*> args;
  std::vector<std::vector<int64_t>> strides;
  bool floating = false;
  for (const Value* v : ctx.inputs) {
    if (!v) continue;
    if (!v->data || !v->type.is_static()) return std::nullopt;
    const std::vector<int64_t> dims = v->type.dims();
    if (static_cast<int64_t>(v->data->size()) != product(dims) || dims.size() > rank) {
      return std::nullopt;
    }
    std::vector<int64_t> s(rank, 0);
    int64_t stride = 1;
    for (std::size_t k = dims.size(); k-- > 0;) {
      const std::size_t o = rank - dims.size() + k;
      if (dims[k] != 1 && dims[k] != out_dims[o]) return std::nullopt;
      s[o] = dims[k] == 1 ? 0 : stride;
      stride *= dims[k];
    }
    floating = floating || input_is_floating(*v);
    args.push_back(&*v->data);
    strides.push_back(std::move(s));
  }
  if (args.empty() || (floating ? !on_floats : !on_ints)) return std::nullopt;

  const Repr out_repr = out.dtype == DType::kUndefined
                            ? (floating ? Repr::kFloats : Repr::kInts)
                            : repr_of(out.dtype);
  if (out_repr == Repr::kNone) return std::nullopt;
  std::vector<int64_t> out_ints;
  std::vector<double> out_floats;
  if (out_repr == Repr::kInts) {
    out_ints.reserve(static_cast<std::size_t>(total));
  } else {
    out_floats.reserve(static_cast<std::size_t>(total));
  }

  std::vector<int64_t> index(rank, 0);
  std::vector<int64_t> arg_ints(args.size());
  std::vector<double> arg_floats(args.size());
  for (int64_t flat = 0; flat < total; ++flat) {
    for (std::size_t a = 0; a < args.size(); ++a) {
      std::size_t offset = 0;
      for (std::size_t d = 0; d < rank; ++d) {
        offset += static_cast<std::size_t>(index[d] * strides[a][d]);
      }
      if (floating) {
        arg_floats[a] = args[a]->as_double(offset);
      } else {
        arg_ints[a] = args[a]->as_int(offset);
      }
    }
    if (floating) {
      const double r = on_floats(arg_floats);
      if (out_repr == Repr::kFloats) {
        out_floats.push_back(round_floating(r, out.dtype));
      } else {
        const auto v = float_to_int(r, out.dtype);
        if (!v) return std::nullopt;
        out_ints.push_back(*v);
      }
    } else {
      const auto r = on_ints(arg_ints);
      if (!r) return std::nullopt;
      if (out_repr == Repr::kFloats) {
        out_floats.push_back(int_to_float(*r, out.dtype));
      } else {
        out_ints.push_back(wrap_integer(*r, out.dtype));
      }
    }
    // Advance the row-major output index.
    for (std::size_t d = rank; d-- > 0;) {
      if (++index[d] < out_dims[d]) break;
      index[d] = 0;
    }
  }
  return out_repr == Repr::kInts ? ConstData::of_ints(std::move(out_ints))
                                 : ConstData::of_floats(std::move(out_floats));
}

Status check_input_count(const InferContext& ctx, std::size_t min, std::size_t max) {
  std::size_t count = ctx.num_inputs();
  while (count > 0 && ctx.input(count - 1) == nullptr) --count;  // trailing omitted inputs
  if (count < min || count > max) {
    std::string expected = std::to_string(min);
    if (max != min) {
      expected = max == kUnboundedInputs ? "at least " + expected
                                                     : expected + " to " + std::to_string(max);
    }
    return ctx.error("expects " + expected + (max == 1 && min == 1 ? " input" : " inputs") +
                     ", got " + std::to_string(count));
  }
  return ctx.require_inputs(min);
}

PointwiseRule nary_rule(std::size_t min, std::size_t max, IntKernel on_ints, FloatKernel on_floats,
                        std::optional<DType> out_dtype) {
  PointwiseRule rule;
  rule.min_inputs = min;
  rule.max_inputs = max;
  rule.out_dtype = out_dtype;
  rule.on_ints = std::move(on_ints);
  rule.on_floats = std::move(on_floats);
  return rule;
}

Result<std::vector<InferredOutput>> infer_pointwise(const InferContext& ctx,
                                                    const PointwiseRule& rule) {
  GRAPHS_RETURN_IF_ERROR(check_input_count(ctx, rule.min_inputs, rule.max_inputs));
  const DType dtype = rule.out_dtype.value_or(ctx.type(rule.dtype_from_input).dtype);
  GRAPHS_ASSIGN_OR_RETURN(auto outputs, broadcast_elementwise(ctx, dtype));
  outputs[0].data = fold_pointwise(ctx, outputs[0].type, rule.on_ints, rule.on_floats);
  return outputs;
}

ShapeFn pointwise_shape_fn(PointwiseRule rule) {
  return [rule = std::move(rule)](const InferContext& ctx) { return infer_pointwise(ctx, rule); };
}

InferredOutput pass_through(const InferContext& ctx) {
  const Value& in = *ctx.input(0);
  std::optional<ConstData> data;
  if (in.data && static_cast<int64_t>(in.data->size()) <= kMaxConstElements) data = in.data;
  return InferredOutput{in.type, std::move(data)};
}

CostFn per_element_cost(double flops_per_element) {
  return [flops_per_element](const CostContext& ctx) {
    return elementwise_cost(ctx, flops_per_element);
  };
}

}  // namespace graphs::ops
