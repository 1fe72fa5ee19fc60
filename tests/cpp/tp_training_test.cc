// Tensor-parallel figures beyond the plan (tp_planner.h, tp_suggest.h): training memory (ZeRO
// 16 B/param + Korthikanti activations) and communication against hand calculations, decode KV
// reads, the tied GPT-2 head, --suggest, and the CLI's --interconnect / --phase / verify errors.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "graphs/analysis/characterize.h"
#include "graphs/pipeline/pipeline.h"
#include "graphs/parallel/tp_planner.h"
#include "graphs/parallel/tp_suggest.h"

namespace graphs {
namespace {

const Graph& graph_of(const std::string& name, int64_t seq = 8) {
  static std::map<std::pair<std::string, int64_t>, LoadedModel> cache;
  auto key = std::make_pair(name, seq);
  auto it = cache.find(key);
  if (it == cache.end()) {
    DimBindings dims;
    dims.batch = 1;
    dims.seq_len = seq;
    auto loaded = load_model(name, dims);
    EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().message());
    it = cache.emplace(key, std::move(loaded).value()).first;
  }
  return it->second.graph;
}

TpPlan plan(const std::string& name, int64_t n) {
  TpPlanOptions o;
  o.world_size = n;
  auto p = plan_tensor_parallel(graph_of(name), name, o);
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message());
  return p.ok() ? *p : TpPlan{};
}

HardwareModel device(double memory_bytes) {
  HardwareModel hw;
  hw.memory_bytes = memory_bytes;
  hw.memory_bandwidth_bytes_per_s = 2e12;
  hw.efficiency.memory = 0.5;
  return hw;
}

TEST(TpTrainingTest, Llama2_7bTrainingMemoryByHand) {
  // Llama-2-7b at N = 8, batch 1, seq 2048, bf16, no recomputation.
  const TpPlan p = plan("llama-2-7b", 8);
  const double per_rank_params = (6738415616.0 - 65 * 4096) / 8 + 65 * 4096;
  ASSERT_EQ(p.params_per_rank(), 842534912);
  EXPECT_DOUBLE_EQ(per_rank_params, 842534912.0);
  TpAnalysisOptions o;
  o.phase = TpPhase::kTraining;
  o.batch = 1;
  o.seq = 2048;
  o.bytes_per_element = 2;
  o.single_device_latency_s = 2.0;
  o.interconnect = Interconnect{"link", 450e9, 3e-6};
  const TpAnalysis a = analyze_tensor_parallel(p, device(80e9), o);
  // ZeRO §3.1: 2 + 2 + 12 = 16 bytes per parameter.
  EXPECT_DOUBLE_EQ(a.per_rank.weight_bytes, 2 * per_rank_params);
  EXPECT_DOUBLE_EQ(a.per_rank.gradient_bytes, 2 * per_rank_params);
  EXPECT_DOUBLE_EQ(a.per_rank.optimizer_bytes, 12 * per_rank_params);
  EXPECT_DOUBLE_EQ(a.single_device.weight_bytes + a.single_device.gradient_bytes +
                       a.single_device.optimizer_bytes,
                   16 * 6738415616.0);
  // Korthikanti: 32 layers × sbh(10 + 24/8 + 5·32·2048/(4096·8)) = 32 × 2048·4096 × 23.
  EXPECT_DOUBLE_EQ(a.per_rank.activation_bytes, 32 * 2048.0 * 4096 * 23);
  EXPECT_DOUBLE_EQ(a.single_device.activation_bytes, 32 * 2048.0 * 4096 * (34 + 80));
  // Workspace: all-reduce buffer 2048·4096·2 + logits 2048·32000·2 (gathered) + /8 (local).
  const double logits = 2048.0 * 32000 * 2;
  EXPECT_DOUBLE_EQ(a.per_rank.workspace_bytes, 2048.0 * 4096 * 2 + logits + logits / 8);
  EXPECT_DOUBLE_EQ(a.single_device.workspace_bytes, logits);
  EXPECT_DOUBLE_EQ(a.per_rank.total_bytes,
                   16 * per_rank_params + 32 * 2048.0 * 4096 * 23 + a.per_rank.workspace_bytes);
  EXPECT_TRUE(a.fits);
  EXPECT_FALSE(a.fits_single_device);
  EXPECT_NEAR(a.memory_saving, 1 - a.per_rank.total_bytes / a.single_device.total_bytes, 1e-15);

  // Communication per step: 65 forward all-reduces (64 row groups + the embedding), 65 backward
  // (64 column groups + the LM head's input), one logits all-gather.
  EXPECT_EQ(a.forward_all_reduces, 65);
  EXPECT_EQ(a.backward_all_reduces, 65);
  EXPECT_EQ(a.all_gathers, 1);
  const double s = 2048.0 * 4096 * 2;
  EXPECT_DOUBLE_EQ(a.all_reduce_bytes_per_rank, 2.0 * 7 / 8 * s);
  EXPECT_NEAR(a.all_reduce_s, 2.0 * 7 / 8 * s / 450e9 + 14 * 3e-6, 1e-15);
  EXPECT_NEAR(a.all_gather_s, 7.0 / 8 * logits / 450e9 + 7 * 3e-6, 1e-15);
  EXPECT_NEAR(a.comm_s, 130 * a.all_reduce_s + a.all_gather_s, 1e-12);
  EXPECT_NEAR(a.comm_bytes_per_rank, 130 * a.all_reduce_bytes_per_rank + a.all_gather_bytes_per_rank,
              1e-3);
  // Step = 3 forwards; no overlap.
  EXPECT_DOUBLE_EQ(a.single_device_latency_s, 6.0);
  EXPECT_DOUBLE_EQ(a.compute_s, 0.75);
  EXPECT_NEAR(a.latency_s, 0.75 + a.comm_s, 1e-12);
  EXPECT_NEAR(a.scaling_efficiency, 6.0 / (8 * a.latency_s), 1e-12);
}

TEST(TpTrainingTest, RecomputationAndFp32States) {
  const TpPlan p = plan("llama-2-7b", 4);
  TpAnalysisOptions o;
  o.phase = TpPhase::kTraining;
  o.seq = 1024;
  o.recompute = TpRecompute::kFull;
  o.single_device_latency_s = 1.0;
  const TpAnalysis full = analyze_tensor_parallel(p, device(80e9), o);
  EXPECT_DOUBLE_EQ(full.per_rank.activation_bytes, 32 * 2.0 * 1024 * 4096);
  EXPECT_DOUBLE_EQ(full.compute_s, 1.0);  // 4 forwards / 4 ranks
  o.recompute = TpRecompute::kSelective;
  EXPECT_DOUBLE_EQ(analyze_tensor_parallel(p, device(80e9), o).per_rank.activation_bytes,
                   32 * 1024.0 * 4096 * (10 + 6));
  // fp32 training: 4 (weights) + 4 (gradients) + 8 (momentum, variance) = 16 B/param.
  EXPECT_DOUBLE_EQ(adam_state_bytes_per_param(4), 8);
  EXPECT_DOUBLE_EQ(adam_state_bytes_per_param(2), 12);
}

TEST(TpTrainingTest, InferenceHasNoGradientsAndDecodeReadsTheCache) {
  const TpPlan p = plan("llama-2-7b", 2);
  TpAnalysisOptions o;
  o.phase = TpPhase::kDecode;
  o.seq = 4096;
  o.batch = 4;
  o.single_device_latency_s = 0.01;
  const HardwareModel hw = device(80e9);
  const TpAnalysis a = analyze_tensor_parallel(p, hw, o);
  EXPECT_EQ(a.per_rank.gradient_bytes, 0);
  EXPECT_EQ(a.per_rank.optimizer_bytes, 0);
  EXPECT_EQ(a.per_rank.activation_bytes, 0);
  EXPECT_EQ(a.backward_all_reduces, 0);
  // KV: 2 × 32 × 4 × 4096 × 32 × 128 × 2 = 8 GiB, half per rank, read at 2e12 × 0.5 B/s.
  EXPECT_DOUBLE_EQ(a.per_rank.kv_cache_bytes, 4.0 * 1024 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(a.kv_cache_read_s, 4.0 * 1024 * 1024 * 1024 / 1e12);
  EXPECT_DOUBLE_EQ(a.single_device_latency_s, 0.01 + 8.0 * 1024 * 1024 * 1024 / 1e12);
  EXPECT_DOUBLE_EQ(a.tokens, 4);
  EXPECT_FALSE(a.interconnect_known);
  EXPECT_EQ(a.comm_s, 0);
}

TEST(TpTrainingTest, Gpt2TiedHeadSplitsWithTheEmbedding) {
  // 50257 = 29 × 1733: at N = 29 only the vocabulary divides; the tied head splits with wte.
  const TpPlan p = plan("gpt2", 29);
  const TpLayer* wte = nullptr;
  const TpLayer* head = nullptr;
  for (const TpLayer& l : p.layers) {
    if (l.module == "transformer.wte") wte = &l;
    if (l.module == "lm_head") head = &l;
  }
  ASSERT_NE(wte, nullptr);
  ASSERT_NE(head, nullptr);
  EXPECT_EQ(wte->strategy, TpStrategy::kVocab);
  EXPECT_EQ(head->strategy, TpStrategy::kColumn);
  EXPECT_TRUE(head->gather_output);
  EXPECT_TRUE(head->tied);
  EXPECT_EQ(p.all_gathers, 1);
  // The shared weight is counted once.
  EXPECT_EQ(p.total_params, count_parameters(graph_of("gpt2")).parameters);
  EXPECT_EQ(p.sharded_params, 50257 * 768);
  // At N = 2 neither splits (vocabulary), and nothing lists the head.
  const TpPlan p2 = plan("gpt2", 2);
  for (const TpLayer& l : p2.layers) EXPECT_NE(l.module, "lm_head");
  EXPECT_EQ(p2.all_gathers, 0);
}

TEST(TpTrainingTest, BertTokenTypeTableStaysReplicated) {
  const TpPlan p = plan("bert-base", 2);
  bool word = false;
  for (const TpLayer& l : p.layers) {
    EXPECT_NE(l.module, "embeddings.token_type_embeddings");
    word |= l.module == "embeddings.word_embeddings" && l.strategy == TpStrategy::kVocab;
  }
  EXPECT_TRUE(word);
  EXPECT_EQ(p.vocab_embeddings, 1);
}

TEST(TpSuggestTest, Llama2_70bSmallestFitAndBestThroughput) {
  DimBindings dims;
  dims.batch = 1;
  dims.seq_len = 128;
  auto loaded = load_model("llama-2-70b", dims);
  ASSERT_TRUE(loaded.ok());
  TpAnalysisOptions o;
  o.phase = TpPhase::kPrefill;
  o.batch = 1;
  o.seq = 128;
  o.bytes_per_element = 2;
  o.interconnect = Interconnect{"link", 450e9, 3e-6};
  int calls = 0;
  // A fixed weight-streaming cost plus a per-sequence cost: throughput grows with the batch.
  auto latency = [&](int64_t b) -> Result<double> {
    ++calls;
    return 0.05 + 0.01 * static_cast<double>(b);
  };
  TpSuggestOptions so;
  so.max_world_size = 16;
  so.max_batch = 64;
  auto s = suggest_world_size(loaded->graph, "llama-2-70b", device(80e9), TpPlanOptions{}, o,
                              latency, so);
  ASSERT_TRUE(s.ok()) << s.error().message();
  ASSERT_EQ(s->candidates.size(), 5u);  // 1, 2, 4, 8, 16
  // N = 16: 8 KV heads do not split; attention stays whole with the reason, the MLP splits.
  EXPECT_EQ(s->candidates[4].error, "");
  ASSERT_FALSE(s->candidates[4].plan.replicated_layers.empty());
  EXPECT_EQ(s->candidates[4].plan.replicated_layers.front().reason,
            "8 KV heads not divisible by world size 16");
  EXPECT_FALSE(s->candidates[0].at_batch.fits);  // 138 GB of bf16 weights
  ASSERT_EQ(s->smallest_fit, 1);
  EXPECT_EQ(s->candidates[1].world_size, 2);
  EXPECT_TRUE(s->candidates[1].at_batch.fits);
  EXPECT_NE(s->smallest_fit_reason.find("N=2:"), std::string::npos) << s->smallest_fit_reason;
  EXPECT_NE(s->smallest_fit_reason.find("N=1 needs"), std::string::npos);
  ASSERT_GE(s->best_throughput, 0);
  const double best =
      s->candidates[static_cast<std::size_t>(s->best_throughput)].at_max_batch.tokens_per_s_per_device;
  for (const TpCandidate& c : s->candidates) {
    if (c.error.empty() && c.max_batch > 0) EXPECT_LE(c.at_max_batch.tokens_per_s_per_device, best);
  }
  // More ranks leave room for a larger batch.
  EXPECT_GT(s->candidates[3].max_batch, s->candidates[1].max_batch);
  EXPECT_NE(s->best_throughput_reason.find("tokens/s per device"), std::string::npos);
  EXPECT_LE(calls, 8);  // latencies are cached per batch
}

// ---- the CLI ---------------------------------------------------------------------------------

struct CliRun {
  int exit_status = -1;
  std::string out, err;
};

CliRun run_cli(const std::string& args, const std::string& env = "") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("graphs_tpt_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path out = dir / "stdout", err = dir / "stderr";
  const std::string cmd = env + " " + std::string(GRAPHS_CLI_PATH) + " " + args + " >" +
                          out.string() + " 2>" + err.string();
  const int status = std::system(cmd.c_str());
  CliRun r;
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

TEST(TpCliTest, UnknownInterconnectSuggests) {
  const CliRun r = run_cli("tp gpt2 --world-size 2 --interconnect nvlink4");
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_EQ(r.err.rfind("graphs: error: --interconnect: unknown interconnect 'nvlink4'; did you "
                       "mean nvlink-4",
                       0),
            0u)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}

TEST(TpCliTest, UnknownPhaseSuggests) {
  const CliRun r = run_cli("tp gpt2 --world-size 2 --phase train");
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_NE(r.err.find("did you mean training?"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}

TEST(TpCliTest, WorldSizeOrSuggestIsRequired) {
  const CliRun r = run_cli("tp gpt2");
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_EQ(r.err, "graphs: error: --world-size N is required (or --suggest)\n");
}

TEST(TpCliTest, InterconnectOverridesTheHardwareLink) {
  const CliRun r = run_cli(
      "tp llama-2-7b --world-size 8 --hardware h100-sxm5-80gb --interconnect pcie-5-x16 "
      "--phase training --seq-len 512 --format json");
  ASSERT_EQ(r.exit_status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const auto& c = j["analysis"]["communication"];
  EXPECT_EQ(c["interconnect"], "PCIe 5.0 x16");
  EXPECT_DOUBLE_EQ(c["interconnect_bandwidth_bytes_per_s"].get<double>(), 63e9);
  EXPECT_EQ(c["backward_all_reduces"], 65);
  EXPECT_GT(j["analysis"]["memory"]["per_rank"]["optimizer_bytes"].get<double>(), 0);
  EXPECT_EQ(j["analysis"]["phase"], "training");
}

TEST(TpCliTest, VerifyWithoutPythonIsAUsageError) {
  const CliRun r = run_cli("tp verify --model mlp --world-size 2 --python /nonexistent/python");
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_EQ(r.err, "graphs: error: --python '/nonexistent/python' is not an executable file\n");
  const CliRun e = run_cli("tp verify --model mlp --world-size 2",
                           "GRAPHS_PYTHON=/nonexistent/python");
  EXPECT_EQ(e.exit_status, 2);
  EXPECT_NE(e.err.find("GRAPHS_PYTHON"), std::string::npos);
}

TEST(TpCliTest, VerifyStreamsTheInterpretersOutputAndStatus) {
  // A stand-in interpreter: prints its arguments and exits 1, as a failed check would.
  namespace fs = std::filesystem;
  const fs::path fake = fs::temp_directory_path() / ("graphs_fake_python_" + std::to_string(::getpid()));
  {
    std::ofstream f(fake);
    f << "#!/bin/sh\necho \"args: $*\"\necho \"bin: ${GRAPHS_BIN:+set}\"\nexit 1\n";
  }
  fs::permissions(fake, fs::perms::owner_all);
  const CliRun r = run_cli("tp verify --model gpt2,mlp --world-size 2,4 --python " + fake.string());
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.out,
            "args: -m graphs.tp.verify --model gpt2,mlp --world-size 2,4 --timeout 300\n"
            "bin: set\n");
  fs::remove(fake);
}

}  // namespace
}  // namespace graphs
