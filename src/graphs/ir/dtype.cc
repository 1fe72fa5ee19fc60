#include "graphs/ir/dtype.h"

#include <array>
#include <string>

namespace graphs {
namespace {

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  int bits;
};

// Indexed by the TensorProto.DataType number; bits per onnx.proto (see dtype.h).
constexpr std::array<DTypeInfo, 29> kInfo = {{
    {DType::kUndefined, "undefined", 0},     {DType::kFloat32, "float32", 32},
    {DType::kUInt8, "uint8", 8},             {DType::kInt8, "int8", 8},
    {DType::kUInt16, "uint16", 16},          {DType::kInt16, "int16", 16},
    {DType::kInt32, "int32", 32},            {DType::kInt64, "int64", 64},
    {DType::kString, "string", 0},           {DType::kBool, "bool", 8},
    {DType::kFloat16, "float16", 16},        {DType::kFloat64, "float64", 64},
    {DType::kUInt32, "uint32", 32},          {DType::kUInt64, "uint64", 64},
    {DType::kComplex64, "complex64", 64},    {DType::kComplex128, "complex128", 128},
    {DType::kBFloat16, "bfloat16", 16},      {DType::kFloat8E4M3FN, "float8e4m3fn", 8},
    {DType::kFloat8E4M3FNUZ, "float8e4m3fnuz", 8}, {DType::kFloat8E5M2, "float8e5m2", 8},
    {DType::kFloat8E5M2FNUZ, "float8e5m2fnuz", 8}, {DType::kUInt4, "uint4", 4},
    {DType::kInt4, "int4", 4},               {DType::kFloat4E2M1, "float4e2m1", 4},
    {DType::kFloat8E8M0, "float8e8m0", 8},   {DType::kUInt2, "uint2", 2},
    {DType::kInt2, "int2", 2},               {DType::kFloat6E2M3, "float6e2m3", 6},
    {DType::kFloat6E3M2, "float6e3m2", 6},
}};

const DTypeInfo* info(DType d) {
  const auto i = static_cast<std::size_t>(d);
  return i < kInfo.size() ? &kInfo[i] : nullptr;
}

}  // namespace

int dtype_bits(DType dtype) {
  const auto* i = info(dtype);
  return i ? i->bits : 0;
}

std::string_view dtype_name(DType dtype) {
  const auto* i = info(dtype);
  return i ? i->name : "undefined";
}

std::optional<DType> dtype_from_name(std::string_view name) {
  if (name == "fp32" || name == "f32" || name == "float") return DType::kFloat32;
  if (name == "fp16" || name == "f16" || name == "half") return DType::kFloat16;
  if (name == "bf16") return DType::kBFloat16;
  if (name == "fp64" || name == "double") return DType::kFloat64;
  if (name == "fp8") return DType::kFloat8E4M3FN;
  for (const auto& i : kInfo) {
    if (i.name == name) return i.dtype;
  }
  return std::nullopt;
}

std::optional<DType> dtype_from_onnx(int64_t onnx_type) {
  if (onnx_type < 0 || onnx_type >= static_cast<int64_t>(kInfo.size())) return std::nullopt;
  return static_cast<DType>(onnx_type);
}

std::string onnx_type_description(int64_t onnx_type) {
  if (const auto d = dtype_from_onnx(onnx_type)) return std::string(dtype_name(*d));
  return "unknown TensorProto.DataType " + std::to_string(onnx_type);
}

bool is_floating(DType d) {
  switch (d) {
    case DType::kFloat32: case DType::kFloat16: case DType::kFloat64: case DType::kBFloat16:
    case DType::kFloat8E4M3FN: case DType::kFloat8E4M3FNUZ: case DType::kFloat8E5M2:
    case DType::kFloat8E5M2FNUZ: case DType::kFloat8E8M0: case DType::kFloat6E2M3:
    case DType::kFloat6E3M2: case DType::kFloat4E2M1:
      return true;
    default:
      return false;
  }
}

bool is_integer(DType d) {
  switch (d) {
    case DType::kUInt8: case DType::kInt8: case DType::kUInt16: case DType::kInt16:
    case DType::kInt32: case DType::kInt64: case DType::kUInt32: case DType::kUInt64:
    case DType::kUInt4: case DType::kInt4: case DType::kUInt2: case DType::kInt2:
      return true;
    default:
      return false;
  }
}

bool is_unsigned_integer(DType d) {
  switch (d) {
    case DType::kUInt2: case DType::kUInt4: case DType::kUInt8: case DType::kUInt16:
    case DType::kUInt32: case DType::kUInt64:
      return true;
    default:
      return false;
  }
}

}  // namespace graphs
