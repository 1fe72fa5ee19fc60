#include "graphs/bench/npy.h"

#include <bit>
#include <cstring>
#include <fstream>
#include <sstream>

namespace graphs::bench {

static_assert(std::endian::native == std::endian::little,
              "the .npy reader assumes a little-endian host");

namespace {

// The value after `'key':` in the header dict, up to the next top-level ',' or '}'.
Result<std::string> dict_value(const std::string& header, const std::string& key) {
  std::size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) k = header.find("\"" + key + "\"");
  if (k == std::string::npos) return make_error(ErrorCode::kParseError, "header has no '", key, "'");
  std::size_t colon = header.find(':', k + key.size() + 2);
  if (colon == std::string::npos) return make_error(ErrorCode::kParseError, "header: no ':' after '", key, "'");
  std::size_t i = colon + 1;
  while (i < header.size() && header[i] == ' ') ++i;
  int depth = 0;
  std::size_t j = i;
  for (; j < header.size(); ++j) {
    const char c = header[j];
    if (c == '(' || c == '[') ++depth;
    if (c == ')' || c == ']') --depth;
    if (depth == 0 && (c == ',' || c == '}')) break;
  }
  std::string v = header.substr(i, j - i);
  while (!v.empty() && v.back() == ' ') v.pop_back();
  return v;
}

}  // namespace

Result<NpyArray> parse_npy(const std::string& b) {
  static const char kMagic[] = "\x93NUMPY";
  if (b.size() < 10 || std::memcmp(b.data(), kMagic, 6) != 0) {
    return Error(ErrorCode::kParseError, "not a .npy file (bad magic)");
  }
  const auto major = static_cast<unsigned char>(b[6]);
  std::size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(b[8]) | (static_cast<unsigned char>(b[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) return Error(ErrorCode::kParseError, "truncated .npy header");
    for (int i = 3; i >= 0; --i) header_len = (header_len << 8) | static_cast<unsigned char>(b[8 + i]);
    offset = 12;
  } else {
    return make_error(ErrorCode::kParseError, ".npy format version ", int(major), " not supported");
  }
  if (b.size() < offset + header_len) return Error(ErrorCode::kParseError, "truncated .npy header");
  const std::string header = b.substr(offset, header_len);
  offset += header_len;

  NpyArray a;
  GRAPHS_ASSIGN_OR_RETURN(std::string descr, dict_value(header, "descr"));
  if (descr.size() < 2 || (descr.front() != '\'' && descr.front() != '"')) {
    return make_error(ErrorCode::kParseError, "descr ", descr, " is not a simple dtype");
  }
  a.descr = descr.substr(1, descr.size() - 2);
  GRAPHS_ASSIGN_OR_RETURN(std::string fortran, dict_value(header, "fortran_order"));
  if (fortran != "False") {
    return Error(ErrorCode::kParseError, "fortran_order arrays are not supported");
  }
  GRAPHS_ASSIGN_OR_RETURN(std::string shape, dict_value(header, "shape"));
  if (shape.size() < 2 || shape.front() != '(' || shape.back() != ')') {
    return make_error(ErrorCode::kParseError, "shape ", shape, " is not a tuple");
  }
  std::size_t count = 1;
  {
    std::stringstream ss(shape.substr(1, shape.size() - 2));
    std::string item;
    while (std::getline(ss, item, ',')) {
      const auto first = item.find_first_not_of(' ');
      if (first == std::string::npos) continue;
      try {
        std::size_t used = 0;
        const long long d = std::stoll(item.substr(first), &used);
        if (d < 0) throw std::invalid_argument("negative");
        a.shape.push_back(d);
        count *= static_cast<std::size_t>(d);
      } catch (const std::exception&) {
        return make_error(ErrorCode::kParseError, "shape ", shape, " has a bad dimension");
      }
    }
  }
  if (a.descr.size() < 3) return make_error(ErrorCode::kParseError, "dtype '", a.descr, "' not supported");
  const char order = a.descr[0], kind = a.descr[1];
  int width = 0;
  try {
    width = std::stoi(a.descr.substr(2));
  } catch (const std::exception&) {
    return make_error(ErrorCode::kParseError, "dtype '", a.descr, "' not supported");
  }
  if (order == '>' && width > 1) {
    return make_error(ErrorCode::kParseError, "big-endian '", a.descr, "' not supported");
  }
  const bool ok_kind = (kind == 'f' && (width == 4 || width == 8)) ||
                       ((kind == 'i' || kind == 'u') &&
                        (width == 1 || width == 2 || width == 4 || width == 8)) ||
                       (kind == 'b' && width == 1);
  if (!ok_kind) return make_error(ErrorCode::kParseError, "dtype '", a.descr, "' not supported");
  const std::size_t w = static_cast<std::size_t>(width);
  if (b.size() < offset + count * w) {
    return make_error(ErrorCode::kParseError, "data holds ", (b.size() - offset) / w,
                      " elements, shape says ", count);
  }
  a.is_integer = kind != 'f';
  a.values.resize(count);
  const char* p = b.data() + offset;
  for (std::size_t i = 0; i < count; ++i, p += w) {
    double v = 0;
    if (kind == 'f' && w == 4) { float f; std::memcpy(&f, p, 4); v = f; }
    else if (kind == 'f') { double d; std::memcpy(&d, p, 8); v = d; }
    else if (kind == 'b') { v = *p != 0 ? 1.0 : 0.0; }
    else if (kind == 'i') {
      if (w == 1) { int8_t x; std::memcpy(&x, p, 1); v = x; }
      else if (w == 2) { int16_t x; std::memcpy(&x, p, 2); v = x; }
      else if (w == 4) { int32_t x; std::memcpy(&x, p, 4); v = x; }
      else { int64_t x; std::memcpy(&x, p, 8); v = static_cast<double>(x); }
    } else {
      if (w == 1) { uint8_t x; std::memcpy(&x, p, 1); v = x; }
      else if (w == 2) { uint16_t x; std::memcpy(&x, p, 2); v = x; }
      else if (w == 4) { uint32_t x; std::memcpy(&x, p, 4); v = x; }
      else { uint64_t x; std::memcpy(&x, p, 8); v = static_cast<double>(x); }
    }
    a.values[i] = v;
  }
  return a;
}

Result<NpyArray> read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIoError, "cannot read '", path, "'");
  std::stringstream ss;
  ss << in.rdbuf();
  auto a = parse_npy(ss.str());
  if (!a.ok()) return std::move(a).error().with_context("'" + path + "'");
  return a;
}

namespace {

std::string npy_header(const std::string& descr, const std::vector<int64_t>& shape) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    dict += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) dict += ",";
    if (i + 1 < shape.size()) dict += " ";
  }
  dict += "), }";
  // Pad so that magic (6) + version (2) + length (2) + header is a multiple of 64.
  std::size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>((dict.size() >> 8) & 0xff);
  return out + dict;
}

}  // namespace

std::string npy_bytes_f32(const std::vector<int64_t>& shape, const std::vector<float>& data) {
  std::string out = npy_header("<f4", shape);
  out.append(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(float));
  return out;
}

std::string npy_bytes_i64(const std::vector<int64_t>& shape, const std::vector<int64_t>& data) {
  std::string out = npy_header("<i8", shape);
  out.append(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(int64_t));
  return out;
}

}  // namespace graphs::bench
