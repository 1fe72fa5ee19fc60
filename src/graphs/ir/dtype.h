// Element types of tensors, with the numbering of ONNX's TensorProto.DataType (onnx.proto,
// "enum DataType") so that an importer maps them one to one.
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
};

/// Storage size of one element in bits (4 for int4/uint4/float4, 8 for bool); 0 for undefined and
/// string (strings have no fixed size).
int dtype_bits(DType dtype);

/// Short lower-case name: "float32", "float16", "bfloat16", "int8", "int64", "bool", ...
std::string_view dtype_name(DType dtype);

/// Inverse of `dtype_name`; also accepts the short forms "fp32", "fp16", "bf16", "f32".
std::optional<DType> dtype_from_name(std::string_view name);

/// Maps an ONNX TensorProto.DataType number; nullopt for numbers this build does not know.
std::optional<DType> dtype_from_onnx(int32_t onnx_type);

bool is_floating(DType dtype);  // float16/32/64, bfloat16, float8 variants, float4
bool is_integer(DType dtype);   // signed and unsigned integers of any width, not bool

}  // namespace graphs
