// Op-class microbenchmarks (calibrate/op_microbench.h): work counted by hand, the class fits and
// overhead rules on synthetic results, and the whole path through a worker process — the
// torch-free fake worker (tests/data/bench/fake_worker.py) answers `microbench` with times made
// from known rates by its own, independent work formulas, and the fits must recover them.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <string>

#include "graphs/calibrate/op_microbench.h"
#include "fake_worker_util.h"

namespace graphs {
namespace {


TEST(OpMicrobenchTest, WorkIsCountedAsDocumented) {
  // 2·m·k·n FLOPs; A, B and C once each, fp32.
  const MicroCase mm = matmul_case(64, 768, 3072);
  EXPECT_DOUBLE_EQ(mm.flops, 2.0 * 64 * 768 * 3072);
  EXPECT_DOUBLE_EQ(mm.bytes, 4.0 * (64 * 768 + 768 * 3072 + 64 * 3072));
  EXPECT_EQ(mm.op_class, "matmul");
  EXPECT_EQ(mm.request["op"], "matmul");

  // ResNet stem: 3→64, 7×7, stride 2, pad 3 on 224² → 112² outputs.
  const MicroCase stem = conv2d_case(1, 3, 224, 64, 7, 2, 3, 1);
  EXPECT_DOUBLE_EQ(stem.flops, 2.0 * 64 * 112 * 112 * 3 * 49);
  EXPECT_DOUBLE_EQ(stem.bytes, 4.0 * (3 * 224 * 224 + 64 * 3 * 49 + 64 + 64 * 112 * 112));
  EXPECT_EQ(stem.op_class, "conv");
  EXPECT_EQ(conv2d_case(1, 64, 56, 256, 1, 1, 0, 1).op_class, "pointwise_conv");
  EXPECT_EQ(conv2d_case(1, 104, 28, 104, 3, 1, 1, 13).op_class, "grouped_conv");  // 8 per group
  const MicroCase tr = transpose_case(2, 58, 784);
  EXPECT_EQ(tr.op_class, "data_movement");
  EXPECT_DOUBLE_EQ(tr.bytes, 8.0 * 2 * 58 * 784);
  // ResNet's stem pool: 64×112² → 64×56² with a 3×3 window.
  const MicroCase mp = maxpool2d_case(1, 64, 112, 3, 2, 1);
  EXPECT_EQ(mp.op_class, "pooling");
  EXPECT_DOUBLE_EQ(mp.bytes, 4.0 * (64 * 112 * 112 + 64 * 56 * 56));
  EXPECT_DOUBLE_EQ(mp.flops, 64.0 * 56 * 56 * 9);

  // Depthwise 3×3 over 144 channels of 56²: each output reads 9 inputs of its own channel.
  const MicroCase dw = conv2d_case(1, 144, 56, 144, 3, 1, 1, 144);
  EXPECT_DOUBLE_EQ(dw.flops, 2.0 * 144 * 56 * 56 * 9);
  EXPECT_EQ(dw.op_class, "depthwise_conv");
  EXPECT_EQ(dw.request["groups"], 144);

  EXPECT_DOUBLE_EQ(add_case(1000).bytes, 12000.0);
  EXPECT_DOUBLE_EQ(softmax_case(10, 100).bytes, 8000.0);
  EXPECT_EQ(noop_case().op_class, "");
  EXPECT_EQ(chain_case(33).request["length"], 33);
}

TEST(OpMicrobenchTest, SuitesCoverEveryClassAndIdsAreUnique) {
  for (const std::string backend : {"torch", "onnxruntime", "inductor"}) {
    for (bool quick : {true, false}) {
      std::set<std::string> ids, classes;
      for (const auto& c : microbench_suite(backend, quick)) {
        EXPECT_TRUE(ids.insert(c.id).second) << backend << " repeats " << c.id;
        if (!c.op_class.empty()) classes.insert(c.op_class);
      }
      EXPECT_TRUE(ids.count("noop")) << backend;
      EXPECT_EQ(classes, (std::set<std::string>{"matmul", "conv", "pointwise_conv", "grouped_conv",
                                                "depthwise_conv", "elementwise", "data_movement",
                                                "pooling", "reduction"}))
          << backend;
      if (backend != "torch") EXPECT_TRUE(ids.count("chain/33")) << backend;
    }
  }
  EXPECT_LT(microbench_suite("torch", true).size(), microbench_suite("torch", false).size());
}

// Results made from t = 20 µs + FLOPs / 50 GFLOP/s (best chunk) recover both parameters; a case
// that failed is a note, not a sample.
TEST(OpMicrobenchTest, ClassFitsRecoverSyntheticRates) {
  std::vector<MicroCase> cases = {matmul_case(64, 768, 768), matmul_case(128, 768, 3072),
                                  matmul_case(1, 768, 768), matmul_case(8, 8, 8), add_case(4096)};
  std::vector<MicroResult> results;
  for (const auto& c : cases) {
    MicroResult r;
    r.id = c.id;
    r.min_s = 20e-6 + c.flops / 50e9;
    r.median_s = *r.min_s * 1.3;  // the fit uses the best chunk
    results.push_back(r);
  }
  results[3].median_s.reset();
  results[3].min_s.reset();
  results[3].error = "RuntimeError: boom";
  std::vector<std::string> notes;
  auto classes = fit_op_classes("onnxruntime", cases, results, notes);
  ASSERT_EQ(classes.size(), 1u);  // elementwise has one work size: not fitted, noted
  EXPECT_EQ(classes[0].op_class, "matmul");
  EXPECT_EQ(classes[0].backend, "onnxruntime");
  EXPECT_EQ(classes[0].samples.size(), 3u);
  EXPECT_NEAR(classes[0].fit.rate, 50e9, 50e9 * 1e-9);
  EXPECT_NEAR(classes[0].fit.overhead_s, 20e-6, 1e-12);
  bool failed_noted = false, single_noted = false;
  for (const auto& n : notes) {
    failed_noted |= n.find("boom") != std::string::npos;
    single_noted |= n.find("elementwise: not fitted") != std::string::npos;
  }
  EXPECT_TRUE(failed_noted);
  EXPECT_TRUE(single_noted);
}

TEST(OpMicrobenchTest, OverheadRulesPerBackend) {
  auto result = [](const MicroCase& c, double t, std::optional<int> kernels = std::nullopt) {
    MicroResult r;
    r.id = c.id;
    r.median_s = t;
    r.min_s = t;
    r.kernels = kernels;
    return r;
  };
  std::map<std::string, double> dispatch, call;
  std::vector<std::string> notes;
  // torch eager: the noop is the per-op cost; no per-call cost.
  fit_overheads("torch_eager", {noop_case()}, {result(noop_case(), 4e-6)}, std::nullopt, dispatch,
                call, notes);
  EXPECT_DOUBLE_EQ(dispatch.at("torch_eager"), 4e-6);
  EXPECT_DOUBLE_EQ(call.at("torch_eager"), 0);
  // ONNX Runtime: (t(33) − t(1)) / 32 per kernel, the noop per call.
  const std::vector<MicroCase> ort = {noop_case(), chain_case(1), chain_case(33)};
  fit_overheads("onnxruntime", ort,
                {result(ort[0], 10e-6), result(ort[1], 11e-6), result(ort[2], 11e-6 + 32 * 0.5e-6)},
                std::nullopt, dispatch, call, notes);
  EXPECT_NEAR(dispatch.at("onnxruntime"), 0.5e-6, 1e-15);
  EXPECT_DOUBLE_EQ(call.at("onnxruntime"), 10e-6);
  // Inductor: per generated kernel when the chain compiled to more kernels...
  fit_overheads("torch_inductor", ort,
                {result(ort[0], 20e-6, 1), result(ort[1], 20e-6, 1), result(ort[2], 26e-6, 4)},
                4e-6, dispatch, call, notes);
  EXPECT_NEAR(dispatch.at("torch_inductor"), 2e-6, 1e-15);
  EXPECT_DOUBLE_EQ(call.at("torch_inductor"), 20e-6);
  // ...else torch eager's dispatch, said in a note.
  notes.clear();
  fit_overheads("torch_inductor", ort,
                {result(ort[0], 20e-6, 1), result(ort[1], 20e-6, 1), result(ort[2], 21e-6, 1)},
                4e-6, dispatch, call, notes);
  EXPECT_DOUBLE_EQ(dispatch.at("torch_inductor"), 4e-6);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("one kernel"), std::string::npos);
}

MicroRunOptions fake_options() {
  MicroRunOptions o;
  o.worker_argv = {"python3", kFakeWorker};
  o.timeout_s = 60;
  return o;
}

// The fake worker times each case as overhead + work / rate with its own work formulas
// (fake_worker.py, FAKE_RATES): the fits must recover exactly those parameters.
TEST(OpMicrobenchTest, ThroughAWorkerTheFitsRecoverTheWorkersRates) {
  const auto cases = microbench_suite("onnxruntime", /*quick=*/true);
  std::vector<std::string> seen;
  MicroRun run = run_op_microbench("onnxruntime", cases, fake_options(),
                                   [&](const MicroResult& r) { seen.push_back(r.id); });
  ASSERT_TRUE(run.error.empty()) << run.error;
  EXPECT_EQ(seen.size(), cases.size());
  EXPECT_EQ(run.versions.value("fake", ""), "1");
  std::vector<std::string> notes;
  auto classes = fit_op_classes("onnxruntime", cases, run.results, notes);
  ASSERT_EQ(classes.size(), 9u);
  // The fake worker's figures: class → (overhead s, rate per s).
  const std::map<std::string, std::pair<double, double>> truth = {
      {"matmul", {20e-6, 50e9}},  {"conv", {30e-6, 40e9}},    {"depthwise_conv", {10e-6, 8e9}},
      {"pointwise_conv", {25e-6, 30e9}}, {"grouped_conv", {15e-6, 20e9}},
      {"data_movement", {4e-6, 15e9}},  {"pooling", {7e-6, 5e9}},
      {"elementwise", {5e-6, 20e9}}, {"reduction", {6e-6, 10e9}}};
  for (const auto& c : classes) {
    const auto& [overhead, rate] = truth.at(c.op_class);
    EXPECT_NEAR(c.fit.rate / rate, 1.0, 1e-6) << c.op_class;
    EXPECT_NEAR(c.fit.overhead_s, overhead, overhead * 1e-5) << c.op_class;
  }
  std::map<std::string, double> dispatch, call;
  fit_overheads("onnxruntime", cases, run.results, std::nullopt, dispatch, call, notes);
  EXPECT_NEAR(dispatch.at("onnxruntime"), 1e-6, 1e-12);  // fake chain: 1 µs per node
  EXPECT_NEAR(call.at("onnxruntime"), 3e-6, 1e-12);      // fake noop
}

// A case the worker fails is an error result; the others are still measured.
TEST(OpMicrobenchTest, AFailingCaseKeepsTheOthers) {
  std::vector<MicroCase> cases = {matmul_case(8, 8, 8), conv2d_case(1, 6, 8, 6, 3, 1, 1, 4),
                                  add_case(4096)};
  MicroRun run = run_op_microbench("torch", cases, fake_options());
  ASSERT_TRUE(run.error.empty()) << run.error;
  ASSERT_EQ(run.results.size(), 3u);
  EXPECT_TRUE(run.results[0].median_s.has_value());
  EXPECT_FALSE(run.results[1].median_s.has_value());
  EXPECT_NE(run.results[1].error.find("groups"), std::string::npos) << run.results[1].error;
  EXPECT_TRUE(run.results[2].median_s.has_value());
}

TEST(OpMicrobenchTest, AWorkerThatCannotStartIsAnErrorNotACrash) {
  MicroRunOptions o = fake_options();
  o.worker_argv = {"/nonexistent/python-for-graphs", "-m", "graphs.worker"};
  MicroRun run = run_op_microbench("torch", {noop_case()}, o);
  EXPECT_FALSE(run.error.empty());
  ASSERT_EQ(run.results.size(), 1u);
  EXPECT_FALSE(run.results[0].median_s.has_value());
}

}  // namespace
}  // namespace graphs
