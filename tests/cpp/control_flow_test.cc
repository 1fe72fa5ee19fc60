// Control flow (If, Loop, Scan) from import to cost: subgraphs with outer-scope values, nested
// bodies, the If branch an estimate takes, trip counts from a bound dim, from --dim and as a
// data-dependent dim, and costs × runs. Fixtures: tests/data/control_flow/make_fixtures.py, whose
// expected.json holds ONNX Runtime's output shapes. x [B, 64], W1 [64, 32], W2 [64, 64],
// W [64, 64]: then_branch x·W1 (B·64·32 MACs), else_branch (x·W2)·W1 (B·64·(64 + 32)); the loop
// and scan bodies h·W (B·64·64 per iteration).
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>
#include <onnx/onnx_pb.h>

#include "graphs/analysis/characterize.h"
#include "graphs/onnx/onnx_importer.h"
#include "graphs/pipeline/pipeline.h"

namespace graphs {
namespace {

using V = std::vector<int64_t>;
namespace fs = std::filesystem;

std::string fixture(const std::string& name) {
  return std::string(GRAPHS_SOURCE_DIR) + "/tests/data/control_flow/" + name;
}

nlohmann::json expected(const std::string& name) {
  std::ifstream in(fixture("expected.json"));
  EXPECT_TRUE(in.good());
  return in.good() ? nlohmann::json::parse(in).at(name) : nlohmann::json::object();
}

// batch 2; seq (the loop and scan fixtures' second dim name) 5 or `seq`.
DimBindings dims(int64_t batch = 2, int64_t seq = 5) {
  DimBindings b;
  b.named = {{"batch", batch}, {"seq", seq}};
  return b;
}

DimBindings batch_only() {
  DimBindings b;
  b.named = {{"batch", 2}};
  return b;
}

struct Analysed {
  LoadedModel model;
  Characterization ch;
};

Analysed analyse(const std::string& name, const DimBindings& b = dims()) {
  auto m = load_model(fixture(name), b);
  EXPECT_TRUE(m.ok()) << name << ": " << (m.ok() ? "" : m.error().message());
  if (!m.ok()) return {};
  auto ch = characterize(m->graph, PrecisionMap{});
  EXPECT_TRUE(ch.ok()) << (ch.ok() ? "" : ch.error().message());
  return {std::move(m).value(), ch.ok() ? std::move(ch).value() : Characterization{}};
}

const Node& node_named(const Graph& g, const std::string& name) {
  static const Node kNone;
  for (const Node& n : g.nodes) {
    if (n.name == name) return n;
  }
  ADD_FAILURE() << "no node " << name;
  return kNone;
}

void expect_onnxruntime_shapes(const Analysed& a, const std::string& name) {
  for (const auto& [output, shape] : expected(name).at("outputs").items()) {
    const ValueId id = a.model.graph.find_value(output);
    ASSERT_NE(id, kNoValue) << output;
    EXPECT_EQ(a.model.graph.value(id).type.dims(), shape.get<V>()) << name << " " << output;
  }
}

bool has_note(const Graph& g, const std::string& text) {
  for (const auto& n : g.notes) {
    if (n.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(ControlFlowTest, ImportKeepsBranchesWithTheirOuterScopeValues) {
  auto g = import_onnx_file(fixture("if_const.onnx"));
  ASSERT_TRUE(g.ok()) << g.error().message();
  const Node& choose = node_named(*g, "choose");
  ASSERT_EQ(choose.subgraphs.size(), 2u);
  const Subgraph* then_branch = choose.subgraph("then_branch");
  ASSERT_NE(then_branch, nullptr);
  EXPECT_EQ(then_branch->graph.nodes.size(), 1u);
  for (const char* outer : {"x", "W1"}) {
    const ValueId id = then_branch->graph.find_value(outer);
    ASSERT_NE(id, kNoValue) << outer;
    EXPECT_EQ(then_branch->graph.value(id).kind, ValueKind::kOuterScope) << outer;
  }
  EXPECT_NE(choose.subgraph("else_branch")->graph.find_value("W2"), kNoValue);
}

TEST(ControlFlowTest, KnownConditionTakesItsBranch) {
  const Analysed a = analyse("if_const.onnx", batch_only());
  expect_onnxruntime_shapes(a, "if_const.onnx");
  const Node& choose = node_named(a.model.graph, "choose");
  EXPECT_EQ(choose.subgraph("then_branch")->runs, 1);
  EXPECT_EQ(choose.subgraph("else_branch")->runs, 0);
  EXPECT_EQ(a.ch.macs, 2.0 * 64 * 32);
  EXPECT_TRUE(a.model.graph.notes.empty());
  ASSERT_EQ(a.ch.bodies.size(), 1u);
  EXPECT_EQ(a.ch.bodies[0].attribute, "then_branch");
  // The branch's MatMul shows in the by-class totals; W1 is read (active), W2 is only resident.
  EXPECT_EQ(a.ch.by_class.at(OpClass::kMatMul).macs, 2.0 * 64 * 32);
  EXPECT_EQ(a.ch.params, 64 * 32 + 64 * 64);
  EXPECT_EQ(a.ch.active_params, 64 * 32);
}

TEST(ControlFlowTest, UnknownConditionTakesTheCostlierBranchOrTheChosenOne) {
  const Analysed a = analyse("if_dynamic.onnx", batch_only());
  expect_onnxruntime_shapes(a, "if_dynamic.onnx");
  EXPECT_EQ(a.ch.macs, 2.0 * 64 * (64 + 32));
  EXPECT_TRUE(has_note(a.model.graph, "If node 'choose': condition unknown at analysis time; the "
                                      "estimate takes the costlier else_branch"));
  DimBindings then = batch_only();
  then.branch = "then";
  const Analysed t = analyse("if_dynamic.onnx", then);
  EXPECT_EQ(t.ch.macs, 2.0 * 64 * 32);
  EXPECT_TRUE(has_note(t.model.graph, "(--branch then)"));
  EXPECT_EQ(node_named(t.model.graph, "choose").subgraph("else_branch")->runs, 0);
}

TEST(ControlFlowTest, LoopTripCountFromABoundDimAndANestedIf) {
  const Analysed a = analyse("loop.onnx");
  expect_onnxruntime_shapes(a, "loop.onnx");
  const Node& loop = node_named(a.model.graph, "rnn");
  EXPECT_EQ(loop.subgraph("body")->runs, 5);
  // Five iterations of h·W; the If inside the body reads W two scopes out.
  EXPECT_EQ(a.ch.macs, 5 * 2.0 * 64 * 64);
  EXPECT_EQ(a.ch.by_class.at(OpClass::kMatMul).nodes, 5);
  EXPECT_EQ(a.ch.active_params, 64 * 64);
  EXPECT_TRUE(has_note(a.model.graph, "Loop node 'rnn', body: If node 'step': condition unknown"));
  // Another sequence length rebinds the trip count.
  const Analysed b = analyse("loop.onnx", dims(2, 9));
  EXPECT_EQ(b.ch.macs, 9 * 2.0 * 64 * 64);
}

TEST(ControlFlowTest, LoopTripCountFromAnInputIsADataDependentDim) {
  const Analysed a = analyse("loop_input.onnx", batch_only());
  ASSERT_EQ(a.model.graph.data_dependent_dims.size(), 1u);
  const DataDependentDim& d = a.model.graph.data_dependent_dims[0];
  EXPECT_EQ(d.symbol, "loop_0");
  EXPECT_EQ(d.source, "assumed (no bound)");
  EXPECT_EQ(d.size, 1);
  EXPECT_EQ(a.ch.macs, 2.0 * 64 * 64);

  // --dim loop_0=3: the steps ONNX Runtime ran with.
  DimBindings three = batch_only();
  three.named["loop_0"] = expected("loop_input.onnx").at("steps").get<int64_t>();
  const Analysed b = analyse("loop_input.onnx", three);
  expect_onnxruntime_shapes(b, "loop_input.onnx");
  EXPECT_EQ(b.model.graph.data_dependent_dims[0].source, "bound by --dim");
  EXPECT_EQ(b.ch.macs, 3 * 2.0 * 64 * 64);

  // A data-dependent name the model does not have is refused with the ones it has.
  DimBindings typo = batch_only();
  typo.named["loop_7"] = 3;
  auto m = load_model(fixture("loop_input.onnx"), typo);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message().find("loop_0"), std::string::npos) << m.error().message();
}

TEST(ControlFlowTest, ScanRunsItsBodyOncePerStep) {
  const Analysed a = analyse("scan.onnx");
  expect_onnxruntime_shapes(a, "scan.onnx");
  EXPECT_EQ(node_named(a.model.graph, "scan").subgraph("body")->runs, 5);
  EXPECT_EQ(a.ch.macs, 5 * 2.0 * 64 * 64);
  // FLOPs: per step the MatMul (2·B·64·64), the Add and Tanh (B·64 each).
  EXPECT_EQ(a.ch.flops, 5 * (2 * 2.0 * 64 * 64 + 2 * 2.0 * 64));
}

// ---- built in code ---------------------------------------------------------------------------

onnx::ModelProto model_with(onnx::GraphProto main) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(17);
  *m.mutable_graph() = std::move(main);
  return m;
}

void tensor_input(onnx::GraphProto* g, const std::string& name, const V& dims,
                  int type = onnx::TensorProto::FLOAT) {
  auto* vi = g->add_input();
  vi->set_name(name);
  vi->mutable_type()->mutable_tensor_type()->set_elem_type(type);
  auto* shape = vi->mutable_type()->mutable_tensor_type()->mutable_shape();
  for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
}

onnx::NodeProto* node(onnx::GraphProto* g, const std::string& op,
                      const std::vector<std::string>& in, const std::vector<std::string>& out) {
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(op + "_" + std::to_string(g->node_size()));
  for (const auto& i : in) n->add_input(i);
  for (const auto& o : out) n->add_output(o);
  return n;
}

void graph_attribute(onnx::NodeProto* n, const std::string& name, onnx::GraphProto body) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::GRAPH);
  *a->mutable_g() = std::move(body);
}

onnx::GraphProto branch(const std::string& name, const std::string& op,
                        const std::vector<std::string>& in) {
  onnx::GraphProto b;
  b.set_name(name);
  node(&b, op, in, {name + "_out"});
  b.add_output()->set_name(name + "_out");
  return b;
}

TEST(ControlFlowTest, UndefinedOuterNameIsAnImportError) {
  onnx::GraphProto g;
  tensor_input(&g, "c", {}, onnx::TensorProto::BOOL);
  tensor_input(&g, "x", {4});
  auto* n = node(&g, "If", {"c"}, {"y"});
  graph_attribute(n, "then_branch", branch("t", "Relu", {"x"}));
  graph_attribute(n, "else_branch", branch("e", "Relu", {"ghost"}));
  g.add_output()->set_name("y");
  auto graph = import_onnx_model(model_with(g), "");
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(graph.error().message().find("else_branch uses 'ghost', which no enclosing graph "
                                         "defines"),
            std::string::npos)
      << graph.error().message();
}

// A branch a known condition rules out may not even infer (exporters guard shape-specific code
// with If); that is a note, not an error. With an unknown condition the other branch is taken.
TEST(ControlFlowTest, AnUninferableBranchIsANoteWhenItCannotRun) {
  for (bool known : {true, false}) {
    onnx::GraphProto g;
    tensor_input(&g, "x", {2, 3});
    tensor_input(&g, "w", {4, 4});
    if (known) {
      auto* c = node(&g, "Constant", {}, {"c"});
      auto* a = c->add_attribute();
      a->set_name("value");
      a->set_type(onnx::AttributeProto::TENSOR);
      a->mutable_t()->set_data_type(onnx::TensorProto::BOOL);
      a->mutable_t()->add_int32_data(1);
    } else {
      tensor_input(&g, "c", {}, onnx::TensorProto::BOOL);
    }
    auto* n = node(&g, "If", {"c"}, {"y"});
    n->set_name("guard");
    graph_attribute(n, "then_branch", branch("t", "Relu", {"x"}));
    graph_attribute(n, "else_branch", branch("e", "MatMul", {"x", "w"}));  // [2,3]·[4,4]
    g.add_output()->set_name("y");
    auto graph = import_onnx_model(model_with(g), "");
    ASSERT_TRUE(graph.ok()) << graph.error().message();
    ASSERT_TRUE(infer_shapes(*graph).ok());
    EXPECT_EQ(graph->value(graph->find_value("y")).type.dims(), (V{2, 3}));
    ASSERT_EQ(graph->notes.size(), 1u);
    EXPECT_NE(graph->notes[0].find("could not be analysed"), std::string::npos) << graph->notes[0];
  }
}

// A loop-carried value that grows each iteration (a Concat in the body) is extrapolated to the
// last iteration: [1, 4] growing one row per iteration over 3 iterations ends [4, 4].
TEST(ControlFlowTest, GrowingLoopCarriedValueIsExtrapolated) {
  onnx::GraphProto g;
  tensor_input(&g, "v0", {1, 4});
  auto* m = g.add_initializer();
  m->set_name("m");
  m->set_data_type(onnx::TensorProto::INT64);
  m->add_int64_data(3);
  onnx::GraphProto body;
  body.set_name("body");
  tensor_input(&body, "i", {}, onnx::TensorProto::INT64);
  tensor_input(&body, "cond", {}, onnx::TensorProto::BOOL);
  body.add_input()->set_name("v");  // untyped: the node supplies it
  auto* cat = node(&body, "Concat", {"v", "v0"}, {"v_next"});
  auto* axis = cat->add_attribute();
  axis->set_name("axis");
  axis->set_type(onnx::AttributeProto::INT);
  axis->set_i(0);
  node(&body, "Identity", {"cond"}, {"cond_out"});
  body.add_output()->set_name("cond_out");
  body.add_output()->set_name("v_next");
  auto* loop = node(&g, "Loop", {"m", "", "v0"}, {"v_final"});
  loop->set_name("grow");
  graph_attribute(loop, "body", body);
  g.add_output()->set_name("v_final");
  auto graph = import_onnx_model(model_with(g), "");
  ASSERT_TRUE(graph.ok()) << graph.error().message();
  ASSERT_TRUE(infer_shapes(*graph).ok());
  EXPECT_EQ(graph->value(graph->find_value("v_final")).type.dims(), (V{4, 4}));
  EXPECT_NE(graph->notes.at(0).find("taken as linear over 3 iterations"), std::string::npos)
      << graph->notes.at(0);
}

// PyTorch exports `while` as Loop(M = INT64_MAX, cond): M only bounds it; the trip count is a
// data-dependent dim.
TEST(ControlFlowTest, WhileLoopBoundIsNotATripCount) {
  onnx::GraphProto g;
  tensor_input(&g, "v0", {2, 4});
  tensor_input(&g, "go", {}, onnx::TensorProto::BOOL);
  auto* m = g.add_initializer();
  m->set_name("m");
  m->set_data_type(onnx::TensorProto::INT64);
  m->add_int64_data(INT64_MAX);
  onnx::GraphProto body;
  body.set_name("body");
  tensor_input(&body, "i", {}, onnx::TensorProto::INT64);
  tensor_input(&body, "cond", {}, onnx::TensorProto::BOOL);
  body.add_input()->set_name("v");
  node(&body, "Relu", {"v"}, {"v_next"});
  node(&body, "Identity", {"cond"}, {"cond_out"});
  body.add_output()->set_name("cond_out");
  body.add_output()->set_name("v_next");
  auto* loop = node(&g, "Loop", {"m", "go", "v0"}, {"v_final"});
  loop->set_name("spin");
  graph_attribute(loop, "body", body);
  g.add_output()->set_name("v_final");
  auto graph = import_onnx_model(model_with(g), "");
  ASSERT_TRUE(graph.ok()) << graph.error().message();
  DimBindings b;
  b.named["loop_0"] = 6;
  ASSERT_TRUE(infer_shapes(*graph, b).ok());
  ASSERT_EQ(graph->data_dependent_dims.size(), 1u);
  EXPECT_EQ(graph->data_dependent_dims[0].size, 6);
  EXPECT_EQ(graph->nodes.back().subgraph("body")->runs, 6);
  auto ch = characterize(*graph, PrecisionMap{});
  ASSERT_TRUE(ch.ok());
  EXPECT_EQ(ch->flops, 6 * 8.0);  // six Relus over 2·4 elements
  EXPECT_NE(graph->notes.at(0).find("only bounds the loop"), std::string::npos);
}

// ---- the command line ------------------------------------------------------------------------

struct CliRun {
  int status = 0;
  std::string out, err;
};

CliRun graphs_cli(const std::string& args) {
  const fs::path dir = fs::temp_directory_path();
  const fs::path out = dir / ("cf_out_" + std::to_string(::getpid()));
  const fs::path err = dir / ("cf_err_" + std::to_string(::getpid()));
  const std::string cmd = std::string(GRAPHS_CLI_PATH) + " " + args + " >" + out.string() +
                          " 2>" + err.string();
  CliRun r;
  r.status = WEXITSTATUS(std::system(cmd.c_str()));
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  r.out = slurp(out);
  r.err = slurp(err);
  fs::remove(out);
  fs::remove(err);
  return r;
}

TEST(ControlFlowTest, InspectAndAnalyzeSayWhatTheyDecided) {
  const CliRun inspect = graphs_cli("inspect " + fixture("loop_input.onnx") + " --dim loop_0=4");
  EXPECT_EQ(inspect.status, 0) << inspect.err;
  EXPECT_NE(inspect.out.find("data-dependent dims (bind with --dim NAME=N)"), std::string::npos)
      << inspect.out;
  EXPECT_NE(inspect.out.find("loop_0"), std::string::npos);
  EXPECT_NE(inspect.out.find("bound by --dim"), std::string::npos);
  EXPECT_NE(inspect.out.find("float32[4,1,64]"), std::string::npos) << inspect.out;

  const CliRun json = graphs_cli("inspect " + fixture("if_dynamic.onnx") + " --format json");
  EXPECT_EQ(json.status, 0) << json.err;
  const auto doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc["graph"]["notes"].size(), 1u);
  const auto& choose = doc["graph"]["nodes"].back();
  ASSERT_EQ(choose["subgraphs"].size(), 2u);
  for (const auto& sub : choose["subgraphs"]) {
    EXPECT_EQ(sub["runs"], sub["attribute"] == "else_branch" ? 1 : 0);  // the costlier
  }

  const CliRun analysis = graphs_cli("analyze " + fixture("if_dynamic.onnx") +
                                 " --hardware h100-sxm5-80gb --branch then");
  EXPECT_EQ(analysis.status, 0) << analysis.err;
  EXPECT_NE(analysis.out.find("(--branch then)"), std::string::npos) << analysis.out;
  const CliRun bad = graphs_cli("analyze " + fixture("if_dynamic.onnx") + " --branch maybe");
  EXPECT_EQ(bad.status, 2);
}

}  // namespace
}  // namespace graphs
