// Helpers shared by the shape and data-movement op families (shape_ops.cc, data_movement.cc,
// gather_scatter.cc, resize.cc): reading static dims and known integer inputs with errors that
// name the node, and constant propagation of small tensors (ConstData) by index mapping.
//
// Constant propagation contract: an op whose output element k is a copy of some input element
// computes the source flat index of every output element and `take`s them; contents are attached
// only when the output has at most kMaxConstElements elements (`make_output`). Contents whose
// entry count does not match the tensor's element count are never trusted (`known_data`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "graphs/ops/op_registry.h"

namespace graphs::ops::fold {

/// Static dims of input i. Error naming the node when input i is missing, has unknown rank or a
/// dim that is not static.
Result<std::vector<int64_t>> input_dims(const InferContext& ctx, std::size_t i);

/// Known contents of input i, or nullptr when unknown, when input i is omitted, or when the stored
/// contents do not have exactly one entry per element.
const ConstData* known_data(const InferContext& ctx, std::size_t i);

/// Contents of input i as integers (floats truncate toward zero). Errors: input i omitted, or its
/// contents unknown ("<what> is not known at analysis time (input 'name' ...)").
Result<std::vector<int64_t>> require_ints(const InferContext& ctx, std::size_t i,
                                          const std::string& what);

/// Contents of input i as doubles; errors as `require_ints`.
Result<std::vector<double>> require_floats(const InferContext& ctx, std::size_t i,
                                           const std::string& what);

/// Integers from input i when that input is present, else from attribute `attr`, else nullopt.
/// ONNX moved several attributes to inputs (Squeeze/Unsqueeze `axes` and Split `split` at opset
/// 13, Slice at 10, Pad at 11); accepting either keeps one rule for every opset.
Result<std::optional<std::vector<int64_t>>> ints_from_input_or_attr(const InferContext& ctx,
                                                                    std::size_t i,
                                                                    const std::string& attr,
                                                                    const std::string& what);

/// Normalises `axis` into [0, rank); error naming the node and `what` when out of range.
Result<int64_t> normalize_axis(const InferContext& ctx, int64_t axis, int64_t rank,
                               const std::string& what = "axis");

/// Whether ConstData for a tensor of `dtype` holds floats (floating dtypes) or ints (the rest).
bool holds_floats(DType dtype);

/// Row-major strides of `dims` (elements, not bytes).
std::vector<int64_t> strides(const std::vector<int64_t>& dims);

/// Product of dims; 1 for a scalar.
int64_t numel(const std::vector<int64_t>& dims);

/// Whether a tensor of these dims is small enough to carry contents (numel ≤ kMaxConstElements).
bool foldable(const std::vector<int64_t>& dims);

/// out[k] = src[index[k]]; keeps src's representation (ints or floats).
ConstData take(const ConstData& src, const std::vector<int64_t>& index);

/// A tensor of `n` elements all equal to `value`, stored as `dtype` requires.
ConstData filled(DType dtype, double value, int64_t n);

/// `data` re-stored as `dtype` requires (ints ↔ floats; floats truncate toward zero).
ConstData convert(const ConstData& data, DType dtype);

/// Calls `f(const std::vector<int64_t>& multi_index)` for every element of `dims`, row-major.
template <typename F>
void for_each_index(const std::vector<int64_t>& dims, F&& f) {
  for (int64_t d : dims) {
    if (d <= 0) return;
  }
  std::vector<int64_t> idx(dims.size(), 0);
  while (true) {
    f(static_cast<const std::vector<int64_t>&>(idx));
    std::size_t axis = dims.size();
    while (axis > 0) {
      --axis;
      if (++idx[axis] < dims[axis]) break;
      idx[axis] = 0;
      if (axis == 0) return;
    }
    if (dims.empty()) return;
  }
}

/// Source flat index of each output element from `map(multi_index)`, then `take`.
template <typename F>
ConstData take_mapped(const ConstData& src, const std::vector<int64_t>& out_dims, F&& map) {
  std::vector<int64_t> index;
  index.reserve(static_cast<std::size_t>(numel(out_dims)));
  for_each_index(out_dims, [&](const std::vector<int64_t>& i) { index.push_back(map(i)); });
  return take(src, index);
}

/// An output of `dtype` and `dims`, with `data` attached when given and foldable(dims).
InferredOutput make_output(DType dtype, const std::vector<int64_t>& dims,
                           std::optional<ConstData> data = std::nullopt);

/// A one-output result.
inline Result<std::vector<InferredOutput>> single(InferredOutput out) {
  return std::vector<InferredOutput>{std::move(out)};
}

/// An OpCost with no MACs.
inline OpCost move_cost(double bytes_read, double bytes_written, double flops = 0) {
  OpCost c;
  c.flops = flops;
  c.bytes_read = bytes_read;
  c.bytes_written = bytes_written;
  return c;
}

/// "[2,3,4]" for error messages.
std::string dims_string(const std::vector<int64_t>& dims);

}  // namespace graphs::ops::fold
