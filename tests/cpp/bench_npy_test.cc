// The .npy reader against files numpy wrote, the writer byte for byte against numpy, round trips,
// and clear errors for what it does not read.
#include <gtest/gtest.h>

#include "graphs/bench/npy.h"

namespace graphs::bench {
namespace {

std::string header_dict_padded(const std::string& dict, std::size_t prefix) {
  std::string h = dict;
  h.append((64 - (prefix + h.size() + 1) % 64) % 64, ' ');
  return h + "\n";
}

// np.lib.format.write_array(b, np.array([[1.5, -2.0], [0.25, 3.0]], dtype=np.float32)), numpy 2.
std::string numpy_f32_2x2() {
  std::string b("\x93NUMPY\x01\x00\x76\x00", 10);
  b += header_dict_padded("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 10);
  b += std::string("\x00\x00\xc0\x3f\x00\x00\x00\xc0\x00\x00\x80\x3e\x00\x00\x40\x40", 16);
  return b;
}

// np.lib.format.write_array(b, np.array([7, -1, 0], dtype=np.int64), version=(2, 0)).
std::string numpy_i64_v2() {
  std::string b("\x93NUMPY\x02\x00\x74\x00\x00\x00", 12);
  b += header_dict_padded("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", 12);
  b += std::string("\x07\x00\x00\x00\x00\x00\x00\x00", 8);
  b += std::string(8, '\xff');
  b += std::string(8, '\x00');
  return b;
}

TEST(BenchNpyTest, ReadsNumpyFloat32) {
  const std::string b = numpy_f32_2x2();
  ASSERT_EQ(b.size(), 144u);  // numpy's file size
  auto a = parse_npy(b);
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->descr, "<f4");
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(a->values, (std::vector<double>{1.5, -2.0, 0.25, 3.0}));
  EXPECT_FALSE(a->is_integer);
}

TEST(BenchNpyTest, ReadsNumpyInt64FormatVersion2) {
  const std::string b = numpy_i64_v2();
  ASSERT_EQ(b.size(), 152u);
  auto a = parse_npy(b);
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(a->values, (std::vector<double>{7, -1, 0}));
  EXPECT_TRUE(a->is_integer);
}

TEST(BenchNpyTest, ReadsScalarsAndBools) {
  std::string scalar("\x93NUMPY\x01\x00\x76\x00", 10);
  scalar += header_dict_padded("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 10);
  scalar += std::string("\x00\x00\x00\x00\x00\x00\x08\x40", 8);  // 3.0
  auto s = parse_npy(scalar);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_TRUE(s->shape.empty());
  EXPECT_EQ(s->values, std::vector<double>{3.0});

  std::string flags("\x93NUMPY\x01\x00\x76\x00", 10);
  flags += header_dict_padded("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", 10);
  flags += std::string("\x01\x00", 2);
  auto f = parse_npy(flags);
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->values, (std::vector<double>{1, 0}));
}

TEST(BenchNpyTest, WriterMatchesNumpyByteForByte) {
  EXPECT_EQ(npy_bytes_f32({2, 2}, {1.5f, -2.0f, 0.25f, 3.0f}), numpy_f32_2x2());
}

TEST(BenchNpyTest, RoundTrips) {
  std::vector<float> f(3 * 4 * 5);
  for (std::size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(i) * 0.5f - 7.0f;
  auto a = parse_npy(npy_bytes_f32({3, 4, 5}, f));
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->shape, (std::vector<int64_t>{3, 4, 5}));
  for (std::size_t i = 0; i < f.size(); ++i) EXPECT_EQ(a->values[i], f[i]);

  auto b = parse_npy(npy_bytes_i64({4}, {1, -2, 3000000000LL, 0}));
  ASSERT_TRUE(b.ok()) << b.error().message();
  EXPECT_EQ(b->values, (std::vector<double>{1, -2, 3000000000.0, 0}));
  EXPECT_TRUE(b->is_integer);
}

TEST(BenchNpyTest, RejectsWhatItCannotRead) {
  EXPECT_FALSE(parse_npy("not numpy at all").ok());
  std::string big("\x93NUMPY\x01\x00\x76\x00", 10);
  big += header_dict_padded("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", 10);
  big += std::string(4, '\0');
  auto e = parse_npy(big);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message().find("big-endian"), std::string::npos);

  std::string fortran("\x93NUMPY\x01\x00\x76\x00", 10);
  fortran += header_dict_padded("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", 10);
  fortran += std::string(4, '\0');
  EXPECT_FALSE(parse_npy(fortran).ok());

  std::string truncated = numpy_f32_2x2();
  truncated.resize(truncated.size() - 4);
  auto t = parse_npy(truncated);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message().find("shape says 4"), std::string::npos) << t.error().message();
  EXPECT_EQ(read_npy("/nonexistent/x.npy").error().code(), ErrorCode::kIoError);
}

}  // namespace
}  // namespace graphs::bench
