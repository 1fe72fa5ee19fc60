// ai.onnx.ml rules (ops/onnx_ml.cc): shapes as ONNX Runtime's kernels write them and counts by
// hand (docs/conventions.md "ai.onnx.ml"). tests/python/test_onnx_ml.py compares the shapes
// with ONNX Runtime's on scikit-learn models.
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
using S = std::vector<std::string>;
using F = std::vector<double>;

NodeId ml_node(GraphBuilder& b, const std::string& op, const std::vector<std::string>& in,
               const std::vector<std::string>& out, Attributes a, int opset = 3,
               const std::string& name = "n") {
  const NodeId id = b.node(op, name, in, out, std::move(a), opset);
  b.g.nodes[id].domain = "ai.onnx.ml";
  return id;
}

TEST(OnnxMlTest, LinearClassifierScoresAndMacs) {
  GraphBuilder b(17);
  b.input("x", DType::kFloat32, {5, 4});
  ml_node(b, "LinearClassifier", {"x"}, {"label", "scores"},
          attrs({{"coefficients", F(12, 0.5)}, {"intercepts", F{0, 1, 2}},
                 {"classlabels_strings", S{"a", "b", "c"}}, {"post_transform", std::string("SOFTMAX")}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("label"), (V{5}));
  EXPECT_EQ(b.value("label").type.dtype, DType::kString);
  EXPECT_EQ(b.dims("scores"), (V{5, 3}));
  const OpCost c = b.cost("n");
  EXPECT_DOUBLE_EQ(c.macs, 5 * 4 * 3);
  EXPECT_DOUBLE_EQ(c.flops, 2 * 60 + 5 * 3 * (1 + 5));  // GEMM + intercepts + softmax
  EXPECT_DOUBLE_EQ(c.bytes_read, 5 * 4 * 4);
  EXPECT_DOUBLE_EQ(c.bytes_written, 5 * 3 * 4);  // string labels count 0 bytes

  // One intercept and two labels: ONNX Runtime writes two scores.
  GraphBuilder binary(17);
  binary.input("x", DType::kFloat32, {4});
  ml_node(binary, "LinearClassifier", {"x"}, {"label", "scores"},
          attrs({{"coefficients", F(4, 1.0)}, {"intercepts", F{0}},
                 {"classlabels_ints", V{0, 1}}}));
  ASSERT_TRUE(binary.infer().ok());
  EXPECT_EQ(binary.dims("scores"), (V{1, 2}));

  GraphBuilder bad(17);
  bad.input("x", DType::kFloat32, {5, 4});
  ml_node(bad, "LinearClassifier", {"x"}, {"label", "scores"},
          attrs({{"coefficients", F(7, 1.0)}, {"intercepts", F{0, 1}}}));
  EXPECT_NE(infer_error(bad).find("7 coefficients for 2 intercepts and 4 features"),
            std::string::npos);
}

TEST(OnnxMlTest, SvmClassifierPairwiseScoresAndKernelCount) {
  GraphBuilder b(17);
  b.input("x", DType::kFloat32, {2, 3});
  ml_node(b, "SVMClassifier", {"x"}, {"label", "scores"},
          attrs({{"classlabels_ints", V{0, 1, 2, 3}}, {"vectors_per_class", V{1, 2, 1, 1}},
                 {"support_vectors", F(15, 0.1)}, {"coefficients", F(15, 0.1)},
                 {"rho", F(6, 0.0)}, {"kernel_type", std::string("RBF")}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("scores"), (V{2, 6}));  // 4·3/2 pairs, no prob_a
  const OpCost c = b.cost("n");
  const double macs = 2 * 5 * 3 + 2 * 5 * 3;  // kernel dots N·S·F + dual coefficients N·S·(E−1)
  EXPECT_DOUBLE_EQ(c.macs, macs);
  EXPECT_DOUBLE_EQ(c.flops, 2 * macs + 2 * 5 * 2 + 2 * 6);  // + RBF 2 per kernel + rho per score
}

// Two trees: depth 2 and depth 1 (TreeEnsembleRegressor, classic attributes).
TEST(OnnxMlTest, TreeEnsembleWalksTheLongestPathPerTree) {
  GraphBuilder b(17);
  b.input("x", DType::kFloat32, {10, 4});
  ml_node(b, "TreeEnsembleRegressor", {"x"}, {"y"},
          attrs({{"nodes_treeids", V{0, 0, 0, 0, 0, 1, 1, 1}},
                 {"nodes_nodeids", V{0, 1, 2, 3, 4, 0, 1, 2}},
                 {"nodes_modes", S{"BRANCH_LEQ", "BRANCH_LEQ", "LEAF", "LEAF", "LEAF",
                                   "BRANCH_LT", "LEAF", "LEAF"}},
                 {"nodes_truenodeids", V{1, 3, 0, 0, 0, 1, 0, 0}},
                 {"nodes_falsenodeids", V{2, 4, 0, 0, 0, 2, 0, 0}},
                 {"n_targets", int64_t{2}}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{10, 2}));
  // Per sample: 2 + 1 compares, + 1 add per tree and target (2 trees × 2 targets).
  EXPECT_DOUBLE_EQ(b.cost("n").flops, 10 * (3 + 4));
  EXPECT_DOUBLE_EQ(b.cost("n").macs, 0);

  GraphBuilder cycle(17);
  cycle.input("x", DType::kFloat32, {10, 4});
  ml_node(cycle, "TreeEnsembleRegressor", {"x"}, {"y"},
          attrs({{"nodes_treeids", V{0, 0}}, {"nodes_nodeids", V{0, 1}},
                 {"nodes_modes", S{"BRANCH_LEQ", "BRANCH_LEQ"}},
                 {"nodes_truenodeids", V{1, 0}}, {"nodes_falsenodeids", V{1, 0}}}));
  EXPECT_NE(infer_error(cycle).find("a tree's links form a cycle"), std::string::npos);
}

TEST(OnnxMlTest, PreprocessingShapesAndTypes) {
  GraphBuilder b(17);
  b.input("x", DType::kInt64, {5, 2});
  b.input("s", DType::kString, {5});
  b.input("f", DType::kFloat32, {5, 4});
  b.ints("idx", {3}, {0, 2, 3});
  ml_node(b, "OneHotEncoder", {"x"}, {"onehot"}, attrs({{"cats_int64s", V{1, 2, 3}}}), 3,
          "onehot");
  ml_node(b, "LabelEncoder", {"s"}, {"codes"},
          attrs({{"keys_strings", S{"a"}}, {"values_int64s", V{1}}}), 2, "codes");
  ml_node(b, "CategoryMapper", {"x"}, {"names"},
          attrs({{"cats_strings", S{"a"}}, {"cats_int64s", V{1}}}), 3, "names");
  ml_node(b, "ArrayFeatureExtractor", {"f", "idx"}, {"picked"}, {}, 3, "picked");
  ml_node(b, "Normalizer", {"f"}, {"l2"}, attrs({{"norm", std::string("L2")}}), 3, "l2");
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("onehot"), (V{5, 2, 3}));
  EXPECT_EQ(b.value("onehot").type.dtype, DType::kFloat32);
  EXPECT_EQ(b.value("codes").type.dtype, DType::kInt64);
  EXPECT_EQ(b.value("names").type.dtype, DType::kString);
  EXPECT_EQ(b.dims("picked"), (V{5, 3}));
  EXPECT_DOUBLE_EQ(b.cost("l2").flops, 5 * 4 * 3 + 5);  // square, add, divide + a root per row
  EXPECT_DOUBLE_EQ(b.cost("onehot").flops, 0);
  EXPECT_DOUBLE_EQ(b.cost("onehot").bytes_written, 5 * 2 * 3 * 4);
  EXPECT_DOUBLE_EQ(b.cost("codes").bytes_read, 0);  // strings count 0 bytes
}

}  // namespace
}  // namespace graphs
