// The opset-18+ forms libonnx 1.12 cannot check (Col2Im-18, AffineGrid-20, GridSample-20/22,
// DFT-20), data-dependent selection (Unique, NonMaxSuppression), losses, random generators and
// StringNormalizer: shapes against the spec's own examples and formulas, FLOPs by hand, and
// one-line errors naming the node. Expected shapes of the opset-18+ cases also agree with ONNX
// 1.23's shape inference and reference runtime.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "shape_ops_test_util.h"

namespace graphs {
namespace {

using shape_ops_test::attrs;
using shape_ops_test::GraphBuilder;
using V = std::vector<int64_t>;

std::string error_of(GraphBuilder& b) {
  const Status s = b.infer();
  EXPECT_FALSE(s.ok());
  const std::string m = s.ok() ? std::string() : s.error().message();
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n'), 0) << m;
  return m;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---- Col2Im, AffineGrid, GridSample, RoiAlign

TEST(SpatialOpsTest, Col2ImCountsBlocksWithStridesPadsAndDilations) {
  GraphBuilder b(18);
  // image 9×11, block 2×3, stride 2, pad 1: (11 − 2)/2 + 1 = 5 by (13 − 3)/2 + 1 = 6 blocks.
  b.input("cols", DType::kFloat32, {2, 12, 30});
  b.ints("image", {2}, {9, 11});
  b.ints("block", {2}, {2, 3});
  b.node("Col2Im", "fold", {"cols", "image", "block"}, {"y"},
         attrs({{"strides", V{2, 2}}, {"pads", V{1, 1, 1, 1}}}));
  // 3-D, dilated: blocks (5−2)+1 = 4, (6−3)+1 = 4, (4−3)+1 = 2.
  b.input("cols3", DType::kFloat32, {1, 24, 32});
  b.ints("image3", {3}, {5, 6, 4});
  b.ints("block3", {3}, {2, 2, 3});
  b.node("Col2Im", "fold3", {"cols3", "image3", "block3"}, {"y3"},
         attrs({{"dilations", V{1, 2, 1}}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{2, 2, 9, 11}));
  EXPECT_EQ(b.dims("y3"), (V{1, 2, 5, 6, 4}));
  EXPECT_DOUBLE_EQ(b.cost("fold").flops, 2.0 * 12 * 30);  // one add per input element
}

TEST(SpatialOpsTest, Col2ImBlockCountMismatchNamesTheNode) {
  GraphBuilder b(18);
  b.input("cols", DType::kFloat32, {2, 12, 20});
  b.ints("image", {2}, {9, 11});
  b.ints("block", {2}, {2, 3});
  b.node("Col2Im", "fold", {"cols", "image", "block"}, {"y"},
         attrs({{"strides", V{2, 2}}, {"pads", V{1, 1, 1, 1}}}));
  const std::string m = error_of(b);
  EXPECT_EQ(m.rfind("Col2Im node 'fold'", 0), 0u) << m;
  EXPECT_TRUE(has(m, "input has 20 blocks (dim 2), but image_shape [9,11] with block_shape [2,3] "
                     "holds 30")) << m;
}

TEST(SpatialOpsTest, AffineGridTwoAndThreeDims) {
  GraphBuilder b(20);
  b.input("t2", DType::kFloat32, {2, 2, 3});
  b.ints("s2", {4}, {2, 3, 7, 9});
  b.node("AffineGrid", "g2", {"t2", "s2"}, {"grid2"});
  b.input("t3", DType::kFloat32, {2, 3, 4});
  b.ints("s3", {5}, {2, 3, 5, 7, 9});
  b.node("AffineGrid", "g3", {"t3", "s3"}, {"grid3"}, attrs({{"align_corners", int64_t{1}}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("grid2"), (V{2, 7, 9, 2}));
  EXPECT_EQ(b.dims("grid3"), (V{2, 5, 7, 9, 3}));
  // 2·r per coordinate: r multiplies and r adds.
  EXPECT_DOUBLE_EQ(b.cost("g2").flops, 4.0 * (2 * 7 * 9 * 2));

  GraphBuilder bad(20);
  bad.input("t", DType::kFloat32, {2, 2, 3});
  bad.ints("s", {5}, {2, 3, 5, 7, 9});
  bad.node("AffineGrid", "grid", {"t", "s"}, {"y"});
  EXPECT_TRUE(has(error_of(bad), "theta [2,2,3], expected [2,3,4] for size [2,3,5,7,9]"));
}

TEST(SpatialOpsTest, GridSampleNdFromOpset20AndModeNamesPerOpset) {
  GraphBuilder b(20);
  b.input("x", DType::kFloat32, {2, 3, 6, 8, 10});
  b.input("grid", DType::kFloat32, {2, 4, 5, 7, 3});
  b.node("GridSample", "gs", {"x", "grid"}, {"y"}, attrs({{"mode", std::string("cubic")}}));
  b.input("x1", DType::kFloat32, {2, 3, 8});
  b.input("grid1", DType::kFloat32, {2, 5, 1});
  b.node("GridSample", "gs1", {"x1", "grid1"}, {"y1"}, {}, 22);
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{2, 3, 4, 5, 7}));
  EXPECT_EQ(b.dims("y1"), (V{2, 3, 5}));
  EXPECT_DOUBLE_EQ(b.cost("gs").flops, 2 * 64.0 * (2 * 3 * 4 * 5 * 7));  // 4³ taps
  EXPECT_DOUBLE_EQ(b.cost("gs1").flops, 2 * 2.0 * (2 * 3 * 5));           // linear, 2 taps

  GraphBuilder old(16);
  old.input("x", DType::kFloat32, {1, 3, 8, 8});
  old.input("grid", DType::kFloat32, {1, 4, 4, 2});
  old.node("GridSample", "gs", {"x", "grid"}, {"y"}, attrs({{"mode", std::string("linear")}}));
  EXPECT_TRUE(has(error_of(old),
                  "mode 'linear' must be one of bilinear, nearest, bicubic at opset 16"));

  GraphBuilder rank(16);
  rank.input("x", DType::kFloat32, {1, 3, 4, 8, 8});
  rank.input("grid", DType::kFloat32, {1, 2, 4, 4, 3});
  rank.node("GridSample", "gs", {"x", "grid"}, {"y"});
  EXPECT_TRUE(has(error_of(rank), "must have rank 4 before opset 20"));
}

TEST(SpatialOpsTest, RoiAlignFlopsPerSamplePoint) {
  GraphBuilder b(16);
  b.input("x", DType::kFloat32, {2, 8, 20, 20});
  b.input("rois", DType::kFloat32, {5, 4});
  b.input("idx", DType::kInt64, {5});
  b.node("RoiAlign", "avg", {"x", "rois", "idx"}, {"y"},
         attrs({{"output_height", int64_t{7}}, {"output_width", int64_t{6}},
                {"sampling_ratio", int64_t{2}}}));
  b.node("RoiAlign", "max", {"x", "rois", "idx"}, {"z"}, attrs({{"mode", std::string("max")}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{5, 8, 7, 6}));
  EXPECT_EQ(b.dims("z"), (V{5, 8, 1, 1}));
  // 2×2 samples × (bilinear 8 + accumulate 1) + 1 divide.
  EXPECT_DOUBLE_EQ(b.cost("avg").flops, 37.0 * 5 * 8 * 7 * 6);
  // Adaptive sampling counted as 2×2; max mode has no divide.
  EXPECT_DOUBLE_EQ(b.cost("max").flops, 36.0 * 5 * 8);

  GraphBuilder bad(16);
  bad.input("x", DType::kFloat32, {2, 8, 20, 20});
  bad.input("rois", DType::kFloat32, {5, 4});
  bad.input("idx", DType::kInt64, {4});
  bad.node("RoiAlign", "roi", {"x", "rois", "idx"}, {"y"});
  EXPECT_TRUE(has(error_of(bad), "batch_indices shape [4], expected [5]"));
}

// ---- DFT, STFT, windows, MelWeightMatrix

TEST(SignalOpsTest, Dft20AxisInputOnesidedAndInverse) {
  GraphBuilder b(20);
  b.input("x", DType::kFloat32, {2, 16, 8, 1});
  b.ints("axis", {}, {-3});
  b.node("DFT", "rfft", {"x", "", "axis"}, {"y"}, attrs({{"onesided", int64_t{1}}}));
  b.input("c", DType::kFloat32, {2, 16, 8, 2});
  b.node("DFT", "fft", {"c"}, {"z"});  // default axis −2
  b.input("h", DType::kFloat32, {2, 9, 2});
  b.ints("axis1", {}, {1});
  b.node("DFT", "irfft", {"h", "", "axis1"}, {"w"},
         attrs({{"onesided", int64_t{1}}, {"inverse", int64_t{1}}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{2, 9, 8, 2}));
  EXPECT_EQ(b.dims("z"), (V{2, 16, 8, 2}));
  EXPECT_EQ(b.dims("w"), (V{2, 16, 1}));  // n = 2·(9 − 1)
  // RFFT of 16 points on 2·8 signals: 2.5·16·log2(16) each.
  EXPECT_DOUBLE_EQ(b.cost("rfft").flops, 16 * 2.5 * 16 * 4);
  // Complex FFT of 8 points on 2·16 signals: 5·8·3 each.
  EXPECT_DOUBLE_EQ(b.cost("fft").flops, 32 * 5.0 * 8 * 3);
}

TEST(SignalOpsTest, DftBadAxisAndInputsNameTheNode) {
  GraphBuilder a(17);
  a.input("x", DType::kFloat32, {2, 16, 1});
  a.node("DFT", "dft", {"x"}, {"y"}, attrs({{"axis", int64_t{2}}}));
  EXPECT_TRUE(has(error_of(a), "axis 2 is outside [−3, −2] ∪ [0, 1]"));

  GraphBuilder b(20);
  b.input("x", DType::kFloat32, {2, 16, 1});
  b.node("DFT", "dft", {"x"}, {"y"}, attrs({{"axis", int64_t{1}}}));
  EXPECT_TRUE(has(error_of(b), "axis is input 2 from opset 20, not an attribute"));

  GraphBuilder c(17);
  c.input("x", DType::kFloat32, {2, 16, 2});
  c.node("DFT", "dft", {"x"}, {"y"}, attrs({{"onesided", int64_t{1}}}));
  EXPECT_TRUE(has(error_of(c), "RFFT) needs a real input"));

  GraphBuilder d(17);
  d.input("x", DType::kFloat32, {2, 16, 1});
  d.input("n", DType::kInt64, {});
  d.node("DFT", "dft", {"x", "n"}, {"y"});
  EXPECT_TRUE(has(error_of(d), "dft_length is not known at analysis time"));
}

TEST(SignalOpsTest, StftOnesidedByDefaultAsTheSpecSays) {
  GraphBuilder b(17);
  b.input("s", DType::kFloat32, {2, 100, 1});
  b.ints("step", {}, {10});
  b.input("win", DType::kFloat32, {20});
  b.node("STFT", "stft", {"s", "step", "win"}, {"y"});
  ASSERT_TRUE(b.infer().ok());
  // frames = (100 − 20)/10 + 1 = 9; bins = 20/2 + 1 = 11 (onesided defaults to 1).
  EXPECT_EQ(b.dims("y"), (V{2, 9, 11, 2}));
  EXPECT_DOUBLE_EQ(b.cost("stft").flops, 2 * 9 * (2.5 * 20 * std::log2(20.0) + 20));

  GraphBuilder bad(17);
  bad.input("s", DType::kFloat32, {2, 100, 1});
  bad.ints("step", {}, {10});
  bad.input("win", DType::kFloat32, {20});
  bad.ints("len", {}, {16});
  bad.node("STFT", "stft", {"s", "step", "win", "len"}, {"y"});
  EXPECT_TRUE(has(error_of(bad), "window length 20 differs from frame_length 16"));
}

TEST(SignalOpsTest, WindowsAndMelWeightMatrix) {
  GraphBuilder b(17);
  b.ints("n", {}, {10});
  b.node("HannWindow", "hann", {"n"}, {"hann_w"});
  b.node("BlackmanWindow", "blackman", {"n"}, {"blackman_w"}, attrs({{"output_datatype", int64_t{11}}}));
  b.ints("mel", {}, {8});
  b.ints("dft", {}, {64});
  b.ints("rate", {}, {16000});
  b.floats("lo", {}, {0});
  b.floats("hi", {}, {8000});
  b.node("MelWeightMatrix", "melw", {"mel", "dft", "rate", "lo", "hi"}, {"m"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("hann_w"), (V{10}));
  EXPECT_EQ(b.value("blackman_w").type.dtype, DType::kFloat64);
  EXPECT_EQ(b.dims("m"), (V{33, 8}));
  EXPECT_DOUBLE_EQ(b.cost("hann").flops, 40);
  EXPECT_DOUBLE_EQ(b.cost("blackman").flops, 80);
  EXPECT_DOUBLE_EQ(b.cost("melw").flops, 4.0 * 33 * 8);

  // A size unknown at analysis time is a data-dependent dim, bound by --dim.
  GraphBuilder unknown(17);
  unknown.input("n", DType::kInt64, {});
  unknown.node("HammingWindow", "w", {"n"}, {"y"});
  DimBindings dims;
  dims.named["hammingwindow_0"] = 12;
  ASSERT_TRUE(infer_shapes(unknown.g, dims).ok());
  EXPECT_EQ(unknown.dims("y"), (V{12}));
  EXPECT_DOUBLE_EQ(unknown.cost("w").flops, 4.0 * 12);
}

// ---- Unique, NonMaxSuppression

TEST(SelectionOpsTest, UniqueComputesEveryOutputFromKnownContents) {
  GraphBuilder b(11);
  // Operators.md "Unique", example 2 (sorted) and the same input in first-occurrence order.
  b.floats("x", {6}, {2, 1, 1, 3, 4, 3});
  b.node("Unique", "sorted", {"x"}, {"y", "idx", "inv", "cnt"});
  b.node("Unique", "unsorted", {"x"}, {"y0", "idx0", "inv0", "cnt0"}, attrs({{"sorted", int64_t{0}}}));
  // Example 4: unique slices along axis 1 of a [2, 4, 2] tensor.
  b.floats("a", {2, 4, 2}, {1, 1, 0, 1, 2, 1, 0, 1, 1, 1, 0, 1, 2, 1, 0, 1});
  b.node("Unique", "slices", {"a"}, {"ya", "idxa", "inva", "cnta"}, attrs({{"axis", int64_t{1}}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.floats_of("y"), (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(b.ints_of("idx"), (V{1, 0, 3, 4}));
  EXPECT_EQ(b.ints_of("inv"), (V{1, 0, 0, 2, 3, 2}));
  EXPECT_EQ(b.ints_of("cnt"), (V{2, 1, 2, 1}));
  EXPECT_EQ(b.floats_of("y0"), (std::vector<double>{2, 1, 3, 4}));
  EXPECT_EQ(b.ints_of("idx0"), (V{0, 1, 3, 4}));
  EXPECT_EQ(b.ints_of("inv0"), (V{0, 1, 1, 2, 3, 2}));
  EXPECT_EQ(b.ints_of("cnt0"), (V{1, 2, 2, 1}));
  EXPECT_EQ(b.dims("ya"), (V{2, 3, 2}));
  EXPECT_EQ(b.floats_of("ya"), (std::vector<double>{0, 1, 1, 1, 2, 1, 0, 1, 1, 1, 2, 1}));
  EXPECT_EQ(b.ints_of("idxa"), (V{1, 0, 2}));
  EXPECT_EQ(b.ints_of("inva"), (V{1, 0, 2, 0}));
  EXPECT_EQ(b.ints_of("cnta"), (V{2, 1, 1}));
  EXPECT_DOUBLE_EQ(b.cost("sorted").flops, 6.0 * 3);  // 6 elements × ceil(log2 6)
}

// Unknown contents: the unique count is a data-dependent dim, at most the item count, that
// --dim binds (shape_inference.h).
TEST(SelectionOpsTest, UniqueOfUnknownContentsNamesItsLength) {
  GraphBuilder b(11);
  b.input("x", DType::kInt64, {2, 50});
  b.node("Unique", "uniq", {"x"}, {"y", "idx", "inv", "counts"});
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{100}));
  EXPECT_EQ(b.dims("idx"), (V{100}));
  EXPECT_EQ(b.dims("inv"), (V{100}));
  EXPECT_EQ(b.dims("counts"), (V{100}));
  ASSERT_EQ(b.g.data_dependent_dims.size(), 1u);
  EXPECT_EQ(b.g.data_dependent_dims[0].symbol, "unique_0");
  EXPECT_EQ(b.g.data_dependent_dims[0].source, "upper bound");

  GraphBuilder bound(11);
  bound.input("x", DType::kFloat32, {4, 6, 5});
  bound.node("Unique", "uniq", {"x"}, {"y", "idx", "inv", "counts"},
             attrs({{"axis", int64_t{1}}}));
  DimBindings dims;
  dims.named["unique_0"] = 3;
  ASSERT_TRUE(infer_shapes(bound.g, dims).ok());
  EXPECT_EQ(bound.dims("y"), (V{4, 3, 5}));
  EXPECT_EQ(bound.dims("idx"), (V{3}));
  EXPECT_EQ(bound.dims("inv"), (V{6}));
  EXPECT_EQ(bound.g.data_dependent_dims[0].value, "y");
  EXPECT_EQ(bound.g.data_dependent_dims[0].axis, 1);
}

TEST(SelectionOpsTest, NonMaxSuppressionSelectsNothingByDefaultElseNamesTheCount) {
  GraphBuilder none(11);
  none.input("boxes", DType::kFloat32, {1, 10, 4});
  none.input("scores", DType::kFloat32, {1, 3, 10});
  none.node("NonMaxSuppression", "nms", {"boxes", "scores"}, {"sel"});
  ASSERT_TRUE(none.infer().ok());
  EXPECT_EQ(none.dims("sel"), (V{0, 3}));
  EXPECT_EQ(none.value("sel").type.dtype, DType::kInt64);
  EXPECT_DOUBLE_EQ(none.cost("nms").flops, 0);

  GraphBuilder some(11);
  some.input("boxes", DType::kFloat32, {2, 10, 4});
  some.input("scores", DType::kFloat32, {2, 3, 10});
  some.ints("max", {}, {2});
  some.node("NonMaxSuppression", "nms", {"boxes", "scores", "max"}, {"sel"});
  // Unknown boxes: the selected count is a data-dependent dim, at most B·C·min(S, max) = 12.
  ASSERT_TRUE(some.infer().ok());
  EXPECT_EQ(some.dims("sel"), (V{12, 3}));
  ASSERT_EQ(some.g.data_dependent_dims.size(), 1u);
  EXPECT_EQ(some.g.data_dependent_dims[0].symbol, "nonmaxsuppression_0");
  EXPECT_EQ(some.g.data_dependent_dims[0].source, "upper bound");
  // The cost rule reads only the inputs: per (batch, class) 10·ceil(log2 10) + 13·2·10.
  EXPECT_DOUBLE_EQ(some.cost("nms").flops, 6.0 * (10 * 4 + 13 * 2 * 10));

  GraphBuilder bad(11);
  bad.input("boxes", DType::kFloat32, {1, 10, 4});
  bad.input("scores", DType::kFloat32, {1, 3, 9});
  bad.node("NonMaxSuppression", "nms", {"boxes", "scores"}, {"sel"});
  EXPECT_TRUE(has(error_of(bad), "scores [1,3,9] must be [1, num_classes, 10]"));
}

// ---- Losses

TEST(LossOpsTest, ShapesAndFlopsByHand) {
  GraphBuilder b(13);
  b.input("logp", DType::kFloat32, {4, 5, 3, 2});
  b.input("t", DType::kInt64, {4, 3, 2});
  b.weight("w", DType::kFloat32, {5});
  b.node("NegativeLogLikelihoodLoss", "nll", {"logp", "t", "w"}, {"loss"});
  b.input("scores", DType::kFloat32, {4, 5, 3});
  b.input("labels", DType::kInt64, {4, 3});
  b.node("SoftmaxCrossEntropyLoss", "sce", {"scores", "labels"}, {"per_item", "log_prob"},
         attrs({{"reduction", std::string("none")}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("loss"), V{});
  EXPECT_EQ(b.dims("per_item"), (V{4, 3}));
  EXPECT_EQ(b.dims("log_prob"), (V{4, 5, 3}));
  // Weighted mean over 24 targets: negate, weight, add, weight sum = 4 each, + 1 divide.
  EXPECT_DOUBLE_EQ(b.cost("nll").flops, 4.0 * 24 + 1);
  // Log-softmax 5 per score + 1 per row (12 rows), then 1 per target (negate).
  EXPECT_DOUBLE_EQ(b.cost("sce").flops, 5.0 * 60 + 12 + 12);

  GraphBuilder bad(13);
  bad.input("logp", DType::kFloat32, {4, 5, 3});
  bad.input("t", DType::kInt64, {4, 5});
  bad.node("NegativeLogLikelihoodLoss", "nll", {"logp", "t"}, {"loss"},
           attrs({{"reduction", std::string("avg")}}));
  const std::string m = error_of(bad);
  EXPECT_TRUE(has(m, "target [4,5], expected [4,3]")) << m;

  GraphBuilder red(13);
  red.input("logp", DType::kFloat32, {4, 5});
  red.input("t", DType::kInt64, {4});
  red.node("NegativeLogLikelihoodLoss", "nll", {"logp", "t"}, {"loss"},
           attrs({{"reduction", std::string("avg")}}));
  EXPECT_TRUE(has(error_of(red), "reduction 'avg' must be none, sum or mean"));
}

// ---- Random generators, StringNormalizer

TEST(RandomOpsTest, GeneratorsWriteOnlyAndLikeOpsReadNoData) {
  GraphBuilder b(15);
  b.node("RandomNormal", "normal", {}, {"n"}, attrs({{"shape", V{2, 3}}}));
  b.input("a", DType::kFloat32, {3, 4});
  b.node("RandomUniformLike", "uniform", {"a"}, {"u"}, attrs({{"dtype", int64_t{10}}}));
  b.node("Bernoulli", "coin", {"a"}, {"c"}, attrs({{"dtype", int64_t{9}}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("n"), (V{2, 3}));
  EXPECT_EQ(b.value("u").type.dtype, DType::kFloat16);
  EXPECT_EQ(b.value("c").type.dtype, DType::kBool);
  const OpCost n = b.cost("normal");
  EXPECT_DOUBLE_EQ(n.flops, 6.0 * 6);
  EXPECT_DOUBLE_EQ(n.bytes_read, 0);
  EXPECT_DOUBLE_EQ(n.bytes_written, 24);
  const OpCost u = b.cost("uniform");
  EXPECT_DOUBLE_EQ(u.flops, 3.0 * 12);
  EXPECT_DOUBLE_EQ(u.bytes_read, 0);  // only the input's shape is read
  EXPECT_DOUBLE_EQ(u.bytes_written, 24);
  const OpCost c = b.cost("coin");
  EXPECT_DOUBLE_EQ(c.flops, 2.0 * 12);
  EXPECT_DOUBLE_EQ(c.bytes_read, 48);

  GraphBuilder no_shape(15);
  no_shape.node("RandomUniform", "r", {}, {"y"});
  EXPECT_TRUE(has(error_of(no_shape), "attribute shape is required"));
  GraphBuilder int_type(15);
  int_type.node("RandomUniform", "r", {}, {"y"}, attrs({{"shape", V{2}}, {"dtype", int64_t{7}}}));
  EXPECT_TRUE(has(error_of(int_type), "dtype 7 is not a floating type"));
}

TEST(StringOpsTest, StringNormalizerIsRecognisedButNotCosted) {
  GraphBuilder b(10);
  b.input("s", DType::kString, {1, 5});
  b.node("StringNormalizer", "norm", {"s"}, {"y"},
         attrs({{"case_change_action", std::string("UPPER")}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{1, 5}));
  const OpCost c = b.cost("norm");
  EXPECT_DOUBLE_EQ(c.flops, 0);
  EXPECT_DOUBLE_EQ(c.bytes_read + c.bytes_written, 0);
  EXPECT_EQ(b.schema_of("norm").flops_note, "string op: not costed (0 FLOPs, 0 bytes)");

  GraphBuilder stop(10);
  stop.input("s", DType::kString, {7});
  stop.node("StringNormalizer", "norm", {"s"}, {"y"},
            attrs({{"stopwords", std::vector<std::string>{"a", "the"}}}));
  // The kept count is a data-dependent dim, at most the input's 7 strings.
  ASSERT_TRUE(stop.infer().ok());
  EXPECT_EQ(stop.dims("y"), (V{7}));
  ASSERT_EQ(stop.g.data_dependent_dims.size(), 1u);
  EXPECT_EQ(stop.g.data_dependent_dims[0].symbol, "stringnormalizer_0");

  GraphBuilder bad(10);
  bad.input("s", DType::kString, {2, 5});
  bad.node("StringNormalizer", "norm", {"s"}, {"y"},
           attrs({{"case_change_action", std::string("TITLE")}}));
  EXPECT_TRUE(has(error_of(bad), "X [2,5] must be [C] or [1, C]"));
}

}  // namespace
}  // namespace graphs
