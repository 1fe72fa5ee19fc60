// Engines (estimate/engine.h): every data/engines file parses and is registered under its id
// and aliases; unknown names get a did-you-mean; bad files are refused with file and field; an
// engine's partition rule reaches the estimator.
#include <gtest/gtest.h>

#include "graphs/pipeline/pipeline.h"
#include "graphs/estimate/backend.h"
#include "graphs/estimate/engine.h"
#include "graphs/hardware/registry.h"

namespace graphs {
namespace {

bool has(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

TEST(EngineTest, EveryEmbeddedFileParsesAndResolvesByIdAndAlias) {
  ASSERT_FALSE(detail::embedded_engine_files().empty());
  for (const auto& [file, text] : detail::embedded_engine_files()) {
    auto e = parse_engine_yaml(text, std::string(file));
    ASSERT_TRUE(e.ok()) << e.error().message();
    auto found = find_engine(e->id);
    ASSERT_TRUE(found.ok());
    EXPECT_EQ((*found)->id, e->id);
    for (const auto& alias : e->aliases) {
      auto by_alias = find_engine(alias);
      ASSERT_TRUE(by_alias.ok()) << alias;
      EXPECT_EQ((*by_alias)->id, e->id);
    }
    for (const auto& [field, source] : e->sources) EXPECT_FALSE(source.empty()) << field;
  }
  EXPECT_EQ((*find_engine("PyTorch-Eager"))->id, "eager");  // case-insensitive alias
  EXPECT_FALSE((*find_engine("eager"))->fuses);
  EXPECT_TRUE((*find_engine("tensorrt-llm"))->fused_attention);
}

TEST(EngineTest, UnknownNameSuggests) {
  auto e = find_engine("tensorrtt");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(has(e.error().message(), "did you mean tensorrt")) << e.error().message();
}

TEST(EngineTest, BadFilesAreRefused) {
  auto no_source = parse_engine_yaml(
      "schema_version: 1\nid: x\nname: X\ndevices: [gpu]\npartition: fused\n"
      "host_per_kernel_s: 3e-6\n",
      "x.yaml");
  ASSERT_FALSE(no_source.ok());
  EXPECT_TRUE(has(no_source.error().message(), "x.yaml:6: host_per_kernel_s: missing source"))
      << no_source.error().message();
  auto bad_partition = parse_engine_yaml(
      "schema_version: 1\nid: x\nname: X\ndevices: [gpu]\npartition: fuzed\n", "x.yaml");
  ASSERT_FALSE(bad_partition.ok());
  EXPECT_TRUE(has(bad_partition.error().message(), "partition")) << bad_partition.error().message();
  auto wrong_name = parse_engine_yaml(
      "schema_version: 1\nid: y\nname: X\ndevices: [gpu]\npartition: fused\n", "x.yaml");
  ASSERT_FALSE(wrong_name.ok());
  EXPECT_TRUE(has(wrong_name.error().message(), "name it 'y.yaml'")) << wrong_name.error().message();
  auto unknown_key = parse_engine_yaml(
      "schema_version: 1\nid: x\nname: X\ndevices: [gpu]\npartition: fused\ncuda_graph: true\n",
      "x.yaml");
  ASSERT_FALSE(unknown_key.ok());
  EXPECT_TRUE(has(unknown_key.error().message(), "did you mean cuda_graphs"))
      << unknown_key.error().message();
}

// An engine that fuses attention runs one attention kernel per layer; eager runs every op.
TEST(EngineTest, PartitionFollowsTheEngine) {
  auto reg = HardwareRegistry::load_default();
  ASSERT_TRUE(reg.ok());
  auto run = [&](const std::string& backend) {
    AnalyzeRequest r;
    r.model = "bert-base";
    r.precision = "fp16";
    r.backend = backend;
    r.hardware = {"a100-sxm4-80gb"};
    auto a = analyze(r, *reg);
    EXPECT_TRUE(a.ok()) << backend;
    return std::move(a).value();
  };
  const Analysis trt = run("tensorrt");
  const Analysis ort = run("onnxruntime");
  const Analysis eager = run("eager");
  int attention = 0;
  for (const auto& k : trt.partition.kernels) attention += k.attention ? 1 : 0;
  EXPECT_EQ(attention, 12);  // one per BERT-base layer
  for (const auto& k : ort.partition.kernels) EXPECT_FALSE(k.attention);
  EXPECT_LT(trt.partition.kernels.size(), ort.partition.kernels.size());
  EXPECT_LT(ort.partition.kernels.size(), eager.partition.kernels.size());
  EXPECT_EQ(trt.estimates[0].backend, "tensorrt");
}

}  // namespace
}  // namespace graphs
