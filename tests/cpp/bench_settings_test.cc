// Bench settings: model sources, the JSON form (unknown keys named), and resolution errors.
#include <gtest/gtest.h>
#include <cstdio>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "graphs/bench/settings.h"

namespace graphs::bench {
namespace {

TEST(BenchSettingsTest, ModelSources) {
  BenchSettings s;
  auto tv = parse_model("torchvision:resnet18", s);
  ASSERT_TRUE(tv.ok());
  EXPECT_EQ(tv->request, (nlohmann::json{{"source", "torchvision"}, {"name", "resnet18"}}));
  EXPECT_EQ(tv->kind, SourceKind::kTorch);

  auto hf = parse_model("hf:bert-base-uncased", s);
  ASSERT_TRUE(hf.ok());
  EXPECT_EQ(hf->request["source"], "hf");

  auto zoo = parse_model("bert-base", s);
  ASSERT_TRUE(zoo.ok());
  EXPECT_EQ(zoo->request, (nlohmann::json{{"source", "hf"}, {"name", "bert-base-uncased"}}));
  EXPECT_EQ(parse_model("gpt2", s)->request["name"], "gpt2");
  EXPECT_EQ(parse_model("resnet50", s)->request["name"], "resnet50");

  auto factory = parse_model("mypkg.models:make", s);
  ASSERT_FALSE(factory.ok());
  EXPECT_NE(factory.error().message().find("--input-shape"), std::string::npos);
  s.input_shapes = {{1, 3, 32, 32}};
  auto ok_factory = parse_model("mypkg.models:make", s);
  ASSERT_TRUE(ok_factory.ok());
  EXPECT_EQ(ok_factory->request, (nlohmann::json{{"source", "factory"}, {"spec", "mypkg.models:make"}}));
}

TEST(BenchSettingsTest, OnnxPathMustExistAndIsAbsolute) {
  BenchSettings s;
  EXPECT_EQ(parse_model("/nonexistent/model.onnx", s).error().code(), ErrorCode::kNotFound);
  const auto p = std::filesystem::temp_directory_path() / ("graphs_bench_settings_" + std::to_string(::getpid()) + ".onnx");
  std::ofstream(p) << "x";
  auto m = parse_model(p.string(), s);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->kind, SourceKind::kOnnx);
  EXPECT_EQ(m->request["path"], p.string());
  std::filesystem::remove(p);
}

TEST(BenchSettingsTest, UnknownModelSuggestsZooNames) {
  auto m = parse_model("resnet5", BenchSettings{});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message().find("did you mean resnet50"), std::string::npos) << m.error().message();
}

TEST(BenchSettingsTest, JsonFormRoundTripsAndNamesUnknownKeys) {
  auto s = settings_from_json(nlohmann::json::parse(R"({
      "model": "torchvision:resnet18", "conversions": "EAGER,ONNX_CPU", "batch": 4,
      "min_time_s": 0.5, "timeout_s": 30, "timeouts_s": {"convert": 60}, "threads": 2})"));
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->conversions, std::vector<std::string>{"EAGER,ONNX_CPU"});
  EXPECT_EQ(s->batch, 4);
  EXPECT_EQ(s->timeouts.convert_s, 60);
  ASSERT_TRUE(s->timeout_s.has_value());
  auto again = settings_from_json(settings_to_json(*s));
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->batch, 4);
  EXPECT_EQ(again->threads, 2);
  EXPECT_FALSE(again->profile_ops);
  auto profiled = settings_from_json(nlohmann::json::parse(R"({"model": "x", "profile_ops": true})"));
  ASSERT_TRUE(profiled.ok()) << profiled.error().message();
  EXPECT_TRUE(profiled->profile_ops);
  EXPECT_EQ(settings_to_json(*profiled)["profile_ops"], true);

  auto bad = settings_from_json(nlohmann::json::parse(R"({"model": "x", "max_time": 3})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("did you mean max_time_s"), std::string::npos) << bad.error().message();
  auto wrong_type = settings_from_json(nlohmann::json::parse(R"({"batch": "four"})"));
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_NE(wrong_type.error().message().find("batch"), std::string::npos);
}

TEST(BenchSettingsTest, ResolveValidatesBeforeAnythingRuns) {
  BenchSettings s;
  s.model = "torchvision:resnet18";
  s.conversions = {"EAGER"};
  s.timeout_s = 7;
  auto r = resolve(s);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->timeouts.convert_s, 7);
  EXPECT_EQ(r->timeouts.measure_s, 7);
  EXPECT_EQ(r->conversions.size(), 1u);

  BenchSettings bad = s;
  bad.batch = 0;
  EXPECT_EQ(resolve(bad).error().code(), ErrorCode::kInvalidArgument);
  bad = s;
  bad.input_dtypes = {"float33"};
  EXPECT_NE(resolve(bad).error().message().find("did you mean float32"), std::string::npos);
  bad = s;
  bad.tier = 2;
  EXPECT_FALSE(resolve(bad).ok());  // tier and conversions together
}

TEST(BenchSettingsTest, PythonInterpreterOrder) {
  const std::string exe = ::testing::TempDir() + "graphs_fake_python";
  { std::ofstream(exe) << "#!/bin/sh\n"; }
  ::chmod(exe.c_str(), 0755);
  auto flag = find_python(exe);
  ASSERT_TRUE(flag.ok());
  EXPECT_EQ(*flag, exe);
  auto missing = find_python("/opt/nowhere/python");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("--python '/opt/nowhere/python'"), std::string::npos);
  ::setenv("GRAPHS_PYTHON", exe.c_str(), 1);
  auto env = find_python("");
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(*env, exe);
  ::setenv("GRAPHS_PYTHON", "/env/python", 1);
  EXPECT_FALSE(find_python("").ok());  // an env var naming nothing is said, not skipped
  ::unsetenv("GRAPHS_PYTHON");
  auto worker = worker_command(BenchSettings{.python = exe});
  ASSERT_TRUE(worker.ok());
  EXPECT_EQ(*worker, (std::vector<std::string>{exe, "-m", "graphs.worker"}));
  std::remove(exe.c_str());
}

}  // namespace
}  // namespace graphs::bench
