// The importer's edges: opset ranges per domain and per op (onnx/opset_support.h), the older
// opsets whose ops read attributes instead of inputs (differential against ONNX's own shape
// inference on the same model), opset-6 PRelu's per-channel slope, legacy broadcasting, graphs
// without outputs, inputs that shadow initializers, every element type of onnx.proto by name
// and size, and sequence and optional values.
#include <gtest/gtest.h>

#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "graphs/analysis/characterize.h"
#include "graphs/analysis/shape_inference.h"
#include "graphs/onnx/onnx_importer.h"
#include "graphs/onnx/onnx_tensor.h"
#include "graphs/onnx/opset_support.h"
#include "graphs/ops/op_registry.h"

namespace graphs {
namespace {

using V = std::vector<int64_t>;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

onnx::ModelProto make_model(int64_t opset, const std::string& domain = "") {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* op = m.add_opset_import();
  op->set_domain(domain);
  op->set_version(opset);
  m.mutable_graph()->set_name("edges");
  return m;
}

void add_input(onnx::GraphProto* g, const std::string& name, int elem_type, const V& dims) {
  auto* vi = g->add_input();
  vi->set_name(name);
  auto* t = vi->mutable_type()->mutable_tensor_type();
  t->set_elem_type(elem_type);
  auto* shape = t->mutable_shape();
  for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
}

onnx::NodeProto* add_node(onnx::GraphProto* g, const std::string& op,
                          const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs, const std::string& name) {
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& i : inputs) n->add_input(i);
  for (const auto& o : outputs) n->add_output(o);
  return n;
}

void set_ints(onnx::NodeProto* n, const std::string& name, const V& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

void set_int(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

void add_ints(onnx::GraphProto* g, const std::string& name, const V& dims, const V& values) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  for (int64_t d : dims) t->add_dims(d);
  for (int64_t v : values) t->add_int64_data(v);
}

void add_floats(onnx::GraphProto* g, const std::string& name, const V& dims,
                const std::vector<float>& values) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  for (float v : values) t->add_float_data(v);
}

// x float32[dims] → op → y, at `opset`.
onnx::ModelProto unary_model(int64_t opset, const std::string& op, const V& dims = {2, 3}) {
  auto m = make_model(opset);
  auto* g = m.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, dims);
  add_node(g, op, {"x"}, {"y"}, "n");
  g->add_output()->set_name("y");
  return m;
}

std::string import_error(const onnx::ModelProto& m) {
  auto graph = import_onnx_model(m, "");
  EXPECT_FALSE(graph.ok()) << "import unexpectedly succeeded";
  return graph.ok() ? std::string() : graph.error().message();
}

// ---- opset ranges ------------------------------------------------------------------------------

TEST(OpsetRangeTest, AiOnnxOpsetsOutsideTheRangeAreRefused) {
  for (int64_t v : {int64_t{kOldestOnnxOpset}, int64_t{13}, int64_t{kNewestOnnxOpset}}) {
    auto graph = import_onnx_model(unary_model(v, "Relu"), "");
    EXPECT_TRUE(graph.ok()) << v << ": " << graph.error().message();
  }
  const std::string range =
      "(" + std::to_string(kOldestOnnxOpset) + "–" + std::to_string(kNewestOnnxOpset) + ")";
  for (int64_t v : {int64_t{1}, int64_t{kOldestOnnxOpset - 1}, int64_t{kNewestOnnxOpset + 1},
                    int64_t{99}, int64_t{2147483647}}) {
    SCOPED_TRACE(v);
    auto graph = import_onnx_model(unary_model(v, "Relu"), "");
    ASSERT_FALSE(graph.ok());
    EXPECT_EQ(graph.error().code(), ErrorCode::kUnsupported);
    EXPECT_TRUE(contains(graph.error().message(), "opset_import: domain 'ai.onnx' version " +
                                                      std::to_string(v) +
                                                      " is outside the versions this build "
                                                      "models " + range))
        << graph.error().message();
  }
  for (int64_t v : {int64_t{0}, int64_t{-3}, int64_t{1} << 40}) {
    SCOPED_TRACE(v);
    const std::string msg = import_error(unary_model(v, "Relu"));
    EXPECT_TRUE(contains(msg, "version " + std::to_string(v) + " is not an opset version")) << msg;
  }
}

TEST(OpsetRangeTest, OtherDomainsHaveTheirRanges) {
  auto m = unary_model(17, "Relu");
  auto* ms = m.add_opset_import();
  ms->set_domain("com.microsoft");
  ms->set_version(2);
  EXPECT_TRUE(contains(import_error(m), "domain 'com.microsoft' version 2 is outside the versions "
                                        "this build models (1)"));
  ms->set_version(1);
  EXPECT_TRUE(import_onnx_model(m, "").ok());
  auto* ml = m.add_opset_import();
  ml->set_domain("ai.onnx.ml");
  ml->set_version(6);
  EXPECT_TRUE(contains(import_error(m), "domain 'ai.onnx.ml' version 6"));
  ml->set_version(5);
  EXPECT_TRUE(import_onnx_model(m, "").ok());
  // A custom domain: any version from 1.
  auto* custom = m.add_opset_import();
  custom->set_domain("my.company");
  custom->set_version(0);
  EXPECT_TRUE(contains(import_error(m), "domain 'my.company' version 0 is not an opset version"));
  custom->set_version(42);
  EXPECT_TRUE(import_onnx_model(m, "").ok());
}

TEST(OpsetRangeTest, FunctionAndPreOpsetImportModelsAreChecked) {
  auto m = unary_model(17, "Relu");
  auto* f = m.add_functions();
  f->set_name("f");
  f->set_domain("local");
  auto* op = f->add_opset_import();
  op->set_domain("");
  op->set_version(0);
  EXPECT_TRUE(contains(import_error(m), "function 'local::f' opset_import: domain 'ai.onnx' "
                                        "version 0"));
  // IR version 2 files have no opset_import and mean opset 1, older than the oldest we model.
  auto old = unary_model(17, "Relu");
  old.clear_opset_import();
  old.set_ir_version(2);
  EXPECT_TRUE(contains(import_error(old), "IR version 2 model (no opset_import): domain "
                                          "'ai.onnx' version 1 is outside"));
}

TEST(OpsetRangeTest, OpsOutsideTheirVersionsAreRefused) {
  const auto* gelu = OpRegistry::global().find("", "Gelu");
  ASSERT_NE(gelu, nullptr);
  ASSERT_EQ(OpRegistry::opset_range(*gelu).since, 20);  // ONNX Gelu-20
  std::string msg = import_error(unary_model(17, "Gelu"));
  EXPECT_TRUE(contains(msg, "Gelu node 'n' (opset 17): Gelu is defined at ai.onnx opsets 20–"))
      << msg;
  EXPECT_TRUE(contains(msg, "not at opset 17")) << msg;
  EXPECT_TRUE(import_onnx_model(unary_model(20, "Gelu"), "").ok());
  // Upsample: deprecated by ONNX at opset 10.
  msg = import_error(unary_model(11, "Upsample", {1, 1, 2, 2}));
  EXPECT_TRUE(contains(msg, "Upsample is defined at ai.onnx opsets 7–9, not at opset 11 (ONNX "
                            "deprecated it)"))
      << msg;
  // ONNX Runtime's LayerNormalization in the ai.onnx domain before opset 17.
  auto ln = make_model(16);
  auto* g = ln.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {2, 8});
  add_floats(g, "scale", {8}, std::vector<float>(8, 1.0f));
  add_node(g, "LayerNormalization", {"x", "scale"}, {"y"}, "ln");
  g->add_output()->set_name("y");
  auto graph = import_onnx_model(ln, "");
  ASSERT_TRUE(graph.ok()) << graph.error().message();
  ASSERT_TRUE(infer_shapes(*graph).ok());
  EXPECT_EQ(graph->value(graph->find_value("y")).type, TensorType::make(DType::kFloat32, {2, 8}));
}

// Add-6 with broadcast = 1 and axis = 1 adds B [3] along X's axis 1; numpy would align it with
// the last axis. Refused; without `axis` the alignment is numpy's and the model imports.
TEST(OpsetRangeTest, LegacyBroadcastWithAxisIsRefused) {
  auto m = make_model(6);
  auto* g = m.mutable_graph();
  add_input(g, "a", onnx::TensorProto::FLOAT, {2, 3, 4, 5});
  add_floats(g, "b", {5}, {1, 2, 3, 4, 5});
  auto* add = add_node(g, "Add", {"a", "b"}, {"y"}, "bias");
  set_int(add, "broadcast", 1);
  g->add_output()->set_name("y");
  auto graph = import_onnx_model(m, "");
  ASSERT_TRUE(graph.ok()) << graph.error().message();
  ASSERT_TRUE(infer_shapes(*graph).ok());
  EXPECT_EQ(graph->value(graph->find_value("y")).type.dims(), (V{2, 3, 4, 5}));
  set_int(add, "axis", 1);
  const std::string msg = import_error(m);
  EXPECT_TRUE(contains(msg, "Add node 'bias' (opset 6): legacy broadcasting with 'axis'")) << msg;
  EXPECT_TRUE(contains(msg, "onnx.version_converter")) << msg;
}

// ---- older opsets against ONNX's shape inference ---------------------------------------------

// Our output dims (import, infer_shapes) and ONNX's (InferShapes on the same model).
struct Dims {
  std::optional<V> ours;
  std::optional<V> onnx;
};

Dims both(const onnx::ModelProto& m) {
  Dims d;
  auto graph = import_onnx_model(m, "");
  EXPECT_TRUE(graph.ok()) << graph.error().message();
  if (graph.ok()) {
    const Status s = infer_shapes(*graph);
    EXPECT_TRUE(s.ok()) << s.error().message();
    if (s.ok()) d.ours = graph->value(graph->find_value("y")).type.dims();
  }
  onnx::ModelProto copy = m;
  try {
    onnx::shape_inference::InferShapes(copy, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(true, 1, true));
  } catch (const std::exception& e) {
    ADD_FAILURE() << "ONNX shape inference failed: " << e.what();
    return d;
  }
  for (const auto& vi : copy.graph().value_info()) {
    if (vi.name() != "y" || !vi.type().tensor_type().has_shape()) continue;
    V dims;
    for (const auto& dim : vi.type().tensor_type().shape().dim()) dims.push_back(dim.dim_value());
    d.onnx = dims;
  }
  EXPECT_TRUE(d.onnx.has_value()) << "ONNX inferred no shape for y";
  return d;
}

struct OldOpCase {
  std::string what;
  int64_t opset;
  std::string op;
  V x;
  // Adds the node's other inputs (initializers) and attributes to `n`.
  std::function<void(onnx::GraphProto*, onnx::NodeProto*)> finish;
  V expected;
};

// Reshape, Unsqueeze, Squeeze, Pad and ReduceSum read an attribute before the opset where it
// became an input (Reshape 5, Pad 11, the others 13); both forms agree with ONNX, per opset.
TEST(OldOpsetTest, AttributeAndInputFormsMatchOnnxShapeInference) {
  using G = onnx::GraphProto*;
  using N = onnx::NodeProto*;
  const std::vector<OldOpCase> cases = {
      {"Reshape-5 shape input", 6, "Reshape", {2, 3, 4},
       [](G g, N n) { add_ints(g, "s", {2}, {4, -1}); n->add_input("s"); }, {4, 6}},
      {"Reshape-13", 13, "Reshape", {2, 3, 4},
       [](G g, N n) { add_ints(g, "s", {3}, {0, -1, 2}); n->add_input("s"); }, {2, 6, 2}},
      {"Unsqueeze-1 axes attribute", 6, "Unsqueeze", {3, 4},
       [](G, N n) { set_ints(n, "axes", {0, 3}); }, {1, 3, 4, 1}},
      {"Unsqueeze-11 negative axes attribute", 12, "Unsqueeze", {3, 4},
       [](G, N n) { set_ints(n, "axes", {-1}); }, {3, 4, 1}},
      {"Unsqueeze-13 axes input", 13, "Unsqueeze", {3, 4},
       [](G g, N n) { add_ints(g, "ax", {1}, {1}); n->add_input("ax"); }, {3, 1, 4}},
      {"Squeeze-1 axes attribute", 6, "Squeeze", {1, 3, 1},
       [](G, N n) { set_ints(n, "axes", {0}); }, {3, 1}},
      {"Squeeze-11 negative axes attribute", 12, "Squeeze", {1, 3, 1},
       [](G, N n) { set_ints(n, "axes", {-1}); }, {1, 3}},
      {"Squeeze-13 axes input", 13, "Squeeze", {1, 3, 1},
       [](G g, N n) { add_ints(g, "ax", {1}, {2}); n->add_input("ax"); }, {1, 3}},
      {"Pad-2 pads attribute", 6, "Pad", {2, 3},
       [](G, N n) { set_ints(n, "pads", {0, 1, 1, 2}); }, {3, 6}},
      {"Pad-2 pads attribute at 10", 10, "Pad", {2, 3},
       [](G, N n) { set_ints(n, "pads", {1, 0, 0, 0}); }, {3, 3}},
      {"Pad-11 pads input", 11, "Pad", {2, 3},
       [](G g, N n) { add_ints(g, "p", {4}, {0, 1, 1, 2}); n->add_input("p"); }, {3, 6}},
      {"ReduceSum-1 axes attribute", 6, "ReduceSum", {2, 3, 4},
       [](G, N n) { set_ints(n, "axes", {1}); set_int(n, "keepdims", 0); }, {2, 4}},
      {"ReduceSum-11 negative axes attribute", 12, "ReduceSum", {2, 3, 4},
       [](G, N n) { set_ints(n, "axes", {-1}); }, {2, 3, 1}},
      {"ReduceSum-13 axes input", 13, "ReduceSum", {2, 3, 4},
       [](G g, N n) { add_ints(g, "ax", {1}, {0}); n->add_input("ax"); }, {1, 3, 4}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what + " at opset " + std::to_string(c.opset));
    auto m = make_model(c.opset);
    auto* g = m.mutable_graph();
    add_input(g, "x", onnx::TensorProto::FLOAT, c.x);
    auto* n = add_node(g, c.op, {"x"}, {"y"}, "n");
    c.finish(g, n);
    g->add_output()->set_name("y");
    const Dims d = both(m);
    EXPECT_EQ(d.ours, d.onnx);
    EXPECT_EQ(d.ours, c.expected);
  }
}

TEST(OldOpsetTest, FormOfTheWrongOpsetIsRefused) {
  // ReduceSum-13 takes axes as an input; an attribute there is not what the model means.
  auto m = make_model(13);
  auto* g = m.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {2, 3});
  set_ints(add_node(g, "ReduceSum", {"x"}, {"y"}, "sum"), "axes", {1});
  g->add_output()->set_name("y");
  auto graph = import_onnx_model(m, "");
  ASSERT_TRUE(graph.ok()) << graph.error().message();
  const Status s = infer_shapes(*graph);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.error().message(), "ReduceSum node 'sum'")) << s.error().message();
  EXPECT_TRUE(contains(s.error().message(), "not an attribute")) << s.error().message();
  // Reshape-1 (its `shape` an attribute) predates the oldest opset we model: refused.
  auto reshape1 = unary_model(4, "Reshape");
  EXPECT_TRUE(contains(import_error(reshape1), "version 4 is outside"));
}

// PRelu-6: a slope of lower rank than X is one value per channel, aligned at X's axis 1
// (Caffe2's layout); from opset 7 slope broadcasts numpy-style from the right.
TEST(OldOpsetTest, Opset6PReluPerChannelSlopeMatchesOnnx) {
  struct SlopeCase {
    int64_t opset;
    V slope;
  };
  for (const auto& c : std::vector<SlopeCase>{{6, {3}}, {6, {1}}, {6, {3, 4}}, {6, {2, 3, 4, 5}},
                                               {9, {5}}, {9, {3, 1, 1}}}) {
    SCOPED_TRACE("opset " + std::to_string(c.opset) + " slope rank " +
                 std::to_string(c.slope.size()));
    auto m = make_model(c.opset);
    auto* g = m.mutable_graph();
    add_input(g, "x", onnx::TensorProto::FLOAT, {2, 3, 4, 5});
    int64_t n = 1;
    for (int64_t d : c.slope) n *= d;
    add_floats(g, "slope", c.slope, std::vector<float>(static_cast<std::size_t>(n), 0.25f));
    add_node(g, "PRelu", {"x", "slope"}, {"y"}, "p");
    g->add_output()->set_name("y");
    const Dims d = both(m);
    EXPECT_EQ(d.ours, d.onnx);
    EXPECT_EQ(d.ours, (V{2, 3, 4, 5}));
  }
  // At opset 9 a [3] slope aligns with X's last axis (5): not unidirectionally broadcastable.
  auto m = make_model(9);
  auto* g = m.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {2, 3, 4, 5});
  add_floats(g, "slope", {3}, {0.1f, 0.2f, 0.3f});
  add_node(g, "PRelu", {"x", "slope"}, {"y"}, "p");
  g->add_output()->set_name("y");
  auto graph = import_onnx_model(m, "");
  ASSERT_TRUE(graph.ok());
  const Status s = infer_shapes(*graph);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.error().message(), "PRelu node 'p'")) << s.error().message();
}

// ---- graph structure ---------------------------------------------------------------------------

TEST(GraphStructureTest, GraphWithoutOutputsIsRefused) {
  auto m = unary_model(17, "Relu");
  m.mutable_graph()->clear_output();
  auto graph = import_onnx_model(m, "");
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(graph.error().message(), "the graph has no outputs"))
      << graph.error().message();
}

// ONNX IR.md: an initializer named like a graph input is the input's default value. graphs
// reads it as the initializer (a weight), and refuses a declaration that disagrees with it.
TEST(GraphStructureTest, InputShadowingAnInitializerMustAgreeWithIt) {
  auto model = [](int elem_type, const V& declared) {
    auto m = make_model(17);
    auto* g = m.mutable_graph();
    add_input(g, "w", elem_type, declared);
    add_floats(g, "w", {4, 2}, std::vector<float>(8, 1.0f));
    add_input(g, "x", onnx::TensorProto::FLOAT, {3, 4});
    add_node(g, "MatMul", {"x", "w"}, {"y"}, "mm");
    g->add_output()->set_name("y");
    return m;
  };
  std::string msg = import_error(model(onnx::TensorProto::FLOAT, {4, 3}));
  EXPECT_EQ(msg, "graph input 'w' is declared float32[4,3] but the initializer of that name, its "
                 "default value, is float32[4,2]");
  msg = import_error(model(onnx::TensorProto::INT64, {4, 2}));
  EXPECT_TRUE(contains(msg, "declared int64[4,2]")) << msg;
  EXPECT_TRUE(contains(import_error(model(onnx::TensorProto::FLOAT, {8})), "declared float32[8]"));

  auto graph = import_onnx_model(model(onnx::TensorProto::FLOAT, {4, 2}), "");
  ASSERT_TRUE(graph.ok()) << graph.error().message();
  ASSERT_EQ(graph->inputs.size(), 1u);
  EXPECT_EQ(graph->value(graph->inputs[0]).name, "x");
  EXPECT_EQ(graph->value(graph->find_value("w")).kind, ValueKind::kInitializer);
  ASSERT_TRUE(infer_shapes(*graph).ok());
  auto ch = characterize(*graph, PrecisionMap{});
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  EXPECT_EQ(ch->params, 8);  // the default value counts as a weight
  EXPECT_EQ(ch->macs, 3 * 4 * 2);
  // A named dim in the declaration matches any size.
  auto named = model(onnx::TensorProto::FLOAT, {4, 2});
  named.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()
      ->mutable_shape()->mutable_dim(0)->set_dim_param("K");
  EXPECT_TRUE(import_onnx_model(named, "").ok());
}

// ---- element types -----------------------------------------------------------------------------

TEST(ElementTypeTest, EveryOnnxTypeHasItsNameAndSize) {
  // onnx.proto TensorProto.DataType, numbers 1–28, with their storage bits.
  const std::vector<std::pair<std::string, int>> types = {
      {"float32", 32},      {"uint8", 8},          {"int8", 8},
      {"uint16", 16},       {"int16", 16},         {"int32", 32},
      {"int64", 64},        {"string", 0},         {"bool", 8},
      {"float16", 16},      {"float64", 64},       {"uint32", 32},
      {"uint64", 64},       {"complex64", 64},     {"complex128", 128},
      {"bfloat16", 16},     {"float8e4m3fn", 8},   {"float8e4m3fnuz", 8},
      {"float8e5m2", 8},    {"float8e5m2fnuz", 8}, {"uint4", 4},
      {"int4", 4},          {"float4e2m1", 4},     {"float8e8m0", 8},
      {"uint2", 2},         {"int2", 2},           {"float6e2m3", 6},
      {"float6e3m2", 6}};
  for (std::size_t i = 0; i < types.size(); ++i) {
    const auto number = static_cast<int64_t>(i + 1);
    SCOPED_TRACE(number);
    const auto d = dtype_from_onnx(number);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(dtype_name(*d), types[i].first);
    EXPECT_EQ(dtype_bits(*d), types[i].second);
    EXPECT_EQ(dtype_from_name(types[i].first), d);
    EXPECT_EQ(onnx_type_description(number), types[i].first);
  }
  EXPECT_FALSE(dtype_from_onnx(29).has_value());
  EXPECT_FALSE(dtype_from_onnx(int64_t{1} << 32 | 1).has_value());  // never truncated to 1
  EXPECT_EQ(onnx_type_description(99), "unknown TensorProto.DataType 99");
  EXPECT_TRUE(is_integer(DType::kInt2) && is_integer(DType::kUInt2));
  EXPECT_TRUE(is_unsigned_integer(DType::kUInt2) && !is_unsigned_integer(DType::kInt2));
  EXPECT_TRUE(is_floating(DType::kFloat8E8M0) && is_floating(DType::kFloat6E2M3));
}

TEST(ElementTypeTest, NewTypesImportAndUnknownOnesAreNamed) {
  for (int number : {24, 25, 26, 27, 28}) {
    SCOPED_TRACE(number);
    auto m = make_model(kNewestOnnxOpset);
    auto* g = m.mutable_graph();
    add_input(g, "x", number, {4, 8});
    set_int(add_node(g, "Cast", {"x"}, {"y"}, "c"), "to", onnx::TensorProto::FLOAT);
    g->add_output()->set_name("y");
    auto graph = import_onnx_model(m, "");
    ASSERT_TRUE(graph.ok()) << graph.error().message();
    const Value& x = graph->value(graph->find_value("x"));
    EXPECT_EQ(x.type.dtype, *dtype_from_onnx(number));
    ASSERT_TRUE(infer_shapes(*graph).ok());
    EXPECT_EQ(graph->value(graph->find_value("y")).type, TensorType::make(DType::kFloat32, {4, 8}));
  }
  auto m = make_model(17);
  add_input(m.mutable_graph(), "x", 99, {2});
  EXPECT_TRUE(contains(import_error(m), "graph input 'x': elem_type is an unknown "
                                        "TensorProto.DataType 99"));
  auto w = make_model(17);
  auto* t = w.mutable_graph()->add_initializer();
  t->set_name("w");
  t->set_data_type(29);
  EXPECT_TRUE(contains(import_error(w), "initializer 'w': data_type is an unknown "
                                        "TensorProto.DataType 29"));
}

// Values packed as onnx.proto describes, checked against onnx.numpy_helper.to_array (onnx 1.23)
// and ml_dtypes: raw 08 FB 05 as float6e2m3 is [1, -1.5, 7.5, 0.125].
TEST(ElementTypeTest, SubByteAndScaleTypesDecode) {
  using onnx_detail::decode_raw;
  auto i2 = decode_raw(DType::kInt2, std::string("\xe4", 1), 4);  // 0b11'10'01'00
  ASSERT_TRUE(i2.ok());
  EXPECT_EQ(i2->ints, (V{0, 1, -2, -1}));
  auto u2 = decode_raw(DType::kUInt2, std::string("\xe4\x03", 2), 5);
  ASSERT_TRUE(u2.ok());
  EXPECT_EQ(u2->ints, (V{0, 1, 2, 3, 3}));
  auto e2m3 = decode_raw(DType::kFloat6E2M3, std::string("\x08\xfb\x05", 3), 4);
  ASSERT_TRUE(e2m3.ok());
  EXPECT_EQ(e2m3->floats, (std::vector<double>{1.0, -1.5, 7.5, 0.125}));
  auto e3m2 = decode_raw(DType::kFloat6E3M2, std::string("\xcc\x07", 2), 2);
  ASSERT_TRUE(e3m2.ok());
  EXPECT_EQ(e3m2->floats, (std::vector<double>{1.0, 28.0}));
  auto e8m0 = decode_raw(DType::kFloat8E8M0, std::string("\x7f\x80\x00\xff", 4), 4);
  ASSERT_TRUE(e8m0.ok());
  EXPECT_EQ(e8m0->floats[0], 1.0);
  EXPECT_EQ(e8m0->floats[1], 2.0);
  EXPECT_EQ(e8m0->floats[2], std::ldexp(1.0, -127));
  EXPECT_TRUE(std::isnan(e8m0->floats[3]));
  // A wrong byte count for the packing is an error: 5 int2 take 2 bytes.
  EXPECT_FALSE(decode_raw(DType::kInt2, std::string("\xe4", 1), 5).ok());

  // int32_data: 2-bit quads one byte an entry (onnx.helper.make_tensor stores [0,1,-2,-1] as
  // 228); float6 one element an entry.
  auto m = make_model(kNewestOnnxOpset);
  auto* g = m.mutable_graph();
  auto* q = g->add_initializer();
  q->set_name("q");
  q->set_data_type(26);
  q->add_dims(4);
  q->add_int32_data(228);
  auto* f = g->add_initializer();
  f->set_name("f");
  f->set_data_type(27);
  f->add_dims(4);
  for (int v : {8, 44, 31, 1}) f->add_int32_data(v);
  g->add_output()->set_name("q");
  auto graph = import_onnx_model(m, "");
  ASSERT_TRUE(graph.ok()) << graph.error().message();
  EXPECT_EQ(graph->value(graph->find_value("q")).data->ints, (V{0, 1, -2, -1}));
  EXPECT_EQ(graph->value(graph->find_value("f")).data->floats,
            (std::vector<double>{1.0, -1.5, 7.5, 0.125}));
}

// ---- sequences and optionals -------------------------------------------------------------------

TEST(NonTensorTest, SequenceAndOptionalOpsAreRefusedNamingTheOp) {
  auto m = make_model(17);
  auto* g = m.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {2, 3});
  add_node(g, "SequenceConstruct", {"x", "x"}, {"s"}, "pack");
  set_int(add_node(g, "ConcatFromSequence", {"s"}, {"y"}, "cat"), "axis", 0);
  g->add_output()->set_name("y");
  EXPECT_EQ(import_error(m), "SequenceConstruct node 'pack' (opset 17): sequence values are not "
                             "supported (SequenceConstruct makes or reads a sequence; graphs "
                             "models tensors only)");

  auto opt = make_model(18);
  auto* og = opt.mutable_graph();
  auto* vi = og->add_input();
  vi->set_name("o");
  vi->mutable_type()->mutable_optional_type()->mutable_elem_type()->mutable_tensor_type()
      ->set_elem_type(onnx::TensorProto::FLOAT);
  add_node(og, "OptionalGetElement", {"o"}, {"y"}, "get");
  og->add_output()->set_name("y");
  const std::string msg = import_error(opt);
  EXPECT_TRUE(contains(msg, "graph input 'o' is an optional")) << msg;
  EXPECT_TRUE(contains(msg, "(read by OptionalGetElement node 'get')")) << msg;
}

}  // namespace
}  // namespace graphs
