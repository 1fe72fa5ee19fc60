#include "graphs/onnx/onnx_tensor.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <system_error>
#include <vector>

#include <onnx/onnx_pb.h>

namespace graphs::onnx_detail {
namespace {

namespace fs = std::filesystem;

bool has_const_form(DType d) {
  return d == DType::kBool || is_integer(d) || is_floating(d);
}

// Types narrower than a byte, packed low bits first (onnx.proto, TensorProto.raw_data).
bool is_sub_byte(DType d) { return dtype_bits(d) > 0 && dtype_bits(d) < 8; }

// A small float format: 1 sign bit, `exp_bits`, `man_bits`, exponent `bias`, and which bit
// patterns are special (onnx/docs/Float8.md, Float4.md).
struct MiniFloat {
  enum class Special { kIeee, kFn, kFnuz, kNone };
  int exp_bits;
  int man_bits;
  int bias;
  Special special;
};

double minifloat_to_double(uint32_t bits, const MiniFloat& f) {
  const int width = 1 + f.exp_bits + f.man_bits;
  const uint32_t exp_max = (1u << f.exp_bits) - 1;
  const uint32_t man_max = (1u << f.man_bits) - 1;
  const bool negative = (bits >> (width - 1)) & 1;
  const uint32_t e = (bits >> f.man_bits) & exp_max;
  const uint32_t m = bits & man_max;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  switch (f.special) {
    case MiniFloat::Special::kFnuz:
      if (bits == (1u << (width - 1))) return nan;
      break;
    case MiniFloat::Special::kIeee:
      if (e == exp_max) {
        return m != 0 ? nan : (negative ? -1.0 : 1.0) * std::numeric_limits<double>::infinity();
      }
      break;
    case MiniFloat::Special::kFn:
      if (e == exp_max && m == man_max) return nan;
      break;
    case MiniFloat::Special::kNone:
      break;
  }
  const double v = e == 0 ? std::ldexp(m, 1 - f.bias - f.man_bits)
                          : std::ldexp(m + (1u << f.man_bits),
                                       static_cast<int>(e) - f.bias - f.man_bits);
  return negative ? -v : v;
}

double half_to_double(uint32_t h) {
  return minifloat_to_double(h & 0xffff, {5, 10, 15, MiniFloat::Special::kIeee});
}

double bfloat16_to_double(uint32_t h) {
  const uint32_t bits = (h & 0xffff) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// Decodes the bit pattern of one element of a floating dtype narrower than 32 bits.
double small_float_to_double(DType d, uint32_t bits) {
  using S = MiniFloat::Special;
  switch (d) {
    case DType::kFloat16: return half_to_double(bits);
    case DType::kBFloat16: return bfloat16_to_double(bits);
    case DType::kFloat8E4M3FN: return minifloat_to_double(bits & 0xff, {4, 3, 7, S::kFn});
    case DType::kFloat8E4M3FNUZ: return minifloat_to_double(bits & 0xff, {4, 3, 8, S::kFnuz});
    case DType::kFloat8E5M2: return minifloat_to_double(bits & 0xff, {5, 2, 15, S::kIeee});
    case DType::kFloat8E5M2FNUZ: return minifloat_to_double(bits & 0xff, {5, 2, 16, S::kFnuz});
    case DType::kFloat4E2M1: return minifloat_to_double(bits & 0xf, {2, 1, 1, S::kNone});
    // OCP Microscaling (MX) v1.0, section 5.3.2 (FP6) and 5.4.1 (E8M0): FP6 has no inf or NaN;
    // E8M0 is 2^(e − 127), 0xFF is NaN.
    case DType::kFloat6E2M3: return minifloat_to_double(bits & 0x3f, {2, 3, 1, S::kNone});
    case DType::kFloat6E3M2: return minifloat_to_double(bits & 0x3f, {3, 2, 3, S::kNone});
    case DType::kFloat8E8M0:
      return (bits & 0xff) == 0xff ? std::numeric_limits<double>::quiet_NaN()
                                   : std::ldexp(1.0, static_cast<int>(bits & 0xff) - 127);
    default: return 0.0;
  }
}

uint64_t load_le(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Appends one element of dtype `d` given its bit pattern (an integer's value for narrow ints).
void push_element(DType d, uint64_t bits, ConstData* out) {
  switch (d) {
    case DType::kFloat32: {
      const auto b = static_cast<uint32_t>(bits);
      float f;
      std::memcpy(&f, &b, sizeof f);
      out->floats.push_back(f);
      return;
    }
    case DType::kFloat64: {
      double f;
      std::memcpy(&f, &bits, sizeof f);
      out->floats.push_back(f);
      return;
    }
    case DType::kInt8: out->ints.push_back(static_cast<int8_t>(bits)); return;
    case DType::kInt16: out->ints.push_back(static_cast<int16_t>(bits)); return;
    case DType::kInt32: out->ints.push_back(static_cast<int32_t>(bits)); return;
    case DType::kInt64:
    case DType::kUInt64: out->ints.push_back(static_cast<int64_t>(bits)); return;
    case DType::kUInt8: out->ints.push_back(static_cast<uint8_t>(bits)); return;
    case DType::kUInt16: out->ints.push_back(static_cast<uint16_t>(bits)); return;
    case DType::kUInt32: out->ints.push_back(static_cast<uint32_t>(bits)); return;
    case DType::kBool: out->ints.push_back((bits & 0xff) != 0 ? 1 : 0); return;
    case DType::kInt4: {
      const auto nibble = static_cast<int64_t>(bits & 0xf);
      out->ints.push_back(nibble >= 8 ? nibble - 16 : nibble);
      return;
    }
    case DType::kUInt4: out->ints.push_back(static_cast<int64_t>(bits & 0xf)); return;
    case DType::kInt2: {
      const auto pair = static_cast<int64_t>(bits & 0x3);
      out->ints.push_back(pair >= 2 ? pair - 4 : pair);
      return;
    }
    case DType::kUInt2: out->ints.push_back(static_cast<int64_t>(bits & 0x3)); return;
    default: out->floats.push_back(small_float_to_double(d, static_cast<uint32_t>(bits))); return;
  }
}

ConstData empty_for(DType d) {
  ConstData c;
  c.is_float = is_floating(d);
  return c;
}

// Unpacks `numel` elements of a sub-byte type from an LSB-first bit stream: element i holds bits
// [i·b, (i+1)·b) (onnx.proto: 4-bit pairs low nibble first, 2-bit quads from bit 0 up, 6-bit
// quads as a 24-bit LSB-first stream).
template <typename ByteAt>
ConstData unpack_bits(DType d, int64_t numel, ByteAt byte_at) {
  const int b = dtype_bits(d);
  ConstData c = empty_for(d);
  for (int64_t i = 0; i < numel; ++i) {
    const int64_t first_bit = i * b;
    // Two bytes always cover an element of at most 8 bits.
    const uint64_t window = (byte_at(first_bit / 8) & 0xff) |
                            ((first_bit % 8 + b > 8 ? byte_at(first_bit / 8 + 1) & 0xff : 0) << 8);
    push_element(d, (window >> (first_bit % 8)) & ((1u << b) - 1), &c);
  }
  return c;
}

int64_t packed_bytes(DType d, int64_t numel) { return (numel * dtype_bits(d) + 7) / 8; }

// Decodes the typed repeated fields. nullopt when the field for this dtype is empty.
Result<std::optional<ConstData>> decode_typed(const onnx::TensorProto& t, DType d, int64_t numel,
                                              std::string_view what) {
  auto check = [&](int count, std::string_view field, int64_t expected) -> Status {
    if (count == expected) return ok_status();
    return make_error(ErrorCode::kParseError, what, ": ", field, " has ", count,
                      " elements, expected ", expected, " (", numel, " ", dtype_name(d), ")");
  };
  ConstData c = empty_for(d);
  switch (d) {
    case DType::kFloat32:
      if (t.float_data_size() == 0) return std::optional<ConstData>();
      GRAPHS_RETURN_IF_ERROR(check(t.float_data_size(), "float_data", numel));
      for (float f : t.float_data()) c.floats.push_back(f);
      return std::optional<ConstData>(std::move(c));
    case DType::kFloat64:
      if (t.double_data_size() == 0) return std::optional<ConstData>();
      GRAPHS_RETURN_IF_ERROR(check(t.double_data_size(), "double_data", numel));
      c.floats.assign(t.double_data().begin(), t.double_data().end());
      return std::optional<ConstData>(std::move(c));
    case DType::kInt64:
      if (t.int64_data_size() == 0) return std::optional<ConstData>();
      GRAPHS_RETURN_IF_ERROR(check(t.int64_data_size(), "int64_data", numel));
      c.ints.assign(t.int64_data().begin(), t.int64_data().end());
      return std::optional<ConstData>(std::move(c));
    case DType::kUInt32:
    case DType::kUInt64:
      if (t.uint64_data_size() == 0) return std::optional<ConstData>();
      GRAPHS_RETURN_IF_ERROR(check(t.uint64_data_size(), "uint64_data", numel));
      for (uint64_t v : t.uint64_data()) push_element(d, v, &c);
      return std::optional<ConstData>(std::move(c));
    default:
      break;
  }
  // Everything else lives in int32_data: values of narrow integers and bool, bit patterns of
  // narrow floats, or bytes of packed 4-bit pairs and 2-bit quads (one byte an entry; 6-bit
  // floats take one entry an element).
  if (t.int32_data_size() == 0) return std::optional<ConstData>();
  if (is_sub_byte(d) && 8 % dtype_bits(d) == 0) {
    GRAPHS_RETURN_IF_ERROR(check(t.int32_data_size(), "int32_data", packed_bytes(d, numel)));
    auto byte_at = [&](int64_t i) {
      return i < t.int32_data_size() ? static_cast<uint64_t>(t.int32_data(static_cast<int>(i)))
                                     : uint64_t{0};
    };
    return std::optional<ConstData>(unpack_bits(d, numel, byte_at));
  }
  GRAPHS_RETURN_IF_ERROR(check(t.int32_data_size(), "int32_data", numel));
  for (int32_t v : t.int32_data()) {
    // Integers keep their (signed) value; float bit patterns are reinterpreted.
    const uint64_t bits = is_floating(d) ? static_cast<uint32_t>(v)
                                         : static_cast<uint64_t>(static_cast<int64_t>(v));
    push_element(d, bits, &c);
  }
  return std::optional<ConstData>(std::move(c));
}

Result<int64_t> parse_int(const std::string& s, std::string_view key, std::string_view what) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0) {
    return make_error(ErrorCode::kParseError, what, ": external data ", key, " '", s,
                      "' is not a non-negative integer");
  }
  return v;
}

// Reads the bytes of a small external tensor.
Result<std::string> read_external(const onnx::TensorProto& t, int64_t expected_bytes,
                                  const std::string& base_dir, std::string_view what) {
  std::string location;
  int64_t offset = 0;
  int64_t length = expected_bytes;
  for (const auto& entry : t.external_data()) {
    if (entry.key() == "location") {
      location = entry.value();
    } else if (entry.key() == "offset") {
      GRAPHS_ASSIGN_OR_RETURN(offset, parse_int(entry.value(), "offset", what));
    } else if (entry.key() == "length") {
      GRAPHS_ASSIGN_OR_RETURN(length, parse_int(entry.value(), "length", what));
    }
  }
  if (location.empty()) {
    return make_error(ErrorCode::kParseError, what, ": external tensor has no 'location'");
  }
  const fs::path rel(location);
  bool escapes = rel.is_absolute();
  for (const auto& part : rel) escapes = escapes || part == "..";
  if (escapes) {
    return make_error(ErrorCode::kInvalidArgument, what, ": external data location '", location,
                      "' must be a relative path inside the model's directory");
  }
  if (length != expected_bytes) {
    return make_error(ErrorCode::kParseError, what, ": external data length ", length,
                      " does not match its type (", expected_bytes, " bytes)");
  }
  const fs::path path = base_dir.empty() ? rel : fs::path(base_dir) / rel;
  std::error_code ec;
  const auto file_size = fs::file_size(path, ec);
  if (ec) {
    if (!fs::exists(path)) {
      return make_error(ErrorCode::kNotFound, what, ": external data file '", path.string(),
                        "' not found");
    }
    return make_error(ErrorCode::kIoError, what, ": cannot read external data file '",
                      path.string(), "': ", ec.message());
  }
  if (static_cast<uint64_t>(offset) + static_cast<uint64_t>(length) > file_size) {
    return make_error(ErrorCode::kParseError, what, ": external data file '", path.string(),
                      "' has ", static_cast<int64_t>(file_size), " bytes, the tensor needs bytes ",
                      offset, "..", offset + length);
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes(static_cast<std::size_t>(length), '\0');
  in.seekg(offset);
  in.read(bytes.data(), length);
  if (!in) {
    return make_error(ErrorCode::kIoError, what, ": cannot read external data file '",
                      path.string(), "'");
  }
  return bytes;
}

}  // namespace

Result<TensorType> tensor_type(const onnx::TensorProto& tensor, std::string_view what) {
  const auto dtype = dtype_from_onnx(tensor.data_type());
  if (!dtype) {
    return make_error(ErrorCode::kUnsupported, what, ": data_type is an ",
                      onnx_type_description(tensor.data_type()));
  }
  if (*dtype == DType::kUndefined) {
    return make_error(ErrorCode::kParseError, what, ": data_type is undefined");
  }
  TensorType type;
  type.dtype = *dtype;
  for (int64_t d : tensor.dims()) {
    if (d < 0) return make_error(ErrorCode::kParseError, what, ": negative dim ", d);
    type.shape.push_back(Dim::fixed(d));
  }
  GRAPHS_RETURN_IF_ERROR(check_tensor_size(type, what));
  return type;
}

std::string external_location(const onnx::TensorProto& tensor) {
  if (tensor.data_location() != onnx::TensorProto::EXTERNAL) return "";
  for (const auto& entry : tensor.external_data()) {
    if (entry.key() == "location") return entry.value();
  }
  return "";
}

Result<ConstData> decode_raw(DType d, std::string_view bytes, int64_t numel) {
  if (!has_const_form(d)) {
    return make_error(ErrorCode::kParseError, "cannot decode ", dtype_name(d), " contents");
  }
  const int64_t expected = packed_bytes(d, numel);
  if (static_cast<int64_t>(bytes.size()) != expected) {
    return make_error(ErrorCode::kParseError, "raw data has ", static_cast<int64_t>(bytes.size()),
                      " bytes, expected ", expected, " for ", numel, " ", dtype_name(d),
                      " elements");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (is_sub_byte(d)) {
    return unpack_bits(d, numel, [&](int64_t i) {
      return i < expected ? static_cast<uint64_t>(p[i]) : uint64_t{0};
    });
  }
  const int width = dtype_bits(d) / 8;
  ConstData c = empty_for(d);
  for (int64_t i = 0; i < numel; ++i) push_element(d, load_le(p + i * width, width), &c);
  return c;
}

Result<std::optional<ConstData>> tensor_contents(const onnx::TensorProto& tensor,
                                                 const TensorType& type,
                                                 const std::string& base_dir,
                                                 std::string_view what) {
  const auto numel = type.numel();
  if (!numel || *numel > kMaxConstElements || !has_const_form(type.dtype)) {
    return std::optional<ConstData>();
  }
  auto with_what = [&](Error e) { return std::move(e).with_context(what); };
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    const int64_t expected_bytes = packed_bytes(type.dtype, *numel);
    GRAPHS_ASSIGN_OR_RETURN(std::string bytes,
                            read_external(tensor, expected_bytes, base_dir, what));
    auto decoded = decode_raw(type.dtype, bytes, *numel);
    if (!decoded.ok()) return with_what(std::move(decoded).error());
    return std::optional<ConstData>(std::move(decoded).value());
  }
  if (tensor.has_raw_data()) {
    auto decoded = decode_raw(type.dtype, tensor.raw_data(), *numel);
    if (!decoded.ok()) return with_what(std::move(decoded).error());
    return std::optional<ConstData>(std::move(decoded).value());
  }
  GRAPHS_ASSIGN_OR_RETURN(auto typed, decode_typed(tensor, type.dtype, *numel, what));
  if (!typed && *numel == 0) return std::optional<ConstData>(empty_for(type.dtype));
  return typed;
}

}  // namespace graphs::onnx_detail
