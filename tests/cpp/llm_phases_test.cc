// LLM phases (estimate/llm_phases.h): transformer facts from the graph, KV-cache bytes against a
// hand calculation, decode on an H100 against the bandwidth bound, precisions per tensor kind.
#include <gtest/gtest.h>

#include <algorithm>

#include <string>

#include "graphs/pipeline/pipeline.h"
#include "graphs/estimate/llm_phases.h"
#include "graphs/hardware/registry.h"

namespace graphs {
namespace {

const HardwareRegistry& registry() {
  static const HardwareRegistry* r = [] {
    auto loaded = HardwareRegistry::load_default();
    EXPECT_TRUE(loaded.ok()) << loaded.error().message();
    return new HardwareRegistry(loaded.ok() ? std::move(loaded).value() : HardwareRegistry());
  }();
  return *r;
}

Result<Analysis> run(const std::string& model, const std::string& phase, int64_t seq,
                     const std::string& precision = "fp16", const std::string& weights = "",
                     const std::string& kv = "", int64_t batch = 1, bool cuda_graphs = true) {
  AnalyzeRequest r;
  r.model = model;
  r.hardware = {"h100-sxm5-80gb"};
  r.precision = precision;
  r.weight_precision = weights;
  r.kv_precision = kv;
  r.phase = phase;
  r.dims.seq_len = seq;
  r.dims.batch = batch;
  r.cuda_graphs = cuda_graphs;
  return analyze(r, registry());
}

TEST(LlmPhasesTest, FactsComeFromTheGraph) {
  auto a = run("llama-2-70b", "prefill", 16);
  ASSERT_TRUE(a.ok()) << a.error().message();
  ASSERT_TRUE(a->llm.has_value());
  EXPECT_EQ(a->llm->layers, 80);
  EXPECT_EQ(a->llm->heads, 64);
  EXPECT_EQ(a->llm->kv_heads, 8);
  EXPECT_EQ(a->llm->head_dim, 128);
}

// Llama-2-7B in fp16: 2 (K, V) × 32 layers × 4096 (32 heads × 128) × 2 bytes = 512 KiB per token.
TEST(LlmPhasesTest, KvCacheBytesPerToken) {
  const LlmFacts f{.layers = 32, .heads = 32, .kv_heads = 32, .head_dim = 128};
  EXPECT_EQ(kv_cache_bytes(f, 1, 1, 2.0), 524288.0);
  EXPECT_EQ(kv_cache_bytes(f, 8, 4096, 1.0), 524288.0 / 2 * 8 * 4096);
  const LlmFacts gqa{.layers = 80, .heads = 64, .kv_heads = 8, .head_dim = 128};
  EXPECT_EQ(kv_cache_bytes(gqa, 1, 1, 2.0), 2.0 * 80 * 8 * 128 * 2);  // 320 KiB
}

// Decode of a 7B fp16 model at batch 1 is memory-bound: every step streams the 13.5 GB of
// weights, so a step takes at least weights / peak bandwidth (4.0 ms at 3.35 TB/s) and, at the
// file's streaming efficiency, about 4.5 ms, with CUDA graphs.
TEST(LlmPhasesTest, Llama7bDecodeOnH100IsBandwidthBound) {
  auto a = run("llama-2-7b", "decode", 2048);
  ASSERT_TRUE(a.ok()) << a.error().message();
  ASSERT_EQ(a->phases.size(), 1u);
  const LlmPhaseEstimate& p = a->phases[0];
  EXPECT_NEAR(p.weight_bytes, 6'738'415'616.0 * 2, 1);
  const double floor_s = p.weight_bytes / 3.35e12;
  EXPECT_GT(p.tpot_s, floor_s);
  // Above it: the file's streaming efficiency, and every kernel of the step at least its floor
  // (min_kernel_s) plus the gap between kernels.
  const HardwareModel hw = *registry().get("h100-sxm5-80gb");
  const double kernels = static_cast<double>(a->decode_estimates.at(0).kernels.size());
  EXPECT_LT(p.tpot_s, 1.1 * floor_s / hw.efficiency.memory +
                          kernels * (hw.min_kernel_s + *hw.graph_kernel_launch_s) + 1e-4);
  EXPECT_TRUE(p.decode_memory_bound);
  EXPECT_NEAR(p.kv_cache_bytes, 524288.0 * 2048, 1);
  EXPECT_GT(p.decode_attention_s, 0);
  // Attention is fused (no engine named): each layer's attention kernel of the sequence-1 graph
  // is replaced by the attention over the cache. The step is device-bound, so the timeline
  // changes by exactly the difference in device time.
  ASSERT_EQ(a->decode_estimates.size(), 1u);
  double stand_in_s = 0;
  int attention_kernels = 0;
  for (const auto& k : a->decode_estimates[0].kernels) {
    if (!k.attention) continue;
    stand_in_s += k.latency_s;
    ++attention_kernels;
  }
  EXPECT_EQ(attention_kernels, 32);
  EXPECT_NEAR(p.tpot_s, p.decode_graph_s - stand_in_s + p.decode_attention_s, 1e-9);
  EXPECT_NEAR(p.decode_tokens_per_s, 1 / p.tpot_s, 1e-9);
  EXPECT_GT(p.ttft_s, p.tpot_s);  // 2048 tokens of prefill cost more than one decode step
  EXPECT_TRUE(p.fits);
  // The table: time per token and memory grow with the context.
  ASSERT_GE(p.contexts.size(), 3u);
  for (std::size_t i = 1; i < p.contexts.size(); ++i) {
    // Short contexts can sit on the kernel floor: never faster, and longer ones slower.
    EXPECT_GE(p.contexts[i].tpot_s, p.contexts[i - 1].tpot_s);
    EXPECT_GT(p.contexts[i].kv_cache_bytes, p.contexts[i - 1].kv_cache_bytes);
  }
  EXPECT_GT(p.contexts.back().tpot_s, 2 * p.contexts.front().tpot_s);
  // 131072 tokens × 512 KiB = 64 GiB of cache + 12.6 GiB of weights: still under 80 GiB.
  EXPECT_EQ(p.contexts.back().context, 131072);
  EXPECT_NEAR(p.contexts.back().memory_bytes,
              p.weight_bytes + 64.0 * (1 << 30) + p.decode_activation_bytes, 1);
  EXPECT_TRUE(p.contexts.back().fits);
  auto b8 = run("llama-2-7b", "decode", 2048, "fp16", "", "", 8);
  ASSERT_TRUE(b8.ok());
  EXPECT_FALSE(b8->phases[0].contexts.back().fits);  // 8 × 64 GiB of cache

  auto eager = run("llama-2-7b", "decode", 2048, "fp16", "", "", 1, false);
  ASSERT_TRUE(eager.ok());
  ASSERT_EQ(a->decode_estimates.size(), 1u);
  // On the host/device timeline the step is device-bound (it streams 12.6 GiB of weights): the
  // host issues its kernels faster than the device runs them, so without CUDA graphs the step
  // costs only the first kernel's launch more (the graph's own launch is the same 4 us) — and
  // never less.
  const Estimate& step = eager->decode_estimates[0];
  EXPECT_LT(step.host_s, step.device_s);
  EXPECT_GE(eager->phases[0].tpot_s, p.tpot_s);
  EXPECT_LT(eager->phases[0].tpot_s - p.tpot_s, 0.01 * p.tpot_s);
}

// Weight-only int4: 4-bit weights read per step, fp16 compute; the weight streaming gets 4×
// faster (the step's fixed per-kernel floors do not). An fp8 KV cache halves the cache.
TEST(LlmPhasesTest, WeightAndKvPrecisionsAreSeparate) {
  auto fp16 = run("llama-2-7b", "decode", 2048);
  auto int4 = run("llama-2-7b", "decode", 2048, "fp16", "int4", "fp8");
  ASSERT_TRUE(fp16.ok() && int4.ok());
  const auto& a = fp16->phases[0];
  const auto& b = int4->phases[0];
  EXPECT_NEAR(b.weight_bytes, a.weight_bytes / 4, a.weight_bytes * 1e-6);
  EXPECT_NEAR(b.kv_cache_bytes, a.kv_cache_bytes / 2, 1);
  EXPECT_LT(b.tpot_s, 0.7 * a.tpot_s);
  EXPECT_LT(b.decode_graph_s - b.decode_attention_s, a.decode_graph_s);
  EXPECT_EQ(int4->precision.name, "fp16");
  EXPECT_EQ(int4->estimates[0].precision, "fp16");  // compute stays at the activation precision
}

TEST(LlmPhasesTest, MixtralDecodeReadsOnlyActiveExperts) {
  auto a = run("mixtral-8x7b", "decode", 512, "bf16");
  ASSERT_TRUE(a.ok()) << a.error().message();
  const auto& p = a->phases[0];
  // Resident: all 46.7B parameters; read per step at batch 1: the 12.9B active ones.
  EXPECT_NEAR(p.weight_bytes, 46'702'792'704.0 * 2, 1);
  EXPECT_LT(p.tpot_s, p.weight_bytes / 3.35e12);
  EXPECT_GT(p.tpot_s, 12'879'925'248.0 * 2 / 3.35e12);
  EXPECT_FALSE(p.fits);  // 93 GB of bf16 weights on an 80 GB card
}

TEST(LlmPhasesTest, NonLlmAndBadNamesAreRefused) {
  auto a = run("resnet50", "decode", 128);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message().find("not a decoder LLM"), std::string::npos)
      << a.error().message();
  auto b = run("gpt2", "decod", 128);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message().find("did you mean decode"), std::string::npos);
}

TEST(PrecisionTest, ParsesEachKindAndRefusesInt4Compute) {
  auto p = parse_precisions("bf16", "int4", "fp8");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->weights, "int4");
  EXPECT_EQ(p->kv_cache, "fp8");
  EXPECT_EQ(p->kv_bytes(), 1.0);
  EXPECT_EQ(p->activation_bytes(), 2.0);
  EXPECT_EQ(*p->map.weights, DType::kInt4);
  auto q = parse_precisions("tf32", "", "");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->kv_cache, "fp32");
  EXPECT_FALSE(q->map.weights.has_value());
  auto r = parse_precision("int4");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("weight-only"), std::string::npos);
  auto s = parse_precisions("fp16", "in4", "");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("did you mean int4"), std::string::npos)
      << s.error().message();
}

}  // namespace
}  // namespace graphs
