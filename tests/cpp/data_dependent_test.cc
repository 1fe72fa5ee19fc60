// Data-dependent shapes (shape_inference.h): ops whose output shape depends on contents unknown
// at analysis time name each undecidable dim, size it by --dim, an upper bound or an assumption,
// and inference carries on; empty `axes` inputs are known contents. Then weights held by
// Constant nodes (characterize.h): parameters and weight bytes like initializers.
#include <gtest/gtest.h>

#include <string>

#include "graphs/analysis/characterize.h"
#include "graphs/analysis/fusion.h"
#include "shape_ops_test_util.h"

namespace graphs {
namespace {

using shape_ops_test::attrs;
using shape_ops_test::GraphBuilder;
using V = std::vector<int64_t>;

const DataDependentDim* dim_named(const Graph& g, const std::string& symbol) {
  for (const auto& d : g.data_dependent_dims) {
    if (d.symbol == symbol) return &d;
  }
  ADD_FAILURE() << "no data-dependent dim " << symbol;
  return nullptr;
}

DimBindings bound(std::map<std::string, int64_t> named) {
  DimBindings b;
  b.named = std::move(named);
  return b;
}

// NonZero of a mask computed at run time: [rank, nonzero_0], at most the element count; the
// count then flows through Shape → Gather → Unsqueeze → Expand as a known size.
TEST(DataDependentTest, NonZeroCountFlowsDownstreamAndBindsByName) {
  for (const bool bind : {false, true}) {
    GraphBuilder b(13);
    b.input("x", DType::kFloat32, {4, 6});
    b.floats("zero", {}, {0});
    b.node("Greater", "positive", {"x", "zero"}, {"mask"});
    b.node("NonZero", "where", {"mask"}, {"idx"});
    b.node("Shape", "shape", {"idx"}, {"idx_shape"});
    b.ints("one", {}, {1});
    b.node("Gather", "count", {"idx_shape", "one"}, {"n"}, attrs({{"axis", int64_t{0}}}));
    b.ints("axes0", {1}, {0});
    b.node("Unsqueeze", "as_shape", {"n", "axes0"}, {"n_shape"});
    b.floats("ones", {1}, {1});
    b.node("Expand", "fill", {"ones", "n_shape"}, {"filled"});
    const Status s = bind ? infer_shapes(b.g, bound({{"nonzero_0", 7}})) : b.infer();
    ASSERT_TRUE(s.ok()) << s.error().message();
    const int64_t n = bind ? 7 : 24;
    EXPECT_EQ(b.dims("idx"), (V{2, n}));
    EXPECT_EQ(b.dims("filled"), V{n});
    ASSERT_EQ(b.g.data_dependent_dims.size(), 1u);  // Expand's shape was known: no new symbol
    const DataDependentDim* d = dim_named(b.g, "nonzero_0");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->node, "NonZero node 'where'");
    EXPECT_EQ(d->value, "idx");
    EXPECT_EQ(d->axis, 1);
    EXPECT_EQ(d->source, bind ? "bound by --dim" : "upper bound");
  }
}

TEST(DataDependentTest, TopKTileExpandPadConstantOfShape) {
  GraphBuilder b(18);
  b.input("x", DType::kFloat32, {3, 10});
  b.input("k", DType::kInt64, {1});
  b.node("TopK", "top", {"x", "k"}, {"values", "indices"});
  b.input("reps", DType::kInt64, {2});
  b.node("Tile", "tile", {"x", "reps"}, {"tiled"});
  b.input("row", DType::kFloat32, {1, 10});
  b.input("to", DType::kInt64, {3});
  b.node("Expand", "expand", {"row", "to"}, {"expanded"});
  b.input("pads", DType::kInt64, {4});
  b.node("Pad", "pad", {"x", "pads"}, {"padded"});
  b.input("shape", DType::kInt64, {2});
  b.node("ConstantOfShape", "zeros", {"shape"}, {"zeros"});
  ASSERT_TRUE(infer_shapes(b.g, bound({{"topk_0", 4}, {"tile_1", 30}, {"expand_0", 5}})).ok());
  EXPECT_EQ(b.dims("values"), (V{3, 4}));
  EXPECT_EQ(b.dims("indices"), (V{3, 4}));
  EXPECT_EQ(b.value("indices").type.dtype, DType::kInt64);
  EXPECT_EQ(b.dims("tiled"), (V{3, 30}));    // tile_0 assumed: the input dim
  EXPECT_EQ(b.dims("expanded"), (V{5, 1, 10}));  // 10 stays; expand_0 bound, expand_1 assumed 1
  EXPECT_EQ(b.dims("padded"), (V{3, 10}));   // pads assumed 0
  EXPECT_EQ(b.dims("zeros"), (V{1, 1}));
  EXPECT_EQ(dim_named(b.g, "topk_0")->source, "bound by --dim");
  EXPECT_EQ(dim_named(b.g, "tile_0")->source, "assumed (no bound)");
  EXPECT_EQ(dim_named(b.g, "pad_1")->size, 10);
  EXPECT_EQ(b.g.data_dependent_dims.size(), 2u + 2u + 2u + 2u + 1u);
}

// A Reshape to a computed shape: each output dim is named; bound ones are fixed and the last
// unbound one takes the element count.
TEST(DataDependentTest, ReshapeDimsBindAndTheRestTakesTheElementCount) {
  GraphBuilder b(13);
  b.input("x", DType::kFloat32, {4, 6});
  b.input("target", DType::kInt64, {3});
  b.node("Reshape", "r", {"x", "target"}, {"y"});
  ASSERT_TRUE(infer_shapes(b.g, bound({{"reshape_0", 2}})).ok());
  EXPECT_EQ(b.dims("y"), (V{2, 1, 12}));
  EXPECT_EQ(dim_named(b.g, "reshape_2")->source, "the element count over the other dims");

  GraphBuilder c(13);
  c.input("x", DType::kFloat32, {4, 6});
  c.input("target", DType::kInt64, {2});
  c.node("Reshape", "r", {"x", "target"}, {"y"});
  const Status s = infer_shapes(c.g, bound({{"reshape_0", 5}}));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("do not fit the input's 24 elements"), std::string::npos)
      << s.error().message();
}

TEST(DataDependentTest, BindingNamesAreChecked) {
  GraphBuilder b(13);
  b.input("x", DType::kFloat32, {4});
  b.node("NonZero", "nz", {"x"}, {"idx"});
  // A data-dependent name the model does not have: did-you-mean among those it has.
  Status s = infer_shapes(b.g, bound({{"nonzero_1", 2}}));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("nonzero_0"), std::string::npos) << s.error().message();
  // Any other unknown name is still refused by bind_dims.
  GraphBuilder c(13);
  c.input("x", DType::kFloat32, {4});
  s = bind_dims(c.g, bound({{"hieght", 2}}));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("hieght"), std::string::npos);
  // A branch other than then/else.
  DimBindings branch;
  branch.branch = "both";
  EXPECT_FALSE(bind_dims(c.g, branch).ok());
}

// An empty axes tensor (shape [0]) is known: reduce every axis, or none with
// noop_with_empty_axes.
TEST(DataDependentTest, EmptyAxesInputIsKnown) {
  GraphBuilder b(18);
  b.input("x", DType::kFloat32, {2, 3});
  b.input("axes", DType::kInt64, {0});
  b.node("ReduceSum", "all", {"x", "axes"}, {"total"});
  b.node("ReduceMean", "none", {"x", "axes"}, {"same"}, attrs({{"noop_with_empty_axes", int64_t{1}}}));
  b.node("ReduceMax", "flat", {"x", "axes"}, {"flat"}, attrs({{"keepdims", int64_t{0}}}));
  const Status s = b.infer();
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(b.dims("total"), (V{1, 1}));
  EXPECT_EQ(b.dims("same"), (V{2, 3}));
  EXPECT_EQ(b.dims("flat"), V{});
  EXPECT_TRUE(b.g.data_dependent_dims.empty());
}

// ---- weights in Constant nodes -------------------------------------------------------------

TensorAttr tensor(DType dtype, const V& dims) {
  return TensorAttr{TensorType::make(dtype, dims), std::nullopt};
}

TEST(ConstantWeightTest, ConstantsFeedingWeightInputsOrLargeAreParameters) {
  GraphBuilder b(17);
  b.input("x", DType::kFloat32, {2, 64});
  b.node("Constant", "w", {}, {"W"}, attrs({{"value", tensor(DType::kFloat32, {64, 64})}}));
  b.node("MatMul", "mm", {"x", "W"}, {"h"});
  b.ints("shape", {2}, {64, 80});  // 5120 elements: too many to fold
  b.node("ConstantOfShape", "zeros", {"shape"}, {"W2"},
         attrs({{"value", TensorAttr{TensorType::make(DType::kFloat32, {1}),
                                     ConstData::of_floats({0.5})}}}));
  b.node("MatMul", "mm2", {"h", "W2"}, {"h2"});
  b.node("Constant", "scale", {}, {"s"}, attrs({{"value", tensor(DType::kFloat32, {80})}}));
  b.node("Mul", "scaled", {"h2", "s"}, {"h3"});             // small, not a weight input
  b.input("big_in", DType::kFloat32, {80, 80});
  b.node("Constant", "table", {}, {"T"}, attrs({{"value", tensor(DType::kFloat32, {80, 80})}}));
  b.node("Add", "offset", {"big_in", "T"}, {"big_out"});      // above kMaxConstElements
  b.node("Constant", "ids", {}, {"I"}, attrs({{"value", tensor(DType::kInt64, {64, 64})}}));
  b.node("Identity", "pass", {"I"}, {"I2"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_TRUE(b.value("W").constant_weight);
  EXPECT_TRUE(b.value("W2").constant_weight);
  EXPECT_FALSE(b.value("s").constant_weight);
  EXPECT_TRUE(b.value("T").constant_weight);
  EXPECT_FALSE(b.value("I").constant_weight);  // int64: not a weight type

  auto ch = characterize(b.g, PrecisionMap{});
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  const int64_t params = 64 * 64 + 64 * 80 + 80 * 80;
  EXPECT_EQ(ch->params, params);
  EXPECT_EQ(ch->weight_bytes, 4.0 * params);
  EXPECT_EQ(ch->active_params, params);
  EXPECT_EQ(ch->nodes[1].params, 64 * 64);  // the MatMul reading W
  EXPECT_EQ(count_parameters(b.g).parameters, params);
  // The fused kernels read W as a weight, not as an activation.
  const Partition p = partition_fused(b.g, *ch);
  double weight_bytes = 0;
  for (const auto& k : p.kernels) weight_bytes += k.weight_bytes;
  EXPECT_EQ(weight_bytes, 4.0 * params);
}

}  // namespace
}  // namespace graphs
