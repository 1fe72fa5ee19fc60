// Backend families (backends/backend_family.h) against every table that spells a backend: the
// conversion registry, the engines the estimator accepts, the backends calibrate measures, the
// estimator backend validate predicts with, and the request the worker gets.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "graphs/backends/backend_family.h"
#include "graphs/bench/conversion_registry.h"
#include "graphs/calibrate/calibration.h"
#include "graphs/calibrate/op_microbench.h"
#include "graphs/estimate/backend.h"
#include "graphs/estimate/engine.h"
#include "graphs/validate/validate.h"

namespace graphs {
namespace {

/// Test-only conversions and their family visible for the test's duration.
class BackendFamilyTest : public ::testing::Test {
 protected:
  void SetUp() override { ::setenv("GRAPHS_TEST_CONVERSIONS", "1", 1); }
  void TearDown() override { ::unsetenv("GRAPHS_TEST_CONVERSIONS"); }
};

TEST_F(BackendFamilyTest, EveryConversionBelongsToARegisteredFamily) {
  const auto conversions = bench::ConversionRegistry::global().all();
  ASSERT_GE(conversions.size(), 20u);
  for (const bench::ConversionInfo* c : conversions) {
    const BackendFamily* f = BackendFamilyRegistry::global().find(c->family);
    ASSERT_NE(f, nullptr) << c->name << ": family '" << c->family << "' is not registered";
    EXPECT_EQ(f->test_only, c->test_only) << c->name;
    EXPECT_FALSE(c->worker_function.empty()) << c->name;
    EXPECT_TRUE(c->worker_options.is_object()) << c->name;
  }
}

TEST_F(BackendFamilyTest, EveryFamilyHasConversionsAndAWorkerModule) {
  for (const BackendFamily* f : BackendFamilyRegistry::global().all()) {
    EXPECT_FALSE(bench::ConversionRegistry::global().of_family(f->name).empty()) << f->name;
    EXPECT_FALSE(f->worker_module.empty()) << f->name;
    if (!f->test_only) {
      EXPECT_EQ(f->worker_module.rfind("graphs.worker.", 0), 0u) << f->name << ": "
                                                                 << f->worker_module;
    } else {
      // Test code is not in the shipped package.
      EXPECT_NE(f->worker_module.rfind("graphs.", 0), 0u) << f->worker_module;
    }
  }
}

TEST_F(BackendFamilyTest, ProbeModulesCoverEveryModuleAConversionRequires) {
  for (const bench::ConversionInfo* c : bench::ConversionRegistry::global().all()) {
    const BackendFamily* f = BackendFamilyRegistry::global().find(c->family);
    ASSERT_NE(f, nullptr) << c->name;
    for (const bench::PythonRequirement& r : c->requires_modules) {
      EXPECT_NE(std::find(f->probe_modules.begin(), f->probe_modules.end(), r.module),
                f->probe_modules.end())
          << c->name << " requires " << r.module << ", which family " << f->name
          << " does not list among its probe_modules";
    }
  }
}

TEST_F(BackendFamilyTest, EstimatorBackendsAreEnginesWithTheFamilysDispatchKey) {
  int predicted = 0;
  for (const BackendFamily* f : BackendFamilyRegistry::global().all()) {
    if (f->estimator_backend.empty()) {
      EXPECT_TRUE(f->dispatch_overhead_key.empty()) << f->name;
      continue;
    }
    ++predicted;
    EXPECT_TRUE(check_backend(f->estimator_backend).ok()) << f->name << ": "
                                                          << f->estimator_backend;
    auto engine = find_engine(f->estimator_backend);
    ASSERT_TRUE(engine.ok()) << engine.error().message();
    EXPECT_EQ((*engine)->calibration_key, f->dispatch_overhead_key) << f->name;
    EXPECT_EQ(dispatch_overhead_key(f->estimator_backend), f->dispatch_overhead_key) << f->name;
    EXPECT_EQ(backend_for_family(f->name), f->estimator_backend) << f->name;
  }
  EXPECT_GE(predicted, 4);
  EXPECT_EQ(backend_for_family("no-such-family"), "");
}

TEST_F(BackendFamilyTest, EstimatorBackendsOfTheConversionFamiliesAsBeforeTheRecord) {
  // The switch validate.cc held before the families carried it.
  const std::map<std::string, std::string> before = {
      {"eager", "eager"},           {"torchscript", "eager"},   {"export", "eager"},
      {"inductor", "inductor"},     {"aot_inductor", "inductor"}, {"pt2e", "inductor"},
      {"onnxruntime", "onnxruntime"}, {"openvino", "openvino"}, {"cudagraphs", ""},
      {"tensorrt", ""},             {"test", ""}};
  for (const auto& [family, backend] : before) {
    EXPECT_EQ(backend_for_family(family), backend) << family;
  }
}

TEST_F(BackendFamilyTest, CalibrationBackendsAreTheOnesCalibrateAccepts) {
  const std::vector<std::string> expected = {"torch", "onnxruntime", "inductor"};
  EXPECT_EQ(calibrate_backends(), expected);
  EXPECT_EQ(CalibrateSettings{}.backends, expected);
  std::set<std::string> keys;
  for (const std::string& b : calibrate_backends()) {
    const BackendFamily* f = BackendFamilyRegistry::global().find_calibration_backend(b);
    ASSERT_NE(f, nullptr) << b;
    EXPECT_NE(f->calibration_method, DispatchCalibration::kNone) << b;
    EXPECT_FALSE(f->estimator_backend.empty()) << b;
    EXPECT_EQ(calibration_backend_key(b), f->dispatch_overhead_key) << b;
    EXPECT_EQ(BackendFamilyRegistry::global().find_calibrated_key(f->dispatch_overhead_key), f);
    EXPECT_TRUE(keys.insert(f->dispatch_overhead_key).second) << "two families calibrate " << b;
  }
  EXPECT_EQ(calibration_backend_key("torch"), "torch_eager");
  EXPECT_EQ(calibration_backend_key("inductor"), "torch_inductor");
  const BackendFamily* per_op = BackendFamilyRegistry::global().per_op_call_family();
  ASSERT_NE(per_op, nullptr);
  EXPECT_EQ(per_op->name, "eager");
}

TEST_F(BackendFamilyTest, FallbackKeysAreCalibratedFamilies) {
  for (const BackendFamily* f : BackendFamilyRegistry::global().all()) {
    if (f->fallback_dispatch_key.empty()) continue;
    EXPECT_NE(BackendFamilyRegistry::global().find_calibrated_key(f->fallback_dispatch_key),
              nullptr)
        << f->name << " falls back on " << f->fallback_dispatch_key << ", which nothing measures";
    // The family it falls back on calibrates first, so its figure is there when this one fits.
    const BackendFamily* self = BackendFamilyRegistry::global().find_calibrated_key(
        f->dispatch_overhead_key);
    if (self != nullptr) {
      EXPECT_LT(BackendFamilyRegistry::global()
                    .find_calibrated_key(f->fallback_dispatch_key)
                    ->calibration_order,
                self->calibration_order)
          << f->name;
    }
  }
}

TEST_F(BackendFamilyTest, OnlyPerCallFamiliesSkipTheChainCases) {
  auto has_chain = [](const std::string& backend) {
    const auto cases = microbench_suite(backend, true);
    return std::any_of(cases.begin(), cases.end(),
                       [](const MicroCase& c) { return c.id.rfind("chain/", 0) == 0; });
  };
  EXPECT_FALSE(has_chain("torch"));
  EXPECT_TRUE(has_chain("onnxruntime"));
  EXPECT_TRUE(has_chain("inductor"));
}

TEST_F(BackendFamilyTest, OverheadFitFollowsTheFamilysMethod) {
  // noop 10 µs; chain/1 20 µs; chain/33 84 µs with 5 kernels against the noop's 1.
  std::vector<MicroCase> cases(3);
  cases[0].id = "noop";
  cases[1].id = "chain/1";
  cases[1].request = {{"length", 1}};
  cases[2].id = "chain/33";
  cases[2].request = {{"length", 33}};
  std::vector<MicroResult> results(3);
  results[0].median_s = 10e-6;
  results[0].kernels = 1;
  results[1].median_s = 20e-6;
  results[2].median_s = 84e-6;
  results[2].kernels = 5;
  std::map<std::string, double> dispatch, call;
  std::vector<std::string> notes;
  fit_overheads("torch_eager", cases, results, std::nullopt, dispatch, call, notes);
  fit_overheads("onnxruntime", cases, results, std::nullopt, dispatch, call, notes);
  fit_overheads("torch_inductor", cases, results, std::nullopt, dispatch, call, notes);
  EXPECT_DOUBLE_EQ(dispatch.at("torch_eager"), 10e-6);         // the noop call
  EXPECT_DOUBLE_EQ(dispatch.at("onnxruntime"), 64e-6 / 32);    // (84 − 20) / 32
  EXPECT_DOUBLE_EQ(dispatch.at("torch_inductor"), 74e-6 / 4);  // (84 − 10) / (5 − 1)
}

TEST_F(BackendFamilyTest, WorkerRequestNamesTheFamilysModuleAndTheConversionsFunction) {
  const auto* ov = bench::ConversionRegistry::global().find("OPENVINO_CPU");
  const auto* compile = bench::ConversionRegistry::global().find("COMPILE_OPENVINO");
  const auto* ort = bench::ConversionRegistry::global().find("ONNX_TENSORRT");
  ASSERT_TRUE(ov && compile && ort);
  EXPECT_EQ(bench::worker_conversion(*ov)["module"], "graphs.worker.openvino_backend");
  EXPECT_EQ(bench::worker_conversion(*compile)["module"], "graphs.worker.openvino_backend");
  EXPECT_EQ(bench::worker_conversion(*compile)["function"], "compile_openvino");
  const nlohmann::json options = {{"provider", "TensorrtExecutionProvider"}, {"fp16", true}};
  EXPECT_EQ(bench::worker_conversion(*ort)["options"], options);
  const auto table = bench::conversion_table_json();
  EXPECT_EQ(table.size(), bench::ConversionRegistry::global().all().size());
}

TEST(BackendFamilyLookupTest, UnknownFamilySuggestsTheNearest) {
  auto f = find_backend_family("openvin");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message().find("did you mean openvino"), std::string::npos)
      << f.error().message();
  ::unsetenv("GRAPHS_TEST_CONVERSIONS");
  EXPECT_EQ(BackendFamilyRegistry::global().find("test"), nullptr);
}

}  // namespace
}  // namespace graphs
