// The op registry's per-op opset ranges (OpRegistry::opset_range, listed by `graphs ops`) and the
// suggestions for an unknown op.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "graphs/common/suggest.h"
#include "graphs/ops/op_registry.h"
#include "shape_ops_test_util.h"

namespace graphs {
namespace {

using shape_ops_test::GraphBuilder;

std::string range_of(const std::string& domain, const std::string& op) {
  const OpSchema* s = OpRegistry::global().find(domain, op);
  EXPECT_NE(s, nullptr) << op << " is not registered";
  return s ? OpRegistry::opset_range(*s).to_string() : "";
}

TEST(OpRegistryTest, EveryRegisteredOpHasAnOpsetRange) {
  for (const OpSchema* s : OpRegistry::global().all()) {
    const OpsetRange r = OpRegistry::opset_range(*s);
    EXPECT_TRUE(r.known()) << s->op_type << ": state since_version (libonnx does not know it)";
    if (s->domain.empty()) EXPECT_LE(r.last, kNewestOnnxOpset) << s->op_type;
  }
}

TEST(OpRegistryTest, RangesFollowOnnxHistoryOrTheStatedVersions) {
  EXPECT_EQ(range_of("", "LSTM"), "1–25");
  EXPECT_EQ(range_of("", "GridSample"), "16–25");
  EXPECT_EQ(range_of("", "DFT"), "17–25");
  EXPECT_EQ(range_of("", "NonMaxSuppression"), "10–25");
  EXPECT_EQ(range_of("", "Col2Im"), "18–25");       // newer than libonnx 1.12: stated
  EXPECT_EQ(range_of("", "AffineGrid"), "20–25");
  EXPECT_EQ(range_of("", "Attention"), "23–25");
  EXPECT_EQ(range_of("ai.onnx", "RotaryEmbedding"), "23–25");
  EXPECT_EQ(range_of("", "Scatter"), "9–10");       // deprecated at opset 11
  EXPECT_EQ(range_of("", "Upsample"), "7–9");       // deprecated at 10; version 1 not read
  EXPECT_EQ(range_of("com.microsoft", "MatMulNBits"), "1");
}

// The did-you-mean for an unknown op stays within a typo of the name: "LSTM" once drew "Sum".
TEST(OpRegistryTest, UnknownOpSuggestionsAreTyposNotOtherOps) {
  std::vector<std::string> without_recurrent;
  for (const auto& n : OpRegistry::global().names()) {
    if (n.find("LSTM") == std::string::npos && n != "GRU" && n != "RNN") {
      without_recurrent.push_back(n);
    }
  }
  EXPECT_TRUE(suggest("LSTM", without_recurrent).empty());
  const auto gru = suggest("GRUCell", OpRegistry::global().names());
  ASSERT_FALSE(gru.empty());
  EXPECT_EQ(gru.front(), "GRU");
  EXPECT_EQ(suggest("Softmx", OpRegistry::global().names()).front(), "Softmax");

  GraphBuilder b(17);
  b.input("x", DType::kFloat32, {2, 3});
  b.node("LSTMCell", "cell", {"x"}, {"y"});
  const Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("unknown op 'LSTMCell'"), std::string::npos);
  EXPECT_NE(s.error().message().find("similar supported ops: LSTM"), std::string::npos)
      << s.error().message();
}

TEST(OpRegistryTest, GraphsOpsListsTheOpsetRange) {
  const std::string command = std::string(GRAPHS_CLI_PATH) + " ops --format md";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  ASSERT_TRUE(pipe);
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, pipe.get())) out.append(buf, n);
  EXPECT_NE(out.find("| op | domain | class | opsets | FLOPs counted |"), std::string::npos);
  EXPECT_NE(out.find("| LSTM | ai.onnx | matmul | 1–25 |"), std::string::npos);
  EXPECT_NE(out.find("| Attention | ai.onnx | matmul | 23–25 |"), std::string::npos);
  EXPECT_NE(out.find("| StringNormalizer | ai.onnx | other | 10–25 | string op: not costed"),
            std::string::npos);
}

}  // namespace
}  // namespace graphs
