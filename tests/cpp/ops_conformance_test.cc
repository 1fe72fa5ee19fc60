// Rules added for ONNX's conformance models (tests/python/test_onnx_conformance.py): the
// data-dependent dims of Reduce*, Split, Squeeze and OneHot with inputs unknown at analysis
// time (analysis/data_dependent.cc), opset 24 (Swish, TensorScatter, Attention's shorter mask),
// Det, TfIdfVectorizer, StringSplit, CenterCropPad; counts by hand.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "shape_ops_test_util.h"

namespace graphs {
namespace {

using shape_ops_test::attrs;
using shape_ops_test::GraphBuilder;
using shape_ops_test::infer_error;
using V = std::vector<int64_t>;

std::vector<std::string> sources(const Graph& g) {
  std::vector<std::string> out;
  for (const auto& d : g.data_dependent_dims) out.push_back(d.symbol + " " + d.source);
  return out;
}

TEST(ConformanceRulesTest, ReduceWithUnknownAxesNamesEachDim) {
  // keepdims 0, two axes of [2, 7, 3, 5]: rank 2, output dim j at most max(x[j..j+2]).
  GraphBuilder b(18);
  b.input("x", DType::kFloat32, {2, 7, 3, 5});
  b.input("axes", DType::kInt64, {2});
  b.node("ReduceSum", "r", {"x", "axes"}, {"y"}, attrs({{"keepdims", int64_t{0}}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{7, 7}));
  EXPECT_EQ(sources(b.g), (std::vector<std::string>{"reducesum_0 upper bound",
                                                    "reducesum_1 upper bound"}));
  // Bound as the axes {0, 2} would give, and the reduction still reads every input element.
  GraphBuilder bound(18);
  bound.input("x", DType::kFloat32, {2, 7, 3, 5});
  bound.input("axes", DType::kInt64, {2});
  bound.node("ReduceSum", "r", {"x", "axes"}, {"y"}, attrs({{"keepdims", int64_t{0}}}));
  DimBindings dims;
  dims.named = {{"reducesum_0", 7}, {"reducesum_1", 5}};
  ASSERT_TRUE(infer_shapes(bound.g, dims).ok());
  EXPECT_EQ(bound.dims("y"), (V{7, 5}));
  EXPECT_DOUBLE_EQ(bound.cost("r").flops, 2 * 7 * 3 * 5);
}

TEST(ConformanceRulesTest, SplitSqueezeOneHotWithUnknownInputs) {
  GraphBuilder b(18);
  b.input("x", DType::kFloat32, {6, 4});
  b.input("sizes", DType::kInt64, {2});
  b.input("axes", DType::kInt64, {1});
  b.input("depth", DType::kInt64, {});
  b.input("ids", DType::kInt64, {3});
  b.floats("values", {2}, {0, 1});
  b.node("Split", "s", {"x", "sizes"}, {"a", "c"});
  b.node("Squeeze", "q", {"x", "axes"}, {"sq"});
  b.node("OneHot", "o", {"ids", "depth", "values"}, {"hot"});
  DimBindings dims;
  dims.named = {{"split_0", 2}, {"split_1", 4}, {"onehot_0", 10}, {"squeeze_0", 0}};
  // A data-dependent dim may be bound to 0.
  ASSERT_TRUE(infer_shapes(b.g, dims).ok());
  EXPECT_EQ(b.dims("a"), (V{2, 4}));
  EXPECT_EQ(b.dims("c"), (V{4, 4}));
  EXPECT_EQ(b.dims("sq"), (V{0}));
  EXPECT_EQ(b.dims("hot"), (V{3, 10}));
}

// A data-dependent rule takes over only when contents are missing: other errors stand.
TEST(ConformanceRulesTest, OtherErrorsAreNotHiddenByADataDependentRule) {
  GraphBuilder b(11);
  b.input("boxes", DType::kFloat32, {1, 10, 4});
  b.input("scores", DType::kFloat32, {1, 3, 9});
  b.input("max", DType::kInt64, {});
  b.node("NonMaxSuppression", "nms", {"boxes", "scores", "max"}, {"sel"});
  EXPECT_NE(infer_error(b).find("scores [1,3,9] must be [1, num_classes, 10]"), std::string::npos);
}

TEST(ConformanceRulesTest, Opset24Ops) {
  GraphBuilder b(24);
  b.input("x", DType::kFloat32, {2, 3});
  b.node("Swish", "sw", {"x"}, {"y"});
  b.input("cache", DType::kFloat16, {2, 4, 16, 8});
  b.input("update", DType::kFloat16, {2, 4, 3, 8});
  b.input("where", DType::kInt64, {2});
  b.node("TensorScatter", "ts", {"cache", "update", "where"}, {"present"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_DOUBLE_EQ(b.cost("sw").flops, 6 * 6);
  EXPECT_EQ(b.dims("present"), (V{2, 4, 16, 8}));
  EXPECT_DOUBLE_EQ(b.cost("ts").flops, 0);

  GraphBuilder bad(24);
  bad.input("cache", DType::kFloat16, {2, 4, 16, 8});
  bad.input("update", DType::kFloat16, {2, 4, 17, 8});
  bad.node("TensorScatter", "ts", {"cache", "update"}, {"present"});
  EXPECT_NE(infer_error(bad).find("does not fit past_cache"), std::string::npos);
}

TEST(ConformanceRulesTest, AttentionMaskMayBeShorterFromOpset24) {
  for (int opset : {23, 24}) {
    GraphBuilder b(opset);
    b.input("q", DType::kFloat32, {2, 3, 4, 8});
    b.input("k", DType::kFloat32, {2, 3, 6, 8});
    b.input("v", DType::kFloat32, {2, 3, 6, 10});
    b.input("mask", DType::kFloat32, {2, 3, 4, 4});
    b.node("Attention", "a", {"q", "k", "v", "mask"}, {"y"});
    const Status s = b.infer();
    EXPECT_EQ(s.ok(), opset == 24) << opset;
    if (s.ok()) EXPECT_EQ(b.dims("y"), (V{2, 3, 4, 10}));
  }
}

TEST(ConformanceRulesTest, DetTfIdfStringSplitCenterCropPad) {
  GraphBuilder b(20);
  b.input("m", DType::kFloat32, {5, 3, 3});
  b.node("Det", "det", {"m"}, {"d"});
  b.input("tokens", DType::kInt32, {2, 12});
  b.node("TfIdfVectorizer", "tfidf", {"tokens"}, {"tf"},
         attrs({{"ngram_indexes", V{0, 1, 2, 3, 4, 5, 6}}, {"min_gram_length", int64_t{1}},
                {"max_gram_length", int64_t{2}}, {"max_skip_count", int64_t{1}},
                {"mode", std::string("TF")}}));
  b.input("s", DType::kString, {3});
  b.node("StringSplit", "split", {"s"}, {"parts", "counts"}, attrs({{"maxsplit", int64_t{2}}}));
  b.input("img", DType::kFloat32, {20, 10, 3});
  b.ints("crop", {2}, {10, 12});
  b.node("CenterCropPad", "ccp", {"img", "crop"}, {"out"}, attrs({{"axes", V{0, 1}}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("d"), (V{5}));
  EXPECT_DOUBLE_EQ(b.cost("det").flops, 5 * (2.0 * 27 / 3 + 2));
  EXPECT_EQ(b.dims("tf"), (V{2, 7}));
  EXPECT_DOUBLE_EQ(b.cost("tfidf").flops, 24 * 2 * 2);  // elements × lengths × skips
  EXPECT_EQ(b.dims("parts"), (V{3, 3}));                // at most maxsplit + 1
  EXPECT_EQ(b.dims("counts"), (V{3}));
  EXPECT_EQ(b.dims("out"), (V{10, 12, 3}));
}

}  // namespace
}  // namespace graphs
