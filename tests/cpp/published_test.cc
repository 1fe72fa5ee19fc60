// The published-measurement corpus (validate/published.h): the repository's corpus is valid
// (schema, split, names that resolve) — the CI check of the corpus, no network; bad records are
// refused with file, line and field; a record's prediction equals the estimator's own figure
// for the same conditions (differential); not-modelable records are listed with their reason.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "graphs/pipeline/pipeline.h"
#include "graphs/estimate/engine.h"
#include "graphs/hardware/registry.h"
#include "registry_util.h"
#include "graphs/validate/published.h"
#include "graphs/validate/published_fit.h"
#include "graphs/zoo/zoo.h"

namespace graphs {
namespace {

namespace fs = std::filesystem;

const HardwareRegistry& registry() { return testing_util::default_registry(); }

bool has(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

TEST(PublishedCorpusTest, RepositoryCorpusIsValidAndResolves) {
  auto corpus = load_published_corpus(std::string(GRAPHS_SOURCE_DIR) + "/validation/published");
  ASSERT_TRUE(corpus.ok()) << corpus.error().message();
  EXPECT_GE(corpus->records.size(), 100u);
  std::set<std::string> targets, models, parts;
  for (const auto& r : corpus->records) {
    parts.insert(corpus->split.at(r.group));
    if (!r.modelable) {
      EXPECT_FALSE(r.reason.empty()) << r.id;
      continue;
    }
    EXPECT_TRUE(registry().get(r.hardware).ok()) << r.id << ": hardware " << r.hardware;
    const std::string engine = r.engine == "inductor-cudagraphs" ? "inductor" : r.engine;
    EXPECT_TRUE(find_engine(engine).ok()) << r.id << ": engine " << r.engine;
    EXPECT_TRUE(is_zoo_name(r.model)) << r.id << ": model " << r.model;
    EXPECT_FALSE(r.url.empty());
    EXPECT_FALSE(r.quote.empty());
    targets.insert(r.hardware.substr(0, r.hardware.find(':')));
    models.insert(r.model);
  }
  EXPECT_GE(targets.size(), 6u);
  EXPECT_GE(models.size(), 6u);
  EXPECT_EQ(parts, (std::set<std::string>{"fit", "held_out"}));
}

class PublishedFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("graphs_published_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "vendor-a");
    fs::create_directories(dir_ / "vendor-b");
    write_split("fit: [vendor-a]\nheld_out: [vendor-b]\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write_split(const std::string& body) {
    std::ofstream(dir_ / "split.yaml") << "schema_version: 1\n" << body;
  }
  fs::path write_record(const std::string& group, const std::string& id, const std::string& conditions,
                        const std::string& metric, double value, bool modelable = true,
                        const std::string& extra = "") {
    const fs::path p = dir_ / group / (id + ".yaml");
    std::ofstream(p) << "schema_version: 1\nid: " << id
                     << "\nsource:\n  kind: vendor\n  title: a table\n  url: https://example.org/t\n"
                        "  quote: \"row\"\nconditions:\n"
                     << conditions << "metric:\n  name: " << metric << "\n  value: " << value
                     << "\n  unit: s\nmodelable: " << (modelable ? "true" : "false")
                     << "\nreason: \"" << (modelable ? "" : "not in the zoo") << "\"\n"
                     << extra;
    return p;
  }
  fs::path dir_;
};

const char* kResnetA100 =
    "  hardware: a100-sxm4-80gb\n  engine: tensorrt\n  precision: int8\n  model: resnet50\n"
    "  batch: 8\n  scenario: offline\n";

// Differential: the corpus path predicts exactly what the estimator gives for the same request.
TEST_F(PublishedFixtureTest, PredictionEqualsTheEstimator) {
  write_record("vendor-a", "rn50-latency", kResnetA100, "latency_s", 0.001);
  write_record("vendor-b", "rn50-throughput", kResnetA100, "throughput_samples_per_s", 9000);
  write_record("vendor-b", "dlrm", "  hardware: a100-sxm4-80gb\n  engine: tensorrt\n  precision: int8\n"
                                   "  model: dlrm\n  scenario: offline\n",
               "throughput_samples_per_s", 1000, /*modelable=*/false);
  auto corpus = load_published_corpus(dir_.string());
  ASSERT_TRUE(corpus.ok()) << corpus.error().message();
  ASSERT_EQ(corpus->records.size(), 3u);
  const PublishedReport report = validate_published(*corpus, registry());
  EXPECT_EQ(report.exit_status, 0);
  AnalyzeRequest q;
  q.model = "resnet50";
  q.precision = "int8";
  q.backend = "tensorrt";
  q.hardware = {"a100-sxm4-80gb"};
  q.dims.batch = 8;
  auto a = analyze(q, registry());
  ASSERT_TRUE(a.ok());
  const Estimate& e = a->estimates[0];
  for (const auto& row : report.rows) {
    if (row.id == "rn50-latency") {
      EXPECT_EQ(row.part, "fit");
      ASSERT_TRUE(row.predicted);
      EXPECT_DOUBLE_EQ(*row.predicted, e.latency_s);
      EXPECT_NEAR(*row.error_rel, (e.latency_s - 0.001) / 0.001, 1e-12);
      EXPECT_EQ(row.family, "cnn");
      EXPECT_EQ(row.batch_range, "2-8");
    } else if (row.id == "rn50-throughput") {
      EXPECT_EQ(row.part, "held_out");
      ASSERT_TRUE(row.predicted);
      EXPECT_DOUBLE_EQ(*row.predicted, 8 / e.period_s);
    } else {
      EXPECT_EQ(row.status, "not_modelable");
      EXPECT_EQ(row.reason, "not in the zoo");
    }
  }
  const auto summary = summarize_published(report.rows);
  EXPECT_EQ(summary["fit"]["all"]["cases"].get<int>(), 1);
  EXPECT_EQ(summary["held_out"]["all"]["cases"].get<int>(), 1);
  const std::string text = render_published_text(report);
  EXPECT_TRUE(has(text, "dlrm [held_out] not modelable: not in the zoo")) << text;
}

// An LLM decode figure at batch 1 is the mean step of a static-batch generation.
TEST_F(PublishedFixtureTest, DecodeFigureIsTheMeanGenerationStep) {
  write_split("fit: [vendor-a]\nheld_out: []\n");
  fs::remove_all(dir_ / "vendor-b");
  write_record("vendor-a", "decode",
               "  hardware: h100-sxm5-80gb\n  engine: tensorrt-llm\n  precision: fp16\n"
               "  model: llama-2-7b\n  batch: 1\n  input_tokens: 128\n  output_tokens: 64\n"
               "  scenario: decode\n",
               "tpot_s", 0.007);
  auto corpus = load_published_corpus(dir_.string());
  ASSERT_TRUE(corpus.ok()) << corpus.error().message();
  const PublishedRow row = predict_published(corpus->records[0], "fit", registry());
  ASSERT_EQ(row.status, "ok") << row.reason;
  EXPECT_EQ(row.family, "llm-decode");
  AnalyzeRequest q;
  q.model = "llama-2-7b";
  q.precision = "fp16";
  q.backend = "tensorrt-llm";
  q.hardware = {"h100-sxm5-80gb"};
  q.dims.seq_len = 128;
  q.phase = "generate";
  q.output_tokens = 64;
  auto a = analyze(q, registry());
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_DOUBLE_EQ(*row.predicted, a->phases[0].mean_tpot_s);
}

TEST_F(PublishedFixtureTest, BadRecordsAreRefusedWithFileLineAndField) {
  const fs::path p = write_record("vendor-a", "x", kResnetA100, "latency_s", 0.001, true,
                                  "extra_field: 1\n");
  auto a = load_published_corpus(dir_.string());
  ASSERT_FALSE(a.ok());
  EXPECT_TRUE(has(a.error().message(), "x.yaml:")) << a.error().message();
  EXPECT_TRUE(has(a.error().message(), "extra_field")) << a.error().message();
  fs::remove(p);
  write_record("vendor-a", "y", kResnetA100, "latencyy_s", 0.001);
  auto b = load_published_corpus(dir_.string());
  ASSERT_FALSE(b.ok());
  EXPECT_TRUE(has(b.error().message(), "did you mean latency_s")) << b.error().message();
  fs::remove(dir_ / "vendor-a" / "y.yaml");
  write_record("vendor-a", "z", kResnetA100, "latency_s", -1);
  auto c = load_published_corpus(dir_.string());
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(has(c.error().message(), "metric.value")) << c.error().message();
}

TEST_F(PublishedFixtureTest, EveryGroupMustBeInExactlyOnePart) {
  write_record("vendor-a", "a", kResnetA100, "latency_s", 0.001);
  write_record("vendor-b", "b", kResnetA100, "latency_s", 0.001);
  fs::create_directories(dir_ / "vendor-c");
  write_record("vendor-c", "c", kResnetA100, "latency_s", 0.001);
  auto unassigned = load_published_corpus(dir_.string());
  ASSERT_FALSE(unassigned.ok());
  EXPECT_TRUE(has(unassigned.error().message(), "vendor-c")) << unassigned.error().message();
  write_split("fit: [vendor-a, vendor-c]\nheld_out: [vendor-b, vendor-c]\n");
  auto both = load_published_corpus(dir_.string());
  ASSERT_FALSE(both.ok());
  EXPECT_TRUE(has(both.error().message(), "both parts")) << both.error().message();
}

// The fit reads only the fit part and never makes it worse; held-out records set nothing.
TEST_F(PublishedFixtureTest, FitUsesOnlyTheFitPart) {
  write_record("vendor-a", "fit-one", kResnetA100, "latency_s", 0.004);
  write_record("vendor-b", "held-one",
               "  hardware: t4\n  engine: tensorrt\n  precision: int8\n  model: resnet50\n"
               "  batch: 8\n  scenario: offline\n",
               "latency_s", 0.01);
  auto corpus = load_published_corpus(dir_.string());
  ASSERT_TRUE(corpus.ok()) << corpus.error().message();
  const double before = (*find_engine("tensorrt"))->inference_overhead_s;
  auto fit = fit_published(*corpus, registry());
  ASSERT_TRUE(fit.ok()) << fit.error().message();
  EXPECT_EQ(fit->records, 1);
  EXPECT_LE(fit->objective_after, fit->objective_before);
  for (const auto& p : fit->parameters) {
    EXPECT_FALSE(has(p.owner, "t4")) << p.owner;  // nothing of the held-out target is fitted
    for (const auto& id : p.records) EXPECT_EQ(id, "fit-one");
  }
  // The process-wide engine registry is left as it was.
  EXPECT_DOUBLE_EQ((*find_engine("tensorrt"))->inference_overhead_s, before);
}

}  // namespace
}  // namespace graphs
