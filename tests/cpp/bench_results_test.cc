// Bench results: the worker's `done` message into a ConversionResult (generated kernels, energy in
// both forms, op times; older workers without them; malformed fields), its JSON form, and the
// text summary's energy column or note.
#include <gtest/gtest.h>

#include "graphs/bench/results.h"

namespace graphs::bench {
namespace {

using nlohmann::json;

json done_with_everything() {
  return json::parse(R"({
    "type": "done", "peak_rss_bytes": 123456789, "peak_gpu_memory_bytes": null, "threads": 2,
    "versions": {"torch": "2.14.1"},
    "generated_kernels": 7,
    "energy": {"j_per_call": 0.0123, "source": "rapl:intel-rapl:0+intel-rapl:1"},
    "op_times": [
      {"name": "aten::addmm", "self_s_per_call": 2e-5, "count_per_call": 1},
      {"name": "aten::mkldnn_convolution", "self_s_per_call": 4.5e-4, "count_per_call": 2},
      {"name": "aten::relu", "self_s_per_call": 1e-5, "count_per_call": 2.2}
    ]
  })");
}

LatencyStats latency(double median_s) {
  LatencyStats l;
  l.count = 20;
  l.min_s = l.q1_s = l.p90_s = l.p95_s = l.p99_s = l.max_s = l.q3_s = l.mean_s = l.median_s = median_s;
  return l;
}

TEST(BenchResultsTest, DoneWithKernelsEnergyAndOpTimesParses) {
  ConversionResult r;
  read_done_message(done_with_everything(), r);
  EXPECT_EQ(r.peak_rss_bytes, 123456789);
  EXPECT_FALSE(r.peak_gpu_memory_bytes.has_value());
  EXPECT_EQ(r.threads, 2);
  EXPECT_EQ(r.versions["torch"], "2.14.1");
  EXPECT_EQ(r.generated_kernels, 7);
  ASSERT_TRUE(r.energy_j_per_call.has_value());
  EXPECT_DOUBLE_EQ(*r.energy_j_per_call, 0.0123);
  EXPECT_EQ(r.energy_source, "rapl:intel-rapl:0+intel-rapl:1");
  EXPECT_EQ(r.energy_unavailable_reason, "");
  ASSERT_EQ(r.op_times.size(), 3u);
  // Sorted by self time, descending, whatever order the worker sent.
  EXPECT_EQ(r.op_times[0].name, "aten::mkldnn_convolution");
  EXPECT_DOUBLE_EQ(r.op_times[0].self_s_per_call, 4.5e-4);
  EXPECT_DOUBLE_EQ(r.op_times[0].count_per_call, 2);
  EXPECT_EQ(r.op_times[2].name, "aten::relu");
  EXPECT_DOUBLE_EQ(r.op_times[2].count_per_call, 2.2);
  EXPECT_TRUE(r.warnings.empty());
}

TEST(BenchResultsTest, DoneExtrasRoundTripToJson) {
  ConversionResult r;
  r.conversion = "COMPILE_INDUCTOR_DEFAULT";
  read_done_message(done_with_everything(), r);
  const json j = json::parse(r.to_json().dump());  // through text, as the JSONL holds it
  EXPECT_EQ(j["generated_kernels"], 7);
  EXPECT_DOUBLE_EQ(j["energy_j_per_call"].get<double>(), 0.0123);
  EXPECT_EQ(j["energy_source"], "rapl:intel-rapl:0+intel-rapl:1");
  EXPECT_TRUE(j["energy_unavailable"].is_null());
  ASSERT_EQ(j["op_times"].size(), 3u);
  EXPECT_EQ(j["op_times"][0]["name"], "aten::mkldnn_convolution");
  EXPECT_DOUBLE_EQ(j["op_times"][0]["self_s_per_call"].get<double>(), 4.5e-4);
  EXPECT_DOUBLE_EQ(j["op_times"][0]["count_per_call"].get<double>(), 2);
  EXPECT_TRUE(j["op_times_unavailable"].is_null());

  // The JSON form read back as a done message gives the same result.
  ConversionResult again;
  json as_done = j;
  as_done["energy"] = {{"j_per_call", j["energy_j_per_call"]}, {"source", j["energy_source"]}};
  read_done_message(as_done, again);
  EXPECT_EQ(again.generated_kernels, r.generated_kernels);
  EXPECT_EQ(again.energy_j_per_call, r.energy_j_per_call);
  ASSERT_EQ(again.op_times.size(), r.op_times.size());
  for (std::size_t i = 0; i < r.op_times.size(); ++i) {
    EXPECT_EQ(again.op_times[i].name, r.op_times[i].name);
    EXPECT_EQ(again.op_times[i].self_s_per_call, r.op_times[i].self_s_per_call);
  }
}

TEST(BenchResultsTest, UnavailableEnergyAndOpTimesCarryTheirReasons) {
  ConversionResult r;
  read_done_message(json::parse(R"({
    "type": "done", "peak_rss_bytes": 1000, "threads": 1, "versions": {},
    "generated_kernels": null,
    "energy": {"unavailable": "no RAPL counters: /sys/class/powercap does not exist (a VM or a kernel without powercap); no NVML: not a CUDA run"},
    "op_times_unavailable": "profiler is torch-only: ONNX_CPU does not run PyTorch operators"
  })"), r);
  EXPECT_FALSE(r.generated_kernels.has_value());
  EXPECT_FALSE(r.energy_j_per_call.has_value());
  EXPECT_EQ(r.energy_unavailable_reason.rfind("no RAPL counters: /sys/class/powercap does not exist", 0), 0u);
  EXPECT_TRUE(r.op_times.empty());
  const json j = r.to_json();
  EXPECT_TRUE(j["generated_kernels"].is_null());
  EXPECT_TRUE(j["energy_j_per_call"].is_null());
  EXPECT_TRUE(j["energy_source"].is_null());
  EXPECT_EQ(j["energy_unavailable"], r.energy_unavailable_reason);
  EXPECT_FALSE(j.contains("op_times"));
  EXPECT_EQ(j["op_times_unavailable"], "profiler is torch-only: ONNX_CPU does not run PyTorch operators");
  EXPECT_TRUE(r.warnings.empty());
}

TEST(BenchResultsTest, OlderWorkerWithoutExtrasGivesNulls) {
  ConversionResult r;
  read_done_message(json{{"type", "done"}, {"peak_rss_bytes", 5}, {"threads", 1}}, r);
  EXPECT_EQ(r.peak_rss_bytes, 5);
  const json j = r.to_json();
  for (const char* key : {"generated_kernels", "energy_j_per_call", "energy_source",
                          "energy_unavailable", "op_times_unavailable"}) {
    ASSERT_TRUE(j.contains(key)) << key;
    EXPECT_TRUE(j[key].is_null()) << key;
  }
  EXPECT_FALSE(j.contains("op_times"));
  EXPECT_TRUE(r.warnings.empty());
}

TEST(BenchResultsTest, MalformedExtrasAreWarningsNotFailures) {
  ConversionResult r;
  read_done_message(json::parse(R"({
    "type": "done", "peak_rss_bytes": 10, "threads": 1,
    "generated_kernels": -3,
    "energy": {"j_per_call": "lots"},
    "op_times": [{"name": "aten::add", "self_s_per_call": 1e-6, "count_per_call": 1},
                 {"name": 5, "self_s_per_call": 1e-6, "count_per_call": 1}]
  })"), r);
  EXPECT_EQ(r.peak_rss_bytes, 10);
  EXPECT_FALSE(r.generated_kernels.has_value());
  EXPECT_FALSE(r.energy_j_per_call.has_value());
  EXPECT_EQ(r.energy_unavailable_reason, "");
  ASSERT_EQ(r.op_times.size(), 1u);  // the well-formed entry is kept
  EXPECT_EQ(r.op_times[0].name, "aten::add");
  ASSERT_EQ(r.warnings.size(), 3u);
  EXPECT_NE(r.warnings[0].find("done.generated_kernels is malformed"), std::string::npos) << r.warnings[0];
  EXPECT_NE(r.warnings[1].find("done.energy is malformed"), std::string::npos) << r.warnings[1];
  EXPECT_NE(r.warnings[2].find("done.op_times is malformed"), std::string::npos) << r.warnings[2];
}

TEST(BenchResultsTest, IncompleteEnergyIsAWarning) {
  ConversionResult r;
  read_done_message(json::parse(R"json({"type": "done", "energy": {"j_per_call": 0.5,
    "source": "rapl:intel-rapl:0", "incomplete": "the GPU's energy is not counted: no NVML: pynvml is not installed (pip install nvidia-ml-py)"}})json"), r);
  EXPECT_EQ(r.energy_j_per_call, 0.5);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].rfind("energy incomplete: the GPU's energy is not counted", 0), 0u);
}

BenchReport report_of(std::vector<ConversionResult> results) {
  BenchReport b;
  b.header = {{"model", "test_bench_models:tiny_cnn"}, {"settings", {{"batch", 1}, {"device", "cpu"}}}};
  b.results = std::move(results);
  return b;
}

ConversionResult ok_row(const std::string& name, double median_s) {
  ConversionResult r;
  r.conversion = name;
  r.device = "cpu";
  r.latency = latency(median_s);
  return r;
}

TEST(BenchResultsTest, TextSummaryNotesWhyEnergyWasNotMeasured) {
  ConversionResult eager = ok_row("EAGER", 1e-3);
  eager.energy_unavailable_reason = "no RAPL counters: /sys/class/powercap does not exist";
  ConversionResult inductor = ok_row("COMPILE_INDUCTOR_DEFAULT", 5e-4);
  inductor.energy_unavailable_reason = "something else";
  const std::string text = render_text(report_of({eager, inductor}));
  EXPECT_EQ(text.find("energy/inf"), std::string::npos) << text;
  // The first row (fastest first) gives the reason.
  EXPECT_NE(text.find("energy: not measured — something else\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("/sys/class/powercap"), std::string::npos) << text;
}

TEST(BenchResultsTest, TextSummaryHasAnEnergyColumnWhenARowHasEnergy) {
  ConversionResult eager = ok_row("EAGER", 1e-3);
  eager.energy_j_per_call = 0.012345;
  ConversionResult inductor = ok_row("COMPILE_INDUCTOR_DEFAULT", 5e-4);
  inductor.energy_unavailable_reason = "no measured calls";
  const BenchReport report = report_of({eager, inductor});
  const std::string text = render_text(report);
  EXPECT_NE(text.find("energy/inf"), std::string::npos) << text;
  EXPECT_NE(text.find("12.3 mJ"), std::string::npos) << text;
  EXPECT_EQ(text.find("energy: not measured"), std::string::npos) << text;
  const std::string csv = render_csv(report);
  EXPECT_NE(csv.find(",energy_j_per_call,generated_kernels\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",0.012345,"), std::string::npos) << csv;
}

TEST(BenchResultsTest, TextSummaryListsTheTopOps) {
  ConversionResult eager = ok_row("EAGER", 1e-3);
  read_done_message(done_with_everything(), eager);
  ConversionResult ort = ok_row("ONNX_CPU", 2e-3);
  ort.op_times_unavailable = "profiler is torch-only: ONNX_CPU does not run PyTorch operators";
  const std::string text = render_text(report_of({eager, ort}));
  EXPECT_NE(text.find("op time per call"), std::string::npos) << text;
  const auto conv = text.find("aten::mkldnn_convolution");
  const auto addmm = text.find("aten::addmm");
  ASSERT_NE(conv, std::string::npos) << text;
  ASSERT_NE(addmm, std::string::npos) << text;
  EXPECT_LT(conv, addmm) << text;
  EXPECT_NE(text.find("ONNX_CPU: profiler is torch-only"), std::string::npos) << text;
}

// A results line reads back into the result that wrote it: every field to_json writes.
TEST(BenchResultsTest, ResultLineReadsBackExactly) {
  ConversionResult r;
  r.conversion = "COMPILE_INDUCTOR_DEFAULT";
  r.status = RunStatus::kOk;
  r.device = "cpu";
  r.precision = "fp32";
  r.family = "inductor";
  r.batch = 8;
  r.startup_s = 1.5;
  r.convert_s = 30;
  r.first_call_s = 2;
  r.warmup_calls = 12;
  r.warmup_chunks = 3;
  r.warmup_s = 0.6;
  r.warmup_steady = true;
  LatencyStats l;
  l.count = 40;
  l.min_s = 0.01;
  l.median_s = 0.012;
  l.mean_s = 0.0125;
  l.p90_s = l.p95_s = l.p99_s = l.max_s = 0.02;
  l.q1_s = 0.011;
  l.q3_s = 0.013;
  l.iqr_s = 0.002;
  l.iqr_over_median = 0.002 / 0.012;
  l.median_ci_low_s = 0.0118;
  l.median_ci_high_s = 0.0123;
  l.median_ci_rel = 0.025;
  r.latency = l;
  r.stop_reason = "converged";
  r.measure_s = 1.1;
  r.peak_rss_bytes = 1 << 30;
  r.threads = 1;
  r.versions = {{"torch", "2.14.1"}};
  read_done_message(done_with_everything(), r);
  r.output_check_status = "passed";
  OutputComparison c;
  c.max_abs_error = 1e-6;
  c.max_rel_error = 2e-6;
  c.tensors.push_back({0, {8, 1000}, 1e-6, 2e-6, 3.5, 0, true, ""});
  r.output_check = c;
  r.warnings = {"noisy"};
  r.wall_s = 40;
  r.exit = "exit status 0";
  r.samples_s = {0.01, 0.012};
  auto back = ConversionResult::from_json(r.to_json());
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->to_json(), r.to_json());
  EXPECT_EQ(back->status, RunStatus::kOk);
  EXPECT_DOUBLE_EQ(back->latency->median_s, 0.012);

  // A failed row without latency and an older line without the newer fields read too.
  ConversionResult failed;
  failed.conversion = "ONNX_CPU";
  failed.status = RunStatus::kTimeout;
  failed.reason = "convert passed 60 s";
  auto f = ConversionResult::from_json(failed.to_json());
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->to_json(), failed.to_json());
  auto old = ConversionResult::from_json(json{{"type", "result"}, {"conversion", "EAGER"}});
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->latency.has_value());
  EXPECT_EQ(old->status, RunStatus::kOk);
}

TEST(BenchResultsTest, ResultLineErrorsNameTheProblem) {
  EXPECT_FALSE(ConversionResult::from_json(json::array()).ok());
  EXPECT_FALSE(ConversionResult::from_json(json{{"status", "ok"}}).ok());
  auto e = ConversionResult::from_json(json{{"conversion", "EAGER"}, {"status", "exploded"}});
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message().find("exploded"), std::string::npos);
  for (RunStatus s : {RunStatus::kOk, RunStatus::kFailed, RunStatus::kTimeout, RunStatus::kCrashed,
                      RunStatus::kUnavailable, RunStatus::kNotApplicable, RunStatus::kInterrupted}) {
    EXPECT_EQ(run_status_from_string(to_string(s)), s);
  }
}

// Found by graphs_fuzz protocol: a results line with an impossible time or count is refused when
// read back (validate --measured), never scored.
TEST(BenchResultsTest, ImpossibleNumbersInAResultLineAreRefused) {
  const nlohmann::json base = {{"conversion", "EAGER"}, {"status", "ok"},
                               {"latency", {{"median_s", 0.001}, {"count", 10}}}};
  EXPECT_TRUE(ConversionResult::from_json(base).ok());
  nlohmann::json bad = base;
  bad["latency"]["median_s"] = -1e308;
  auto r = ConversionResult::from_json(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("latency.median_s"), std::string::npos) << r.error().message();
  bad = base;
  bad["memory"] = {{"peak_rss_bytes", -5}};
  EXPECT_FALSE(ConversionResult::from_json(bad).ok());
  bad = base;
  bad["cold_start"] = {{"convert_s", -1.0}};
  EXPECT_FALSE(ConversionResult::from_json(bad).ok());
  // done.peak_rss_bytes = -5 from a worker is a protocol error.
  ConversionResult x;
  EXPECT_THROW(read_done_message({{"type", "done"}, {"peak_rss_bytes", -5}}, x), std::runtime_error);
}

}  // namespace
}  // namespace graphs::bench
