// Element types of tensors, with the numbering of ONNX's TensorProto.DataType (onnx.proto,
// "enum DataType") so that an importer maps them one to one: every type of onnx.proto up to IR
// version 14 (onnx 1.23), FLOAT6E2M3 and FLOAT6E3M2 included.
//
// Sizes (onnx.proto, TensorProto.raw_data and int32_data): elements narrower than a byte are
// packed, low bits first: two 4-bit elements (int4, uint4, float4e2m1) a byte, four 2-bit ones
// (int2, uint2) a byte, four 6-bit ones (float6e2m3, float6e3m2) in three bytes; a tensor of n
// such elements takes ceil(n × bits / 8) bytes. bool takes one byte an element; float8e8m0 (the
// OCP Microscaling (MX) v1.0 scale type: 8 exponent bits, no sign, no mantissa) one byte.
// Messages name a type by `dtype_name`, never by its number.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace graphs {

enum class DType : int32_t {
  kUndefined = 0,
  kFloat32 = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kUInt16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kFloat64 = 11,
  kUInt32 = 12,
  kUInt64 = 13,
  kComplex64 = 14,
  kComplex128 = 15,
  kBFloat16 = 16,
  kFloat8E4M3FN = 17,
  kFloat8E4M3FNUZ = 18,
  kFloat8E5M2 = 19,
  kFloat8E5M2FNUZ = 20,
  kUInt4 = 21,
  kInt4 = 22,
  kFloat4E2M1 = 23,
  kFloat8E8M0 = 24,
  kUInt2 = 25,
  kInt2 = 26,
  kFloat6E2M3 = 27,
  kFloat6E3M2 = 28,
};

/// Storage size of one element in bits (2 for int2/uint2, 4 for int4/uint4/float4, 6 for float6,
/// 8 for bool and float8); 0 for undefined and string (strings have no fixed size).
int dtype_bits(DType dtype);

/// Short lower-case name: "float32", "float16", "bfloat16", "int8", "int64", "bool",
/// "float8e4m3fn", "float8e8m0", "int2", ...; "undefined" for kUndefined and for a value outside
/// the enum.
std::string_view dtype_name(DType dtype);

/// An ONNX TensorProto.DataType number as a message should name it: the type's name when this
/// build knows it ("float8e8m0"), else "unknown TensorProto.DataType 99".
std::string onnx_type_description(int64_t onnx_type);

/// Inverse of `dtype_name`; also accepts the short forms "fp32", "fp16", "bf16", "f32".
std::optional<DType> dtype_from_name(std::string_view name);

/// Maps an ONNX TensorProto.DataType number; nullopt for numbers this build does not know
/// (attribute values are int64: a number outside int32 is unknown, never truncated).
std::optional<DType> dtype_from_onnx(int64_t onnx_type);

bool is_floating(DType dtype);  // float16/32/64, bfloat16, float8 (e8m0 too), float6, float4
bool is_integer(DType dtype);   // signed and unsigned integers of any width, not bool
bool is_unsigned_integer(DType dtype);  // uint2, uint4, uint8, uint16, uint32, uint64

}  // namespace graphs
