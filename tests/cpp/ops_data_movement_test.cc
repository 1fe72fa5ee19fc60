// Shape rules, constant propagation and cost rules of the data-movement ops
// (ops/data_movement.cc, ops/gather_scatter.cc, ops/resize.cc), checked against hand calculation
// with ONNX semantics.
#include <gtest/gtest.h>

#include <limits>

#include "shape_ops_test_util.h"

namespace graphs {
namespace {

using shape_ops_test::attrs;
using shape_ops_test::GraphBuilder;
using shape_ops_test::infer_error;
using V = std::vector<int64_t>;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(DataMovementOpsTest, TransposeDefaultPermReversesAxes) {
  GraphBuilder b(13);
  b.input("x", DType::kFloat32, {2, 3, 4});
  b.node("Transpose", "t", {"x"}, {"y"});
  b.ints("m", {2, 3}, {1, 2, 3, 4, 5, 6});
  b.node("Transpose", "tm", {"m"}, {"mt"});
  b.node("Transpose", "perm", {"x"}, {"p"}, attrs({{"perm", V{0, 2, 1}}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{4, 3, 2}));
  EXPECT_EQ(b.dims("mt"), (V{3, 2}));
  EXPECT_EQ(b.ints_of("mt"), (V{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(b.dims("p"), (V{2, 4, 3}));
  const OpCost c = b.cost("t");
  EXPECT_EQ(c.flops, 0);
  EXPECT_EQ(c.bytes_read, 24 * 4);
  EXPECT_EQ(c.bytes_written, 24 * 4);
  EXPECT_EQ(b.schema_of("t").op_class, OpClass::kDataMovement);
}

TEST(DataMovementOpsTest, TransposeRejectsBadPerm) {
  GraphBuilder b(13);
  b.input("x", DType::kFloat32, {2, 3});
  b.node("Transpose", "bad", {"x"}, {"y"}, attrs({{"perm", V{0, 0}}}));
  const std::string msg = infer_error(b);
  EXPECT_TRUE(contains(msg, "Transpose node 'bad'")) << msg;
  EXPECT_TRUE(contains(msg, "not a permutation")) << msg;
}

TEST(DataMovementOpsTest, ConcatNegativeAxisAndContents) {
  GraphBuilder b(13);
  b.input("x", DType::kFloat32, {2, 3});
  b.input("z", DType::kFloat32, {2, 5});
  b.node("Concat", "cat", {"x", "z"}, {"y"}, attrs({{"axis", int64_t{-1}}}));
  b.ints("p", {2, 1}, {1, 2});
  b.ints("q", {2, 2}, {3, 4, 5, 6});
  b.node("Concat", "cat_data", {"p", "q"}, {"pq"}, attrs({{"axis", int64_t{1}}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{2, 8}));
  EXPECT_EQ(b.ints_of("pq"), (V{1, 3, 4, 2, 5, 6}));
  const OpCost c = b.cost("cat");
  EXPECT_EQ(c.bytes_read, (6 + 10) * 4);
  EXPECT_EQ(c.bytes_written, 16 * 4);
}

TEST(DataMovementOpsTest, ConcatMismatchedDimsNameTheNode) {
  GraphBuilder b(13);
  b.input("x", DType::kFloat32, {2, 3});
  b.input("z", DType::kFloat32, {4, 5});
  b.node("Concat", "enc.cat", {"x", "z"}, {"y"}, attrs({{"axis", int64_t{1}}}));
  const std::string msg = infer_error(b);
  EXPECT_TRUE(contains(msg, "Concat node 'enc.cat'")) << msg;
  EXPECT_TRUE(contains(msg, "does not match input 0")) << msg;
}

TEST(DataMovementOpsTest, SplitEqualAndExplicit) {
  GraphBuilder b(13);
  b.input("x", DType::kFloat32, {6, 4});
  b.node("Split", "equal", {"x"}, {"a", "b", "c"});
  b.ints("sizes", {2}, {1, 3});
  b.node("Split", "explicit", {"x", "sizes"}, {"d", "e"}, attrs({{"axis", int64_t{-1}}}));
  b.ints("v", {5}, {10, 11, 12, 13, 14});
  b.ints("vs", {2}, {2, 3});
  b.node("Split", "data", {"v", "vs"}, {"v1", "v2"});
  ASSERT_TRUE(b.infer().ok());
  for (const char* n : {"a", "b", "c"}) EXPECT_EQ(b.dims(n), (V{2, 4}));
  EXPECT_EQ(b.dims("d"), (V{6, 1}));
  EXPECT_EQ(b.dims("e"), (V{6, 3}));
  EXPECT_EQ(b.ints_of("v1"), (V{10, 11}));
  EXPECT_EQ(b.ints_of("v2"), (V{12, 13, 14}));
  const OpCost c = b.cost("explicit");
  EXPECT_EQ(c.bytes_read, 24 * 4);  // the sizes tensor is metadata
  EXPECT_EQ(c.bytes_written, 24 * 4);
}

TEST(DataMovementOpsTest, SplitAttributeAtOpset11AndUnevenAtOpset18) {
  GraphBuilder b(11);
  b.input("x", DType::kFloat32, {7});
  b.node("Split", "attr", {"x"}, {"a", "c"}, attrs({{"split", V{3, 4}}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("a"), V{3});
  EXPECT_EQ(b.dims("c"), V{4});

  GraphBuilder d(18);
  d.input("x", DType::kFloat32, {7});
  d.node("Split", "uneven", {"x"}, {"a", "c", "e"}, attrs({{"num_outputs", int64_t{3}}}));
  ASSERT_TRUE(d.infer().ok());
  EXPECT_EQ(d.dims("a"), V{3});
  EXPECT_EQ(d.dims("c"), V{3});
  EXPECT_EQ(d.dims("e"), V{1});

  GraphBuilder f(13);
  f.input("x", DType::kFloat32, {7});
  f.node("Split", "indivisible", {"x"}, {"a", "c"});
  EXPECT_TRUE(contains(infer_error(f), "Split node 'indivisible'"));

  GraphBuilder g(13);
  g.input("x", DType::kFloat32, {7});
  g.ints("sizes", {2}, {3, 3});
  g.node("Split", "bad_sum", {"x", "sizes"}, {"a", "c"});
  EXPECT_TRUE(contains(infer_error(g), "sums to 6"));
}

TEST(DataMovementOpsTest, SliceNegativeStepsAndInt64Limits) {
  GraphBuilder b(13);
  b.ints("x", {10}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  b.ints("m1", {1}, {-1});
  b.ints("imin", {1}, {kMin});
  b.node("Slice", "reverse", {"x", "m1", "imin", "", "m1"}, {"rev"});
  b.ints("two", {1}, {2});
  b.ints("imax", {1}, {kMax});
  b.ints("three", {1}, {3});
  b.node("Slice", "stride3", {"x", "two", "imax", "", "three"}, {"s3"});
  b.ints("eight", {1}, {8});
  b.ints("one", {1}, {1});
  b.ints("m2", {1}, {-2});
  b.node("Slice", "back2", {"x", "eight", "one", "", "m2"}, {"b2"});
  b.ints("big", {1}, {100});
  b.node("Slice", "clamped", {"x", "big", "imax"}, {"none"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.ints_of("rev"), (V{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}));
  EXPECT_EQ(b.ints_of("s3"), (V{2, 5, 8}));
  EXPECT_EQ(b.ints_of("b2"), (V{8, 6, 4, 2}));
  EXPECT_EQ(b.dims("none"), V{0});
}

TEST(DataMovementOpsTest, SliceMultiAxisWithNegativeAxesAndOutputSizedRead) {
  GraphBuilder b(13);
  b.input("x", DType::kFloat32, {4, 6, 8});
  b.ints("starts", {2}, {1, -3});
  b.ints("ends", {2}, {kMax, 100});
  b.ints("axes", {2}, {-1, 1});
  b.node("Slice", "s", {"x", "starts", "ends", "axes"}, {"y"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{4, 3, 7}));
  const OpCost c = b.cost("s");
  EXPECT_EQ(c.bytes_read, 4 * 3 * 7 * 4);
  EXPECT_EQ(c.bytes_written, 4 * 3 * 7 * 4);
}

TEST(DataMovementOpsTest, SliceAttributesBeforeOpset10AndUnknownStarts) {
  GraphBuilder b(9);
  b.input("x", DType::kFloat32, {5, 6});
  b.node("Slice", "old", {"x"}, {"y"},
         attrs({{"starts", V{1}}, {"ends", V{-1}}, {"axes", V{1}}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{5, 4}));

  GraphBuilder c(13);
  c.input("x", DType::kFloat32, {5});
  c.input("starts", DType::kInt64, {1});
  c.ints("ends", {1}, {4});
  c.node("Slice", "dyn", {"x", "starts", "ends"}, {"y"});
  // Unknown starts: the sliced axis is a data-dependent dim, at most the axis size.
  ASSERT_TRUE(c.infer().ok());
  EXPECT_EQ(c.dims("y"), V{5});
  ASSERT_EQ(c.g.data_dependent_dims.size(), 1u);
  EXPECT_EQ(c.g.data_dependent_dims[0].symbol, "slice_0");
  EXPECT_EQ(c.g.data_dependent_dims[0].source, "upper bound");
}

TEST(DataMovementOpsTest, GatherNegativeIndicesAndContents) {
  GraphBuilder b(13);
  b.ints("d", {3, 2}, {1, 2, 3, 4, 5, 6});
  b.ints("rows", {2}, {-1, 0});
  b.node("Gather", "rows_g", {"d", "rows"}, {"r"});
  b.ints("col", {}, {-2});
  b.node("Gather", "col_g", {"d", "col"}, {"c"}, attrs({{"axis", int64_t{1}}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("r"), (V{2, 2}));
  EXPECT_EQ(b.ints_of("r"), (V{5, 6, 1, 2}));
  EXPECT_EQ(b.dims("c"), V{3});
  EXPECT_EQ(b.ints_of("c"), (V{1, 3, 5}));

  GraphBuilder e(13);
  e.ints("d", {3}, {1, 2, 3});
  e.ints("i", {1}, {3});
  e.node("Gather", "oob", {"d", "i"}, {"y"});
  const std::string msg = infer_error(e);
  EXPECT_TRUE(contains(msg, "Gather node 'oob'")) << msg;
  EXPECT_TRUE(contains(msg, "out of range")) << msg;
}

// An embedding lookup reads only the gathered rows, not the whole [30522, 768] table.
TEST(DataMovementOpsTest, GatherEmbeddingReadsOnlyGatheredRows) {
  GraphBuilder b(13);
  b.weight("word_embeddings", DType::kFloat32, {30522, 768});
  b.input("input_ids", DType::kInt64, {1, 128});
  b.node("Gather", "embed", {"word_embeddings", "input_ids"}, {"h"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("h"), (V{1, 128, 768}));
  const OpCost c = b.cost("embed");
  EXPECT_EQ(c.flops, 0);
  EXPECT_EQ(c.bytes_read, 128.0 * 768 * 4 + 128 * 8);
  EXPECT_EQ(c.bytes_written, 128.0 * 768 * 4);
  const OpCost half = b.cost("embed", PrecisionMap{DType::kFloat16});
  EXPECT_EQ(half.bytes_read, 128.0 * 768 * 2 + 128 * 8);  // indices keep int64
}

TEST(DataMovementOpsTest, GatherElementsAndGatherND) {
  GraphBuilder b(13);
  b.ints("d", {2, 2}, {1, 2, 3, 4});
  b.ints("i", {2, 2}, {0, 0, 1, 0});
  b.node("GatherElements", "ge", {"d", "i"}, {"y"}, attrs({{"axis", int64_t{1}}}));
  b.input("data", DType::kFloat32, {2, 3, 4, 5});
  b.input("idx", DType::kInt64, {2, 7, 2});
  b.node("GatherND", "gnd", {"data", "idx"}, {"z"}, attrs({{"batch_dims", int64_t{1}}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.ints_of("y"), (V{1, 1, 4, 3}));
  EXPECT_EQ(b.dims("z"), (V{2, 7, 5}));
  const OpCost c = b.cost("gnd");
  EXPECT_EQ(c.bytes_read, 2 * 7 * 5 * 4 + 2 * 7 * 2 * 8);
}

TEST(DataMovementOpsTest, ScatterKeepsDataShapeAndChecksUpdates) {
  GraphBuilder b(16);
  b.input("data", DType::kFloat32, {4, 5, 6});
  b.input("idx", DType::kInt64, {3, 2});
  b.input("upd", DType::kFloat32, {3, 6});
  b.node("ScatterND", "snd", {"data", "idx", "upd"}, {"y"}, attrs({{"reduction", std::string("add")}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{4, 5, 6}));
  const OpCost c = b.cost("snd");
  EXPECT_EQ(c.flops, 18);
  EXPECT_EQ(c.bytes_read, (120 + 18) * 4 + 6 * 8);
  EXPECT_EQ(c.bytes_written, 120 * 4);

  GraphBuilder e(16);
  e.input("data", DType::kFloat32, {4, 5, 6});
  e.input("idx", DType::kInt64, {3, 2});
  e.input("upd", DType::kFloat32, {3, 5});
  e.node("ScatterND", "bad_upd", {"data", "idx", "upd"}, {"y"});
  EXPECT_TRUE(contains(infer_error(e), "ScatterND node 'bad_upd': updates [3,5] must have shape "
                                       "[3,6]"));
}

TEST(DataMovementOpsTest, ExpandBroadcastsAndReadsInputOnce) {
  GraphBuilder b(13);
  b.input("x", DType::kFloat32, {3, 1});
  b.ints("shape", {3}, {2, 1, 4});
  b.node("Expand", "ex", {"x", "shape"}, {"y"});
  b.ints("v", {2, 1}, {7, 8});
  b.ints("s2", {2}, {2, 3});
  b.node("Expand", "ex_data", {"v", "s2"}, {"w"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{2, 3, 4}));
  EXPECT_EQ(b.ints_of("w"), (V{7, 7, 7, 8, 8, 8}));
  const OpCost c = b.cost("ex");
  EXPECT_EQ(c.bytes_read, 3 * 4);
  EXPECT_EQ(c.bytes_written, 24 * 4);

  GraphBuilder e(13);
  e.input("x", DType::kFloat32, {3});
  e.ints("shape", {1}, {4});
  e.node("Expand", "bad", {"x", "shape"}, {"y"});
  EXPECT_TRUE(contains(infer_error(e), "Expand node 'bad'"));
}

TEST(DataMovementOpsTest, TileRepeats) {
  GraphBuilder b(13);
  b.ints("x", {1, 2}, {1, 2});
  b.ints("r", {2}, {2, 2});
  b.node("Tile", "tile", {"x", "r"}, {"y"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{2, 4}));
  EXPECT_EQ(b.ints_of("y"), (V{1, 2, 1, 2, 1, 2, 1, 2}));
}

TEST(DataMovementOpsTest, PadInputAtOpset11AttributeAtOpset2AndCrop) {
  GraphBuilder b(13);
  b.input("x", DType::kFloat32, {1, 3, 8, 8});
  b.ints("pads", {8}, {0, 0, 1, 2, 0, 0, 3, 4});
  b.node("Pad", "pad", {"x", "pads"}, {"y"});
  b.ints("crop", {8}, {0, 0, -1, 0, 0, 0, -1, 0});
  b.node("Pad", "crop_pad", {"x", "crop"}, {"c"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{1, 3, 12, 14}));
  EXPECT_EQ(b.dims("c"), (V{1, 3, 6, 8}));
  EXPECT_EQ(b.cost("pad").bytes_read, 192 * 4);
  EXPECT_EQ(b.cost("crop_pad").bytes_read, 144 * 4);

  GraphBuilder d(2);
  d.input("x", DType::kFloat32, {2, 3});
  d.node("Pad", "old", {"x"}, {"y"}, attrs({{"pads", V{1, 1, 1, 1}}, {"mode", std::string("edge")}}));
  ASSERT_TRUE(d.infer().ok());
  EXPECT_EQ(d.dims("y"), (V{4, 5}));

  GraphBuilder e(18);
  e.input("x", DType::kFloat32, {2, 3, 4});
  e.ints("pads", {2}, {1, 2});
  e.ints("axes", {1}, {-1});
  e.node("Pad", "axes_pad", {"x", "pads", "", "axes"}, {"y"});
  ASSERT_TRUE(e.infer().ok());
  EXPECT_EQ(e.dims("y"), (V{2, 3, 7}));

  GraphBuilder f(13);
  f.input("x", DType::kFloat32, {2, 3});
  f.ints("pads", {2}, {1, 1});
  f.node("Pad", "short", {"x", "pads"}, {"y"});
  EXPECT_TRUE(contains(infer_error(f), "Pad node 'short'"));
}

TEST(DataMovementOpsTest, ResizeWithScales) {
  GraphBuilder b(13);
  b.input("x", DType::kFloat32, {1, 3, 10, 10});
  b.floats("scales", {4}, {1, 1, 2, 1.5});
  b.node("Resize", "up", {"x", "", "scales"}, {"y"}, attrs({{"mode", std::string("linear")}}));
  b.floats("s2", {4}, {1, 1, 1.9, 0.5});
  b.node("Resize", "odd", {"x", "", "s2"}, {"z"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{1, 3, 20, 15}));
  EXPECT_EQ(b.dims("z"), (V{1, 3, 19, 5}));  // floor(10·1.9), floor(10·0.5)
  const OpCost c = b.cost("up");
  EXPECT_EQ(c.flops, 8.0 * 3 * 20 * 15);  // bilinear: 4 taps × (mul + add)
  EXPECT_EQ(c.bytes_read, 300 * 4);
  EXPECT_EQ(c.bytes_written, 900 * 4);
  EXPECT_EQ(b.cost("odd").flops, 0);  // nearest
}

TEST(DataMovementOpsTest, ResizeWithSizes) {
  GraphBuilder b(11);
  b.input("x", DType::kFloat32, {1, 3, 10, 10});
  b.floats("roi", {0}, {});
  b.floats("scales", {0}, {});
  b.ints("sizes", {4}, {1, 3, 7, 9});
  b.node("Resize", "to_size", {"x", "roi", "scales", "sizes"}, {"y"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{1, 3, 7, 9}));

  GraphBuilder c(18);
  c.input("x", DType::kFloat32, {1, 3, 4, 8});
  c.ints("sizes", {2}, {6, 10});
  c.node("Resize", "keep", {"x", "", "", "sizes"}, {"y"},
         attrs({{"axes", V{2, 3}}, {"keep_aspect_ratio_policy", std::string("not_larger")}}));
  ASSERT_TRUE(c.infer().ok());
  EXPECT_EQ(c.dims("y"), (V{1, 3, 5, 10}));  // scale = min(6/4, 10/8) = 1.25

  GraphBuilder d(10);
  d.input("x", DType::kFloat32, {1, 1, 2, 2});
  d.floats("scales", {4}, {1, 1, 3, 3});
  d.node("Resize", "v10", {"x", "scales"}, {"y"});
  ASSERT_TRUE(d.infer().ok());
  EXPECT_EQ(d.dims("y"), (V{1, 1, 6, 6}));

  GraphBuilder e(13);
  e.input("x", DType::kFloat32, {1, 1, 2, 2});
  e.input("sizes", DType::kInt64, {4});
  e.node("Resize", "dyn", {"x", "", "", "sizes"}, {"y"});
  // Unknown sizes: every axis is a data-dependent dim, assumed unchanged.
  ASSERT_TRUE(e.infer().ok());
  EXPECT_EQ(e.dims("y"), (V{1, 1, 2, 2}));
  EXPECT_EQ(e.g.data_dependent_dims.size(), 4u);
}

TEST(DataMovementOpsTest, UpsampleScalesInputAndAttribute) {
  GraphBuilder b(9);
  b.input("x", DType::kFloat32, {1, 2, 3, 3});
  b.floats("scales", {4}, {1, 1, 2, 2});
  b.node("Upsample", "up9", {"x", "scales"}, {"y"});
  b.node("Upsample", "up7", {"x"}, {"z"}, attrs({{"scales", std::vector<double>{1, 1, 2, 3}}}), 7);
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{1, 2, 6, 6}));
  EXPECT_EQ(b.dims("z"), (V{1, 2, 6, 9}));
}

TEST(DataMovementOpsTest, DepthToSpaceAndSpaceToDepth) {
  GraphBuilder b(13);
  b.input("x", DType::kFloat32, {1, 8, 3, 5});
  b.node("DepthToSpace", "d2s", {"x"}, {"y"}, attrs({{"blocksize", int64_t{2}}}));
  b.node("SpaceToDepth", "s2d", {"y"}, {"z"}, attrs({{"blocksize", int64_t{2}}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{1, 2, 6, 10}));
  EXPECT_EQ(b.dims("z"), (V{1, 8, 3, 5}));

  GraphBuilder e(13);
  e.input("x", DType::kFloat32, {1, 6, 3, 5});
  e.node("DepthToSpace", "bad_c", {"x"}, {"y"}, attrs({{"blocksize", int64_t{2}}}));
  EXPECT_TRUE(contains(infer_error(e), "DepthToSpace node 'bad_c'"));
}

TEST(DataMovementOpsTest, TopKOutputsAndCost) {
  GraphBuilder b(11);
  b.input("x", DType::kFloat32, {2, 100});
  b.ints("k", {1}, {5});
  b.node("TopK", "topk", {"x", "k"}, {"values", "indices"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.value("values").type, TensorType::make(DType::kFloat32, {2, 5}));
  EXPECT_EQ(b.value("indices").type, TensorType::make(DType::kInt64, {2, 5}));
  const OpCost c = b.cost("topk");
  EXPECT_EQ(c.flops, 200 * 3);  // n · ceil(log2 5)
  EXPECT_EQ(c.bytes_read, 200 * 4);
  EXPECT_EQ(c.bytes_written, 10 * 4 + 10 * 8);

  GraphBuilder e(11);
  e.input("x", DType::kFloat32, {2, 4});
  e.ints("k", {1}, {5});
  e.node("TopK", "too_many", {"x", "k"}, {"v", "i"});
  EXPECT_TRUE(contains(infer_error(e), "TopK node 'too_many'"));
}

TEST(DataMovementOpsTest, NonZeroCountIsDataDependentUnlessKnown) {
  GraphBuilder b(13);
  b.input("mask", DType::kBool, {4});
  b.node("NonZero", "nz", {"mask"}, {"y"});
  // Unknown contents: the count is a data-dependent dim, at most the element count.
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{1, 4}));
  ASSERT_EQ(b.g.data_dependent_dims.size(), 1u);
  EXPECT_EQ(b.g.data_dependent_dims[0].symbol, "nonzero_0");

  GraphBuilder c(13);
  c.ints("m", {2, 2}, {0, 3, 1, 0});
  c.node("NonZero", "nz_known", {"m"}, {"y"});
  ASSERT_TRUE(c.infer().ok());
  EXPECT_EQ(c.dims("y"), (V{2, 2}));
  EXPECT_EQ(c.ints_of("y"), (V{0, 1, 1, 0}));
}

TEST(DataMovementOpsTest, CompressKeptCountIsDataDependentUnlessKnown) {
  GraphBuilder b(11);
  b.input("x", DType::kFloat32, {3, 4});
  b.ints("cond", {3}, {1, 0, 1}, DType::kBool);
  b.node("Compress", "rows", {"x", "cond"}, {"y"}, attrs({{"axis", int64_t{0}}}));
  b.node("Compress", "flat", {"x", "cond"}, {"z"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{2, 4}));
  EXPECT_EQ(b.dims("z"), V{2});

  GraphBuilder c(11);
  c.input("x", DType::kFloat32, {3, 4});
  c.input("cond", DType::kBool, {3});
  c.node("Compress", "dyn", {"x", "cond"}, {"y"}, attrs({{"axis", int64_t{0}}}));
  // Unknown condition: the kept rows are a data-dependent dim, at most the axis size.
  ASSERT_TRUE(c.infer().ok());
  EXPECT_EQ(c.dims("y"), (V{3, 4}));
  ASSERT_EQ(c.g.data_dependent_dims.size(), 1u);
  EXPECT_EQ(c.g.data_dependent_dims[0].symbol, "compress_0");
}

TEST(DataMovementOpsTest, ConcatRankMismatchNamesTheInput) {
  GraphBuilder b(13);
  b.input("x", DType::kFloat32, {2, 3});
  b.input("z", DType::kFloat32, {2, 3, 1});
  b.node("Concat", "cat", {"x", "z"}, {"y"}, attrs({{"axis", int64_t{0}}}));
  const std::string msg = infer_error(b);
  EXPECT_TRUE(contains(msg, "Concat node 'cat': input 1 ('z') has rank 3, expected 2")) << msg;
}

TEST(DataMovementOpsTest, OneHotInsertsDepthAtAxis) {
  GraphBuilder b(11);
  b.input("i", DType::kInt64, {2, 3});
  b.ints("depth", {}, {10});
  b.floats("values", {2}, {0, 1});
  b.node("OneHot", "last", {"i", "depth", "values"}, {"y"});
  b.node("OneHot", "first", {"i", "depth", "values"}, {"z"}, attrs({{"axis", int64_t{0}}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.value("y").type, TensorType::make(DType::kFloat32, {2, 3, 10}));
  EXPECT_EQ(b.dims("z"), (V{10, 2, 3}));
}

TEST(DataMovementOpsTest, CumSumIsOneFlopPerElement) {
  GraphBuilder b(14);
  b.input("x", DType::kFloat32, {4, 8});
  b.ints("axis", {}, {1});
  b.node("CumSum", "cs", {"x", "axis"}, {"y"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{4, 8}));
  const OpCost c = b.cost("cs");
  EXPECT_EQ(c.flops, 32);
  EXPECT_EQ(c.bytes_read, 32 * 4);
  EXPECT_EQ(b.schema_of("cs").op_class, OpClass::kElementwise);
}

TEST(DataMovementOpsTest, EveryOpIsRegisteredWithANote) {
  for (const char* op : {"Transpose", "Concat", "Split", "Slice", "Gather", "GatherElements",
                         "GatherND", "ScatterND", "ScatterElements", "Scatter", "Expand", "Tile",
                         "Pad", "Resize", "Upsample", "DepthToSpace", "SpaceToDepth", "Trilu",
                         "CumSum", "OneHot", "TopK", "NonZero", "Compress", "ReverseSequence"}) {
    const OpSchema* s = OpRegistry::global().find("", op);
    ASSERT_NE(s, nullptr) << op;
    EXPECT_FALSE(s->flops_note.empty()) << op;
  }
}

}  // namespace
}  // namespace graphs
