// graphs tp's library entry points (tp_run.h, tp_json.h, tp_verify.h): one call from an analysed
// model to a plan with its figures or a world-size suggestion, the suggestion's JSON, and the
// verifier process (argv, exit status, GRAPHS_BIN, an interpreter that cannot run).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "graphs/hardware/registry.h"
#include "graphs/parallel/tp_json.h"
#include "graphs/parallel/tp_run.h"
#include "graphs/parallel/tp_verify.h"
#include "graphs/pipeline/pipeline.h"

namespace graphs {
namespace {

struct Analysed {
  HardwareModel hw;
  Analysis analysis;
};

const Analysed& analysed(const std::string& model) {
  static std::map<std::string, Analysed> cache;
  auto it = cache.find(model);
  if (it != cache.end()) return it->second;
  auto registry = HardwareRegistry::load_default();
  EXPECT_TRUE(registry.ok());
  AnalyzeRequest r;
  r.model = model;
  r.dims.batch = 1;
  r.dims.seq_len = 8;
  r.precision = "fp16";
  r.hardware = {"h100-sxm5-80gb"};
  auto a = analyze(r, *registry);
  EXPECT_TRUE(a.ok()) << (a.ok() ? "" : a.error().message());
  return cache.emplace(model, Analysed{*registry->get("h100-sxm5-80gb"), std::move(*a)})
      .first->second;
}

Result<TpResult> run(const std::string& model, TpRequest request) {
  const Analysed& a = analysed(model);
  auto latency = [&](int64_t) -> Result<double> { return a.analysis.estimates.front().latency_s; };
  return run_tensor_parallel(a.analysis.model.graph, model, a.hw, a.analysis.partition,
                             a.analysis.estimates.front(), request, latency);
}

TEST(TpRunTest, PlanWithFiguresInOneCall) {
  TpRequest request;
  request.world_size = 2;
  auto r = run("resnet18", request);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->plan.conv_pairs, 8);
  EXPECT_DOUBLE_EQ(r->options.single_device_latency_s,
                   analysed("resnet18").analysis.estimates.front().latency_s);
  EXPECT_GT(r->options.split_work_fraction, 0.5);
  EXPECT_LT(r->options.split_work_fraction, 1.0);  // the stem, shortcuts and pooling stay whole
  EXPECT_TRUE(r->analysis.speedup_claimed);
  EXPECT_LT(r->analysis.speedup, 2.0);
  ASSERT_TRUE(r->options.interconnect.has_value());
  EXPECT_EQ(r->notes.front(), "interconnect: h100-sxm5-80gb's own (NVLink 4, from its hardware "
                              "file)");
  EXPECT_EQ(r->plan.notes.back(), r->notes.back());  // the assumptions travel with the plan
}

TEST(TpRunTest, UnknownInterconnectIsAnError) {
  TpRequest request;
  request.world_size = 2;
  request.interconnect = "nvlink4";
  auto r = run("resnet18", request);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("--interconnect"), std::string::npos);
  EXPECT_NE(r.error().message().find("nvlink-4"), std::string::npos);
}

TEST(TpRunTest, SuggestionJson) {
  TpRequest request;
  request.suggest = true;
  auto r = run("gpt2", request);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_TRUE(r->suggestion.has_value());
  const auto j = nlohmann::json::parse(
      tp_suggestion_to_json(*r->suggestion, r->options, "gpt2", "h100-sxm5-80gb", r->notes));
  EXPECT_EQ(j["model"], "gpt2");
  EXPECT_EQ(j["candidates"].size(), r->suggestion->candidates.size());
  EXPECT_EQ(j["candidates"][0]["world_size"], 1);
  EXPECT_EQ(j["candidates"][0]["plan"]["schema_version"], kTpPlanSchemaVersion);
  EXPECT_EQ(j["smallest_fit"]["world_size"], 1);  // 124M parameters fit one H100
  // 12 heads do not split 8 ways: at N = 8 attention stays whole, with the reason.
  const auto& n8 = j["candidates"][3];
  ASSERT_EQ(n8["world_size"], 8);
  bool heads_reason = false;
  for (const auto& l : n8["plan"]["analysis"]["replicated_layers"]) {
    heads_reason |= l["reason"] == "12 heads not divisible by world size 8";
  }
  EXPECT_TRUE(heads_reason);
  EXPECT_EQ(j["notes"].size(), r->notes.size());
}

TEST(TpVerifyTest, Argv) {
  TpVerifyRequest r{"/usr/bin/python3", "resnet18,mlp", "2,4", 120, ""};
  EXPECT_EQ(tp_verify_argv(r),
            (std::vector<std::string>{"/usr/bin/python3", "-m", "graphs.tp.verify", "--model",
                                      "resnet18,mlp", "--world-size", "2,4", "--timeout",
                                      "120"}));
}

TEST(TpVerifyTest, RunsTheInterpreterAndReturnsItsStatus) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("graphs_tp_verify_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path script = dir / "python", out = dir / "args";
  {
    std::ofstream f(script);
    f << "#!/bin/sh\necho \"$@ GRAPHS_BIN=$GRAPHS_BIN\" > " << out.string() << "\nexit 3\n";
  }
  fs::permissions(script, fs::perms::owner_all);
  const char* saved = std::getenv("GRAPHS_BIN");
  const std::string old = saved != nullptr ? saved : "";
  ::unsetenv("GRAPHS_BIN");
  auto status = run_tp_verify(TpVerifyRequest{script.string(), "mlp", "2", 5, "/opt/graphs"});
  if (saved != nullptr) ::setenv("GRAPHS_BIN", old.c_str(), 1);
  ASSERT_TRUE(status.ok()) << status.error().message();
  EXPECT_EQ(*status, 3);
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(),
            "-m graphs.tp.verify --model mlp --world-size 2 --timeout 5 GRAPHS_BIN=/opt/graphs\n");

  auto missing = run_tp_verify(TpVerifyRequest{(dir / "nope").string(), "mlp", "2", 5, ""});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(),
            "cannot run " + (dir / "nope").string() + ": No such file or directory");
  auto empty = run_tp_verify(TpVerifyRequest{script.string(), "", "2", 5, ""});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code(), ErrorCode::kInvalidArgument);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace graphs
