// A minimal reader and writer of NumPy's .npy format (format versions 1.0, 2.0, 3.0), enough for
// the worker's outputs: little-endian or byte-order-free dtypes f4, f8, i1..i8, u1..u8,
// b1; C order only. Spec: numpy/lib/format.py ("The .npy format"): magic "\x93NUMPY", major and
// minor version bytes, a little-endian header length (uint16 in 1.0, uint32 in 2.0/3.0), then a
// Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (1, 1000), } padded with
// spaces to a multiple of 64 bytes and ended by '\n', then the raw data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graphs/common/status.h"

namespace graphs::bench {

struct NpyArray {
  std::string descr;             // as in the file: "<f4", "<i8", "|b1"
  std::vector<int64_t> shape;    // () for a scalar
  std::vector<double> values;    // every element, converted to double, C order
  bool is_integer = false;       // integer or bool dtype (compared exactly)

  std::size_t size() const { return values.size(); }
};

/// Parses .npy bytes. Errors (kParseError) name what is wrong: bad magic, unsupported dtype
/// ("big-endian '>f4' not supported"), fortran_order True, data shorter than the shape says.
Result<NpyArray> parse_npy(const std::string& bytes);

/// Reads and parses a file; kIoError when it cannot be read, errors prefixed with the path.
Result<NpyArray> read_npy(const std::string& path);

/// Serializes float32 ("<f4") or int64 ("<i8") data in format 1.0. Used by tests and tools.
std::string npy_bytes_f32(const std::vector<int64_t>& shape, const std::vector<float>& data);
std::string npy_bytes_i64(const std::vector<int64_t>& shape, const std::vector<int64_t>& data);

}  // namespace graphs::bench
