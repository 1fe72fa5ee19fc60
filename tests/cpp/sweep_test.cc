// Tests of the design-space sweep (graphs/sweep): every row equals what `estimate_roofline`
// predicts for the same configuration, invalid configurations are rows with the estimator's
// reason, the Pareto marking matches a brute-force definition, unknown names are refused with a
// did-you-mean, and the CSV/JSON carry one row per configuration.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "graphs/pipeline/pipeline.h"
#include "graphs/hardware/registry.h"
#include "graphs/sweep/sweep.h"
#include "graphs/sweep/sweep_report.h"

namespace graphs {
namespace {

const HardwareRegistry& registry() {
  static const HardwareRegistry r = [] {
    auto loaded = HardwareRegistry::load_default();
    EXPECT_TRUE(loaded.ok()) << loaded.error().message();
    return std::move(loaded).value();
  }();
  return r;
}

void expect_near_rel(double got, double want, const std::string& what) {
  EXPECT_NEAR(got, want, 1e-9 * std::max(std::fabs(want), 1e-30)) << what;
}

// Sweep rows against estimate_roofline, configuration by configuration.
void check_against_estimator(const std::string& model, const std::vector<int64_t>& batches,
                             const std::vector<std::string>& precisions) {
  SweepRequest req;
  req.models = {model};
  req.hardware = {"all"};
  req.batches = batches;
  req.precisions = precisions;
  auto resolved = resolve_sweep(req, registry());
  ASSERT_TRUE(resolved.ok()) << resolved.error().message();
  auto result = run_sweep(*resolved);
  ASSERT_TRUE(result.ok()) << result.error().message();
  ASSERT_EQ(result->rows.size(),
            batches.size() * resolved->hardware.size() * precisions.size());
  int valid = 0, invalid = 0;
  for (const int64_t batch : batches) {
    DimBindings dims;
    dims.batch = batch;
    auto loaded = load_model(model, dims);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message();
    for (std::size_t pi = 0; pi < precisions.size(); ++pi) {
      auto prec = parse_precision(precisions[pi]);
      ASSERT_TRUE(prec.ok());
      auto ch = characterize(loaded->graph, prec->map);
      ASSERT_TRUE(ch.ok()) << ch.error().message();
      const Partition part = partition_fused(loaded->graph, *ch);
      for (std::size_t hi = 0; hi < resolved->hardware.size(); ++hi) {
        const HardwareModel& hw = resolved->hardware[hi];
        const auto row_it = std::find_if(result->rows.begin(), result->rows.end(),
                                         [&](const SweepRow& r) {
                                           return r.batch == batch &&
                                                  r.hardware == static_cast<int>(hi) &&
                                                  r.precision == static_cast<int>(pi);
                                         });
        ASSERT_NE(row_it, result->rows.end());
        const SweepRow& row = *row_it;
        const std::string what = model + " b" + std::to_string(batch) + " " + hw.id + " " +
                                 precisions[pi];
        EstimateOptions options;
        options.precision = precisions[pi];
        auto e = estimate_roofline(loaded->graph, *ch, part, hw, options);
        ASSERT_EQ(row.valid, e.ok()) << what << ": " << row.reason;
        if (!e.ok()) {
          EXPECT_EQ(row.reason, e.error().message()) << what;
          ++invalid;
          continue;
        }
        ++valid;
        expect_near_rel(row.latency_s, e->latency_s, what + " latency_s");
        expect_near_rel(row.compute_s, e->compute_s, what + " compute_s");
        expect_near_rel(row.memory_s, e->memory_s, what + " memory_s");
        expect_near_rel(row.energy_j, e->energy_j, what + " energy_j");
        expect_near_rel(row.peak_memory_bytes, e->memory.peak_bytes, what + " peak bytes");
        EXPECT_EQ(row.fits, e->memory.fits) << what;
        EXPECT_EQ(row.compute_bound_kernels, e->compute_bound_kernels) << what;
        EXPECT_EQ(row.kernels, static_cast<int>(part.kernels.size())) << what;
        expect_near_rel(row.throughput_samples_per_s, static_cast<double>(batch) / e->period_s,
                        what + " throughput");
        expect_near_rel(row.throughput_samples_per_s_per_w,
                        static_cast<double>(batch) / e->energy_j, what + " throughput/W");
      }
    }
  }
  EXPECT_GT(valid, 0);
  (void)invalid;
}

TEST(SweepTest, RowsEqualEstimateRooflineOnCnn) {
  check_against_estimator("resnet18", {1, 16}, {"fp32", "tf32", "fp16", "int8", "fp8"});
}

TEST(SweepTest, RowsEqualEstimateRooflineOnTransformers) {
  check_against_estimator("bert-base", {1, 8}, {"fp32", "bf16", "int8"});
  check_against_estimator("gpt2", {4}, {"fp16"});
}

TEST(SweepTest, RowsEqualEstimateRooflineOnDepthwise) {
  check_against_estimator("mobilenet_v2", {2}, {"fp32", "fp16"});
}

TEST(SweepTest, TargetWithoutPrecisionIsInvalidRowWithReason) {
  // Find a (target, precision) the estimator refuses; the registry has CPUs without fp8.
  std::string hw_id, precision;
  for (const auto& id : registry().ids()) {
    auto hw = registry().get(id);
    if (!hw.ok()) continue;
    for (const auto& p : precision_names()) {
      if (!resolve_sweep_target(*hw, p).valid) {
        hw_id = id;
        precision = p;
        break;
      }
    }
    if (!hw_id.empty()) break;
  }
  ASSERT_FALSE(hw_id.empty()) << "every target runs every precision: nothing to test";
  SweepRequest req;
  req.models = {"resnet18"};
  req.hardware = {hw_id, "h100-sxm5-80gb"};
  const std::string other = precision == "fp32" ? "int8" : "fp32";
  req.precisions = {precision, other};
  auto resolved = resolve_sweep(req, registry());
  ASSERT_TRUE(resolved.ok()) << resolved.error().message();
  auto result = run_sweep(*resolved);
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->rows.size(), 4u);  // nothing dropped
  const auto& bad = result->rows[0];   // hw_id at `precision`
  EXPECT_FALSE(bad.valid);
  EXPECT_NE(bad.reason.find(precision), std::string::npos) << bad.reason;
  EXPECT_FALSE(bad.pareto);
  EXPECT_TRUE(result->rows[3].valid);  // h100 at `other`
  // The CSV keeps the invalid row with its reason.
  const std::string csv = sweep_to_csv(*result);
  EXPECT_NE(csv.find(",false,"), std::string::npos);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);
}

TEST(SweepTest, UnknownNamesAreRefusedWithSuggestions) {
  SweepRequest req;
  req.models = {"resnet5"};
  req.hardware = {"h100-sxm5-80gb"};
  auto r = resolve_sweep(req, registry());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(r.error().message().find("resnet50"), std::string::npos) << r.error().message();

  req.models = {"resnet50"};
  req.hardware = {"h100-sxm5"};
  r = resolve_sweep(req, registry());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("h100-sxm5-80gb"), std::string::npos) << r.error().message();

  req.hardware = {"h100-sxm5-80gb"};
  req.precisions = {"fp61"};
  r = resolve_sweep(req, registry());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("fp16"), std::string::npos) << r.error().message();

  req.precisions = {"fp32"};
  req.batches = {8, 0};
  r = resolve_sweep(req, registry());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);

  req.batches = {1};
  req.models = {"/no/such/model.onnx"};
  r = resolve_sweep(req, registry());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
}

TEST(SweepTest, ZooAndAllExpandWithoutDuplicates) {
  SweepRequest req;
  req.models = {"resnet18", "zoo"};
  req.hardware = {"all", "h100-sxm5-80gb"};
  req.batches = {1, 1, 8};
  req.precisions = {"fp16", "fp16"};
  auto r = resolve_sweep(req, registry());
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->models.front(), "resnet18");
  EXPECT_EQ(std::count(r->models.begin(), r->models.end(), "resnet18"), 1);
  EXPECT_GE(r->models.size(), 10u);
  EXPECT_EQ(r->hardware.size(), registry().ids().size());
  EXPECT_EQ(r->batches, (std::vector<int64_t>{1, 8}));
  EXPECT_EQ(r->precisions, (std::vector<std::string>{"fp16"}));
}

// Pareto marking against the definition, on random rows with ties.
TEST(SweepTest, ParetoMatchesBruteForce) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> coarse(1, 12);  // coarse values make ties
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<SweepRow> rows(40);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      rows[i].model = static_cast<int>(i % 2);
      rows[i].latency_s = coarse(rng) * 1e-3;
      rows[i].energy_per_sample_j = coarse(rng) * 0.1;
      rows[i].valid = coarse(rng) > 1;
      rows[i].fits = coarse(rng) > 1;
    }
    mark_pareto(rows);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      bool dominated = false;
      for (std::size_t j = 0; j < rows.size(); ++j) {
        if (j == i || rows[j].model != rows[i].model || !rows[j].valid || !rows[j].fits) continue;
        const bool le = rows[j].latency_s <= rows[i].latency_s &&
                        rows[j].energy_per_sample_j <= rows[i].energy_per_sample_j;
        const bool lt = rows[j].latency_s < rows[i].latency_s ||
                        rows[j].energy_per_sample_j < rows[i].energy_per_sample_j;
        dominated = dominated || (le && lt);
      }
      const bool expect = rows[i].valid && rows[i].fits && !dominated;
      EXPECT_EQ(rows[i].pareto, expect) << "trial " << trial << " row " << i;
    }
  }
}

TEST(SweepReportTest, CsvAndJsonHaveOneRowPerConfiguration) {
  SweepRequest req;
  req.models = {"resnet18", "mobilenet_v2"};
  req.hardware = {"h100-sxm5-80gb", "jetson-orin-agx-64gb", "i7-12700k"};
  req.batches = {1, 32};
  req.precisions = {"fp32", "fp16"};
  auto resolved = resolve_sweep(req, registry());
  ASSERT_TRUE(resolved.ok()) << resolved.error().message();
  auto result = run_sweep(*resolved);
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->rows.size(), 2u * 3 * 2 * 2);
  const std::string csv = sweep_to_csv(*result);
  std::istringstream in(csv);
  std::string header;
  std::getline(in, header);
  std::string joined;
  for (const auto& c : sweep_columns()) joined += (joined.empty() ? "" : ",") + c;
  EXPECT_EQ(header, joined);
  std::size_t lines = 0, pareto = 0;
  for (std::string line; std::getline(in, line);) {
    ++lines;
    pareto += line.size() >= 5 && line.compare(line.size() - 5, 5, ",true") == 0;
  }
  EXPECT_EQ(lines, result->rows.size());
  EXPECT_GE(pareto, 2u);  // at least one Pareto row per model
  const auto j = sweep_to_json(*result);
  EXPECT_EQ(j["schema_version"], kSweepSchemaVersion);
  EXPECT_EQ(j["rows"].size(), result->rows.size());
  for (const auto& c : sweep_columns()) EXPECT_TRUE(j["rows"][0].contains(c)) << c;
  // Rankings put valid rows best-first.
  const auto order = rank_rows(*result, RankBy::kThroughputPerWatt);
  for (std::size_t i = 1; i < order.size(); ++i) {
    const auto& a = result->rows[order[i - 1]];
    const auto& b = result->rows[order[i]];
    if (a.valid && b.valid) {
      EXPECT_GE(a.throughput_samples_per_s_per_w, b.throughput_samples_per_s_per_w);
    }
  }
}

TEST(SweepReportTest, CsvQuotesFieldsWithCommasAndQuotes) {
  SweepResult r;
  r.models = {"a,b"};
  r.model_sources = {"dir/\"x\".onnx"};
  r.hardware_ids = {"hw"};
  r.hardware_names = {"Name, Inc."};
  r.precisions = {"fp32"};
  SweepRow row;
  row.valid = false;
  row.reason = "no \"fp32\" peak, sorry";
  r.rows.push_back(row);
  const std::string csv = sweep_to_csv(r);
  EXPECT_NE(csv.find("\"a,b\",\"dir/\"\"x\"\".onnx\",hw,\"Name, Inc.\""), std::string::npos) << csv;
  EXPECT_NE(csv.find("\"no \"\"fp32\"\" peak, sorry\""), std::string::npos) << csv;
}

// ---- the command line -----------------------------------------------------------------------

struct CliRun {
  int exit_status = -1;
  std::string out, err;
};

CliRun run_cli(const std::string& args) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() /
                       ("graphs_sweep_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path out = dir / "stdout", err = dir / "stderr";
  const std::string cmd = std::string(GRAPHS_CLI_PATH) + " " + args + " >" + out.string() +
                          " 2>" + err.string();
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
  fs::remove_all(dir);
  return r;
}

TEST(SweepCliTest, UnknownNamesExit2WithOneLine) {
  for (const std::string args :
       {"sweep resnet5 --hardware h100-sxm5-80gb", "sweep resnet50 --hardware h100",
        "sweep resnet50 --hardware h100-sxm5-80gb --precision fp61",
        "sweep resnet50 --hardware h100-sxm5-80gb --format xls",
        "sweep resnet50 --hardware h100-sxm5-80gb --batch 0",
        "compare resnet50 --hardware h100-sxm5-80gb --rank-by speed"}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_status, 2) << args << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << ": " << r.err;
    EXPECT_EQ(r.err.rfind("graphs: error: ", 0), 0u) << r.err;
  }
  EXPECT_NE(run_cli("sweep resnet5 --hardware h100-sxm5-80gb").err.find("did you mean"),
            std::string::npos);
}

TEST(SweepCliTest, SweepWritesCsvAndCompareRanks) {
  const auto r = run_cli(
      "sweep resnet18,mobilenet_v2 --hardware h100-sxm5-80gb,i7-12700k --batch 1,8 "
      "--precision fp32,fp8 --format csv");
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1 + 2 * 2 * 2 * 2);
  // i7-12700k has no fp8 peak: invalid rows are counted on stderr, not dropped.
  EXPECT_NE(r.err.find("invalid"), std::string::npos) << r.err;

  const auto c = run_cli("compare resnet50 --hardware h100-sxm5-80gb,a100-sxm4-80gb,t4 "
                         "--batch 8 --precision fp16 --format json");
  ASSERT_EQ(c.exit_status, 0) << c.err;
  const auto j = nlohmann::json::parse(c.out);
  ASSERT_EQ(j["rows"].size(), 3u);
  EXPECT_EQ(j["rank_by"], "latency");
  EXPECT_LE(j["rows"][0]["latency_s"].get<double>(), j["rows"][1]["latency_s"].get<double>());
  EXPECT_LE(j["rows"][1]["latency_s"].get<double>(), j["rows"][2]["latency_s"].get<double>());
  EXPECT_TRUE(j["rows"][0]["pareto"].get<bool>());  // the fastest fitting row is on the front
}

}  // namespace
}  // namespace graphs
