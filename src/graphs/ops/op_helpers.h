// Shared helpers for op rules: broadcasting, axis normalisation, and the common rule shapes
// (elementwise, unary-with-same-type). Used by every ops/*.cc family file.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "graphs/common/checked_math.h"
#include "graphs/ops/op_registry.h"

namespace graphs::ops {

/// Numpy-style multidirectional broadcast of static shapes (ONNX Broadcasting.md). Error when two
/// dims differ and neither is 1.
Result<std::vector<int64_t>> broadcast_shapes(const std::vector<std::vector<int64_t>>& shapes);

/// Normalises a possibly negative axis into [0, rank); error when out of range.
Result<int64_t> normalize_axis(int64_t axis, int64_t rank);

/// Product of dims[begin, end).
int64_t product(const std::vector<int64_t>& dims, std::size_t begin = 0,
                std::size_t end = static_cast<std::size_t>(-1));

/// Product of dims[begin, end), or nullopt when it does not fit int64 (common/checked_math.h).
/// For shape rules that turn a product into a dim or an element count (Reshape's −1, Flatten,
/// Size, Concat's blocks): an overflow there is an error naming the node, never a wrapped size.
inline std::optional<int64_t> checked_product(const std::vector<int64_t>& dims,
                                              std::size_t begin = 0,
                                              std::size_t end = static_cast<std::size_t>(-1)) {
  end = std::min(end, dims.size());
  if (begin >= end) return 1;
  return graphs::checked_product(
      std::vector<int64_t>(dims.begin() + static_cast<std::ptrdiff_t>(begin),
                           dims.begin() + static_cast<std::ptrdiff_t>(end)));
}

/// Shape rule for ops whose single output has the first input's type (Relu, Sigmoid, Softmax…).
Result<std::vector<InferredOutput>> same_as_first_input(const InferContext& ctx);

/// Shape rule for n-ary pointwise ops: broadcast all present inputs; output dtype is
/// `out_dtype` when given, else the first input's.
Result<std::vector<InferredOutput>> broadcast_elementwise(const InferContext& ctx,
                                                          std::optional<DType> out_dtype = {});

/// Cost for pointwise ops: `flops_per_element` × output elements; bytes = inputs + outputs.
OpCost elementwise_cost(const CostContext& ctx, double flops_per_element);

/// Cost for ops that only move data: 0 FLOPs; bytes = inputs + outputs.
OpCost data_movement_cost(const CostContext& ctx);

/// Cost for metadata-only ops (views): nothing.
OpCost zero_cost(const CostContext& ctx);

/// `schema` with OpSchema::since_version set: for ops newer than the libonnx that
/// OpRegistry::opset_range otherwise asks (`GRAPHS_REGISTER_OP(since_opset(18, binary_op(…)))`).
inline OpSchema since_opset(int version, OpSchema schema) {
  schema.since_version = version;
  return schema;
}

}  // namespace graphs::ops
