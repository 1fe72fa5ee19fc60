// Differential test: the output shapes of our shape and data-movement rules against ONNX's own
// shape inference (onnx::shape_inference::InferShapes from libonnx, which knows opsets ≤ 17 in
// the Debian build), one single-node model per case, parameter inputs given as initializers.
#include <gtest/gtest.h>

#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "shape_ops_test_util.h"

namespace graphs {
namespace {

using shape_ops_test::attrs;
using shape_ops_test::GraphBuilder;
using V = std::vector<int64_t>;
using F = std::vector<double>;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kUnknownDim = -1;

struct In {
  std::string name;  // "" = omitted optional input
  DType dtype = DType::kFloat32;
  V dims;
  std::optional<V> ints;    // initializer contents
  std::optional<F> floats;  // initializer contents
};

struct Case {
  std::string op;
  int opset;
  std::vector<In> inputs;
  Attributes attributes;
  int num_outputs = 1;
};

In x(const std::string& name, V dims, DType dtype = DType::kFloat32) {
  return In{name, dtype, std::move(dims), std::nullopt, std::nullopt};
}
In ints(const std::string& name, V dims, V values) {
  return In{name, DType::kInt64, std::move(dims), std::move(values), std::nullopt};
}
In floats(const std::string& name, V dims, F values) {
  return In{name, DType::kFloat32, std::move(dims), std::nullopt, std::move(values)};
}
In none() { return In{}; }

std::string out_name(int i) { return "y" + std::to_string(i); }

// Our output dims per output.
std::vector<V> ours(const Case& c) {
  GraphBuilder b(c.opset);
  std::vector<std::string> in_names;
  for (const In& in : c.inputs) {
    in_names.push_back(in.name);
    if (in.name.empty()) continue;
    if (in.ints) b.ints(in.name, in.dims, *in.ints, in.dtype);
    else if (in.floats) b.floats(in.name, in.dims, *in.floats, in.dtype);
    else b.input(in.name, in.dtype, in.dims);
  }
  std::vector<std::string> outs;
  for (int i = 0; i < c.num_outputs; ++i) outs.push_back(out_name(i));
  b.node(c.op, "n", in_names, outs, c.attributes);
  const Status s = b.infer();
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message());
  std::vector<V> result;
  if (!s.ok()) return result;
  for (const auto& o : outs) result.push_back(b.dims(o));
  return result;
}

void set_attribute(onnx::NodeProto* node, const std::string& name, const Attribute& a) {
  auto* p = node->add_attribute();
  p->set_name(name);
  if (const auto* i = std::get_if<int64_t>(&a)) {
    p->set_type(onnx::AttributeProto::INT);
    p->set_i(*i);
  } else if (const auto* f = std::get_if<double>(&a)) {
    p->set_type(onnx::AttributeProto::FLOAT);
    p->set_f(static_cast<float>(*f));
  } else if (const auto* s = std::get_if<std::string>(&a)) {
    p->set_type(onnx::AttributeProto::STRING);
    p->set_s(*s);
  } else if (const auto* is = std::get_if<std::vector<int64_t>>(&a)) {
    p->set_type(onnx::AttributeProto::INTS);
    for (int64_t v : *is) p->add_ints(v);
  } else if (const auto* fs = std::get_if<std::vector<double>>(&a)) {
    p->set_type(onnx::AttributeProto::FLOATS);
    for (double v : *fs) p->add_floats(static_cast<float>(v));
  } else {
    ADD_FAILURE() << "attribute '" << name << "' has a kind this test does not convert";
  }
}

// ONNX's output dims per output (empty list on failure, with a test failure); kUnknownDim where
// ONNX's inference leaves a dim open (it does for Slice-1 and OneHot, whose rules read no
// initializer contents).
std::vector<V> onnx_reference(const Case& c) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(c.opset);
  auto* graph = model.mutable_graph();
  graph->set_name("diff");
  auto* node = graph->add_node();
  node->set_op_type(c.op);
  node->set_name("n");
  for (const In& in : c.inputs) {
    node->add_input(in.name);
    if (in.name.empty()) continue;
    if (in.ints || in.floats) {
      auto* t = graph->add_initializer();
      t->set_name(in.name);
      t->set_data_type(static_cast<int32_t>(in.dtype));
      for (int64_t d : in.dims) t->add_dims(d);
      if (in.ints) {
        for (int64_t v : *in.ints) t->add_int64_data(v);
      } else {
        for (double v : *in.floats) t->add_float_data(static_cast<float>(v));
      }
      continue;
    }
    auto* vi = graph->add_input();
    vi->set_name(in.name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(static_cast<int32_t>(in.dtype));
    auto* shape = tt->mutable_shape();
    for (int64_t d : in.dims) shape->add_dim()->set_dim_value(d);
  }
  for (int i = 0; i < c.num_outputs; ++i) node->add_output(out_name(i));
  for (const auto& [name, value] : c.attributes.all()) set_attribute(node, name, value);
  try {
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(true, 1, true));
  } catch (const std::exception& e) {
    ADD_FAILURE() << "ONNX shape inference failed: " << e.what();
    return {};
  }
  std::vector<V> result;
  for (int i = 0; i < c.num_outputs; ++i) {
    const onnx::ValueInfoProto* info = nullptr;
    for (const auto& vi : graph->value_info()) {
      if (vi.name() == out_name(i)) info = &vi;
    }
    if (!info || !info->type().tensor_type().has_shape()) {
      ADD_FAILURE() << "ONNX inferred no shape for output " << i;
      return {};
    }
    V dims;
    for (const auto& d : info->type().tensor_type().shape().dim()) {
      dims.push_back(d.has_dim_value() ? d.dim_value() : kUnknownDim);
    }
    result.push_back(dims);
  }
  return result;
}

void check_against_onnx(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(c.op + " at opset " + std::to_string(c.opset));
    const auto expected = onnx_reference(c);
    auto got = ours(c);
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].size(), expected[i].size()) << "rank of output " << i;
      for (std::size_t d = 0; d < got[i].size(); ++d) {
        if (expected[i][d] == kUnknownDim) got[i][d] = kUnknownDim;  // ONNX has no answer here
      }
    }
    EXPECT_EQ(got, expected);
  }
}

TEST(ShapeOpsTest, MatchesOnnxShapeInference) {
  check_against_onnx({
      {"Shape", 15, {x("a", {2, 3, 4, 5})}, attrs({{"start", int64_t{1}}, {"end", int64_t{-1}}})},
      {"Shape", 15, {x("a", {2, 3, 4, 5})}, attrs({{"start", int64_t{-9}}})},
      {"Size", 13, {x("a", {2, 3})}, {}},
      {"Reshape", 13, {x("a", {2, 3, 4}), ints("t", {2}, {0, -1})}, {}},
      {"Reshape", 13, {x("a", {2, 3, 4}), ints("t", {3}, {-1, 0, 2})}, {}},
      {"Reshape", 14, {x("a", {2, 0}), ints("t", {2}, {0, 5})}, attrs({{"allowzero", int64_t{1}}})},
      {"Flatten", 13, {x("a", {2, 3, 4, 5})}, attrs({{"axis", int64_t{-1}}})},
      {"Flatten", 13, {x("a", {2, 3, 4, 5})}, attrs({{"axis", int64_t{0}}})},
      {"Squeeze", 11, {x("a", {1, 3, 1, 5})}, attrs({{"axes", V{0, -2}}})},
      {"Squeeze", 13, {x("a", {1, 3, 1, 5}), ints("ax", {1}, {2})}, {}},
      {"Squeeze", 13, {x("a", {1, 3, 1, 5})}, {}},
      {"Unsqueeze", 11, {x("a", {3, 4})}, attrs({{"axes", V{0, -1}}})},
      {"Unsqueeze", 13, {x("a", {3, 4}), ints("ax", {2}, {3, 1})}, {}},
      {"ConstantOfShape", 13, {ints("s", {3}, {2, 3, 4})}, {}},
      {"Range", 13, {ints("s", {}, {10}), ints("l", {}, {1}), ints("d", {}, {-3})}, {}},
      {"EyeLike", 13, {x("a", {3, 5})}, attrs({{"k", int64_t{2}}})},
  });
}

TEST(DataMovementOpsTest, MatchesOnnxShapeInference) {
  check_against_onnx({
      {"Transpose", 13, {x("a", {2, 3, 4})}, {}},
      {"Transpose", 13, {x("a", {2, 3, 4})}, attrs({{"perm", V{1, 2, 0}}})},
      {"Concat", 13, {x("a", {2, 3}), x("b", {2, 5})}, attrs({{"axis", int64_t{-1}}})},
      {"Split", 11, {x("a", {7, 2})}, attrs({{"split", V{3, 4}}}), 2},
      {"Split", 13, {x("a", {2, 6}), ints("s", {3}, {1, 2, 3})}, attrs({{"axis", int64_t{1}}}), 3},
      {"Split", 13, {x("a", {6, 2})}, {}, 3},
      {"Slice", 13,
       {x("a", {10, 6}), ints("s", {1}, {-1}), ints("e", {1}, {kMin}), none(),
        ints("st", {1}, {-1})},
       {}},
      {"Slice", 13,
       {x("a", {10, 6}), ints("s", {2}, {2, 8}), ints("e", {2}, {kMax, 1}), ints("ax", {2}, {0, -1}),
        ints("st", {2}, {3, -2})},
       {}},
      {"Slice", 13, {x("a", {10}), ints("s", {1}, {100}), ints("e", {1}, {kMax})}, {}},
      {"Slice", 13,
       {x("a", {10}), ints("s", {1}, {-100}), ints("e", {1}, {-100}), none(), ints("st", {1}, {-1})},
       {}},
      {"Slice", 9, {x("a", {5, 6})}, attrs({{"starts", V{1}}, {"ends", V{-1}}, {"axes", V{1}}})},
      {"Gather", 13, {x("a", {5, 6, 7}), x("i", {2, 3}, DType::kInt64)}, attrs({{"axis", int64_t{1}}})},
      {"Gather", 13, {x("a", {5, 6}), ints("i", {}, {-1})}, {}},
      {"GatherElements", 13, {x("a", {4, 5}), x("i", {4, 2}, DType::kInt64)},
       attrs({{"axis", int64_t{1}}})},
      {"GatherND", 13, {x("a", {2, 3, 4, 5}), x("i", {2, 7, 2}, DType::kInt64)},
       attrs({{"batch_dims", int64_t{1}}})},
      {"ScatterND", 16, {x("a", {4, 5, 6}), x("i", {3, 2}, DType::kInt64), x("u", {3, 6})}, {}},
      {"ScatterElements", 16, {x("a", {4, 5}), x("i", {2, 2}, DType::kInt64), x("u", {2, 2})}, {}},
      {"Expand", 13, {x("a", {3, 1}), ints("s", {3}, {2, 1, 4})}, {}},
      {"Tile", 13, {x("a", {2, 3}), ints("r", {2}, {3, 2})}, {}},
      {"Pad", 13, {x("a", {1, 3, 8, 8}), ints("p", {8}, {0, 0, 1, -2, 0, 0, 3, 4})}, {}},
      {"Pad", 2, {x("a", {2, 3})}, attrs({{"pads", V{1, 0, 2, 1}}})},
      {"Resize", 13, {x("a", {1, 3, 10, 10}), none(), floats("sc", {4}, {1, 1, 1.9, 0.5})}, {}},
      {"Resize", 13, {x("a", {1, 3, 10, 10}), none(), floats("sc", {4}, {1, 1, 2, 1.5})},
       attrs({{"mode", std::string("linear")}})},
      {"Resize", 11,
       {x("a", {1, 3, 10, 10}), floats("roi", {0}, {}), floats("sc", {0}, {}),
        ints("sz", {4}, {1, 3, 7, 9})},
       {}},
      {"Resize", 10, {x("a", {1, 1, 2, 2}), floats("sc", {4}, {1, 1, 3, 3})}, {}},
      {"Upsample", 9, {x("a", {1, 2, 3, 3}), floats("sc", {4}, {1, 1, 2, 2.5})}, {}},
      {"DepthToSpace", 13, {x("a", {1, 8, 3, 5})}, attrs({{"blocksize", int64_t{2}}})},
      {"SpaceToDepth", 13, {x("a", {1, 2, 6, 10})}, attrs({{"blocksize", int64_t{2}}})},
      {"TopK", 11, {x("a", {2, 100}), ints("k", {1}, {5})}, attrs({{"axis", int64_t{-1}}}), 2},
      {"OneHot", 11, {x("i", {2, 3}, DType::kInt64), ints("d", {}, {10}), floats("v", {2}, {0, 1})},
       attrs({{"axis", int64_t{0}}})},
      {"CumSum", 14, {x("a", {4, 8}), ints("ax", {}, {1})}, {}},
      {"Trilu", 14, {x("a", {3, 4, 5})}, {}},
  });
}

}  // namespace
}  // namespace graphs
