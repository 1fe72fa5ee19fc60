// Counts that do not fit int64 are errors naming what overflowed, never wrapped numbers: the
// checked arithmetic, TensorType's sizes, the importer's and the pipeline's size checks (a Relu
// on a declared [1e9,1e9,1e9] input used to report FLOPs −6.9e18 with exit status 0), the
// characterization's int64 sums, and the pipeline's final guard on the figures it reports.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "graphs/analysis/characterize.h"
#include "graphs/common/checked_math.h"
#include "graphs/onnx/onnx_importer.h"
#include "graphs/ops/op_helpers.h"
#include "graphs/pipeline/pipeline.h"
#include "shape_ops_test_util.h"

namespace graphs {
namespace {

namespace fs = std::filesystem;
using shape_ops_test::attrs;
using shape_ops_test::GraphBuilder;

constexpr int64_t kBillion = 1'000'000'000;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// ---- checked arithmetic and TensorType sizes --------------------------------------------------

TEST(CheckedMathTest, ProductsAndSumsThatDoNotFitAreNullopt) {
  EXPECT_EQ(checked_mul(3'000'000'000, 3'000'000'000), 9'000'000'000'000'000'000);
  EXPECT_FALSE(checked_mul(kMaxInt64, 2).has_value());
  EXPECT_FALSE(checked_mul(4'000'000'000, 4'000'000'000).has_value());
  EXPECT_EQ(checked_add(kMaxInt64 - 1, 1), kMaxInt64);
  EXPECT_FALSE(checked_add(kMaxInt64, 1).has_value());
  EXPECT_EQ(checked_product(std::vector<int64_t>{}), 1);
  EXPECT_EQ(checked_product(std::vector<int64_t>{2, 3, 7}), 42);
  EXPECT_FALSE(checked_product(std::vector<int64_t>{kBillion, kBillion, kBillion}).has_value());
  // A zero empties the tensor however large the other dims are.
  EXPECT_EQ(checked_product(std::vector<int64_t>{kBillion, kBillion, kBillion, 0}), 0);
  EXPECT_EQ(saturating_mul(kBillion, kBillion), kBillion * kBillion);
  EXPECT_EQ(saturating_mul(kMaxInt64, 3), kMaxInt64);
  // The op rules' form: a range of dims.
  const std::vector<int64_t> dims = {2, kBillion, kBillion, kBillion};
  EXPECT_EQ(ops::checked_product(dims, 0, 1), 2);
  EXPECT_EQ(ops::checked_product(dims, 1, 3), kBillion * kBillion);
  EXPECT_FALSE(ops::checked_product(dims, 1).has_value());
  EXPECT_EQ(ops::checked_product(dims, 4), 1);
}

TEST(TensorSizeTest, SubByteTypesPackAndHugeCountsSaturate) {
  // onnx.proto TensorProto.raw_data: ceil(n × bits / 8) bytes.
  EXPECT_EQ(TensorType::make(DType::kInt2, {5}).bytes(), 2);
  EXPECT_EQ(TensorType::make(DType::kUInt2, {4}).bytes(), 1);
  EXPECT_EQ(TensorType::make(DType::kInt4, {3}).bytes(), 2);
  EXPECT_EQ(TensorType::make(DType::kFloat4E2M1, {2}).bytes(), 1);
  EXPECT_EQ(TensorType::make(DType::kFloat6E2M3, {5}).bytes(), 4);  // 30 bits
  EXPECT_EQ(TensorType::make(DType::kFloat6E3M2, {4}).bytes(), 3);
  EXPECT_EQ(TensorType::make(DType::kFloat8E8M0, {3}).bytes(), 3);
  const auto huge = TensorType::make(DType::kFloat32, {kBillion, kBillion, kBillion});
  EXPECT_EQ(huge.numel(), kMaxInt64);  // saturated, never negative
  EXPECT_GT(*huge.bytes(), 0);
}

TEST(TensorSizeTest, CheckRefusesMoreBitsThanInt64Counts) {
  EXPECT_TRUE(check_tensor_size(TensorType::make(DType::kFloat32, {1, 3, 224, 224}), "x").ok());
  // 2^59 int8 elements: 2^62 bits fit; 2^60 elements: 2^63 bits do not.
  EXPECT_TRUE(check_tensor_size(TensorType::make(DType::kInt8, {int64_t{1} << 59}), "a").ok());
  const Status bits = check_tensor_size(TensorType::make(DType::kInt8, {int64_t{1} << 60}), "b");
  ASSERT_FALSE(bits.ok());
  EXPECT_EQ(bits.error().code(), ErrorCode::kInvalidArgument);
  // The element count alone fits; its float64 bits do not.
  EXPECT_FALSE(check_tensor_size(TensorType::make(DType::kFloat64, {int64_t{1} << 58}), "c").ok());
  const Status s = check_tensor_size(
      TensorType::make(DType::kFloat32, {kBillion, kBillion, kBillion}), "graph input 'x'");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(),
            "graph input 'x' float32[1000000000,1000000000,1000000000] holds 1e+27 elements "
            "(4e+27 bytes); graphs counts tensors of at most 2^63 bits (1 EiB)");
  // A symbolic shape has no count yet: nothing to refuse.
  TensorType symbolic;
  symbolic.dtype = DType::kFloat32;
  symbolic.shape = {Dim::symbol("N"), Dim::fixed(kBillion)};
  EXPECT_TRUE(check_tensor_size(symbolic, "x").ok());
}

// ---- models ------------------------------------------------------------------------------------

// x (float32, `dims`; a string is a named dim) → Relu → y.
onnx::ModelProto relu_model(const std::vector<std::variant<int64_t, std::string>>& dims) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("relu");
  auto* x = g->add_input();
  x->set_name("x");
  auto* t = x->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  for (const auto& d : dims) {
    auto* dim = t->mutable_shape()->add_dim();
    if (const auto* v = std::get_if<int64_t>(&d)) dim->set_dim_value(*v);
    else dim->set_dim_param(std::get<std::string>(d));
  }
  auto* n = g->add_node();
  n->set_op_type("Relu");
  n->set_name("r");
  n->add_input("x");
  n->add_output("y");
  g->add_output()->set_name("y");
  return m;
}

// x float32[1] → Expand(x, shape = [1e9, 1e9, 1e9]) → y: every input fits, the output does not.
onnx::ModelProto expand_model() {
  onnx::ModelProto m = relu_model({int64_t{1}});
  auto* g = m.mutable_graph();
  g->clear_node();
  auto* shape = g->add_initializer();
  shape->set_name("shape");
  shape->set_data_type(onnx::TensorProto::INT64);
  shape->add_dims(3);
  for (int i = 0; i < 3; ++i) shape->add_int64_data(kBillion);
  auto* n = g->add_node();
  n->set_op_type("Expand");
  n->set_name("grow");
  n->add_input("x");
  n->add_input("shape");
  n->add_output("y");
  return m;
}

class TempModels : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("graphs_overflow_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string save(const std::string& name, const onnx::ModelProto& m) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << m.SerializeAsString();
    return p.string();
  }

  struct CliRun {
    int exit_status = -1;
    std::string err;
    std::string out;
  };

  CliRun cli(const std::string& args) {
    const fs::path out = dir_ / "stdout", err = dir_ / "stderr";
    const std::string cmd = std::string(GRAPHS_CLI_PATH) + " " + args + " >" + out.string() +
                            " 2>" + err.string();
    const int status = std::system(cmd.c_str());
    CliRun r;
    r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::stringstream e, o;
    e << std::ifstream(err).rdbuf();
    o << std::ifstream(out).rdbuf();
    r.err = e.str();
    r.out = o.str();
    return r;
  }

  fs::path dir_;
};

TEST_F(TempModels, DeclaredInputTooLargeIsRefusedAtImport) {
  auto graph = import_onnx_model(relu_model({kBillion, kBillion, kBillion}), "");
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(graph.error().message(), "graph input 'x' float32[1000000000,1000000000,"
                                                "1000000000] holds 1e+27 elements"))
      << graph.error().message();
}

TEST_F(TempModels, BoundInputTooLargeIsRefusedBeforeInference) {
  // x float32[N, 10^9, 10^9] with N bound to 10^9 holds 10^27 elements; [N, 10^9, 8] with
  // N = 1 holds 8·10^9 and fits.
  DimBindings b;
  b.batch = kBillion;
  auto fits = load_model(save("small.onnx", relu_model({std::string("N"), kBillion, int64_t{8}})),
                         DimBindings{});
  ASSERT_TRUE(fits.ok()) << fits.error().message();
  const auto path = save("sym.onnx", relu_model({std::string("N"), kBillion, kBillion}));
  auto m = load_model(path, b);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(m.error().message(), "graph input 'x' float32[1000000000,1000000000,"
                                            "1000000000] holds 1e+27 elements"))
      << m.error().message();
}

TEST_F(TempModels, InferredOutputTooLargeNamesTheNode) {
  auto m = load_model(save("expand.onnx", expand_model()), DimBindings{});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(m.error().message(), "Expand node 'grow': output 'y' float32[1000000000,"
                                            "1000000000,1000000000] holds 1e+27 elements"))
      << m.error().message();
}

// The adversarial user's case end to end: exit status 2, one line, no figures.
TEST_F(TempModels, CliRefusesOverflowWithExitStatus2) {
  const auto relu = save("relu_big.onnx", relu_model({kBillion, kBillion, kBillion}));
  for (const std::string cmd : {"analyze", "inspect"}) {
    SCOPED_TRACE(cmd);
    const auto r = cli(cmd + " " + relu + (cmd == "analyze" ? " --hardware h100-sxm5-80gb" : ""));
    EXPECT_EQ(r.exit_status, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "graph input 'x' float32[1000000000,1000000000,1000000000] holds "
                                "1e+27 elements"))
        << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  const auto sym = save("sym.onnx", relu_model({std::string("N"), kBillion, kBillion}));
  const auto bound = cli("analyze " + sym + " --dim N=1000000000 --hardware h100-sxm5-80gb");
  EXPECT_EQ(bound.exit_status, 2) << bound.err;
  EXPECT_TRUE(contains(bound.err, "holds 1e+27 elements")) << bound.err;
  const auto grown = cli("analyze " + save("expand.onnx", expand_model()));
  EXPECT_EQ(grown.exit_status, 2) << grown.err;
  EXPECT_TRUE(contains(grown.err, "Expand node 'grow'")) << grown.err;
}

// ---- characterization sums ---------------------------------------------------------------------

// Five int4 weights of 2·10^18 elements each: every tensor fits (8·10^18 bits), their parameter
// count (10^19) does not.
TEST(CharacterizeOverflowTest, ParameterSumThatDoesNotFitIsAnError) {
  GraphBuilder b(17);
  b.input("x", DType::kFloat32, {4});
  for (int i = 0; i < 5; ++i) {
    b.weight("w" + std::to_string(i), DType::kInt4, {2, kBillion * kBillion});
  }
  b.node("Relu", "r", {"x"}, {"y"});
  ASSERT_TRUE(b.infer().ok());
  auto ch = characterize(b.g, PrecisionMap{});
  ASSERT_FALSE(ch.ok());
  EXPECT_EQ(ch.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(ch.error().message(), "parameters up to 'w4'")) << ch.error().message();
  // Four of them fit: 8·10^18 parameters, exactly.
  GraphBuilder four(17);
  four.input("x", DType::kFloat32, {4});
  for (int i = 0; i < 4; ++i) {
    four.weight("w" + std::to_string(i), DType::kInt4, {2, kBillion * kBillion});
  }
  four.node("Relu", "r", {"x"}, {"y"});
  ASSERT_TRUE(four.infer().ok());
  auto ok = characterize(four.g, PrecisionMap{});
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_EQ(ok->params, 8 * kBillion * kBillion);
}

// A Loop whose body (two kernels) runs 2^62 times launches 2^63 kernels: more than int64 counts.
TEST(CharacterizeOverflowTest, BodyKernelsTimesRunsThatDoNotFitIsAnError) {
  auto loop_graph = [](int64_t runs) {
    GraphBuilder b(17);
    b.input("x", DType::kFloat32, {4});
    b.node("Loop", "loop", {}, {"y"});
    Graph body;
    auto typed = [](const std::string& name, ValueKind kind) {
      return Value{.name = name, .type = TensorType::make(DType::kFloat32, {4}), .kind = kind};
    };
    const ValueId x = body.add_value(typed("x", ValueKind::kOuterScope));
    const ValueId a = body.add_value(typed("a", ValueKind::kActivation));
    const ValueId c = body.add_value(typed("c", ValueKind::kActivation));
    body.add_node(Node{.name = "r", .op_type = "Relu", .inputs = {x}, .outputs = {a}});
    body.add_node(Node{.name = "n", .op_type = "Neg", .inputs = {a}, .outputs = {c}});
    body.outputs = {c};
    Node& loop = b.g.node(0);
    loop.subgraphs.push_back(Subgraph{"body", std::move(body), runs});
    b.g.value(b.g.find_value("y")).type = TensorType::make(DType::kFloat32, {4});
    return b.g;
  };
  auto fits = characterize(loop_graph(1000), PrecisionMap{});
  ASSERT_TRUE(fits.ok()) << fits.error().message();
  EXPECT_EQ(fits->compute_nodes, 1 + 2 * 1000);
  auto ch = characterize(loop_graph(int64_t{1} << 62), PrecisionMap{});
  ASSERT_FALSE(ch.ok());
  EXPECT_EQ(ch.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(ch.error().message(), "Loop node 'loop', body")) << ch.error().message();
  EXPECT_TRUE(contains(ch.error().message(), "does not fit in int64")) << ch.error().message();
}

// ---- the final guard ---------------------------------------------------------------------------

TEST(FinalGuardTest, NegativeNanOrInfiniteFiguresAreRefused) {
  Analysis a;
  a.characterization.flops = 1e9;
  Estimate e;
  e.hardware_id = "h100-sxm5-80gb";
  e.latency_s = 1e-3;
  e.period_s = 1e-3;
  e.energy_j = 0.5;
  a.estimates.push_back(e);
  EXPECT_TRUE(check_analysis_figures(a).ok());
  a.estimates[0].overhead_s = -1e-15;  // rounding slack
  EXPECT_TRUE(check_analysis_figures(a).ok());

  Analysis negative = a;
  negative.estimates[0].latency_s = -2.2e8;
  Status s = check_analysis_figures(negative);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kInternal);
  EXPECT_TRUE(contains(s.error().message(), "the estimate for h100-sxm5-80gb: latency_s = "))
      << s.error().message();

  Analysis nan = a;
  nan.characterization.flops = std::nan("");
  s = check_analysis_figures(nan);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.error().message(), "model totals: flops = nan")) << s.error().message();

  Analysis inf = a;
  inf.estimates[0].memory.peak_bytes = std::numeric_limits<double>::infinity();
  s = check_analysis_figures(inf);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.error().message(), "peak_bytes = inf")) << s.error().message();

  Analysis kernel = a;
  kernel.estimates[0].kernels.push_back(KernelEstimate{.kernel = 3, .energy_j = -1});
  s = check_analysis_figures(kernel);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.error().message(), "kernel 3: energy_j = -1")) << s.error().message();
}

// infer_shapes itself refuses an output whose element count does not fit (2^31·2^31·4 = 2^64) at
// the node that makes it, before a later rule (Flatten's product) could multiply a wrapped count.
TEST(InferenceOverflowTest, EveryNodeOutputIsCheckedWhereItIsMade) {
  GraphBuilder b(17);
  b.input("x", DType::kFloat32, {1, 1, 4});
  b.ints("shape", {3}, {int64_t{1} << 31, int64_t{1} << 31, 4});
  b.node("Expand", "grow", {"x", "shape"}, {"big"});
  b.node("Flatten", "flat", {"big"}, {"y"}, attrs({{"axis", int64_t{2}}}));
  const Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("grow"), std::string::npos) << s.error().message();
  EXPECT_EQ(s.error().message().find("flat"), std::string::npos) << s.error().message();
}

// QuantizeLinear-21's output_dtype names a type by its TensorProto number: an unknown number is
// an error naming it, not a 0-bit "undefined" output.
TEST(InferenceOverflowTest, QuantizeLinearUnknownOutputDtypeIsRefused) {
  GraphBuilder b(21);
  b.input("x", DType::kFloat32, {4});
  b.weight("scale", DType::kFloat32, {});
  b.node("QuantizeLinear", "q", {"x", "scale"}, {"y"}, attrs({{"output_dtype", int64_t{99}}}));
  const Status s = b.infer();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("99"), std::string::npos) << s.error().message();
}

}  // namespace
}  // namespace graphs
