// LLM generation and serving (estimate/llm_phases.h generate, pipeline/pipeline.h
// ServingEstimate): the static batch adds one decode step per generated token after the first,
// the throughput is batch × tokens / time; continuous batching keeps the sequences whose KV
// cache fits and obeys its steady-state formula; a request rate below saturation needs fewer
// sequences in flight.
#include <gtest/gtest.h>

#include "graphs/pipeline/pipeline.h"
#include "graphs/hardware/registry.h"
#include "registry_util.h"
#include "graphs/history/history_store.h"
#include "graphs/validate/published.h"

namespace graphs {
namespace {

const HardwareRegistry& registry() { return testing_util::default_registry(); }

AnalyzeRequest llama(const std::string& phase, int64_t batch, int64_t prompt, int64_t out) {
  AnalyzeRequest q;
  q.model = "llama-2-7b";
  q.precision = "fp16";
  q.backend = "tensorrt-llm";
  q.hardware = {"a100-sxm4-80gb"};
  q.phase = phase;
  q.dims.batch = batch;
  q.dims.seq_len = prompt;
  q.output_tokens = out;
  return q;
}

// One generated token is the prefill alone; two add the decode step at the prompt's context.
TEST(LlmGenerationTest, StepsAddUpByHand) {
  auto one = analyze(llama("generate", 8, 256, 1), registry());
  auto two = analyze(llama("generate", 8, 256, 2), registry());
  auto decode = analyze(llama("decode", 8, 256, 0), registry());
  ASSERT_TRUE(one.ok() && two.ok() && decode.ok());
  const auto& p1 = one->phases[0];
  const auto& p2 = two->phases[0];
  EXPECT_DOUBLE_EQ(p1.generation_s, p1.ttft_s);
  EXPECT_NEAR(p2.generation_s, p2.ttft_s + decode->phases[0].tpot_s, 1e-12);
  EXPECT_NEAR(p2.output_tokens_per_s, 8.0 * 2 / p2.generation_s, 1e-9);
  EXPECT_NEAR(p2.mean_tpot_s, decode->phases[0].tpot_s, 1e-12);
  auto many = analyze(llama("generate", 8, 256, 128), registry());
  ASSERT_TRUE(many.ok());
  EXPECT_GT(many->phases[0].mean_tpot_s, p2.mean_tpot_s);  // the cache grows as it generates
  EXPECT_FALSE(analyze(llama("generate", 8, 256, 0), registry()).ok());  // needs --output-tokens
}

// Serving: memory bounds the concurrency — (0.9 × 80 GiB − weights − activations) / the KV cache
// of one 256 + 256-token sequence — and the throughput follows C / (out · T_dec + C · T_pre).
TEST(LlmServingTest, ConcurrencyFromMemoryAndSteadyStateFormula) {
  AnalyzeRequest q = llama("serve", 1, 256, 256);
  auto s = estimate_serving(q, "a100-sxm4-80gb", registry());
  ASSERT_TRUE(s.ok()) << s.error().message();
  auto one = analyze(llama("decode", 1, 512, 0), registry());
  ASSERT_TRUE(one.ok());
  const auto& p = one->phases[0];
  const HardwareModel hw = *registry().get("a100-sxm4-80gb");
  const double expect = (0.9 * hw.memory_bytes - p.weight_bytes - p.decode_activation_bytes) /
                        p.kv_cache_bytes;
  EXPECT_EQ(s->max_concurrency, static_cast<int64_t>(expect));
  EXPECT_EQ(s->concurrency, s->max_concurrency);
  const double c = static_cast<double>(s->concurrency);
  EXPECT_NEAR(s->requests_per_s, c / (256 * s->decode_step_s + c * s->prefill_per_request_s), 1e-9);
  EXPECT_NEAR(s->output_tokens_per_s, 256 * s->requests_per_s, 1e-6);
  EXPECT_FALSE(s->saturated);
  // A rate below saturation needs fewer sequences in flight and sustains exactly that rate.
  q.request_rate_per_s = s->requests_per_s / 10;
  auto slow = estimate_serving(q, "a100-sxm4-80gb", registry());
  ASSERT_TRUE(slow.ok());
  EXPECT_LT(slow->concurrency, s->concurrency);
  EXPECT_DOUBLE_EQ(slow->requests_per_s, q.request_rate_per_s);
  EXPECT_LT(slow->tpot_s, s->tpot_s);
  // Above it: saturated, said so.
  q.request_rate_per_s = s->requests_per_s * 10;
  auto fast = estimate_serving(q, "a100-sxm4-80gb", registry());
  ASSERT_TRUE(fast.ok());
  EXPECT_TRUE(fast->saturated);
  ASSERT_FALSE(fast->notes.empty());
}

TEST(LlmServingTest, ModelThatDoesNotFitIsRefused) {
  AnalyzeRequest q = llama("serve", 1, 4096, 4096);
  q.model = "llama-2-70b";
  auto s = estimate_serving(q, "l4", registry());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument);
}

// Published rows go to the history store with their record id and part.
TEST(PublishedHistoryTest, RowsAreAppended) {
  PublishedReport report;
  PublishedRow row;
  row.id = "rec-1";
  row.part = "held_out";
  row.hardware = "h100-sxm5-80gb";
  row.model = "resnet50";
  row.engine = "tensorrt";
  row.metric = "latency_s";
  row.published = 0.001;
  row.predicted = 0.0011;
  row.error_rel = 0.1;
  report.rows.push_back(row);
  row.id = "rec-2";
  row.status = "not_modelable";
  report.rows.push_back(row);
  const std::string path = ::testing::TempDir() + "graphs_published_history.sqlite";
  std::remove(path.c_str());
  ASSERT_TRUE(record_published_history(report, path).ok());
  auto store = HistoryStore::open(path);
  ASSERT_TRUE(store.ok());
  auto rows = store->query({});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);  // not-modelable rows are not history
  EXPECT_EQ((*rows)[0].conversion, "published:tensorrt:latency_s");
  EXPECT_NE((*rows)[0].detail.find("rec-1 (held_out)"), std::string::npos);
  EXPECT_NEAR(*(*rows)[0].error_rel(), 0.1, 1e-12);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace graphs
