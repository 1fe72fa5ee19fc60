// RNN, GRU and LSTM (ops/recurrent.cc): MACs and FLOPs against hand counts, the layout attribute,
// and one-line errors naming the node for bad attributes and weights.
#include <gtest/gtest.h>

#include <algorithm>
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
  return s.ok() ? std::string() : s.error().message();
}

TEST(RecurrentOpsTest, LstmBidirectionalMacsAndFlopsByHand) {
  // seq 5, batch 3, input 10, hidden 20, both directions, with B.
  GraphBuilder b(14);
  b.input("x", DType::kFloat32, {5, 3, 10});
  b.weight("w", DType::kFloat32, {2, 80, 10});
  b.weight("r", DType::kFloat32, {2, 80, 20});
  b.weight("bias", DType::kFloat32, {2, 160});
  b.node("LSTM", "lstm", {"x", "w", "r", "bias"}, {"y", "yh", "yc"},
         attrs({{"hidden_size", int64_t{20}}, {"direction", std::string("bidirectional")}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{5, 2, 3, 20}));
  EXPECT_EQ(b.dims("yh"), (V{2, 3, 20}));
  EXPECT_EQ(b.dims("yc"), (V{2, 3, 20}));
  const OpCost c = b.cost("lstm");
  // Per step and direction: input GEMM 3·80·10 + recurrent GEMM 3·80·20 = 7200 MACs.
  EXPECT_DOUBLE_EQ(c.macs, 5.0 * 2 * 7200);
  // Per hidden unit: 4 gate sums (1 + 2 bias adds) + 3 sigmoids (4 each) + 2 tanh + 3 (cell
  // update) + 1 (hidden product) = 30; × seq 5 × batch 3 × hidden 20 × 2 directions.
  EXPECT_DOUBLE_EQ(c.flops, 2 * c.macs + 30.0 * 5 * 3 * 20 * 2);
  // Bytes: X, W, R, B read; Y, Y_h, Y_c written (float32).
  EXPECT_DOUBLE_EQ(c.bytes_read, 4.0 * (150 + 1600 + 3200 + 320));
  EXPECT_DOUBLE_EQ(c.bytes_written, 4.0 * (600 + 120 + 120));
}

TEST(RecurrentOpsTest, GruAndRnnMacsAndFlopsByHand) {
  GraphBuilder b(14);
  b.input("x", DType::kFloat32, {7, 2, 16});
  b.weight("gw", DType::kFloat32, {1, 96, 16});
  b.weight("gr", DType::kFloat32, {1, 96, 32});
  b.weight("gb", DType::kFloat32, {1, 192});
  b.node("GRU", "gru", {"x", "gw", "gr", "gb"}, {"gy", "gyh"}, attrs({{"hidden_size", int64_t{32}}}));
  b.weight("rw", DType::kFloat32, {1, 8, 16});
  b.weight("rr", DType::kFloat32, {1, 8, 8});
  b.node("RNN", "rnn", {"x", "rw", "rr"}, {"ry", "ryh"}, attrs({{"hidden_size", int64_t{8}}}));
  ASSERT_TRUE(b.infer().ok());
  // GRU: 3 gates; per step 2 × 96 × (16 + 32) MACs.
  const OpCost gru = b.cost("gru");
  EXPECT_DOUBLE_EQ(gru.macs, 7.0 * 2 * 96 * 48);
  // Per unit with B: 3 × 3 (gate sums) + 2 × 4 (sigmoid z, r) + 1 (tanh) + 1 (r ⊙) + 4 (update).
  EXPECT_DOUBLE_EQ(gru.flops, 2 * gru.macs + 23.0 * 7 * 2 * 32);
  // RNN without B: per step 2 × 8 × (16 + 8) MACs; per unit 1 add + tanh 1.
  const OpCost rnn = b.cost("rnn");
  EXPECT_DOUBLE_EQ(rnn.macs, 7.0 * 2 * 8 * 24);
  EXPECT_DOUBLE_EQ(rnn.flops, 2 * rnn.macs + 2.0 * 7 * 2 * 8);
}

TEST(RecurrentOpsTest, ActivationsPeepholesAndClipChangeTheElementwiseCount) {
  GraphBuilder b(14);
  b.input("x", DType::kFloat32, {4, 1, 6});
  b.weight("w", DType::kFloat32, {1, 24, 6});
  b.weight("r", DType::kFloat32, {1, 24, 6});
  b.weight("p", DType::kFloat32, {1, 18});
  // f = HardSigmoid (4), g = Relu (1), h = Softsign (3); peepholes; clip.
  b.node("LSTM", "lstm", {"x", "w", "r", "", "", "", "", "p"}, {"y"},
         attrs({{"hidden_size", int64_t{6}},
                {"activations", std::vector<std::string>{"HardSigmoid", "Relu", "Softsign"}},
                {"clip", 3.0}}));
  ASSERT_TRUE(b.infer().ok());
  const OpCost c = b.cost("lstm");
  EXPECT_DOUBLE_EQ(c.macs, 4.0 * 1 * 24 * 12);
  // 4 gate sums (no B) + 3·4 + 1 + 3 + 3 + 1 + 6 (peepholes) + 5·2 (clip) = 40 per unit.
  EXPECT_DOUBLE_EQ(c.flops, 2 * c.macs + 40.0 * 4 * 1 * 6);
}

TEST(RecurrentOpsTest, LayoutOneIsBatchMajor) {
  GraphBuilder b(14);
  b.input("x", DType::kFloat16, {3, 5, 10});  // [batch, seq, input]
  b.weight("w", DType::kFloat16, {2, 60, 10});
  b.weight("r", DType::kFloat16, {2, 60, 20});
  b.input("h0", DType::kFloat16, {3, 2, 20});
  b.node("GRU", "gru", {"x", "w", "r", "", "", "h0"}, {"y", "yh"},
         attrs({{"direction", std::string("bidirectional")}, {"layout", int64_t{1}}}));
  ASSERT_TRUE(b.infer().ok());
  EXPECT_EQ(b.dims("y"), (V{3, 5, 2, 20}));  // hidden size read from R
  EXPECT_EQ(b.dims("yh"), (V{3, 2, 20}));
  EXPECT_EQ(b.value("y").type.dtype, DType::kFloat16);
  EXPECT_DOUBLE_EQ(b.cost("gru").macs, 5.0 * 2 * 3 * 60 * 30);
}

TEST(RecurrentOpsTest, BadAttributesAndWeightsNameTheNode) {
  struct Bad {
    std::vector<int64_t> w, r;
    Attributes a;
    int opset;
    std::string expected;
  };
  const std::vector<Bad> cases = {
      {{1, 80, 10}, {1, 80, 20}, attrs({{"direction", std::string("sideways")}}), 14,
       "direction 'sideways' must be forward, reverse or bidirectional"},
      {{1, 80, 10}, {1, 80, 20}, attrs({{"layout", int64_t{1}}}), 13, "layout = 1 needs opset 14"},
      {{1, 80, 10}, {1, 80, 20}, attrs({{"layout", int64_t{2}}}), 14, "layout 2 must be 0 or 1"},
      {{1, 80, 10}, {1, 80, 20}, attrs({{"hidden_size", int64_t{0}}}), 14,
       "hidden_size 0 must be positive"},
      {{1, 80, 10}, {1, 80, 20}, attrs({{"hidden_size", int64_t{16}}}), 14,
       "W [1,80,10], expected [1,64,10]"},
      {{1, 80, 9}, {1, 80, 20}, {}, 14, "W [1,80,9], expected [1,80,10]"},
      {{1, 80, 10}, {1, 80, 20}, attrs({{"direction", std::string("bidirectional")}}), 14,
       "W [1,80,10], expected [2,80,10]"},
      {{1, 80, 10}, {1, 80, 20}, attrs({{"activations", std::vector<std::string>{"Tanh"}}}), 14,
       "activations lists 1 functions, expected 3"},
      {{1, 80, 10},
       {1, 80, 20},
       attrs({{"activations", std::vector<std::string>{"Sigmoid", "Gelu", "Tanh"}}}),
       14,
       "activation 'Gelu' is not one of the functions"},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.expected);
    GraphBuilder b(c.opset);
    b.input("x", DType::kFloat32, {5, 3, 10});
    b.weight("w", DType::kFloat32, c.w);
    b.weight("r", DType::kFloat32, c.r);
    b.node("LSTM", "enc.lstm", {"x", "w", "r"}, {"y"}, c.a);
    const std::string m = error_of(b);
    EXPECT_EQ(m.rfind("LSTM node 'enc.lstm'", 0), 0u) << m;
    EXPECT_NE(m.find(c.expected), std::string::npos) << m;
    EXPECT_EQ(std::count(m.begin(), m.end(), '\n'), 0) << m;
  }
}

TEST(RecurrentOpsTest, OptionalInputsAreChecked) {
  GraphBuilder b(14);
  b.input("x", DType::kFloat32, {5, 3, 10});
  b.weight("w", DType::kFloat32, {1, 20, 10});
  b.weight("r", DType::kFloat32, {1, 20, 20});
  b.weight("bias", DType::kFloat32, {1, 20});
  b.node("RNN", "rnn", {"x", "w", "r", "bias"}, {"y"});
  const std::string m = error_of(b);
  EXPECT_NE(m.find("B shape [1,20], expected [1,40]"), std::string::npos) << m;

  GraphBuilder c(14);
  c.input("x", DType::kFloat32, {5, 3, 10});
  c.weight("w", DType::kFloat32, {1, 20, 10});
  c.weight("r", DType::kFloat32, {1, 20, 20});
  c.input("h0", DType::kFloat32, {3, 1, 20});  // batch-major state with layout 0
  c.node("RNN", "rnn", {"x", "w", "r", "", "", "h0"}, {"y"});
  const std::string n = error_of(c);
  EXPECT_NE(n.find("initial_h shape [3,1,20], expected [1,3,20]"), std::string::npos) << n;
}

}  // namespace
}  // namespace graphs
