// `graphs validate` (validate/validate.h): the pipeline end to end through the torch-free fake
// worker (tests/data/bench/fake_worker.py) — a failing conversion still records the others, in
// the report and in the history store — scoring earlier bench results (--measured), the model
// naming rules, and the profiler's aten op classes. No accuracy is asserted: nothing here is a
// real measurement.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "graphs/hardware/registry.h"
#include "graphs/history/history_store.h"
#include "graphs/validate/validate.h"
#include "fake_worker_util.h"

namespace graphs {
namespace {

namespace fs = std::filesystem;

class ValidateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clear_fake_worker_env();
    dir_ = fs::temp_directory_path() /
           ("graphs_validate_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto r = HardwareRegistry::load_default();
    ASSERT_TRUE(r.ok()) << r.error().message();
    registry_.emplace(std::move(*r));
  }
  void TearDown() override { fs::remove_all(dir_); }

  ValidateSettings settings() {
    ValidateSettings s;
    s.models = {"resnet18"};
    s.conversions = {"EAGER", "COMPILE_INDUCTOR_DEFAULT", "ONNX_CPU"};
    s.bench.worker_command = {"python3", kFakeWorker};
    s.bench.min_time_s = 0.05;
    s.bench.max_time_s = 0.2;
    s.history_path = (dir_ / "history.sqlite").string();
    return s;
  }

  std::vector<HistoryRecord> history(const ValidateSettings& s) {
    auto store = HistoryStore::open(s.history_path);
    EXPECT_TRUE(store.ok());
    auto records = store->query({});
    EXPECT_TRUE(records.ok());
    return records.ok() ? *records : std::vector<HistoryRecord>{};
  }

  fs::path dir_;
  std::optional<HardwareRegistry> registry_;
};

TEST_F(ValidateTest, AFailingConversionStillRecordsTheOthers) {
  ::setenv("FAKE_ERROR", "COMPILE_INDUCTOR_DEFAULT:failed", 1);
  ::setenv("FAKE_KERNELS", "17", 1);
  const ValidateSettings s = settings();
  auto report = run_validation(s, *registry_);
  ::unsetenv("FAKE_ERROR");
  ::unsetenv("FAKE_KERNELS");
  ASSERT_TRUE(report.ok()) << report.error().message();
  ASSERT_EQ(report->rows.size(), 3u);
  EXPECT_EQ(report->exit_status, 1);
  for (const auto& row : report->rows) {
    EXPECT_EQ(row.model, "resnet18");
    ASSERT_TRUE(row.predicted_latency_s) << row.conversion;  // predicted whatever the measurement
    EXPECT_GT(*row.predicted_latency_s, 0);
    if (row.conversion == "COMPILE_INDUCTOR_DEFAULT") {
      EXPECT_EQ(row.status, "failed");
      EXPECT_FALSE(row.reason.empty());
      EXPECT_FALSE(row.measured_latency_s);
      EXPECT_FALSE(row.error_rel);
    } else {
      EXPECT_EQ(row.status, "ok") << row.conversion << ": " << row.reason;
      ASSERT_TRUE(row.measured_latency_s);
      ASSERT_TRUE(row.error_rel);
      EXPECT_NEAR(*row.error_rel, (*row.predicted_latency_s - *row.measured_latency_s) / *row.measured_latency_s,
                  1e-12);
      EXPECT_EQ(row.measured_kernels, 17);  // the worker's generated_kernels, passed through
      ASSERT_TRUE(row.headroom);
      EXPECT_FALSE(row.energy_unavailable.empty());  // said plainly, not dropped
    }
  }
  EXPECT_EQ(report->rows[0].backend, "eager");
  EXPECT_EQ(report->rows[2].backend, "onnxruntime");
  // Every row, the failed one included, is in the history.
  const auto h = history(s);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[1].conversion, "COMPILE_INDUCTOR_DEFAULT");
  EXPECT_EQ(h[1].status, "failed");
  EXPECT_TRUE(h[0].measured_latency_s.has_value());
  // The summary counts only rows with both figures.
  const auto summary = summarize_errors(report->rows);
  ASSERT_EQ(summary.size(), 3u);  // EAGER, ONNX_CPU, all
  EXPECT_EQ(summary.back()["cases"], 2);
  const std::string text = render_validation_text(*report);
  EXPECT_NE(text.find("energy: not measured"), std::string::npos);
  EXPECT_NE(text.find("within"), std::string::npos);
}

// --batch 1,8: each model at each batch, rows and the summary per batch.
TEST_F(ValidateTest, BatchSweepValidatesEachBatch) {
  ValidateSettings s = settings();
  s.conversions = {"EAGER"};
  s.batches = {1, 8};
  auto report = run_validation(s, *registry_);
  ASSERT_TRUE(report.ok()) << report.error().message();
  ASSERT_EQ(report->rows.size(), 2u);
  EXPECT_EQ(report->rows[0].batch, 1);
  EXPECT_EQ(report->rows[1].batch, 8);
  EXPECT_GT(*report->rows[1].predicted_latency_s, *report->rows[0].predicted_latency_s);
  const auto summary = summarize_errors(report->rows);
  bool per_batch = false;
  for (const auto& e : summary) per_batch = per_batch || e["batch"] == 8;
  EXPECT_TRUE(per_batch) << summary.dump();
}

// Earlier bench results are re-scored without a worker; a failed row stays a failed row.
TEST_F(ValidateTest, MeasuredResultsAreScoredWithoutMeasuring) {
  const fs::path file = dir_ / "resnet18-b8.jsonl";
  {
    std::ofstream out(file);
    out << R"({"type":"header","model":"torchvision:resnet18","settings":{"batch":8,"seq_len":128}})" << "\n"
        << R"({"type":"result","conversion":"EAGER","status":"ok","family":"eager","precision":"fp32","reference_only":false,"latency":{"median_s":0.25,"median_ci_rel":0.01}})" << "\n"
        << R"({"type":"result","conversion":"COMPILE_INDUCTOR_DEFAULT","status":"timeout","reason":"convert passed 60 s","family":"inductor","precision":"fp32","latency":null})" << "\n"
        << R"({"type":"result","conversion":"ONNX_CPU","status":"ok","family":"onnxruntime","precision":"fp32","latency":{"median_s":0.2},"generated_kernels":null,"op_times":[{"name":"aten::mkldnn_convolution","self_s_per_call":0.1}]})" << "\n"
        << R"({"type":"end","exit_status":1})" << "\n";
  }
  ValidateSettings s = settings();
  s.models.clear();
  s.bench.worker_command = {"/nonexistent/never-started"};
  s.measured_files = {file.string()};
  auto report = run_validation(s, *registry_);
  ASSERT_TRUE(report.ok()) << report.error().message();
  ASSERT_EQ(report->rows.size(), 3u);
  EXPECT_EQ(report->rows[0].model, "torchvision:resnet18");
  EXPECT_EQ(report->rows[0].batch, 8);
  EXPECT_DOUBLE_EQ(*report->rows[0].measured_latency_s, 0.25);
  EXPECT_EQ(report->rows[1].status, "timeout");
  EXPECT_EQ(report->rows[1].reason, "convert passed 60 s");
  ASSERT_TRUE(report->rows[0].measured_speedup_vs_eager);
  EXPECT_DOUBLE_EQ(*report->rows[2].measured_speedup_vs_eager, 0.25 / 0.2);
  // The prediction is at batch 8: slower than the same model at batch 1.
  ValidateSettings b1 = s;
  auto one = fs::path(dir_ / "b1.jsonl");
  {
    std::ifstream in(file);
    std::ofstream out(one);
    std::string line;
    while (std::getline(in, line)) {
      const auto at = line.find("\"batch\":8");
      if (at != std::string::npos) line.replace(at, 9, "\"batch\":1");
      out << line << "\n";
    }
  }
  b1.measured_files = {one.string()};
  auto r1 = run_validation(b1, *registry_);
  ASSERT_TRUE(r1.ok());
  EXPECT_GT(*report->rows[0].predicted_latency_s, 2 * *r1->rows[0].predicted_latency_s);
  EXPECT_EQ(history(s).size(), 6u);
}

TEST_F(ValidateTest, BadInputIsRefusedBeforeAnyWorkerStarts) {
  ValidateSettings s = settings();
  s.bench.worker_command = {"/nonexistent/never-started"};
  s.models = {"resnet81"};
  auto r = run_validation(s, *registry_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(r.error().message().find("resnet18"), std::string::npos) << r.error().message();

  s.models = {"torchvision:densenet121"};  // no zoo twin and no graph given
  r = run_validation(s, *registry_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("SOURCE=GRAPH"), std::string::npos) << r.error().message();

  s.models = {"torchvision:densenet121=/nonexistent/densenet121.onnx"};
  r = run_validation(s, *registry_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);

  s.models.clear();
  s.measured_files = {(dir_ / "missing.jsonl").string()};
  r = run_validation(s, *registry_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(fs::exists(s.history_path));  // nothing was recorded
}

TEST(ValidateAtenTest, ProfilerOpsMapToOpClasses) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"aten::mkldnn_convolution", "conv"},
      {"aten::_convolution", "conv"},
      {"aten::addmm", "matmul"},
      {"aten::bmm", "matmul"},
      {"aten::_scaled_dot_product_flash_attention_for_cpu", "matmul"},
      {"aten::_softmax", "reduction"},
      {"aten::native_layer_norm", "reduction"},
      {"aten::native_batch_norm", "reduction"},
      {"aten::mean", "reduction"},
      {"aten::add", "elementwise"},
      {"aten::max_pool2d_with_indices", "elementwise"},
      {"Torch-Compiled Region", ""},  // profiler ranges are no aten op
      {"[memory]", ""}};
  for (const auto& [name, op_class] : cases) EXPECT_EQ(aten_op_class(name), op_class) << name;
}

}  // namespace
}  // namespace graphs
