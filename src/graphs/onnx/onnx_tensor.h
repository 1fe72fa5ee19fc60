// Internal to the ONNX importer: types and small contents of TensorProtos.
//
// Contents follow ConstData's convention: integer and bool tensors → `ints` (uint64 values above
// INT64_MAX wrap), floating tensors (float16/bfloat16/float8/float4 included) → `floats` as
// doubles. Strings and complex tensors have no ConstData form and get no contents.
// Storage per onnx.proto (TensorProto.raw_data, int32_data): raw_data is little-endian and packed
// below a byte as an LSB-first bit stream (int4/uint4/float4: two elements a byte, low nibble
// first; int2/uint2: four a byte from bit 0 up; float6: four in three bytes); typed fields are
// float_data (float32), double_data (float64), int64_data (int64), uint64_data (uint32, uint64),
// int32_data (int32 and narrower integers, bool, the bit patterns of float16, bfloat16, float8
// and float6 (one an entry), and bytes of packed 4-bit pairs and 2-bit quads (one an entry)).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "graphs/common/status.h"
#include "graphs/ir/graph.h"

namespace onnx {
class TensorProto;
}  // namespace onnx

namespace graphs::onnx_detail {

/// The type from dims and data_type. `what` names the tensor in messages ("initializer 'w'").
/// Errors: kUnsupported for a data_type number this build does not know; kParseError for an
/// undefined data_type or a negative dim; kInvalidArgument for a tensor whose element or bit
/// count does not fit int64 (check_tensor_size).
Result<TensorType> tensor_type(const onnx::TensorProto& tensor, std::string_view what);

/// The "location" entry of an external tensor's external_data; "" for a tensor stored inline.
std::string external_location(const onnx::TensorProto& tensor);

/// Contents of a tensor of static type `type` with at most kMaxConstElements elements; nullopt
/// for larger tensors, dtypes with no ConstData form, and tensors with no stored data (weights
/// stripped, or skipped while reading). External tensors are read from
/// `base_dir`/location (offset, length); the side file is opened only here, i.e. only for
/// small tensors. Errors name `what`: stored data whose size does not match the type
/// (kParseError), a missing side file (kNotFound, naming the file), a side file too short
/// (kParseError) or unreadable (kIoError), a location that is absolute or leaves `base_dir`
/// (kInvalidArgument).
Result<std::optional<ConstData>> tensor_contents(const onnx::TensorProto& tensor,
                                                 const TensorType& type,
                                                 const std::string& base_dir,
                                                 std::string_view what);

/// Decodes `numel` little-endian packed elements of `dtype` (the raw_data layout). Error
/// (kParseError) when `bytes` has the wrong size or `dtype` has no ConstData form.
Result<ConstData> decode_raw(DType dtype, std::string_view bytes, int64_t numel);

}  // namespace graphs::onnx_detail
