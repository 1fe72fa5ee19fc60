#include "graphs/ops/op_helpers.h"

#include <algorithm>

namespace graphs::ops {

Result<std::vector<int64_t>> broadcast_shapes(const std::vector<std::vector<int64_t>>& shapes) {
  std::size_t rank = 0;
  for (const auto& s : shapes) rank = std::max(rank, s.size());
  std::vector<int64_t> out(rank, 1);
  for (const auto& s : shapes) {
    const std::size_t offset = rank - s.size();
    for (std::size_t i = 0; i < s.size(); ++i) {
      int64_t& o = out[offset + i];
      const int64_t d = s[i];
      if (d == o || d == 1) continue;
      if (o == 1) {
        o = d;
        continue;
      }
      return make_error(ErrorCode::kShapeError, "cannot broadcast dim ", d, " against ", o);
    }
  }
  return out;
}

Result<int64_t> normalize_axis(int64_t axis, int64_t rank) {
  const int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= std::max<int64_t>(rank, 1)) {
    return make_error(ErrorCode::kShapeError, "axis ", axis, " out of range for rank ", rank);
  }
  return a;
}

int64_t product(const std::vector<int64_t>& dims, std::size_t begin, std::size_t end) {
  end = std::min(end, dims.size());
  int64_t p = 1;
  for (std::size_t i = begin; i < end; ++i) p *= dims[i];
  return p;
}

Result<std::vector<InferredOutput>> same_as_first_input(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  return std::vector<InferredOutput>{{ctx.type(0), std::nullopt}};
}

Result<std::vector<InferredOutput>> broadcast_elementwise(const InferContext& ctx,
                                                          std::optional<DType> out_dtype) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  std::vector<std::vector<int64_t>> shapes;
  for (const Value* v : ctx.inputs) {
    if (!v) continue;
    if (!v->type.is_static()) return ctx.error("input '" + v->name + "' has no static shape");
    shapes.push_back(v->type.dims());
  }
  auto out = broadcast_shapes(shapes);
  if (!out.ok()) return std::move(out).error().with_context(ctx.node.label());
  return std::vector<InferredOutput>{
      {TensorType::make(out_dtype.value_or(ctx.type(0).dtype), *out), std::nullopt}};
}

OpCost elementwise_cost(const CostContext& ctx, double flops_per_element) {
  OpCost c;
  double out_elems = 0;
  for (const Value* v : ctx.outputs) out_elems += ctx.numel(v);
  c.flops = flops_per_element * out_elems;
  c.bytes_read = ctx.input_bytes();
  c.bytes_written = ctx.output_bytes();
  return c;
}

OpCost data_movement_cost(const CostContext& ctx) {
  return elementwise_cost(ctx, 0);
}

OpCost zero_cost(const CostContext&) { return {}; }

}  // namespace graphs::ops
