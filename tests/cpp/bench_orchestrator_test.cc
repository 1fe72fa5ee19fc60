// The orchestrator against a torch-free fake worker (tests/data/bench/fake_worker.py): a hang is
// killed at its phase limit and the next conversion still runs; a segfault, a silent exit, garbage
// on stdout, a protocol mismatch and an output mismatch are each reported; the JSONL holds every
// result. No timed assertions: limits are generous or irrelevant to what is checked.
#include <gtest/gtest.h>

#include <chrono>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "graphs/bench/orchestrator.h"
#include "fake_worker_util.h"

namespace graphs::bench {
namespace {

namespace fs = std::filesystem;


class BenchOrchestratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("GRAPHS_TEST_CONVERSIONS", "1", 1);
    clear_fake_worker_env();
    dir_ = fs::temp_directory_path() /
           ("graphs_bench_orch_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    fs::remove_all(dir_);
    ::unsetenv("GRAPHS_TEST_CONVERSIONS");
  }

  BenchSettings settings(std::vector<std::string> conversions) {
    BenchSettings s;
    s.model = "torchvision:resnet18";
    s.conversions = std::move(conversions);
    s.worker_command = {"python3", kFakeWorker};
    s.work_dir = (dir_ / "work").string();
    s.jsonl_path = (dir_ / "results.jsonl").string();
    s.min_time_s = 0.05;
    s.max_time_s = 1.0;
    s.chunk_min_time_s = 0.01;
    s.warmup_min_time_s = 0.02;
    s.warmup_max_time_s = 0.5;
    s.timeouts.convert_s = 1.0;  // the hang's limit
    return s;
  }

  BenchReport run(const BenchSettings& s) {
    auto r = resolve(s);
    EXPECT_TRUE(r.ok()) << r.error().message();
    auto report = run_bench(*r);
    EXPECT_TRUE(report.ok()) << report.error().message();
    return *report;
  }

  std::vector<nlohmann::json> jsonl() {
    std::ifstream in(dir_ / "results.jsonl");
    std::vector<nlohmann::json> lines;
    std::string line;
    while (std::getline(in, line)) lines.push_back(nlohmann::json::parse(line));
    return lines;
  }

  const ConversionResult* find(const BenchReport& r, const std::string& name) {
    for (const auto& x : r.results) {
      if (x.conversion == name) return &x;
    }
    return nullptr;
  }

  fs::path dir_;
};

TEST_F(BenchOrchestratorTest, FastConversionIsMeasured) {
  const BenchReport r = run(settings({"TEST_SLEEP"}));
  ASSERT_EQ(r.results.size(), 1u);
  const ConversionResult& x = r.results[0];
  EXPECT_EQ(x.status, RunStatus::kOk) << x.reason;
  ASSERT_TRUE(x.latency.has_value());
  EXPECT_GE(x.latency->count, 10u);
  EXPECT_GT(x.latency->median_s, 0.0);
  EXPECT_LE(x.latency->min_s, x.latency->median_s);
  EXPECT_LE(x.latency->median_s, x.latency->p99_s);
  EXPECT_GT(x.warmup_calls, 0u);
  ASSERT_TRUE(x.convert_s.has_value());
  EXPECT_DOUBLE_EQ(*x.convert_s, 0.02);
  EXPECT_TRUE(x.peak_rss_bytes.has_value());
  EXPECT_TRUE(x.peak_rss_wait4_bytes.has_value());
  EXPECT_TRUE(x.stop_reason == "converged" || x.stop_reason == "max_time") << x.stop_reason;
  EXPECT_EQ(r.exit_status, 0);
}

TEST_F(BenchOrchestratorTest, FixedSampleCountIsExact) {
  BenchSettings s = settings({"TEST_SLEEP"});
  s.n_samples = 37;
  const BenchReport r = run(s);
  ASSERT_TRUE(r.results[0].latency.has_value()) << r.results[0].reason;
  EXPECT_EQ(r.results[0].latency->count, 37u);
  EXPECT_EQ(r.results[0].stop_reason, "n_samples");
}

TEST_F(BenchOrchestratorTest, HangIsKilledAndTheNextConversionStillRuns) {
  const BenchReport r = run(settings({"TEST_HANG", "TEST_SLEEP"}));
  ASSERT_EQ(r.results.size(), 2u);
  EXPECT_EQ(r.results[0].conversion, "TEST_HANG");
  EXPECT_EQ(r.results[0].status, RunStatus::kTimeout);
  EXPECT_EQ(r.results[0].phase, "convert");
  EXPECT_NE(r.results[0].reason.find("worker killed"), std::string::npos) << r.results[0].reason;
  EXPECT_NE(r.results[0].exit.find("SIGKILL"), std::string::npos) << r.results[0].exit;
  EXPECT_EQ(r.results[1].status, RunStatus::kOk) << r.results[1].reason;
  EXPECT_EQ(r.exit_status, 1);
}

TEST_F(BenchOrchestratorTest, SegfaultIsReportedWithItsSignalAndStderr) {
  const BenchReport r = run(settings({"TEST_SEGFAULT", "TEST_SLEEP"}));
  const ConversionResult& x = r.results[0];
  EXPECT_EQ(x.status, RunStatus::kCrashed);
  EXPECT_NE(x.reason.find("SIGSEGV"), std::string::npos) << x.reason;
  EXPECT_EQ(x.phase, "convert");
  EXPECT_NE(x.stderr_tail.find("about to segfault"), std::string::npos) << x.stderr_tail;
  EXPECT_EQ(r.results[1].status, RunStatus::kOk);
}

TEST_F(BenchOrchestratorTest, SilentExitIsReportedWithItsStatus) {
  const BenchReport r = run(settings({"TEST_EXIT"}));
  EXPECT_EQ(r.results[0].status, RunStatus::kCrashed);
  EXPECT_NE(r.results[0].reason.find("exit status 7"), std::string::npos) << r.results[0].reason;
  EXPECT_EQ(r.exit_status, 1);
}

TEST_F(BenchOrchestratorTest, GarbageOnStdoutIsAProtocolError) {
  ::setenv("FAKE_GARBAGE", "TEST_SLEEP", 1);
  const BenchReport r = run(settings({"TEST_SLEEP"}));
  EXPECT_EQ(r.results[0].status, RunStatus::kFailed);
  EXPECT_NE(r.results[0].reason.find("protocol error"), std::string::npos) << r.results[0].reason;
  EXPECT_NE(r.results[0].reason.find("this is not json"), std::string::npos) << r.results[0].reason;
}

// A hostile or broken worker fails its own conversion, with the reason, and nothing else: no
// crash, no hang, no file outside the run's folder read, no impossible number in the results.
TEST_F(BenchOrchestratorTest, HostileWorkersFailOnlyThemselves) {
  struct Case {
    const char* hostile;
    const char* reason;
  };
  for (const Case c : {Case{"deep_json", "nested deeper than 64 levels"},
                       Case{"dev_zero", "outputs unreadable"},
                       Case{"escape", "not a file name inside the run's folder"},
                       Case{"negative_rss", "done.peak_rss_bytes = -5"},
                       Case{"wrong_phase", "a warm-up chunk after measuring began"}}) {
    SCOPED_TRACE(c.hostile);
    ::setenv("FAKE_HOSTILE", c.hostile, 1);
    const auto t0 = std::chrono::steady_clock::now();
    const BenchReport r = run(settings({"TEST_SLEEP"}));
    ::unsetenv("FAKE_HOSTILE");
    ASSERT_EQ(r.results.size(), 1u);
    EXPECT_NE(r.results[0].status, RunStatus::kOk);
    EXPECT_NE(r.results[0].reason.find(c.reason), std::string::npos) << r.results[0].reason;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30));
    EXPECT_FALSE(r.results[0].peak_rss_bytes.has_value() && *r.results[0].peak_rss_bytes < 0);
  }
}

// The worker exits while a process it started keeps its stdout open: seen as the worker's end
// at once (not at the phase limit), and the holder is killed with the group.
TEST_F(BenchOrchestratorTest, GrandchildHoldingThePipeDoesNotHideTheExit) {
  ::setenv("FAKE_HOSTILE", "grandchild", 1);
  BenchSettings s = settings({"TEST_SLEEP"});
  s.timeouts.convert_s = 60;
  s.timeouts.load_s = 60;
  const auto t0 = std::chrono::steady_clock::now();
  const BenchReport r = run(s);
  ::unsetenv("FAKE_HOSTILE");
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0].status, RunStatus::kCrashed) << r.results[0].reason;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));
}

TEST_F(BenchOrchestratorTest, ProtocolMismatchIsReported) {
  ::setenv("FAKE_PROTOCOL", "2", 1);
  const BenchReport r = run(settings({"TEST_SLEEP"}));
  EXPECT_EQ(r.results[0].status, RunStatus::kUnavailable);
  EXPECT_NE(r.results[0].reason.find("protocol mismatch: worker speaks 2, graphs speaks 1"),
            std::string::npos)
      << r.results[0].reason;
}

TEST_F(BenchOrchestratorTest, WorkerErrorKindsMapToStatuses) {
  ::setenv("FAKE_ERROR", "JIT_TRACE:unsupported,EXPORT+EAGER:unavailable", 1);
  const BenchReport r = run(settings({"JIT_TRACE", "EXPORT+EAGER"}));
  const ConversionResult* jit = find(r, "JIT_TRACE");
  ASSERT_NE(jit, nullptr);
  EXPECT_EQ(jit->status, RunStatus::kFailed);
  EXPECT_EQ(jit->reason, "unsupported: fake unsupported error");
  EXPECT_EQ(jit->phase, "convert");
  EXPECT_EQ(find(r, "EXPORT+EAGER")->status, RunStatus::kUnavailable);
}

TEST_F(BenchOrchestratorTest, ReferenceRunsFirstAndMismatchFails) {
  ::setenv("FAKE_MISMATCH", "JIT_TRACE", 1);
  const BenchReport r = run(settings({"JIT_TRACE", "TORCH_SCRIPT"}));
  ASSERT_EQ(r.results.size(), 3u);
  EXPECT_EQ(r.results[0].conversion, "EAGER");
  EXPECT_TRUE(r.results[0].reference_only);
  EXPECT_EQ(r.results[0].output_check_status, "reference");
  const ConversionResult* jit = find(r, "JIT_TRACE");
  EXPECT_EQ(jit->status, RunStatus::kFailed);
  EXPECT_EQ(jit->output_check_status, "failed");
  EXPECT_NE(jit->reason.find("output mismatch"), std::string::npos) << jit->reason;
  ASSERT_TRUE(jit->output_check.has_value());
  EXPECT_NEAR(jit->output_check->max_abs_error, 1.0, 1e-6);
  const ConversionResult* ts = find(r, "TORCH_SCRIPT");
  EXPECT_EQ(ts->status, RunStatus::kOk) << ts->reason;
  EXPECT_EQ(ts->output_check_status, "passed");
  EXPECT_EQ(r.exit_status, 1);
}

TEST_F(BenchOrchestratorTest, RequestedReferenceIsMovedToTheFront) {
  const BenchReport r = run(settings({"TORCH_SCRIPT", "EAGER"}));
  ASSERT_EQ(r.results.size(), 2u);
  EXPECT_EQ(r.results[0].conversion, "EAGER");
  EXPECT_FALSE(r.results[0].reference_only);
  EXPECT_EQ(r.results[1].output_check_status, "passed");
  EXPECT_EQ(r.exit_status, 0);
}

TEST_F(BenchOrchestratorTest, MissingPackagesMakeConversionsUnavailable) {
  ::setenv("FAKE_MISSING", "openvino", 1);
  const BenchReport r = run(settings({"EAGER", "OPENVINO_CPU", "ONNX_GPU"}));
  const ConversionResult* ov = find(r, "OPENVINO_CPU");
  EXPECT_EQ(ov->status, RunStatus::kUnavailable);
  EXPECT_EQ(ov->reason, "package openvino missing (pip install openvino)");
  EXPECT_NE(find(r, "ONNX_GPU")->reason.find("no CUDA device"), std::string::npos);
  EXPECT_EQ(find(r, "EAGER")->status, RunStatus::kOk);
  EXPECT_EQ(r.exit_status, 1);
}

TEST_F(BenchOrchestratorTest, OnnxSourceMarksTorchConversionsNotApplicable) {
  const fs::path model = dir_ / "m.onnx";
  std::ofstream(model) << "not really onnx; the fake worker never reads it";
  BenchSettings s = settings({"EAGER", "ONNX_CPU"});
  s.model = model.string();
  const BenchReport r = run(s);
  const ConversionResult* eager = find(r, "EAGER");
  EXPECT_EQ(eager->status, RunStatus::kNotApplicable);
  EXPECT_NE(eager->reason.find("not applicable to an ONNX source"), std::string::npos);
  EXPECT_EQ(find(r, "ONNX_CPU")->status, RunStatus::kOk);
  EXPECT_EQ(find(r, "ONNX_CPU")->output_check_status, "reference");
}

TEST_F(BenchOrchestratorTest, MissingWorkerMakesEveryConversionUnavailable) {
  BenchSettings s = settings({"TEST_SLEEP"});
  s.worker_command = {"/nonexistent/python-for-graphs", "-m", "graphs.worker"};
  const BenchReport r = run(s);
  EXPECT_EQ(r.results[0].status, RunStatus::kUnavailable);
  EXPECT_NE(r.results[0].reason.find("the worker did not start"), std::string::npos) << r.results[0].reason;
  EXPECT_NE(r.results[0].reason.find("--python"), std::string::npos) << r.results[0].reason;
}

TEST_F(BenchOrchestratorTest, JsonlHasHeaderEveryResultAndEnd) {
  ::setenv("FAKE_ERROR", "TORCH_SCRIPT:failed", 1);
  const BenchReport r = run(settings({"TEST_SLEEP", "TEST_EXIT", "TORCH_SCRIPT"}));
  const auto lines = jsonl();
  ASSERT_EQ(lines.size(), r.results.size() + 2);
  EXPECT_EQ(lines.front()["type"], "header");
  EXPECT_EQ(lines.front()["schema_version"], 1);
  EXPECT_EQ(lines.front()["model"], "torchvision:resnet18");
  EXPECT_TRUE(lines.front()["host"].contains("logical_cpus"));
  EXPECT_TRUE(lines.front()["probe"].is_object());
  for (std::size_t i = 0; i < r.results.size(); ++i) {
    EXPECT_EQ(lines[i + 1]["type"], "result");
    EXPECT_EQ(lines[i + 1]["conversion"], r.results[i].conversion);
  }
  EXPECT_EQ(lines.back()["type"], "end");
  EXPECT_EQ(lines.back()["exit_status"], 1);
  // The report's JSON form has the same results and units in the names.
  // EAGER ran first as the reference-only run (TORCH_SCRIPT's outputs need one).
  EXPECT_EQ(lines[1]["conversion"], "EAGER");
  EXPECT_EQ(lines[1]["reference_only"], true);
  const nlohmann::json j = r.to_json();
  EXPECT_EQ(j["schema_version"], 1);
  const nlohmann::json& sleep = j["results"][1];
  ASSERT_EQ(sleep["conversion"], "TEST_SLEEP");
  EXPECT_TRUE(sleep["latency"]["median_s"].is_number());
  EXPECT_TRUE(sleep["latency"]["median_ci_low_s"].is_number());
  EXPECT_TRUE(sleep["memory"].contains("peak_rss_bytes"));
  EXPECT_EQ(j["results"][2]["status"], "crashed");
  EXPECT_EQ(j["results"][3]["status"], "failed");
}

TEST_F(BenchOrchestratorTest, DoneExtrasReachTheResultAndTheJsonl) {
  ::setenv("FAKE_ENERGY_J", "0.25", 1);
  ::setenv("FAKE_KERNELS", "12", 1);
  BenchSettings s = settings({"TEST_SLEEP"});
  s.profile_ops = true;
  const BenchReport r = run(s);
  ::unsetenv("FAKE_ENERGY_J");
  ::unsetenv("FAKE_KERNELS");
  ASSERT_EQ(r.results.size(), 1u);
  const ConversionResult& res = r.results[0];
  EXPECT_EQ(res.status, RunStatus::kOk) << res.reason;
  EXPECT_EQ(res.generated_kernels, 12);
  EXPECT_EQ(res.energy_j_per_call, 0.25);
  EXPECT_EQ(res.energy_source, "rapl:intel-rapl:0");
  ASSERT_EQ(res.op_times.size(), 2u);  // the fake worker sends them only when asked
  EXPECT_EQ(res.op_times[0].name, "fake::sleep");
  const auto lines = jsonl();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1]["generated_kernels"], 12);
  EXPECT_EQ(lines[1]["energy_j_per_call"], 0.25);
  EXPECT_EQ(lines[1]["op_times"][1]["name"], "fake::noop");
  EXPECT_EQ(lines[0]["settings"]["profile_ops"], true);
}

TEST_F(BenchOrchestratorTest, LargeStderrDoesNotDeadlock) {
  ::setenv("FAKE_STDERR_BYTES", "1000000", 1);  // far beyond a 64 KiB pipe buffer
  const BenchReport r = run(settings({"TEST_SLEEP"}));
  EXPECT_EQ(r.results[0].status, RunStatus::kOk) << r.results[0].reason;
}

TEST_F(BenchOrchestratorTest, RenderingsListEveryConversion) {
  const BenchReport r = run(settings({"EAGER", "TEST_EXIT"}));
  const std::string text = render_text(r);
  EXPECT_NE(text.find("EAGER"), std::string::npos);
  EXPECT_NE(text.find("TEST_EXIT"), std::string::npos);
  EXPECT_NE(text.find("exit status 7"), std::string::npos);
  const std::string csv = render_csv(r);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);  // header + 2 rows
  EXPECT_NE(render_markdown(r).find("| EAGER"), std::string::npos);
}

}  // namespace
}  // namespace graphs::bench
