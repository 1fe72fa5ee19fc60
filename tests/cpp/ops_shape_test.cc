// Shape rules and constant propagation of the metadata-only ops (ops/shape_ops.cc), checked
// against hand calculation with ONNX semantics.
#include <gtest/gtest.h>

#include <limits>

#include "shape_ops_test_util.h"

namespace graphs {
namespace {

using shape_ops_test::attrs;
using shape_ops_test::GraphBuilder;
using shape_ops_test::infer_error;
using V = std::vector<int64_t>;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// torch.flatten(x, 1) as exported at opset 13:
// Shape → Gather(0) → Unsqueeze → Concat([b], [-1]) → Reshape.
TEST(ShapeOpsTest, TorchFlattenExportChainResolves) {
  GraphBuilder b(13);
  b.input("x", DType::kFloat32, {2, 3, 4, 5});
  b.ints("zero", {}, {0});
  b.ints("axes0", {1}, {0});
  b.ints("minus_one", {1}, {-1});
  b.node("Shape", "shape", {"x"}, {"s"});
  b.node("Gather", "gather", {"s", "zero"}, {"batch"}, attrs({{"axis", int64_t{0}}}));
  b.node("Unsqueeze", "unsq", {"batch", "axes0"}, {"batch1"});
  b.node("Concat", "cat", {"batch1", "minus_one"}, {"target"}, attrs({{"axis", int64_t{0}}}));
  b.node("Reshape", "reshape", {"x", "target"}, {"y"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.ints_of("s"), (V{2, 3, 4, 5}));
  EXPECT_EQ(b.dims("batch"), V{});
  EXPECT_EQ(b.ints_of("batch"), V{2});
  EXPECT_EQ(b.ints_of("batch1"), V{2});
  EXPECT_EQ(b.ints_of("target"), (V{2, -1}));
  EXPECT_EQ(b.dims("y"), (V{2, 60}));
  EXPECT_EQ(b.value("y").type.dtype, DType::kFloat32);
  EXPECT_FALSE(b.value("y").data.has_value());
}

TEST(ShapeOpsTest, ShapeStartEndClampAtOpset15) {
  GraphBuilder b(15);
  b.input("x", DType::kFloat16, {2, 3, 4, 5});
  b.node("Shape", "mid", {"x"}, {"a"}, attrs({{"start", int64_t{1}}, {"end", int64_t{-1}}}));
  b.node("Shape", "clamped", {"x"}, {"c"}, attrs({{"start", int64_t{-10}}, {"end", int64_t{99}}}));
  b.node("Shape", "empty", {"x"}, {"e"}, attrs({{"start", int64_t{3}}, {"end", int64_t{1}}}));
  b.node("Size", "size", {"x"}, {"n"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.ints_of("a"), (V{3, 4}));
  EXPECT_EQ(b.dims("a"), V{2});
  EXPECT_EQ(b.ints_of("c"), (V{2, 3, 4, 5}));
  EXPECT_EQ(b.dims("e"), V{0});
  EXPECT_EQ(b.dims("n"), V{});
  EXPECT_EQ(b.ints_of("n"), V{120});
  EXPECT_EQ(b.value("n").type.dtype, DType::kInt64);
}

TEST(ShapeOpsTest, ReshapeZeroCopiesDimAndMinusOneIsInferred) {
  GraphBuilder b(13);
  b.input("x", DType::kFloat32, {2, 3, 4});
  b.ints("t1", {2}, {0, -1});
  b.ints("t2", {3}, {-1, 0, 2});
  b.node("Reshape", "r1", {"x", "t1"}, {"y1"});
  b.node("Reshape", "r2", {"x", "t2"}, {"y2"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y1"), (V{2, 12}));
  EXPECT_EQ(b.dims("y2"), (V{4, 3, 2}));
}

TEST(ShapeOpsTest, ReshapeAllowZeroKeepsZeroAtOpset14) {
  GraphBuilder b(14);
  b.input("x", DType::kFloat32, {2, 0});
  b.ints("t", {2}, {0, 5});
  b.node("Reshape", "r", {"x", "t"}, {"y"}, attrs({{"allowzero", int64_t{1}}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{0, 5}));

  // Without allowzero the 0 copies dim 0 (= 2): 10 elements from 0 is an error.
  GraphBuilder c(14);
  c.input("x", DType::kFloat32, {2, 0});
  c.ints("t", {2}, {0, 5});
  c.node("Reshape", "r_copy", {"x", "t"}, {"y"});
  const std::string msg = infer_error(c);
  EXPECT_TRUE(contains(msg, "Reshape node 'r_copy'")) << msg;
  EXPECT_TRUE(contains(msg, "cannot reshape")) << msg;
}

TEST(ShapeOpsTest, ReshapeUnknownTargetNamesItsDims) {
  GraphBuilder b(13);
  b.input("x", DType::kFloat32, {2, 3});
  b.input("target", DType::kInt64, {2});
  b.node("Reshape", "head_reshape", {"x", "target"}, {"y"});
  // Unknown target: both dims are data-dependent; the last takes the element count.
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{1, 6}));
  ASSERT_EQ(b.g.data_dependent_dims.size(), 2u);
  EXPECT_EQ(b.g.data_dependent_dims[0].symbol, "reshape_0");
  EXPECT_EQ(b.g.data_dependent_dims[0].node, "Reshape node 'head_reshape'");
}

TEST(ShapeOpsTest, ReshapeRejectsTwoMinusOnesAndWrongCount) {
  GraphBuilder b(13);
  b.input("x", DType::kFloat32, {2, 3});
  b.ints("t", {2}, {-1, -1});
  b.node("Reshape", "two", {"x", "t"}, {"y"});
  EXPECT_TRUE(contains(infer_error(b), "more than one -1"));

  GraphBuilder c(13);
  c.input("x", DType::kFloat32, {2, 3});
  c.ints("t", {2}, {4, -1});
  c.node("Reshape", "indivisible", {"x", "t"}, {"y"});
  EXPECT_TRUE(contains(infer_error(c), "Reshape node 'indivisible'"));
}

TEST(ShapeOpsTest, ReshapeAndFlattenPropagateContents) {
  GraphBuilder b(13);
  b.ints("x", {2, 3}, {1, 2, 3, 4, 5, 6});
  b.ints("t", {1}, {-1});
  b.node("Reshape", "r", {"x", "t"}, {"y"});
  b.node("Flatten", "f0", {"x"}, {"f"}, attrs({{"axis", int64_t{0}}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), V{6});
  EXPECT_EQ(b.ints_of("y"), (V{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(b.dims("f"), (V{1, 6}));
  EXPECT_EQ(b.ints_of("f"), (V{1, 2, 3, 4, 5, 6}));
}

TEST(ShapeOpsTest, FlattenAxes) {
  GraphBuilder b(13);
  b.input("x", DType::kFloat32, {2, 3, 4, 5});
  b.node("Flatten", "default", {"x"}, {"a"});
  b.node("Flatten", "neg", {"x"}, {"c"}, attrs({{"axis", int64_t{-1}}}));
  b.node("Flatten", "end", {"x"}, {"d"}, attrs({{"axis", int64_t{4}}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("a"), (V{2, 60}));
  EXPECT_EQ(b.dims("c"), (V{24, 5}));
  EXPECT_EQ(b.dims("d"), (V{120, 1}));

  GraphBuilder e(13);
  e.input("x", DType::kFloat32, {2, 3});
  e.node("Flatten", "bad_axis", {"x"}, {"y"}, attrs({{"axis", int64_t{3}}}));
  EXPECT_TRUE(contains(infer_error(e), "Flatten node 'bad_axis'"));
}

TEST(ShapeOpsTest, SqueezeAxesAttributeAtOpset11AndInputAtOpset13) {
  GraphBuilder b(11);
  b.input("x", DType::kFloat32, {1, 3, 1, 5});
  b.node("Squeeze", "attr", {"x"}, {"a"}, attrs({{"axes", V{0, -2}}}));
  b.node("Squeeze", "all", {"x"}, {"c"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("a"), (V{3, 5}));
  EXPECT_EQ(b.dims("c"), (V{3, 5}));

  GraphBuilder d(13);
  d.input("x", DType::kFloat32, {1, 3, 1, 5});
  d.ints("axes", {1}, {2});
  d.node("Squeeze", "in", {"x", "axes"}, {"y"});
  ASSERT_TRUE(d.infer().ok());
  EXPECT_EQ(d.dims("y"), (V{1, 3, 5}));
}

TEST(ShapeOpsTest, SqueezeWithEmptyAxesTensorRemovesEveryUnitDim) {
  GraphBuilder b(13);
  b.input("x", DType::kFloat32, {1, 3, 1});
  b.ints("axes", {0}, {});
  b.node("Squeeze", "sq", {"x", "axes"}, {"y"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), V{3});
}

TEST(ShapeOpsTest, SqueezeOfNonUnitAxisIsAnError) {
  GraphBuilder b(13);
  b.input("x", DType::kFloat32, {1, 3});
  b.ints("axes", {1}, {1});
  b.node("Squeeze", "sq", {"x", "axes"}, {"y"});
  const std::string msg = infer_error(b);
  EXPECT_TRUE(contains(msg, "Squeeze node 'sq'")) << msg;
  EXPECT_TRUE(contains(msg, "not 1")) << msg;
}

TEST(ShapeOpsTest, UnsqueezeAxesAttributeAtOpset11AndInputAtOpset13) {
  GraphBuilder b(11);
  b.input("x", DType::kFloat32, {3, 4});
  b.node("Unsqueeze", "attr", {"x"}, {"a"}, attrs({{"axes", V{0, -1}}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("a"), (V{1, 3, 4, 1}));

  GraphBuilder c(13);
  c.ints("x", {2}, {7, 8});
  c.ints("axes", {2}, {1, 0});
  c.node("Unsqueeze", "in", {"x", "axes"}, {"y"});
  ASSERT_TRUE(c.infer().ok());
  EXPECT_EQ(c.dims("y"), (V{1, 1, 2}));
  EXPECT_EQ(c.ints_of("y"), (V{7, 8}));

  GraphBuilder e(13);
  e.input("x", DType::kFloat32, {3});
  e.ints("axes", {2}, {0, 0});
  e.node("Unsqueeze", "dup", {"x", "axes"}, {"y"});
  EXPECT_TRUE(contains(infer_error(e), "Unsqueeze node 'dup'"));
}

// Unknown axes: the rank is known from the axes' length; each dim is a data-dependent dim,
// at most the largest input dim it can be.
TEST(ShapeOpsTest, UnsqueezeAxesUnknownAtOpset13NamesItsDims) {
  GraphBuilder b(13);
  b.input("x", DType::kFloat32, {3});
  b.input("axes", DType::kInt64, {1});
  b.node("Unsqueeze", "u", {"x", "axes"}, {"y"});
  DimBindings dims;
  dims.named["unsqueeze_0"] = 1;
  ASSERT_TRUE(infer_shapes(b.g, dims).ok());
  EXPECT_EQ(b.dims("y"), (std::vector<int64_t>{1, 3}));
  ASSERT_EQ(b.g.data_dependent_dims.size(), 2u);
  EXPECT_EQ(b.g.data_dependent_dims[0].source, "bound by --dim");
  EXPECT_EQ(b.g.data_dependent_dims[1].source, "upper bound");
}

TEST(ShapeOpsTest, ConstantAttributeForms) {
  GraphBuilder b(13);
  TensorAttr t{TensorType::make(DType::kInt64, {2, 2}), ConstData::of_ints({1, 2, 3, 4})};
  b.node("Constant", "tensor", {}, {"a"}, attrs({{"value", t}}));
  b.node("Constant", "ints", {}, {"c"}, attrs({{"value_ints", V{5, 6, 7}}}));
  b.node("Constant", "float", {}, {"d"}, attrs({{"value_float", 0.5}}));
  b.node("Constant", "int", {}, {"e"}, attrs({{"value_int", int64_t{9}}}));
  TensorAttr big{TensorType::make(DType::kFloat32, {1000, 1000}), std::nullopt};
  b.node("Constant", "big", {}, {"f"}, attrs({{"value", big}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("a"), (V{2, 2}));
  EXPECT_EQ(b.ints_of("a"), (V{1, 2, 3, 4}));
  EXPECT_EQ(b.dims("c"), V{3});
  EXPECT_EQ(b.ints_of("c"), (V{5, 6, 7}));
  EXPECT_EQ(b.value("d").type, TensorType::make(DType::kFloat32, {}));
  EXPECT_EQ(b.floats_of("d"), std::vector<double>{0.5});
  EXPECT_EQ(b.value("e").type, TensorType::make(DType::kInt64, {}));
  EXPECT_EQ(b.ints_of("e"), V{9});
  EXPECT_EQ(b.dims("f"), (V{1000, 1000}));
  EXPECT_FALSE(b.value("f").data.has_value());

  GraphBuilder c(13);
  c.node("Constant", "empty_const", {}, {"y"});
  EXPECT_TRUE(contains(infer_error(c), "Constant node 'empty_const'"));
}

TEST(ShapeOpsTest, ConstantOfShapeFillsValue) {
  GraphBuilder b(13);
  b.ints("shape", {2}, {2, 3});
  TensorAttr one{TensorType::make(DType::kInt64, {1}), ConstData::of_ints({1})};
  b.node("ConstantOfShape", "ones", {"shape"}, {"y"}, attrs({{"value", one}}));
  b.node("ConstantOfShape", "zeros", {"shape"}, {"z"});
  b.ints("empty", {0}, {});
  b.node("ConstantOfShape", "scalar", {"empty"}, {"s"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.value("y").type, TensorType::make(DType::kInt64, {2, 3}));
  EXPECT_EQ(b.ints_of("y"), V(6, 1));
  EXPECT_EQ(b.value("z").type, TensorType::make(DType::kFloat32, {2, 3}));
  EXPECT_EQ(b.floats_of("z"), std::vector<double>(6, 0.0));
  EXPECT_EQ(b.dims("s"), V{});
}

TEST(ShapeOpsTest, RangeIntegerAndFloat) {
  GraphBuilder c(13);
  c.ints("s", {}, {10});
  c.ints("l", {}, {1});
  c.ints("d", {}, {-3});
  c.node("Range", "down", {"s", "l", "d"}, {"r"});
  c.floats("fs", {}, {0.0});
  c.floats("fl", {}, {1.0});
  c.floats("fd", {}, {0.3});
  c.node("Range", "float", {"fs", "fl", "fd"}, {"f"});
  ASSERT_TRUE(c.infer().ok());
  EXPECT_EQ(c.ints_of("r"), (V{10, 7, 4}));
  EXPECT_EQ(c.dims("f"), V{4});  // 0, 0.3, 0.6, 0.9
  EXPECT_EQ(c.value("f").type.dtype, DType::kFloat32);

  GraphBuilder b(13);
  b.ints("s", {}, {10});
  b.ints("zero", {}, {0});
  b.node("Range", "zero_step", {"s", "zero", "zero"}, {"e"});
  EXPECT_TRUE(contains(infer_error(b), "Range node 'zero_step': delta is 0"));
}

TEST(ShapeOpsTest, RangeWithUnknownLimitHasADataDependentLength) {
  GraphBuilder b(13);
  b.ints("s", {}, {0});
  b.input("l", DType::kInt64, {});
  b.ints("d", {}, {1});
  b.node("Range", "arange", {"s", "l", "d"}, {"r"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("r"), V{1});  // no bound: assumed 1
  ASSERT_EQ(b.g.data_dependent_dims.size(), 1u);
  EXPECT_EQ(b.g.data_dependent_dims[0].source, "assumed (no bound)");
}

TEST(ShapeOpsTest, EyeLikeDiagonal) {
  GraphBuilder b(13);
  b.input("x", DType::kFloat32, {2, 3});
  b.node("EyeLike", "eye", {"x"}, {"y"}, attrs({{"k", int64_t{1}}, {"dtype", int64_t{7}}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.value("y").type, TensorType::make(DType::kInt64, {2, 3}));
  EXPECT_EQ(b.ints_of("y"), (V{0, 1, 0, 0, 0, 1}));
}

TEST(ShapeOpsTest, MetadataOpsHaveZeroCostAndShapeClass) {
  GraphBuilder b(13);
  b.input("x", DType::kFloat32, {8, 16});
  b.ints("t", {1}, {-1});
  b.node("Reshape", "r", {"x", "t"}, {"y"});
  b.node("Shape", "s", {"x"}, {"sh"});
  ASSERT_TRUE(b.infer().ok());
  for (const char* n : {"r", "s"}) {
    const OpCost c = b.cost(n);
    EXPECT_EQ(c.flops, 0);
    EXPECT_EQ(c.bytes_read, 0);
    EXPECT_EQ(c.bytes_written, 0);
    EXPECT_EQ(b.schema_of(n).op_class, OpClass::kShape);
  }
  for (const char* op : {"Shape", "Size", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Constant",
                         "ConstantOfShape", "Range", "EyeLike"}) {
    const OpSchema* s = OpRegistry::global().find("", op);
    ASSERT_NE(s, nullptr) << op;
    EXPECT_EQ(s->op_class, OpClass::kShape) << op;
    EXPECT_FALSE(s->flops_note.empty()) << op;
  }
}

}  // namespace
}  // namespace graphs
