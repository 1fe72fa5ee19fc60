// End-to-end tests of the `graphs` program: bad input is answered with exit status 2 and one
// line on stderr naming what was wrong, never a crash; good input produces a report.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <onnx/onnx_pb.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fake_worker_util.h"

namespace {

namespace fs = std::filesystem;

struct CliRun {
  int exit_status = -1;
  std::string out;
  std::string err;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("graphs_cli_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliRun run(const std::string& args) { return run_env("", args); }

  // `env` is prepended to the command: NAME=VALUE pairs, each followed by a space.
  CliRun run_env(const std::string& env, const std::string& args) {
    const fs::path out = dir_ / "stdout", err = dir_ / "stderr";
    const std::string cmd = env + std::string(GRAPHS_CLI_PATH) + " " + args + " >" + out.string() +
                            " 2>" + err.string();
    const int status = std::system(cmd.c_str());
    CliRun r;
    r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = read_file(out);
    r.err = read_file(err);
    return r;
  }

  fs::path write(const std::string& name, const std::string& bytes) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }

  // A valid model: x[N,3,8,8] → Conv(w[4,3,3,3]) → Relu → y. `tweak` edits it before saving.
  static onnx::ModelProto conv_relu_model() {
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(17);
    auto* g = m.mutable_graph();
    g->set_name("conv_relu");
    auto* x = g->add_input();
    x->set_name("x");
    auto* xt = x->mutable_type()->mutable_tensor_type();
    xt->set_elem_type(onnx::TensorProto::FLOAT);
    xt->mutable_shape()->add_dim()->set_dim_param("N");
    for (int d : {3, 8, 8}) xt->mutable_shape()->add_dim()->set_dim_value(d);
    auto* w = g->add_initializer();
    w->set_name("w");
    w->set_data_type(onnx::TensorProto::FLOAT);
    for (int d : {4, 3, 3, 3}) w->add_dims(d);
    w->set_raw_data(std::string(4 * 3 * 3 * 3 * 4, '\0'));
    auto* conv = g->add_node();
    conv->set_op_type("Conv");
    conv->set_name("conv");
    conv->add_input("x");
    conv->add_input("w");
    conv->add_output("c");
    auto* relu = g->add_node();
    relu->set_op_type("Relu");
    relu->set_name("relu");
    relu->add_input("c");
    relu->add_output("y");
    auto* y = g->add_output();
    y->set_name("y");
    y->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    return m;
  }

  fs::path save(const std::string& name, const onnx::ModelProto& m) {
    return write(name, m.SerializeAsString());
  }

  static void expect_one_line_error(const CliRun& r, const std::string& needle) {
    EXPECT_EQ(r.exit_status, 2) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr: " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "stderr: " << r.err;
    EXPECT_EQ(r.err.rfind("graphs: error: ", 0), 0u) << "stderr: " << r.err;
  }

  fs::path dir_;
};

TEST_F(CliTest, ValidModelGivesAReportAndJson) {
  const auto p = save("ok.onnx", conv_relu_model());
  const CliRun text = run("analyze " + p.string() + " --hardware h100-sxm5-80gb --batch 2");
  ASSERT_EQ(text.exit_status, 0) << text.err;
  EXPECT_NE(text.out.find("h100-sxm5-80gb"), std::string::npos);
  const CliRun json = run("analyze " + p.string() + " --hardware h100-sxm5-80gb --batch 2 --format json");
  ASSERT_EQ(json.exit_status, 0) << json.err;
  // MACs by hand: N=2, C_out=4, 6×6 outputs, C_in=3, 3×3 kernel.
  EXPECT_NE(json.out.find("\"macs\": " + std::to_string(2 * 4 * 36 * 3 * 9) + ".0"),
            std::string::npos)
      << json.out.substr(0, 2000);
}

// A zoo name with a dot is a zoo model, not a file; a missing file with one is still a file.
TEST_F(CliTest, DottedZooNameIsNoFile) {
  const CliRun r = run("analyze llama-3.1-8b --hardware h100-sxm5-80gb --precision fp16 --format json");
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_NE(r.out.find("\"llama-3.1-8b\""), std::string::npos);
  expect_one_line_error(run("analyze llama-3.1-8b.onnx"), "llama-3.1-8b.onnx");
}

// validate --published: the repository corpus runs end to end; bad input is one line, exit 2.
TEST_F(CliTest, ValidatePublished) {
  const std::string corpus = std::string(GRAPHS_SOURCE_DIR) + "/validation/published";
  const CliRun ok = run("validate --published " + corpus + " --no-history --format json");
  EXPECT_EQ(ok.exit_status, 0) << ok.err;
  EXPECT_NE(ok.out.find("\"held_out\""), std::string::npos);
  expect_one_line_error(run("validate --published " + (dir_ / "none").string()), "no published corpus");
  expect_one_line_error(run("validate --fit"), "--fit needs --published");
  expect_one_line_error(run("validate resnet18 --published " + corpus), "give no models");
}

TEST_F(CliTest, MissingFile) {
  expect_one_line_error(run("analyze " + (dir_ / "nope.onnx").string()), "nope.onnx");
}

TEST_F(CliTest, EmptyFile) {
  expect_one_line_error(run("analyze " + write("empty.onnx", "").string()), "empty.onnx");
}

TEST_F(CliTest, RandomBytes) {
  std::string junk;
  uint32_t s = 12345;
  for (int i = 0; i < 4096; ++i) {
    s = s * 1664525u + 1013904223u;
    junk += static_cast<char>(s >> 24);
  }
  expect_one_line_error(run("analyze " + write("junk.onnx", junk).string()), "junk.onnx");
}

TEST_F(CliTest, TruncatedModel) {
  const std::string bytes = conv_relu_model().SerializeAsString();
  expect_one_line_error(
      run("analyze " + write("cut.onnx", bytes.substr(0, bytes.size() / 2)).string()),
      "cut.onnx");
}

TEST_F(CliTest, GraphWithACycle) {
  auto m = conv_relu_model();
  m.mutable_graph()->mutable_node(0)->set_input(0, "y");  // conv reads relu's output
  expect_one_line_error(run("analyze " + save("cycle.onnx", m).string()), "cycle");
}

TEST_F(CliTest, UnknownOpNamesNodeOpAndOpset) {
  auto m = conv_relu_model();
  m.mutable_graph()->mutable_node(1)->set_op_type("Frobnicate");
  const CliRun r = run("analyze " + save("unknown_op.onnx", m).string());
  expect_one_line_error(r, "unknown op 'Frobnicate'");
  EXPECT_NE(r.err.find("'relu'"), std::string::npos);
  EXPECT_NE(r.err.find("opset 17"), std::string::npos);
}

TEST_F(CliTest, ErrorStaysOneLineForNamesWithControlAndInvalidBytes) {
  auto m = conv_relu_model();
  m.mutable_graph()->mutable_node(1)->set_op_type("Frobnicate");
  m.mutable_graph()->mutable_node(1)->set_name(std::string("re\nlu\xff\x01", 7));
  const CliRun r = run("analyze " + save("odd_name.onnx", m).string());
  expect_one_line_error(r, "re\\x0alu\\xff\\x01");
}

TEST_F(CliTest, UnboundSymbolicDim) {
  auto m = conv_relu_model();
  auto* shape = m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()
                    ->mutable_shape();
  shape->mutable_dim(2)->set_dim_param("height");
  expect_one_line_error(run("analyze " + save("sym.onnx", m).string()), "--dim height=N");
}

TEST_F(CliTest, UnknownHardwareSuggests) {
  const CliRun r = run("analyze resnet18 --hardware h100");
  expect_one_line_error(r, "unknown hardware 'h100'; did you mean ");
  EXPECT_NE(r.err.find("h100-sxm5-80gb"), std::string::npos) << r.err;
}

// --validate / validate / calibrate: bad input is refused before any worker starts.
TEST_F(CliTest, ValidateAndCalibrateBadInput) {
  expect_one_line_error(run("analyze resnet18 --validate --format html"), "not html");
  expect_one_line_error(run("analyze resnet18 --conversions EAGER"), "--conversions needs --validate");
  const CliRun conv = run("analyze resnet18 --validate --conversions EAGER,COMPILE_INDUCTOR");
  expect_one_line_error(conv, "COMPILE_INDUCTOR");
  EXPECT_NE(conv.err.find("COMPILE_INDUCTOR_DEFAULT"), std::string::npos) << conv.err;
  EXPECT_TRUE(conv.out.empty()) << conv.out;  // nothing half-printed
  expect_one_line_error(run("validate --no-history"), "--measured");
  expect_one_line_error(run("validate --measured " + (dir_ / "none.jsonl").string() + " --no-history"),
                        "none.jsonl");
  expect_one_line_error(run("validate resnet18 --graph nonsense --no-history"), "SOURCE=GRAPH");
  const CliRun cal = run("calibrate --backends torch,tensorrt --no-memory");
  expect_one_line_error(cal, "unknown backend 'tensorrt'");
}

// One flag, predicted and measured side by side: analyze MODEL --validate through the fake
// worker (no torch needed), the history in a temp file.
TEST_F(CliTest, AnalyzeValidatePrintsBothSides) {
  const std::string env = "GRAPHS_WORKER_COMMAND='python3 " + graphs::kFakeWorker +
                          "' GRAPHS_HISTORY_PATH=" + (dir_ / "h.sqlite").string() + " ";
  const CliRun r = run_env(env, "analyze resnet18 --validate --conversions EAGER,ONNX_CPU");
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_NE(r.out.find("graphs validate on host"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ONNX_CPU"), std::string::npos);
  EXPECT_NE(r.out.find("within"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir_ / "h.sqlite"));
  const CliRun j = run_env(env, "analyze resnet18 --validate --conversions EAGER --format json");
  ASSERT_EQ(j.exit_status, 0) << j.err;
  EXPECT_NE(j.out.find("\"validation\""), std::string::npos);
  EXPECT_NE(j.out.find("\"analysis\""), std::string::npos);
}

TEST_F(CliTest, UnknownPrecision) {
  expect_one_line_error(run("analyze resnet18 --precision fp99"), "unknown precision 'fp99'");
}

TEST_F(CliTest, NegativeBatch) {
  expect_one_line_error(run("analyze resnet18 --batch -1"), "--batch: Value -1 not in range");
  expect_one_line_error(run("analyze resnet18 --batch 99999999999999999999"), "--batch");
  expect_one_line_error(run("analyze resnet18 --batch 4611686018427387904"), "not in range");
  expect_one_line_error(run("analyze resnet18 --dim batch=0"), "outside [1,");
}

// Only regular files are read as models: a FIFO would block forever.
TEST_F(CliTest, FifoIsRefusedNotRead) {
  const fs::path fifo = dir_ / "model.onnx";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_one_line_error(run("analyze " + fifo.string()), "not a regular file");
  expect_one_line_error(run("inspect " + fifo.string()), "not a regular file");
}

// A full disk is a one-line failure (exit 1), a closed pipe ends quietly — never a signal.
TEST_F(CliTest, OutputErrorsAreSaid) {
  const fs::path err = dir_ / "full_err";
  const int status = std::system((std::string(GRAPHS_CLI_PATH) + " hardware list >/dev/full 2>" +
                                  err.string()).c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  const std::string full_err = read_file(err);
  EXPECT_NE(full_err.find("cannot write to standard output"), std::string::npos) << full_err;
  const std::string cmd = std::string(GRAPHS_CLI_PATH) +
                          " analyze resnet18 --hardware h100-sxm5-80gb --format json | head -c 100 "
                          ">/dev/null; echo \"${PIPESTATUS[0]}\"";
  FILE* p = ::popen(("bash -c '" + cmd + "'").c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[64] = {0};
  ASSERT_NE(std::fgets(buf, sizeof buf, p), nullptr);
  ::pclose(p);
  EXPECT_EQ(std::string(buf), "0\n");
  const CliRun file = run("analyze resnet18 -o " + (dir_ / "no" / "such" / "r.txt").string());
  EXPECT_EQ(file.exit_status, 1);
  EXPECT_FALSE(fs::exists(dir_ / "no"));
}

// calibrate keeps its profile but fails (exit 1, one line) when no backend could be measured.
TEST_F(CliTest, CalibrateWithEveryBackendFailingExitsOne) {
  const std::string profile = (dir_ / "p.json").string();
  const CliRun r = run_env("GRAPHS_WORKER_COMMAND=false ",
                           "calibrate --no-memory --quick --backends torch -o " + profile);
  EXPECT_EQ(r.exit_status, 1) << r.err;
  EXPECT_NE(r.err.find("graphs: error: no backend could be calibrated"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(profile));
}

// tp verify on an interpreter without torch: one line naming what is missing, exit 2 — no
// traceback.
TEST_F(CliTest, TpVerifyWithoutTorchIsOneLine) {
  if (std::system("python3 -c 'import torch' >/dev/null 2>&1") == 0) {
    GTEST_SKIP() << "python3 has torch here";
  }
  const std::string env = "PYTHONPATH=" + std::string(GRAPHS_SOURCE_DIR) + "/python ";
  const CliRun r = run_env(env, "tp verify --model mlp --world-size 2 --python \"$(command -v python3)\"");
  EXPECT_EQ(r.exit_status, 2) << r.err;
  EXPECT_NE(r.err.find("needs torch"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("Traceback"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

// -o's extension picks the format when --format is not given (analyze, inspect, validate).
TEST_F(CliTest, OutputFormatFromTheExtension) {
  const fs::path html = dir_ / "r.html", json = dir_ / "r.JSON";
  ASSERT_EQ(run("analyze resnet18 --hardware t4 -o " + html.string()).exit_status, 0);
  EXPECT_EQ(read_file(html).rfind("<!DOCTYPE html>", 0), 0u);
  ASSERT_EQ(run("inspect resnet18 -o " + json.string()).exit_status, 0);
  EXPECT_NO_THROW((void)nlohmann::json::parse(read_file(json)));
  ASSERT_EQ(run("analyze resnet18 --hardware t4 --format md -o " + html.string()).exit_status, 0);
  EXPECT_NE(read_file(html).rfind("<!DOCTYPE html>", 0), 0u);  // --format wins
}

// validate: the seed tool's models get one line naming what graphs runs instead.
TEST_F(CliTest, ValidateSeedModels) {
  expect_one_line_error(run("validate --model simple --output " + (dir_ / "report.json").string()),
                        "seed tool's toy Conv-BN-ReLU");
  expect_one_line_error(run("validate --model batch"), "--batch 1,8,32");
  expect_one_line_error(run("validate resnet18 --batch 1,x"), "--batch takes sizes");
}

TEST_F(CliTest, UnknownZooNameSuggests) {
  expect_one_line_error(run("analyze resnet5"), "did you mean resnet50");
}

TEST_F(CliTest, UnknownFormatAndMalformedDim) {
  expect_one_line_error(run("analyze resnet18 --format xml"), "unknown format 'xml'");
  expect_one_line_error(run("analyze resnet18 --dim batch"), "--dim expects NAME=N");
}

TEST_F(CliTest, HardwareShowUnknownAndKnown) {
  const CliRun unknown = run("hardware show a100");
  expect_one_line_error(unknown, "unknown hardware 'a100'; did you mean ");
  EXPECT_NE(unknown.err.find("a100-"), std::string::npos) << unknown.err;  // an A100 variant
  const CliRun r = run("hardware show h100-sxm5-80gb");
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_NE(r.out.find("datasheet"), std::string::npos);
}

TEST_F(CliTest, UsageErrorIsStatusTwo) {
  const CliRun r = run("analyze");
  EXPECT_EQ(r.exit_status, 2);
  const CliRun r2 = run("frobnicate");
  EXPECT_EQ(r2.exit_status, 2);
}

}  // namespace
