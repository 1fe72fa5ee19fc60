// Quantized ONNX graphs written by onnxruntime.quantization (tests/data/quantized/make_fixtures.py)
// import, infer and cost: MACs against hand counts, quantized weights counted as parameters.
// mlp: x[4, 64] @ W1[64, 128] → Relu → @ W2[128, 32]: MACs 4·64·128 + 4·128·32 = 49152,
//      parameters 64·128 + 128·32 = 12288.
// conv: x[1, 3, 16, 16] * W[8, 3, 3, 3], pads 1: MACs 8·16·16·3·9 = 55296, weights 216.
#include <gtest/gtest.h>

#include <string>

#include "graphs/pipeline/pipeline.h"
#include "graphs/hardware/registry.h"

namespace graphs {
namespace {

std::string fixture(const std::string& name) {
  return std::string(GRAPHS_SOURCE_DIR) + "/tests/data/quantized/" + name;
}

Analysis analyze_file(const std::string& name, const std::string& hw = "",
                      const std::string& precision = "fp32") {
  auto registry = HardwareRegistry::load_default();
  EXPECT_TRUE(registry.ok());
  AnalyzeRequest r;
  r.model = fixture(name);
  r.precision = precision;
  if (!hw.empty()) r.hardware = {hw};
  auto a = analyze(r, *registry);
  EXPECT_TRUE(a.ok()) << name << ": " << (a.ok() ? "" : a.error().message());
  return a.ok() ? std::move(a).value() : Analysis{};
}

int count_op(const Graph& g, const std::string& op) {
  int n = 0;
  for (const Node& node : g.nodes) n += node.op_type == op;
  return n;
}

TEST(QuantizedOnnxTest, DynamicQuantizedMatMul) {
  const Analysis a = analyze_file("mlp_dynamic.onnx");
  EXPECT_EQ(count_op(a.model.graph, "MatMulInteger"), 2);
  EXPECT_EQ(count_op(a.model.graph, "DynamicQuantizeLinear"), 2);
  EXPECT_EQ(a.characterization.macs, 49152);
  EXPECT_EQ(a.characterization.params, 12288);  // int8 weights are parameters
  EXPECT_EQ(a.characterization.weight_bytes, 12288);  // one byte each
}

TEST(QuantizedOnnxTest, QOperatorMatMulAndConv) {
  const Analysis m = analyze_file("mlp_qop.onnx");
  EXPECT_EQ(count_op(m.model.graph, "QLinearMatMul"), 2);
  EXPECT_EQ(m.characterization.macs, 49152);
  EXPECT_EQ(m.characterization.params, 12288);
  const Analysis c = analyze_file("conv_qop.onnx");
  EXPECT_EQ(count_op(c.model.graph, "QLinearConv"), 1);
  EXPECT_EQ(c.characterization.macs, 55296);
  EXPECT_EQ(c.characterization.params, 216);
}

TEST(QuantizedOnnxTest, QdqConvAndDynamicConv) {
  const Analysis q = analyze_file("conv_qdq.onnx");
  EXPECT_GE(count_op(q.model.graph, "DequantizeLinear"), 2);
  EXPECT_GE(count_op(q.model.graph, "QuantizeLinear"), 1);
  EXPECT_EQ(q.characterization.macs, 55296);
  EXPECT_EQ(q.characterization.params, 216);  // the int8 weight feeding DequantizeLinear
  const Analysis d = analyze_file("conv_dynamic.onnx");
  EXPECT_EQ(count_op(d.model.graph, "ConvInteger"), 1);
  EXPECT_EQ(d.characterization.macs, 55296);
}

// MatMulNBits (com.microsoft): 4-bit weights packed in uint8 blocks of 32 → 16 bytes per block
// row: W1 [128 × 2 blocks × 16 B] = 4096 B, W2 [32 × 4 × 16] = 2048 B; plus one scale per block
// ([128, 2] and [32, 4]) at the fp16 costing precision.
TEST(QuantizedOnnxTest, MatMulNBitsCostsTheFullProduct) {
  const Analysis a = analyze_file("mlp_nbits.onnx", "h100-sxm5-80gb", "fp16");
  EXPECT_EQ(count_op(a.model.graph, "MatMulNBits"), 2);
  EXPECT_EQ(a.characterization.macs, 49152);
  EXPECT_EQ(a.characterization.weight_bytes, 4096 + 2048 + (256 + 128) * 2);
  const Value& y = a.model.graph.value(a.model.graph.outputs[0]);
  EXPECT_EQ(y.type.dims(), (std::vector<int64_t>{4, 32}));
  ASSERT_EQ(a.estimates.size(), 1u);
  EXPECT_GT(a.estimates[0].latency_s, 0);
}

TEST(QuantizedOnnxTest, Int8OnCoralRuns) {
  const Analysis a = analyze_file("conv_qop.onnx", "coral-edge-tpu", "int8");
  ASSERT_EQ(a.estimates.size(), 1u);
  EXPECT_EQ(a.estimates[0].mapper, "roofline");
  EXPECT_GT(a.estimates[0].latency_s, 0);
}

}  // namespace
}  // namespace graphs
