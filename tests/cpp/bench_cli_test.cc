// `graphs bench` end to end with the torch-free fake worker: bad names stop the run with exit 2
// before any worker starts; --list-conversions; output files by extension; the JSONL keeps every
// finished conversion when the orchestrator is SIGKILLed mid-run; SIGINT ends the run (130) and
// takes the worker with it.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "fake_worker_util.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;

using graphs::kFakeWorker;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<nlohmann::json> jsonl_lines(const fs::path& p) {
  std::vector<nlohmann::json> out;
  std::ifstream in(p);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

class BenchCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("graphs_bench_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ::setenv("GRAPHS_TEST_CONVERSIONS", "1", 1);
    ::setenv("GRAPHS_WORKER_COMMAND", ("python3 " + kFakeWorker).c_str(), 1);
    ::setenv("XDG_CACHE_HOME", (dir_ / "cache").c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("GRAPHS_TEST_CONVERSIONS");
    ::unsetenv("GRAPHS_WORKER_COMMAND");
    fs::remove_all(dir_);
  }

  struct Run {
    int exit_status = -1;
    std::string out, err;
  };
  Run run(const std::string& args) {
    const std::string cmd = std::string(GRAPHS_CLI_PATH) + " bench " + args + " >" +
                            (dir_ / "out").string() + " 2>" + (dir_ / "err").string();
    const int status = std::system(cmd.c_str());
    Run r;
    r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(dir_ / "out");
    r.err = slurp(dir_ / "err");
    return r;
  }

  // Starts `graphs bench ...` in the background; stdout/stderr to files.
  pid_t start(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {GRAPHS_CLI_PATH, "bench"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, (dir_ / "bg_out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, (dir_ / "bg_err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = -1;
    EXPECT_EQ(posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    return pid;
  }

  // Polls until `path` has at least `lines` lines (a guard of 300 s against a broken build, not a
  // timing assertion).
  bool wait_for_lines(const fs::path& path, std::size_t lines) {
    for (int i = 0; i < 3000; ++i) {
      const std::string s = slurp(path);
      if (static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')) >= lines) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  static std::string fast() {
    return " --min-time 0.05 --max-time 0.5 -q";
  }

  fs::path dir_;
};

TEST_F(BenchCliTest, UnknownConversionExitsTwoWithSuggestionsAndRunsNothing) {
  const Run r = run("torchvision:resnet18 --conversions EAGER,COMPILE_INDUCTOR,OPENVINO --jsonl " +
                    (dir_ / "r.jsonl").string());
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_NE(r.err.find("unknown conversion 'COMPILE_INDUCTOR'; did you mean COMPILE_INDUCTOR_DEFAULT"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("unknown conversion 'OPENVINO'; did you mean COMPILE_OPENVINO, OPENVINO_CPU"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "r.jsonl"));
}

TEST_F(BenchCliTest, BadInputExitsTwo) {
  EXPECT_EQ(run("resnet5 --conversions EAGER").exit_status, 2);
  EXPECT_EQ(run("torchvision:resnet18").exit_status, 2);  // no conversions
  EXPECT_EQ(run("torchvision:resnet18 --tier 4").exit_status, 2);
  EXPECT_EQ(run("torchvision:resnet18 --conversions EAGER --device tpu").exit_status, 2);
  EXPECT_EQ(run("torchvision:resnet18 --conversions EAGER --tier 1").exit_status, 2);
  EXPECT_EQ(run("mypkg.models:make --conversions EAGER").exit_status, 2);  // needs --input-shape
  EXPECT_EQ(run("missing.onnx --conversions ONNX_CPU").exit_status, 2);
  const Run r = run("torchvision:resnet18 --conversions EAGER --max-time 0.1 --min-time 1");
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_NE(r.err.find("--max-time"), std::string::npos) << r.err;
}

// Every numeric flag in range, the output format known and every output path writable — all
// refused before any worker starts (nothing is written).
TEST_F(BenchCliTest, FlagsFormatsAndPathsAreCheckedBeforeAnyWork) {
  const std::string base = "torchvision:resnet18 --conversions TEST_SLEEP ";
  for (const std::string flags : {"--n-samples 0", "--timeout 0", "--timeout -1", "--threads 0",
                                  "--batch 0", "--batch 99999999999999999999", "--max-time 0",
                                  "--target-rel-ci 0"}) {
    const Run r = run(base + flags);
    EXPECT_EQ(r.exit_status, 2) << flags << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << flags << ": " << r.err;
  }
  for (const std::string out : {"r.xlsx", "results", "x.yaml"}) {
    const Run r = run(base + "-o " + (dir_ / out).string());
    EXPECT_EQ(r.exit_status, 2) << out;
    EXPECT_NE(r.err.find("names no format"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir_ / out));
  }
  const Run dir = run(base + "--jsonl " + dir_.string());
  EXPECT_EQ(dir.exit_status, 2);
  EXPECT_NE(dir.err.find("is a directory"), std::string::npos) << dir.err;
  EXPECT_EQ(std::count(dir.err.begin(), dir.err.end(), '\n'), 1) << dir.err;
  const Run nowhere = run(base + "-o /nonexistent/dir/r.json");
  EXPECT_EQ(nowhere.exit_status, 2);
  EXPECT_NE(nowhere.err.find("does not exist"), std::string::npos) << nowhere.err;
  EXPECT_EQ(nowhere.err.find("results are appended"), std::string::npos) << "no work started";
}

// The seed tool's and Alma's command lines run, or get one line naming the replacement.
TEST_F(BenchCliTest, SeedAndAlmaCommandLines) {
  const Run simple = run("--model simple --tier 1 --output " + (dir_ / "ci_results.json").string());
  EXPECT_EQ(simple.exit_status, 2);
  EXPECT_NE(simple.err.find("seed tool's toy Conv-BN-ReLU"), std::string::npos) << simple.err;
  EXPECT_EQ(std::count(simple.err.begin(), simple.err.end(), '\n'), 1) << simple.err;
  // --model, --batch-size and --hardware GPU: the run is on cuda (the fake worker has none, so
  // nothing is measured: a failure, said in one line).
  const Run gpu = run("--model torchvision:resnet18 --tier 2 --hardware GPU --batch-size 1 -o " +
                      (dir_ / "g.json").string());
  EXPECT_EQ(gpu.exit_status, 1) << gpu.err;
  EXPECT_NE(gpu.err.find("graphs: error: nothing was measured"), std::string::npos) << gpu.err;
  const auto results = nlohmann::json::parse(slurp(dir_ / "g.json"));
  EXPECT_EQ(results["header"]["settings"]["device"], "cuda") << results["header"].dump();
  EXPECT_EQ(results["header"]["settings"]["batch"], 1);
  const Run target = run("torchvision:resnet18 --tier 1 --hardware h100-sxm5-80gb");
  EXPECT_EQ(target.exit_status, 2);
  EXPECT_NE(target.err.find("takes GPU or CPU"), std::string::npos) << target.err;
  // Alma's names: one with our meaning runs under our name (said once); others say why not.
  const Run alma = run("torchvision:resnet18 --conversions COMPILE_TENSORRT --n-samples 3");
  EXPECT_NE(alma.err.find("graphs: note: COMPILE_TENSORRT is TORCH_TENSORRT in graphs"),
            std::string::npos)
      << alma.err;
  for (const std::string name : {"COMPILE_TVM", "COMPILE_OPENXLA", "COMPILE_ONNXRT",
                                 "FP16+COMPILE_CUDAGRAPHS"}) {
    const Run r = run("torchvision:resnet18 --conversions " + name);
    EXPECT_EQ(r.exit_status, 2) << name;
    EXPECT_NE(r.err.find(name + ": not supported: "), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

// A run that measures nothing fails, --tier included: every conversion unavailable here.
TEST_F(BenchCliTest, NothingMeasuredIsAFailure) {
  ::setenv("FAKE_MISSING", "torch,onnxruntime,openvino,onnx", 1);
  const Run r = run("torchvision:resnet18 --tier 1");
  ::unsetenv("FAKE_MISSING");
  EXPECT_EQ(r.exit_status, 1) << r.err;
  EXPECT_NE(r.err.find("nothing was measured"), std::string::npos) << r.err;
}

// An upper-case extension is the same format.
TEST_F(BenchCliTest, ExtensionIsCaseInsensitive) {
  const Run r = run("torchvision:resnet18 --conversions TEST_SLEEP --n-samples 3 -o " +
                    (dir_ / "r.JSON").string());
  ASSERT_TRUE(fs::exists(dir_ / "r.JSON")) << r.err;
  EXPECT_NO_THROW((void)nlohmann::json::parse(slurp(dir_ / "r.JSON")));
}

TEST_F(BenchCliTest, ListConversionsShowsAvailabilityAndReasons) {
  ::setenv("FAKE_MISSING", "openvino", 1);
  const Run r = run("--list-conversions");
  ::unsetenv("FAKE_MISSING");
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_NE(r.out.find("COMPILE_INDUCTOR_DEFAULT"), std::string::npos);
  EXPECT_NE(r.out.find("pip install openvino"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no CUDA device"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("TEST_HANG"), std::string::npos);

  const Run j = run("--list-conversions --format json");
  ASSERT_EQ(j.exit_status, 0) << j.err;
  const auto doc = nlohmann::json::parse(j.out);
  bool saw_eager = false;
  for (const auto& c : doc["conversions"]) {
    if (c["conversion"] == "EAGER") {
      saw_eager = true;
      EXPECT_EQ(c["status"], "available");
    }
  }
  EXPECT_TRUE(saw_eager);
}

TEST_F(BenchCliTest, WritesEveryOutputFormat) {
  for (const char* ext : {"json", "csv", "md", "jsonl"}) {
    const fs::path out = dir_ / (std::string("r.") + ext);
    const Run r = run("resnet18 --conversions EAGER,TEST_SLEEP -o " + out.string() + fast());
    EXPECT_EQ(r.exit_status, 0) << ext << ": " << r.err;
    ASSERT_TRUE(fs::exists(out)) << ext;
    EXPECT_NE(r.out.find("EAGER"), std::string::npos) << r.out;  // the summary table
    const std::string text = slurp(out);
    EXPECT_NE(text.find("TEST_SLEEP"), std::string::npos) << ext;
    if (std::string(ext) == "json") {
      const auto j = nlohmann::json::parse(text);
      EXPECT_EQ(j["results"].size(), 2u);
      EXPECT_EQ(j["summary"]["exit_status"], 0);
    }
    if (std::string(ext) == "jsonl") {
      EXPECT_EQ(jsonl_lines(out).size(), 4u);
    }
  }
}

TEST_F(BenchCliTest, ProfileOpsFlagReachesTheWorkerAndTheResults) {
  const fs::path out = dir_ / "r.json";
  const Run r = run("resnet18 --conversions TEST_SLEEP --profile-ops -o " + out.string() + fast());
  EXPECT_EQ(r.exit_status, 0) << r.err;
  const auto j = nlohmann::json::parse(slurp(out));
  EXPECT_EQ(j["header"]["settings"]["profile_ops"], true);
  const auto& res = j["results"][0];
  ASSERT_EQ(res["conversion"], "TEST_SLEEP");
  ASSERT_EQ(res["op_times"].size(), 2u) << res.dump();
  EXPECT_EQ(res["op_times"][0]["name"], "fake::sleep");
  EXPECT_EQ(res["energy_unavailable"], "fake worker: no energy counters");
  EXPECT_NE(r.out.find("op time per call"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("energy: not measured — fake worker: no energy counters"), std::string::npos) << r.out;

  const Run plain = run("resnet18 --conversions TEST_SLEEP -o " + out.string() + fast());
  EXPECT_EQ(plain.exit_status, 0) << plain.err;
  EXPECT_FALSE(nlohmann::json::parse(slurp(out))["results"][0].contains("op_times"));
}

TEST_F(BenchCliTest, JsonFormatOnStdoutIsOnlyJson) {
  const Run r = run("resnet18 --conversions TEST_SLEEP --format json" + fast());
  EXPECT_EQ(r.exit_status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["results"][0]["conversion"], "TEST_SLEEP");
}

TEST_F(BenchCliTest, JsonlKeepsFinishedConversionsWhenTheOrchestratorIsKilled) {
  const fs::path jsonl = dir_ / "killed.jsonl";
  const pid_t pid = start({"torchvision:resnet18", "--conversions", "EAGER,TORCH_SCRIPT,TEST_HANG",
                           "--min-time", "0.05", "--max-time", "0.5", "--jsonl", jsonl.string()});
  // Header + EAGER + TORCH_SCRIPT are on disk once TEST_HANG's worker hangs.
  ASSERT_TRUE(wait_for_lines(jsonl, 3));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  const auto lines = jsonl_lines(jsonl);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["type"], "header");
  EXPECT_EQ(lines[1]["conversion"], "EAGER");
  EXPECT_EQ(lines[1]["status"], "ok");
  EXPECT_EQ(lines[2]["conversion"], "TORCH_SCRIPT");
  EXPECT_EQ(lines[2]["status"], "ok");
  EXPECT_TRUE(lines[2]["latency"]["median_s"].is_number());
}

TEST_F(BenchCliTest, SigintEndsTheRunAndTheWorker) {
  const fs::path jsonl = dir_ / "int.jsonl";
  const pid_t pid = start({"torchvision:resnet18", "--conversions", "TEST_SLEEP,TEST_HANG,EAGER",
                           "--min-time", "0.05", "--max-time", "0.5", "--jsonl", jsonl.string()});
  ASSERT_TRUE(wait_for_lines(jsonl, 3));  // header, EAGER, TEST_SLEEP: TEST_HANG runs next
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const auto lines = jsonl_lines(jsonl);
  ASSERT_GE(lines.size(), 4u);
  // The reference EAGER was requested, so it ran first.
  EXPECT_EQ(lines[1]["conversion"], "EAGER");
  EXPECT_EQ(lines[2]["conversion"], "TEST_SLEEP");
  bool saw_interrupted = false;
  for (const auto& l : lines) saw_interrupted |= l.value("status", "") == "interrupted";
  EXPECT_TRUE(saw_interrupted);
  EXPECT_EQ(lines.back()["type"], "end");
  EXPECT_EQ(lines.back()["exit_status"], 130);
}

// --remote USER@HOST: the workers start as `ssh -T -o BatchMode=yes HOST <worker command>
// --no-outputs`. A fake `ssh` first on PATH records its arguments and runs the command here (a
// loopback "remote"); the run works through it, the header names the ssh command, and stderr
// warns that the output check is skipped.
TEST_F(BenchCliTest, RemoteRunsTheWorkerOverSsh) {
  const fs::path bin = dir_ / "bin";
  fs::create_directories(bin);
  {
    std::ofstream ssh(bin / "ssh");
    ssh << "#!/bin/sh\n"
        << "printf '%s\\n' \"$@\" >> '" << (dir_ / "ssh_args").string() << "'\n"
        << "while [ $# -gt 0 ]; do case \"$1\" in -o) shift 2;; -*) shift;; *) break;; esac; done\n"
        << "shift\n"  // the destination
        << "exec \"$@\"\n";
  }
  fs::permissions(bin / "ssh", fs::perms::owner_all);
  const std::string path = ::getenv("PATH") ? ::getenv("PATH") : "/usr/bin:/bin";
  ::setenv("PATH", (bin.string() + ":" + path).c_str(), 1);
  const fs::path out = dir_ / "r.json";
  const Run r = run("torchvision:resnet18 --conversions EAGER,TEST_SLEEP --remote me@devbox -o " +
                    out.string() + fast());
  ::setenv("PATH", path.c_str(), 1);
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_NE(r.err.find("graphs: warning: the workers run on me@devbox over ssh; their outputs "
                       "stay there"),
            std::string::npos)
      << r.err;
  // The probe and each conversion (EAGER, TEST_SLEEP) started one ssh each.
  const std::string args = slurp(dir_ / "ssh_args");
  const std::string one = "-T\n-o\nBatchMode=yes\nme@devbox\npython3\n" + kFakeWorker + "\n--no-outputs\n";
  EXPECT_EQ(args, one + one + one);
  const auto doc = nlohmann::json::parse(slurp(out));
  EXPECT_EQ(doc["header"]["worker_command"][0], "ssh");
  EXPECT_EQ(doc["header"]["settings"]["remote"], "me@devbox");
  ASSERT_EQ(doc["results"].size(), 2u);
  for (const auto& res : doc["results"]) EXPECT_EQ(res["status"], "ok") << res.dump();
}

// An ssh destination that ssh would read as an option, or one with spaces, is bad input.
TEST_F(BenchCliTest, RemoteThatIsNoDestinationExitsTwo) {
  for (const std::string remote : {"-oProxyCommand=x", "'me@host other'"}) {
    const Run r = run("torchvision:resnet18 --conversions EAGER --remote=" + remote);
    EXPECT_EQ(r.exit_status, 2) << remote << ": " << r.err;
    EXPECT_NE(r.err.find("is not an ssh destination"), std::string::npos) << r.err;
  }
}

}  // namespace
