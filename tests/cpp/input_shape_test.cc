// --input-shape NAME=D0xD1x... (DimBindings::input_shapes): whole shapes for inputs whose dims
// have no name, through bind_dims and through the CLI (analyze, inspect: exit status 2 and one
// line for bad input); and `graphs analyze --models-file` (analyze_batch.h): one JSON line per
// model, the same outcome as one run each.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>
#include <onnx/onnx_pb.h>

#include "graphs/analysis/shape_inference.h"
#include "shape_ops_test_util.h"

namespace graphs {
namespace {

namespace fs = std::filesystem;
using shape_ops_test::GraphBuilder;
using Dims = std::vector<int64_t>;

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// x: float32 with `dims` (Dim() = '?', a symbol, or a size) → Relu → y.
Graph relu_graph(std::vector<Dim> dims, bool rank_known = true) {
  GraphBuilder b(17);
  b.input("x", DType::kFloat32, {});
  Value& x = b.g.value(b.g.find_value("x"));
  x.type.shape = std::move(dims);
  x.type.rank_known = rank_known;
  b.node("Relu", "r", {"x"}, {"y"});
  return b.g;
}

DimBindings shapes(const std::string& name, Dims dims) {
  DimBindings b;
  b.input_shapes[name] = std::move(dims);
  return b;
}

TEST(InputShapeTest, BindsUnnamedDims) {
  Graph g = relu_graph({Dim(), Dim::fixed(3), Dim(), Dim()});
  const auto s = bind_dims(g, DimBindings{});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(has(s.error().message(), "give its shape with --input-shape x=Nx3xNxN"))
      << s.error().message();

  Graph bound = relu_graph({Dim(), Dim::fixed(3), Dim(), Dim()});
  ASSERT_TRUE(bind_dims(bound, shapes("x", {1, 3, 48, 192})).ok());
  ASSERT_TRUE(infer_shapes(bound).ok());
  EXPECT_EQ(bound.value(bound.find_value("y")).type.dims(), (Dims{1, 3, 48, 192}));
}

TEST(InputShapeTest, GivesAnUndeclaredRankAndBindsSymbols) {
  Graph g = relu_graph({}, /*rank_known=*/false);
  ASSERT_TRUE(bind_dims(g, shapes("x", {2, 5})).ok());
  EXPECT_EQ(g.value(g.find_value("x")).type.dims(), (Dims{2, 5}));

  // A named dim takes the size, and so does that name in every other input.
  GraphBuilder b(17);
  b.input("a", DType::kFloat32, {});
  b.input("c", DType::kFloat32, {});
  b.g.value(b.g.find_value("a")).type.shape = {Dim::symbol("N"), Dim()};
  b.g.value(b.g.find_value("c")).type.shape = {Dim::symbol("N")};
  ASSERT_TRUE(bind_dims(b.g, shapes("a", {7, 2})).ok());
  EXPECT_EQ(b.g.value(b.g.find_value("c")).type.dims(), (Dims{7}));

  // A scalar: no dims.
  Graph scalar = relu_graph({}, /*rank_known=*/false);
  ASSERT_TRUE(bind_dims(scalar, shapes("x", {})).ok());
  EXPECT_EQ(scalar.value(scalar.find_value("x")).type.rank(), 0);
}

TEST(InputShapeTest, BadEntriesAreOneClearError) {
  Graph g = relu_graph({Dim::symbol("N"), Dim::fixed(3)});
  auto msg = [&](const DimBindings& b) {
    Graph copy = g;
    const auto s = bind_dims(copy, b);
    EXPECT_FALSE(s.ok());
    if (s.ok()) return std::string();
    EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument);
    return s.error().message();
  };
  EXPECT_TRUE(has(msg(shapes("xx", {1, 3})), "unknown input 'xx'; did you mean x?"));
  EXPECT_TRUE(has(msg(shapes("x", {1, 3, 4})), "input 'x' has rank 2 (float32[N,3]), 3 dims given"));
  EXPECT_TRUE(has(msg(shapes("x", {1, 4})), "dim 1 of input 'x' is 3 in the model"));
  DimBindings conflict = shapes("x", {2, 3});
  conflict.named["N"] = 4;
  EXPECT_TRUE(has(msg(conflict), "dim 0 ('N') is 2 here but 4 by --dim N=4"));
}

// ---- through the program ----------------------------------------------------------------------

struct CliRun {
  int exit_status = -1;
  std::string out, err;
};

class InputShapeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("graphs_input_shape_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    model_ = (dir_ / "relu.onnx").string();
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(17);
    auto* g = m.mutable_graph();
    g->set_name("relu");
    auto* t = g->add_input();
    t->set_name("image");
    auto* tt = t->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim();  // '?'
    tt->mutable_shape()->add_dim()->set_dim_value(3);
    tt->mutable_shape()->add_dim();
    tt->mutable_shape()->add_dim();
    auto* n = g->add_node();
    n->set_op_type("Relu");
    n->add_input("image");
    n->add_output("y");
    g->add_output()->set_name("y");
    std::ofstream(model_, std::ios::binary) << m.SerializeAsString();
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliRun cli(const std::string& args, const std::string& stdin_text = "") {
    const fs::path in = dir_ / "stdin", out = dir_ / "stdout", err = dir_ / "stderr";
    std::ofstream(in) << stdin_text;
    const std::string cmd = std::string(GRAPHS_CLI_PATH) + " " + args + " <" + in.string() +
                            " >" + out.string() + " 2>" + err.string();
    const int status = std::system(cmd.c_str());
    CliRun r;
    r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::stringstream o, e;
    o << std::ifstream(out).rdbuf();
    e << std::ifstream(err).rdbuf();
    r.out = o.str();
    r.err = e.str();
    return r;
  }

  void expect_one_line_error(const CliRun& r, const std::string& part) {
    EXPECT_EQ(r.exit_status, 2) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(has(r.err, part)) << r.err;
  }

  fs::path dir_;
  std::string model_;
};

TEST_F(InputShapeCli, InspectAndAnalyzeTakeTheShape) {
  const auto inspect = cli("inspect " + model_ + " --input-shape image=2x3x48x192 --format json");
  ASSERT_EQ(inspect.exit_status, 0) << inspect.err;
  const auto j = nlohmann::json::parse(inspect.out);
  bool found = false;
  for (const auto& v : j["graph"]["values"]) {
    if (v["name"] == "y") {
      EXPECT_EQ(v["shape"], nlohmann::json({2, 3, 48, 192}));
      found = true;
    }
  }
  EXPECT_TRUE(found);
  const auto analyze =
      cli("analyze " + model_ + " --input-shape image=1x3x8x8 --hardware i7-12700k --format json");
  EXPECT_EQ(analyze.exit_status, 0) << analyze.err;
}

TEST_F(InputShapeCli, BadInputShapesExitTwoInOneLine) {
  // The importer names the file's unnamed dims image_dim0, ...; dim 0 takes --batch.
  expect_one_line_error(cli("inspect " + model_),
                        "bind it with --dim image_dim2=N or give the input's shape with "
                        "--input-shape image=1x3xNxN");
  expect_one_line_error(cli("inspect " + model_ + " --input-shape imag=1x3x8x8"),
                        "unknown input 'imag'; did you mean image?");
  expect_one_line_error(cli("inspect " + model_ + " --input-shape image=1x3x8"),
                        "input 'image' has rank 4");
  expect_one_line_error(cli("analyze " + model_ + " --input-shape image=1xAx8x8"),
                        "is not a shape like 1x3x224x224");
  expect_one_line_error(cli("inspect " + model_ + " --input-shape image"),
                        "--input-shape expects NAME=D0xD1x...");
  expect_one_line_error(
      cli("inspect " + model_ + " --input-shape image=1x3x8x8 --input-shape image=1x3x9x9"),
      "names input 'image' twice");
}

TEST_F(InputShapeCli, ModelsFileAnalyzesEachLineInOneProcess) {
  const std::string list =
      "{\"model\": \"" + model_ + "\", \"input_shapes\": {\"image\": [2, 3, 4, 4]}}\n"
      "# a comment, then a blank line\n\n"
      "{\"model\": \"" + model_ + "\", \"input_shapes\": {\"image\": \"1x3x5x5\"}}\n"
      "{\"model\": \"" + model_ + "\"}\n"
      "{\"model\": \"" + (dir_ / "missing.onnx").string() + "\"}\n";
  const auto r = cli("analyze --models-file - --hardware i7-12700k", list);
  ASSERT_EQ(r.exit_status, 0) << r.err;
  std::vector<nlohmann::json> lines;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);) lines.push_back(nlohmann::json::parse(l));
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_EQ(lines[0]["exit_status"], 0);
  EXPECT_EQ(lines[0]["line"], 1);
  EXPECT_EQ(lines[0]["outputs"][0]["shape"], nlohmann::json({2, 3, 4, 4}));
  EXPECT_DOUBLE_EQ(lines[0]["flops"].get<double>(), 2 * 3 * 4 * 4);  // Relu: 1 per element
  EXPECT_TRUE(lines[0]["latency_s"].contains("i7-12700k"));
  EXPECT_EQ(lines[1]["outputs"][0]["shape"], nlohmann::json({1, 3, 5, 5}));
  EXPECT_EQ(lines[1]["line"], 4);
  EXPECT_EQ(lines[2]["exit_status"], 2);  // '?' dims without --input-shape
  EXPECT_TRUE(has(lines[2]["error"], "--input-shape image=1x3xNxN"));
  EXPECT_EQ(lines[3]["exit_status"], 2);
  EXPECT_TRUE(has(lines[3]["error"], "missing.onnx"));
}

TEST_F(InputShapeCli, MalformedModelsFileIsBadInput) {
  expect_one_line_error(cli("analyze --models-file -", "{\"modle\": \"x.onnx\"}\n"),
                        "--models-file line 1: unknown key 'modle'; did you mean model?");
  expect_one_line_error(cli("analyze --models-file -", "not json\n"),
                        "--models-file line 1: not valid JSON");
  expect_one_line_error(cli("analyze --models-file " + (dir_ / "none.jsonl").string()),
                        "cannot read --models-file");
  expect_one_line_error(cli("analyze " + model_ + " --models-file -"), "not both");
  expect_one_line_error(cli("analyze"), "give one MODEL or --models-file LIST");
}

}  // namespace
}  // namespace graphs
