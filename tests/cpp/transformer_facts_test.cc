// Transformer facts from the attention regions (analysis/transformer_facts.h) against two
// independent references: the published configs of the zoo models, and the tensor-parallel
// planner's own reading of the same graphs through Megatron pairing (parallel/tp_planner.h).
#include <gtest/gtest.h>

#include "graphs/analysis/characterize.h"
#include "graphs/analysis/transformer_facts.h"
#include "graphs/parallel/tp_planner.h"
#include "zoo_test_util.h"

namespace graphs {
namespace {

struct Expected {
  const char* model;
  int64_t layers, heads, kv_heads, head_dim, hidden, vocab;
};

// From each checkpoint's config.json (zoo headers cite them).
constexpr Expected kModels[] = {
    {"gpt2", 12, 12, 12, 64, 768, 50257},
    {"llama-2-7b", 32, 32, 32, 128, 4096, 32000},
    {"llama-2-70b", 80, 64, 8, 128, 8192, 32000},
    {"llama-3-8b", 32, 32, 8, 128, 4096, 128256},
    {"mistral-7b", 32, 32, 8, 128, 4096, 32000},
    {"gpt-j-6b", 28, 16, 16, 256, 4096, 50400},
    {"bert-base", 12, 12, 12, 64, 768, 30522},
};

TEST(TransformerFactsTest, MatchConfigsAndTheTensorParallelPlanner) {
  for (const auto& e : kModels) {
    SCOPED_TRACE(e.model);
    DimBindings bindings;
    bindings.seq_len = 8;
    Graph g;
    ASSERT_TRUE(testing_util::prepare_zoo_model(e.model, &g, bindings));
    auto ch = characterize(g, PrecisionMap{});
    ASSERT_TRUE(ch.ok());
    auto f = transformer_facts(g, *ch, e.model);
    ASSERT_TRUE(f.ok()) << f.error().message();
    EXPECT_EQ(f->layers, e.layers);
    EXPECT_EQ(f->heads, e.heads);
    EXPECT_EQ(f->kv_heads, e.kv_heads);
    EXPECT_EQ(f->head_dim, e.head_dim);
    EXPECT_EQ(f->hidden, e.hidden);
    EXPECT_EQ(f->vocab, e.vocab);
    TpPlanOptions o;
    o.world_size = 1;
    auto plan = plan_tensor_parallel(g, e.model, o);
    ASSERT_TRUE(plan.ok()) << plan.error().message();
    EXPECT_EQ(plan->transformer_layers, f->layers);
    EXPECT_EQ(plan->heads, f->heads);
    EXPECT_EQ(plan->kv_heads > 0 ? plan->kv_heads : plan->heads, f->kv_heads);
    EXPECT_EQ(plan->head_dim, f->head_dim);
  }
}

TEST(TransformerFactsTest, ConvolutionalNetworkHasNone) {
  Graph g;
  ASSERT_TRUE(testing_util::prepare_zoo_model("resnet50", &g, DimBindings{}));
  auto ch = characterize(g, PrecisionMap{});
  ASSERT_TRUE(ch.ok());
  auto f = transformer_facts(g, *ch, "resnet50");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(f.error().message().find("resnet50 has no attention layers"), std::string::npos);
}

}  // namespace
}  // namespace graphs
