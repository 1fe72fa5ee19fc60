// The output check: tolerance per precision, scaled absolute tolerance, exact integers, shape and
// count mismatches named.
#include <gtest/gtest.h>

#include "graphs/bench/output_check.h"

namespace graphs::bench {
namespace {

NpyArray floats(std::vector<double> v, std::vector<int64_t> shape = {}) {
  NpyArray a;
  a.descr = "<f4";
  a.shape = shape.empty() ? std::vector<int64_t>{static_cast<int64_t>(v.size())} : shape;
  a.values = std::move(v);
  return a;
}

TEST(BenchOutputCheckTest, IdenticalOutputsPass) {
  const auto r = floats({1, -2, 3});
  const OutputComparison c = compare_outputs({r}, {r}, tolerance_for("fp32"));
  EXPECT_TRUE(c.passed);
  EXPECT_EQ(c.max_abs_error, 0);
  EXPECT_EQ(c.tensors.size(), 1u);
}

TEST(BenchOutputCheckTest, Fp32ToleranceIsScaledByTheOutput) {
  const auto ref = floats({10.0, 0.0, -5.0});
  // |err| 5e-3 on a zero reference: within atol = 1e-3 * max|ref| = 1e-2.
  EXPECT_TRUE(compare_outputs({floats({10.0, 5e-3, -5.0})}, {ref}, tolerance_for("fp32")).passed);
  // |err| 0.05: beyond 1e-2 + 1e-3 * 10.
  const auto c = compare_outputs({floats({10.05, 0.0, -5.0})}, {ref}, tolerance_for("fp32"));
  EXPECT_FALSE(c.passed);
  EXPECT_NEAR(c.max_abs_error, 0.05, 1e-12);
  EXPECT_NEAR(c.max_rel_error, 0.005, 1e-12);
  EXPECT_EQ(c.tensors[0].mismatched, 1u);
  EXPECT_NE(c.reason.find("output mismatch"), std::string::npos);
}

TEST(BenchOutputCheckTest, ReducedPrecisionIsLooser) {
  const auto ref = floats({1.0, 2.0, 4.0});
  const auto off = floats({1.01, 2.02, 4.04});  // 1 % off
  EXPECT_FALSE(compare_outputs({off}, {ref}, tolerance_for("fp32")).passed);
  EXPECT_TRUE(compare_outputs({off}, {ref}, tolerance_for("fp16")).passed);
  EXPECT_TRUE(compare_outputs({off}, {ref}, tolerance_for("bf16")).passed);
  EXPECT_TRUE(compare_outputs({off}, {ref}, tolerance_for("int8")).passed);
  const auto far = floats({1.0, 2.0, 5.0});  // |err| 1 > 0.1 * 4 + 0.1 * 4
  EXPECT_FALSE(compare_outputs({far}, {ref}, tolerance_for("int8")).passed);
}

TEST(BenchOutputCheckTest, IntegersMustMatchExactly) {
  NpyArray a = floats({1, 2, 3}), b = floats({1, 2, 4});
  a.is_integer = b.is_integer = true;
  EXPECT_FALSE(compare_outputs({a}, {b}, tolerance_for("int8")).passed);
  EXPECT_TRUE(compare_outputs({a}, {a}, tolerance_for("int8")).passed);
}

TEST(BenchOutputCheckTest, ShapeCountAndNanProblemsAreNamed) {
  const auto c1 = compare_outputs({floats({1, 2})}, {floats({1, 2}), floats({3})}, {});
  EXPECT_FALSE(c1.passed);
  EXPECT_NE(c1.reason.find("1 outputs, the reference has 2"), std::string::npos) << c1.reason;
  const auto c2 = compare_outputs({floats({1, 2, 3, 4}, {2, 2})}, {floats({1, 2, 3, 4}, {4})}, {});
  EXPECT_FALSE(c2.passed);
  EXPECT_NE(c2.reason.find("shape [2, 2], reference [4]"), std::string::npos) << c2.reason;
  const auto c3 = compare_outputs({floats({1, std::nan("")})}, {floats({1, 2})}, {});
  EXPECT_FALSE(c3.passed);
  EXPECT_NE(c3.reason.find("NaN"), std::string::npos) << c3.reason;
}

}  // namespace
}  // namespace graphs::bench
