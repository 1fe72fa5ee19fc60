// Tensor-parallel planner (tp_planner.h): strategies of the zoo's GPT-2 and Llama linears at
// world sizes 1, 2, 4, 8 against Megatron-LM's plan, exact per-rank parameter counts, and the
// memory and communication formulas against hand calculations.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "graphs/analysis/characterize.h"
#include "graphs/pipeline/pipeline.h"
#include "graphs/parallel/tp_json.h"
#include "graphs/parallel/tp_planner.h"

namespace graphs {
namespace {

const Graph& model_graph(const std::string& name) {
  static std::map<std::string, LoadedModel> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    DimBindings dims;
    dims.batch = 1;
    dims.seq_len = 8;
    auto loaded = load_model(name, dims);
    EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().message());
    it = cache.emplace(name, std::move(loaded).value()).first;
  }
  return it->second.graph;
}

TpPlan plan_for(const std::string& name, int64_t n) {
  TpPlanOptions o;
  o.world_size = n;
  auto plan = plan_tensor_parallel(model_graph(name), name, o);
  EXPECT_TRUE(plan.ok()) << (plan.ok() ? "" : plan.error().message());
  return plan.ok() ? *plan : TpPlan{};
}

const TpLayer* find_layer(const TpPlan& p, const std::string& module) {
  for (const TpLayer& l : p.layers) {
    if (l.module == module) return &l;
  }
  return nullptr;
}

bool is_replicated(const TpPlan& p, const std::string& module) {
  for (const std::string& m : p.replicated) {
    if (m == module) return true;
  }
  return false;
}

class TpWorldSizeTest : public ::testing::TestWithParam<int64_t> {};

TEST_P(TpWorldSizeTest, Llama2_7bMegatronPlan) {
  const int64_t n = GetParam();
  const TpPlan p = plan_for("llama-2-7b", n);
  for (int layer : {0, 31}) {
    const std::string a = "model.layers." + std::to_string(layer) + ".self_attn.";
    for (const char* proj : {"q_proj", "k_proj", "v_proj"}) {
      const TpLayer* l = find_layer(p, a + proj);
      ASSERT_NE(l, nullptr) << a + proj;
      EXPECT_EQ(l->strategy, TpStrategy::kColumn);
      EXPECT_FALSE(l->gather_output);
      EXPECT_EQ(l->heads, 32);
    }
    const TpLayer* o = find_layer(p, a + "o_proj");
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->strategy, TpStrategy::kRow);
    EXPECT_TRUE(o->input_is_parallel);
    const std::string m = "model.layers." + std::to_string(layer) + ".mlp.";
    EXPECT_EQ(find_layer(p, m + "gate_proj")->strategy, TpStrategy::kColumn);
    EXPECT_EQ(find_layer(p, m + "up_proj")->strategy, TpStrategy::kColumn);
    EXPECT_EQ(find_layer(p, m + "down_proj")->strategy, TpStrategy::kRow);
    EXPECT_TRUE(is_replicated(p, "model.layers." + std::to_string(layer) + ".input_layernorm"));
  }
  ASSERT_NE(find_layer(p, "model.embed_tokens"), nullptr);
  EXPECT_EQ(find_layer(p, "model.embed_tokens")->strategy, TpStrategy::kVocab);
  const TpLayer* head = find_layer(p, "lm_head");
  ASSERT_NE(head, nullptr);
  EXPECT_EQ(head->strategy, TpStrategy::kColumn);
  EXPECT_TRUE(head->gather_output);
  EXPECT_TRUE(is_replicated(p, "model.norm"));
  EXPECT_EQ(p.layers.size(), 32u * 7 + 2);
  EXPECT_TRUE(p.replicated_layers.empty());
  EXPECT_EQ(p.transformer_layers, 32);
  EXPECT_EQ(p.heads, 32);
  EXPECT_EQ(p.kv_heads, 32);
  EXPECT_EQ(p.head_dim, 128);
  EXPECT_EQ(p.hidden, 4096);
  EXPECT_EQ(p.all_reduces, 2 * 32 + 1);
  EXPECT_EQ(p.all_gathers, 1);
}

TEST_P(TpWorldSizeTest, Gpt2MegatronPlan) {
  const int64_t n = GetParam();
  const TpPlan p = plan_for("gpt2", n);
  for (int layer : {0, 11}) {
    const std::string h = "transformer.h." + std::to_string(layer) + ".";
    if (n == 8) {
      // 12 heads do not split 8 ways: attention stays whole, with the reason; the MLP splits.
      EXPECT_EQ(find_layer(p, h + "attn.c_attn"), nullptr);
      EXPECT_EQ(find_layer(p, h + "attn.c_proj"), nullptr);
      bool reported = false;
      for (const TpLayer& l : p.replicated_layers) {
        if (l.module == h + "attn.c_attn") {
          reported = l.reason == "12 heads not divisible by world size 8";
        }
      }
      EXPECT_TRUE(reported);
    } else {
      const TpLayer* qkv = find_layer(p, h + "attn.c_attn");
      ASSERT_NE(qkv, nullptr);
      EXPECT_EQ(qkv->strategy, TpStrategy::kColumn);
      EXPECT_EQ(qkv->heads, 12);
      EXPECT_EQ(find_layer(p, h + "attn.c_proj")->strategy, TpStrategy::kRow);
    }
    EXPECT_EQ(find_layer(p, h + "mlp.c_fc")->strategy, TpStrategy::kColumn);
    EXPECT_EQ(find_layer(p, h + "mlp.c_proj")->strategy, TpStrategy::kRow);
    EXPECT_TRUE(is_replicated(p, h + "ln_1"));
  }
  EXPECT_TRUE(is_replicated(p, "transformer.wpe"));
  EXPECT_EQ(p.kv_heads, 12);
  // Vocabulary 50257 = 29 × 1733: split only at N = 1; else the tied wte/lm_head stays whole.
  if (n == 1) {
    EXPECT_EQ(find_layer(p, "transformer.wte")->strategy, TpStrategy::kVocab);
  } else {
    EXPECT_EQ(find_layer(p, "transformer.wte"), nullptr);
    EXPECT_TRUE(is_replicated(p, "transformer.wte"));
    ASSERT_FALSE(p.replicated_layers.empty());
    EXPECT_NE(p.replicated_layers.front().reason.find("50257"), std::string::npos);
  }
}

TEST_P(TpWorldSizeTest, PerRankParametersAddUpExactly) {
  const int64_t n = GetParam();
  for (const char* name : {"gpt2", "llama-2-7b"}) {
    const TpPlan p = plan_for(name, n);
    const int64_t total = count_parameters(model_graph(name)).parameters;
    EXPECT_EQ(p.total_params, total) << name;
    EXPECT_EQ(p.sharded_params % n, 0) << name;
    EXPECT_EQ((p.params_per_rank() - p.replicated_params) * n + p.replicated_params, total)
        << name;
  }
  // Llama-2-7b: everything but the 65 RMSNorm weights is split.
  const TpPlan p = plan_for("llama-2-7b", n);
  EXPECT_EQ(p.replicated_params, (2 * 32 + 1) * 4096);
  EXPECT_EQ(p.total_params, 6738415616);
}

INSTANTIATE_TEST_SUITE_P(TpPlannerTest, TpWorldSizeTest, ::testing::Values(1, 2, 4, 8));

TEST(TpPlannerTest, Llama2_70bWorldSize3IsADivisibilityError) {
  TpPlanOptions o;
  o.world_size = 3;
  auto plan = plan_tensor_parallel(model_graph("llama-2-70b"), "llama-2-70b", o);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(plan.error().message(), "llama-2-70b: 64 heads not divisible by world size 3");
}

TEST(TpPlannerTest, Llama2_70bGqaFacts) {
  const TpPlan p = plan_for("llama-2-70b", 8);
  EXPECT_EQ(p.heads, 64);
  EXPECT_EQ(p.kv_heads, 8);
  EXPECT_EQ(find_layer(p, "model.layers.0.self_attn.k_proj")->heads, 8);
}

TEST(TpPlannerTest, KvCacheLlama2_7bDecode) {
  // 2 × 32 layers × 2048 × 4096 × 2 bytes = 1 GiB.
  EXPECT_DOUBLE_EQ(kv_cache_bytes(32, 1, 2048, 32, 128, 2), 1024.0 * 1024 * 1024);
  HardwareModel hw;
  hw.memory_bytes = 80e9;
  for (int64_t n : {1, 2, 4, 8}) {
    const TpPlan p = plan_for("llama-2-7b", n);
    TpAnalysisOptions o;
    o.phase = TpPhase::kDecode;
    o.batch = 1;
    o.seq = 2048;
    o.bytes_per_element = 2;
    const TpAnalysis a = analyze_tensor_parallel(p, hw, o);
    EXPECT_DOUBLE_EQ(a.single_device.kv_cache_bytes, 1024.0 * 1024 * 1024);
    EXPECT_DOUBLE_EQ(a.per_rank.kv_cache_bytes, 1024.0 * 1024 * 1024 / static_cast<double>(n));
    EXPECT_DOUBLE_EQ(a.per_rank.weight_bytes, 2.0 * static_cast<double>(p.params_per_rank()));
  }
}

TEST(TpPlannerTest, KorthikantiActivationsByHand) {
  // s 2048, b 1, h 4096, a 32: sbh = 8,388,608 (×2^23); 5as/h = 80.
  const double sbh = 2048.0 * 4096.0;
  const auto none = TpRecompute::kNone;
  EXPECT_DOUBLE_EQ(korthikanti_activation_bytes(2048, 1, 4096, 32, 1, none), sbh * (34 + 80));
  EXPECT_DOUBLE_EQ(korthikanti_activation_bytes(2048, 1, 4096, 32, 8, none), sbh * (10 + 3 + 10));
  EXPECT_DOUBLE_EQ(korthikanti_activation_bytes(2048, 1, 4096, 32, 8, none), 192937984.0);
  // Selective recomputation drops the 5as/h attention term (Table 2); full keeps 2sbh.
  EXPECT_DOUBLE_EQ(korthikanti_activation_bytes(2048, 1, 4096, 32, 1, TpRecompute::kSelective),
                   sbh * 34);
  EXPECT_DOUBLE_EQ(korthikanti_activation_bytes(2048, 1, 4096, 32, 8, TpRecompute::kSelective),
                   sbh * 13);
  EXPECT_DOUBLE_EQ(korthikanti_activation_bytes(2048, 4, 4096, 32, 8, TpRecompute::kFull),
                   2 * sbh * 4);
}

TEST(TpPlannerTest, RingAllReduceBytes) {
  EXPECT_DOUBLE_EQ(ring_all_reduce_bytes(1000, 1), 0);
  EXPECT_DOUBLE_EQ(ring_all_reduce_bytes(1000, 2), 1000);
  EXPECT_DOUBLE_EQ(ring_all_reduce_bytes(1000, 4), 1500);
  EXPECT_DOUBLE_EQ(ring_all_reduce_bytes(1000, 8), 1750);
  EXPECT_DOUBLE_EQ(ring_all_gather_bytes(1000, 8), 875);

  // Through the analysis: prefill S = b·s·h·bytes; time = bytes / bw + 2(N−1)·latency.
  const TpPlan p = plan_for("llama-2-7b", 4);
  HardwareModel hw;
  hw.memory_bytes = 80e9;
  TpAnalysisOptions o;
  o.interconnect = Interconnect{"link", 100e9, 1e-6};
  o.batch = 2;
  o.seq = 512;
  o.bytes_per_element = 2;
  o.single_device_latency_s = 1.0;
  const TpAnalysis a = analyze_tensor_parallel(p, hw, o);
  const double s = 2.0 * 512 * 4096 * 2;
  EXPECT_DOUBLE_EQ(a.all_reduce_payload_bytes, s);
  EXPECT_DOUBLE_EQ(a.all_reduce_bytes_per_rank, 1.5 * s);
  EXPECT_NEAR(a.all_reduce_s, 1.5 * s / 100e9 + 6e-6, 1e-12);
  EXPECT_DOUBLE_EQ(a.compute_s, 0.25);
  EXPECT_NEAR(a.comm_s, 65 * a.all_reduce_s + a.all_gather_s, 1e-12);
  EXPECT_NEAR(a.scaling_efficiency, 1.0 / (4 * (0.25 + a.comm_s)), 1e-12);
}

TEST(TpPlannerTest, JsonFollowsSchemaV2) {
  const TpPlan p = plan_for("gpt2", 4);
  const auto j = nlohmann::json::parse(tp_plan_to_json(p, nullptr, nullptr));
  EXPECT_EQ(j["schema_version"], 2);
  EXPECT_EQ(j["world_size"], 4);
  EXPECT_EQ(j["model"], "gpt2");
  ASSERT_TRUE(j["layers"].is_array());
  const auto& first = j["layers"][0];
  EXPECT_EQ(first["module"], "transformer.h.0.attn.c_attn");
  EXPECT_EQ(first["strategy"], "column");
  EXPECT_EQ(first["gather_output"], false);
  EXPECT_EQ(first["heads"], 12);
  EXPECT_EQ(first["node"], "transformer.h.0.attn.c_attn.matmul");  // the graph node decided on
  EXPECT_EQ(j["layers"][1]["strategy"], "row");
  EXPECT_EQ(j["layers"][1]["input_is_parallel"], true);
  EXPECT_FALSE(j.contains("analysis"));
  for (const auto& key : {"schema_version", "world_size", "model", "layers", "replicated",
                          "notes"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j.size(), 6u);  // graphs.tp.validate_plan refuses any other top-level key
}

TEST(TpPlannerTest, JsonHeadsOnlyOnTheQueryProjection) {
  // convert divides the parent attention's num_heads once per "heads" entry.
  const TpPlan p = plan_for("llama-2-70b", 8);
  const auto j = nlohmann::json::parse(tp_plan_to_json(p, nullptr, nullptr));
  int with_heads = 0;
  for (const auto& l : j["layers"]) {
    if (!l.contains("heads")) continue;
    ++with_heads;
    EXPECT_EQ(l["heads"], 64);
    EXPECT_NE(l["module"].get<std::string>().find("q_proj"), std::string::npos);
  }
  EXPECT_EQ(with_heads, 80);
}

TEST(TpPlannerTest, HeadsFallbackOnlyWithoutAReshape) {
  TpPlanOptions o;
  o.world_size = 2;
  o.heads = 7;  // the graph's Reshape says 12: ignored, with a note
  auto plan = plan_tensor_parallel(model_graph("gpt2"), "gpt2", o);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->heads, 12);
  bool noted = false;
  for (const std::string& n : plan->notes) {
    noted |= n.find("--heads 7 ignored") != std::string::npos;
  }
  EXPECT_TRUE(noted);
}

TEST(TpPlannerTest, BadWorldSizeIsAnError) {
  TpPlanOptions o;
  o.world_size = 0;
  auto plan = plan_tensor_parallel(model_graph("gpt2"), "gpt2", o);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code(), ErrorCode::kInvalidArgument);
}

// The `graphs tp` subcommand end to end: exit status, stderr line, JSON file.
struct TpCliRun {
  int exit_status = -1;
  std::string out;
  std::string err;
};

TpCliRun run_tp_cli(const std::string& args) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("graphs_tp_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path out = dir / "stdout", err = dir / "stderr";
  const std::string cmd = std::string(GRAPHS_CLI_PATH) + " tp " + args + " >" + out.string() +
                          " 2>" + err.string();
  const int status = std::system(cmd.c_str());
  TpCliRun r;
  r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

TEST(TpPlannerTest, CliIndivisibleWorldSizeExitsTwo) {
  const TpCliRun r = run_tp_cli("llama-2-70b --world-size 3 --hardware h100-sxm5-80gb");
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_EQ(r.err, "graphs: error: llama-2-70b: 64 heads not divisible by world size 3\n");
  const TpCliRun bad = run_tp_cli("gpt2 --world-size 2 --phase train");
  EXPECT_EQ(bad.exit_status, 2);
  EXPECT_NE(bad.err.find("--phase"), std::string::npos);
}

TEST(TpPlannerTest, CliJsonPlanWithAnalysis) {
  const TpCliRun r = run_tp_cli(
      "llama-2-7b --world-size 8 --hardware h100-sxm5-80gb --phase decode --seq-len 2048 "
      "--precision fp16 --format json");
  ASSERT_EQ(r.exit_status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["schema_version"], 2);
  EXPECT_EQ(j["world_size"], 8);
  EXPECT_EQ(j["layers"].size(), 32u * 7 + 2);
  const auto& mem = j["analysis"]["memory"];
  EXPECT_DOUBLE_EQ(mem["single_device"]["kv_cache_bytes"].get<double>(), 1024.0 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(mem["per_rank"]["kv_cache_bytes"].get<double>(), 128.0 * 1024 * 1024);
  EXPECT_TRUE(mem["fits"].get<bool>());
  const auto& comm = j["analysis"]["communication"];
  EXPECT_EQ(comm["all_reduces"], 65);
  EXPECT_DOUBLE_EQ(comm["all_reduce_payload_bytes"].get<double>(), 4096.0 * 2);
  EXPECT_GT(j["analysis"]["latency"]["total_s"].get<double>(), 0);
  EXPECT_EQ(comm["interconnect"], "NVLink 4");
}

}  // namespace
}  // namespace graphs
