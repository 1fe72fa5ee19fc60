#include "graphs/ops/tensor_fold.h"

#include <algorithm>
#include <cmath>

namespace graphs::ops::fold {

Result<std::vector<int64_t>> input_dims(const InferContext& ctx, std::size_t i) {
  const Value* v = ctx.input(i);
  if (!v) return ctx.error("input " + std::to_string(i) + " is required but missing");
  if (!v->type.rank_known) {
    return ctx.error("input " + std::to_string(i) + " ('" + v->name + "') has unknown rank");
  }
  if (!v->type.is_static()) {
    return ctx.error("input " + std::to_string(i) + " ('" + v->name + "') has no static shape (" +
                     v->type.to_string() + "); bind its dims first");
  }
  return v->type.dims();
}

const ConstData* known_data(const InferContext& ctx, std::size_t i) {
  const Value* v = ctx.input(i);
  if (!v || !v->data) return nullptr;
  const auto n = v->type.numel();
  if (!n || static_cast<int64_t>(v->data->size()) != *n) return nullptr;
  return &*v->data;
}

namespace {

Result<const ConstData*> require_data(const InferContext& ctx, std::size_t i,
                                      const std::string& what) {
  const Value* v = ctx.input(i);
  if (!v) return ctx.error(what + " (input " + std::to_string(i) + ") is required but missing");
  const ConstData* d = known_data(ctx, i);
  if (!d) {
    return ctx.error(what + " is not known at analysis time (input '" + v->name +
                     "' is computed from tensor contents, not from shapes or constants)");
  }
  return d;
}

}  // namespace

Result<std::vector<int64_t>> require_ints(const InferContext& ctx, std::size_t i,
                                          const std::string& what) {
  GRAPHS_ASSIGN_OR_RETURN(const ConstData* d, require_data(ctx, i, what));
  std::vector<int64_t> out(d->size());
  for (std::size_t k = 0; k < out.size(); ++k) out[k] = d->as_int(k);
  return out;
}

Result<std::vector<double>> require_floats(const InferContext& ctx, std::size_t i,
                                           const std::string& what) {
  GRAPHS_ASSIGN_OR_RETURN(const ConstData* d, require_data(ctx, i, what));
  std::vector<double> out(d->size());
  for (std::size_t k = 0; k < out.size(); ++k) out[k] = d->as_double(k);
  return out;
}

Result<std::optional<std::vector<int64_t>>> ints_from_input_or_attr(const InferContext& ctx,
                                                                    std::size_t i,
                                                                    const std::string& attr,
                                                                    const std::string& what) {
  if (ctx.input(i)) {
    GRAPHS_ASSIGN_OR_RETURN(auto v, require_ints(ctx, i, what));
    return std::optional<std::vector<int64_t>>(std::move(v));
  }
  if (ctx.node.attrs.has(attr)) {
    return std::optional<std::vector<int64_t>>(ctx.node.attrs.get_ints(attr));
  }
  return std::optional<std::vector<int64_t>>();
}

Result<int64_t> normalize_axis(const InferContext& ctx, int64_t axis, int64_t rank,
                               const std::string& what) {
  const int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    return ctx.error(what + " " + std::to_string(axis) + " is out of range for rank " +
                     std::to_string(rank) + " (valid: [" + std::to_string(-rank) + ", " +
                     std::to_string(rank - 1) + "])");
  }
  return a;
}

bool holds_floats(DType dtype) { return is_floating(dtype); }

std::vector<int64_t> strides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (std::size_t i = dims.size(); i > 1; --i) s[i - 2] = s[i - 1] * dims[i - 1];
  return s;
}

int64_t numel(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

bool foldable(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) return false;
    if (d == 0) return true;
    if (n > kMaxConstElements / d) return false;
    n *= d;
  }
  return n <= kMaxConstElements;
}

ConstData take(const ConstData& src, const std::vector<int64_t>& index) {
  ConstData out;
  out.is_float = src.is_float;
  if (src.is_float) {
    out.floats.reserve(index.size());
    for (int64_t i : index) out.floats.push_back(src.floats[static_cast<std::size_t>(i)]);
  } else {
    out.ints.reserve(index.size());
    for (int64_t i : index) out.ints.push_back(src.ints[static_cast<std::size_t>(i)]);
  }
  return out;
}

ConstData filled(DType dtype, double value, int64_t n) {
  const auto count = static_cast<std::size_t>(std::max<int64_t>(n, 0));
  if (holds_floats(dtype)) return ConstData::of_floats(std::vector<double>(count, value));
  return ConstData::of_ints(std::vector<int64_t>(count, static_cast<int64_t>(value)));
}

ConstData convert(const ConstData& data, DType dtype) {
  const bool want_floats = holds_floats(dtype);
  if (want_floats == data.is_float) return data;
  if (want_floats) {
    std::vector<double> f(data.ints.begin(), data.ints.end());
    return ConstData::of_floats(std::move(f));
  }
  std::vector<int64_t> v;
  v.reserve(data.floats.size());
  for (double f : data.floats) v.push_back(static_cast<int64_t>(f));
  return ConstData::of_ints(std::move(v));
}

InferredOutput make_output(DType dtype, const std::vector<int64_t>& dims,
                           std::optional<ConstData> data) {
  InferredOutput out{TensorType::make(dtype, dims), std::nullopt};
  if (data && foldable(dims) && static_cast<int64_t>(data->size()) == numel(dims)) {
    out.data = std::move(data);
  }
  return out;
}

std::string dims_string(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

}  // namespace graphs::ops::fold
