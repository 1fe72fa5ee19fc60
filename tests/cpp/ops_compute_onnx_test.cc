// Differential tests: our shape rules for the compute families against ONNX's own shape inference
// (libonnx, onnx::shape_inference::InferShapes) on randomly drawn, valid configurations.
//
// libonnx here is 1.12 (opsets ≤ 17). Two documented differences are checked explicitly rather
// than skipped: pooling with ceil_mode drops a last window that starts in the right padding
// (ONNX ≥ 1.16, PyTorch), and ConvTranspose SAME padding is compared only where both agree.
#include <gtest/gtest.h>

#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "graphs/analysis/shape_inference.h"
#include "graphs/ir/graph.h"

namespace graphs {
namespace {

using Dims = std::vector<int64_t>;

struct Case {
  std::string op_type;
  int opset = 13;
  std::vector<Dims> inputs;                      // float32 inputs
  std::vector<std::pair<std::string, Attribute>> attrs;
  std::optional<Dims> int64_input;               // appended as a constant int64 input (axes)
};

std::string describe(const Case& c) {
  std::string s = c.op_type + "-" + std::to_string(c.opset) + " inputs";
  for (const auto& d : c.inputs) {
    s += " [";
    for (std::size_t i = 0; i < d.size(); ++i) s += (i ? "," : "") + std::to_string(d[i]);
    s += "]";
  }
  for (const auto& [name, value] : c.attrs) {
    s += " " + name + "=";
    if (auto* i = std::get_if<int64_t>(&value)) s += std::to_string(*i);
    if (auto* str = std::get_if<std::string>(&value)) s += *str;
    if (auto* v = std::get_if<std::vector<int64_t>>(&value)) {
      for (int64_t x : *v) s += std::to_string(x) + ",";
    }
  }
  return s;
}

// ONNX's inferred output 0 shape, or nullopt when ONNX rejects the node or infers no shape.
std::optional<Dims> onnx_shape(const Case& c) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(c.opset);
  auto* g = model.mutable_graph();
  g->set_name("g");
  auto* node = g->add_node();
  node->set_op_type(c.op_type);
  auto add_input = [&](const std::string& name, int elem_type, const Dims& dims) {
    auto* vi = g->add_input();
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem_type);
    for (int64_t d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
    node->add_input(name);
  };
  for (std::size_t i = 0; i < c.inputs.size(); ++i) {
    add_input("in" + std::to_string(i), onnx::TensorProto::FLOAT, c.inputs[i]);
  }
  if (c.int64_input) {
    add_input("axes", onnx::TensorProto::INT64, {static_cast<int64_t>(c.int64_input->size())});
    auto* init = g->add_initializer();
    init->set_name("axes");
    init->set_data_type(onnx::TensorProto::INT64);
    init->add_dims(static_cast<int64_t>(c.int64_input->size()));
    for (int64_t a : *c.int64_input) init->add_int64_data(a);
  }
  node->add_output("y");
  g->add_output()->set_name("y");
  for (const auto& [name, value] : c.attrs) {
    auto* a = node->add_attribute();
    a->set_name(name);
    if (auto* i = std::get_if<int64_t>(&value)) {
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(*i);
    } else if (auto* f = std::get_if<double>(&value)) {
      a->set_type(onnx::AttributeProto::FLOAT);
      a->set_f(static_cast<float>(*f));
    } else if (auto* s = std::get_if<std::string>(&value)) {
      a->set_type(onnx::AttributeProto::STRING);
      a->set_s(*s);
    } else if (auto* v = std::get_if<std::vector<int64_t>>(&value)) {
      a->set_type(onnx::AttributeProto::INTS);
      for (int64_t x : *v) a->add_ints(x);
    }
  }
  try {
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(false, 1, false));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const auto& type = model.graph().output(0).type();
  if (!type.has_tensor_type() || !type.tensor_type().has_shape()) return std::nullopt;
  Dims dims;
  for (const auto& d : type.tensor_type().shape().dim()) {
    if (!d.has_dim_value()) return std::nullopt;
    dims.push_back(d.dim_value());
  }
  return dims;
}

// Our inferred output 0 shape, or nullopt when our rule rejects the node.
std::optional<Dims> our_shape(const Case& c) {
  Graph g;
  Node node;
  node.op_type = c.op_type;
  node.opset = c.opset;
  node.name = "n";
  for (std::size_t i = 0; i < c.inputs.size(); ++i) {
    const ValueId id = g.add_value({.name = "in" + std::to_string(i),
                                    .type = TensorType::make(DType::kFloat32, c.inputs[i]),
                                    .kind = ValueKind::kGraphInput});
    g.inputs.push_back(id);
    node.inputs.push_back(id);
  }
  if (c.int64_input) {
    const ValueId id = g.add_value(
        {.name = "axes",
         .type = TensorType::make(DType::kInt64, {static_cast<int64_t>(c.int64_input->size())}),
         .kind = ValueKind::kInitializer,
         .data = ConstData::of_ints(*c.int64_input)});
    g.initializers.push_back(id);
    node.inputs.push_back(id);
  }
  for (const auto& [name, value] : c.attrs) node.attrs.set(name, value);
  const ValueId y = g.add_value({.name = "y"});
  g.value(y).is_graph_output = true;
  g.outputs.push_back(y);
  node.outputs.push_back(y);
  g.add_node(node);
  if (!infer_shapes(g).ok()) return std::nullopt;
  return g.value(y).type.dims();
}

class Rng {
 public:
  explicit Rng(unsigned seed) : gen_(seed) {}
  int64_t in(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(gen_); }
  bool coin() { return in(0, 1) == 1; }
  template <typename T>
  const T& pick(const std::vector<T>& v) { return v[static_cast<std::size_t>(in(0, static_cast<int64_t>(v.size()) - 1))]; }

 private:
  std::mt19937 gen_;
};

// Expects equal shapes for cases both accept.
void expect_same(const Case& c, int* compared) {
  const auto ours = our_shape(c);
  const auto theirs = onnx_shape(c);
  if (!theirs) return;  // ONNX 1.12 infers no shape (e.g. an attribute it does not know)
  ASSERT_TRUE(ours.has_value()) << "we reject what ONNX accepts: " << describe(c);
  EXPECT_EQ(*ours, *theirs) << describe(c);
  ++*compared;
}

// Random sliding-window geometry attributes; `max_dilation` 1 leaves dilations out.
void add_window_attrs(Rng& r, Case& c, std::size_t n, const Dims& kernel, bool pool,
                      int64_t max_dilation) {
  Dims strides, dilations, pads;
  for (std::size_t i = 0; i < n; ++i) {
    strides.push_back(r.in(1, 3));
    dilations.push_back(r.in(1, max_dilation));
  }
  for (std::size_t i = 0; i < 2 * n; ++i) pads.push_back(r.in(0, std::max<int64_t>(0, kernel[i % n] - 1)));
  c.attrs.push_back({"strides", strides});
  if (max_dilation > 1) c.attrs.push_back({"dilations", dilations});
  const std::string pad_mode = r.pick<std::string>({"pads", "pads", "SAME_UPPER", "SAME_LOWER", "VALID"});
  if (pad_mode == "pads") {
    c.attrs.push_back({"pads", pads});
  } else {
    c.attrs.push_back({"auto_pad", pad_mode});
  }
  if (pool) {
    c.attrs.push_back({"kernel_shape", kernel});
    if (r.coin()) c.attrs.push_back({"ceil_mode", int64_t{1}});
  }
}

TEST(ConvOpsTest, MatchesOnnxShapeInferenceOnRandomConfigs) {
  Rng r(20240611);
  int compared = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const std::size_t n = static_cast<std::size_t>(r.in(1, 3));
    const int64_t group = r.pick<int64_t>({1, 1, 2, 4});
    const int64_t c_in = group * r.in(1, 3);
    const int64_t m = group * r.in(1, 3);
    Dims x = {r.in(1, 2), c_in};
    Dims w = {m, c_in / group};
    Dims kernel;
    for (std::size_t i = 0; i < n; ++i) {
      kernel.push_back(r.in(1, 4));
      x.push_back(r.in(9, 20));
      w.push_back(kernel.back());
    }
    Case c{.op_type = "Conv", .opset = r.pick<int>({11, 13, 17}), .inputs = {x, w}};
    if (group > 1) c.attrs.push_back({"group", group});
    add_window_attrs(r, c, n, kernel, false, 2);
    expect_same(c, &compared);
  }
  EXPECT_GT(compared, 300);
}

TEST(PoolOpsTest, MatchesOnnxShapeInferenceOnRandomConfigs) {
  Rng r(7);
  int compared = 0;
  int dropped_windows = 0;
  for (int trial = 0; trial < 600; ++trial) {
    const std::size_t n = static_cast<std::size_t>(r.in(1, 3));
    Dims x = {r.in(1, 2), r.in(1, 4)};
    Dims kernel;
    for (std::size_t i = 0; i < n; ++i) {
      kernel.push_back(r.in(1, 4));
      x.push_back(r.in(9, 20));
    }
    const bool max_pool = r.coin();
    Case c{.op_type = max_pool ? "MaxPool" : "AveragePool", .opset = max_pool ? 12 : 11,
           .inputs = {x}};
    add_window_attrs(r, c, n, kernel, true, max_pool ? 2 : 1);
    const auto ours = our_shape(c);
    const auto theirs = onnx_shape(c);
    if (!theirs) continue;
    ASSERT_TRUE(ours.has_value()) << describe(c);
    ++compared;
    if (*ours == *theirs) continue;
    // The only allowed difference: ceil_mode windows starting in the right padding, dropped.
    ASSERT_EQ(ours->size(), theirs->size());
    for (std::size_t i = 2; i < ours->size(); ++i) {
      if ((*ours)[i] == (*theirs)[i]) continue;
      EXPECT_EQ((*ours)[i] + 1, (*theirs)[i]) << describe(c);
      ++dropped_windows;
    }
  }
  EXPECT_GT(compared, 450);
  EXPECT_GT(dropped_windows, 0);  // the corner case was exercised
}

TEST(ConvOpsTest, ConvTransposeMatchesOnnxShapeInference) {
  Rng r(99);
  int compared = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const std::size_t n = static_cast<std::size_t>(r.in(1, 3));
    const int64_t group = r.pick<int64_t>({1, 2});
    const int64_t c_in = group * r.in(1, 3);
    Dims x = {r.in(1, 2), c_in};
    Dims w = {c_in, r.in(1, 3)};
    Dims strides, dilations, pads, output_padding;
    bool same_ok = true;
    for (std::size_t i = 0; i < n; ++i) {
      x.push_back(r.in(3, 10));
      w.push_back(r.in(1, 4));
      strides.push_back(r.in(1, 3));
      dilations.push_back(r.in(1, 2));
      output_padding.push_back(r.in(0, std::max(strides[i], dilations[i]) - 1));
      if ((w.back() - 1) * dilations[i] + 1 < strides[i] || output_padding[i] != 0) same_ok = false;
    }
    for (std::size_t i = 0; i < 2 * n; ++i) pads.push_back(r.in(0, 1));
    Case c{.op_type = "ConvTranspose", .opset = 11, .inputs = {x, w}};
    if (group > 1) c.attrs.push_back({"group", group});
    c.attrs.push_back({"strides", strides});
    c.attrs.push_back({"dilations", dilations});
    c.attrs.push_back({"output_padding", output_padding});
    if (same_ok && r.coin()) {
      c.attrs.push_back({"auto_pad", std::string(r.coin() ? "SAME_UPPER" : "SAME_LOWER")});
    } else {
      c.attrs.push_back({"pads", pads});
    }
    expect_same(c, &compared);
  }
  EXPECT_GT(compared, 250);
}

TEST(MatMulOpsTest, MatchesOnnxShapeInferenceOnRandomShapes) {
  Rng r(5);
  int compared = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const int64_t m = r.in(1, 5), k = r.in(1, 5), n = r.in(1, 5);
    Dims a = {m, k}, b = {k, n};
    for (int64_t i = r.in(0, 2); i > 0; --i) a.insert(a.begin(), r.pick<int64_t>({1, 3}));
    for (int64_t i = r.in(0, 2); i > 0; --i) b.insert(b.begin(), r.pick<int64_t>({1, 3}));
    if (r.in(0, 5) == 0) a = {k};
    if (r.in(0, 5) == 0) b = {k};
    expect_same({.op_type = "MatMul", .inputs = {a, b}}, &compared);

    const bool ta = r.coin(), tb = r.coin();
    Case gemm{.op_type = "Gemm", .inputs = {ta ? Dims{k, m} : Dims{m, k}, tb ? Dims{n, k} : Dims{k, n}}};
    gemm.inputs.push_back(r.pick<Dims>({{n}, {m, 1}, {1, n}, {m, n}, {1}}));
    gemm.attrs = {{"transA", int64_t{ta}}, {"transB", int64_t{tb}}};
    expect_same(gemm, &compared);
  }
  for (const auto& [eq, shapes] : std::vector<std::pair<std::string, std::vector<Dims>>>{
           {"bhqd,bhkd->bhqk", {{2, 3, 5, 4}, {2, 3, 6, 4}}},
           {"ij,jk", {{3, 4}, {4, 5}}},
           {"...ij,...jk->...ik", {{7, 3, 4}, {4, 5}}},
           {"bij->bji", {{2, 3, 4}}},
           {"ii->i", {{3, 3}}},
           {"i,j->ij", {{3}, {4}}},
           {"bn,anm,bm->ba", {{2, 3}, {5, 3, 4}, {2, 4}}},
       }) {
    expect_same({.op_type = "Einsum", .opset = 12, .inputs = shapes,
                 .attrs = {{"equation", eq}}},
                &compared);
  }
  EXPECT_GT(compared, 550);
}

TEST(ReductionOpsTest, MatchesOnnxShapeInferenceOnRandomAxes) {
  Rng r(11);
  int compared = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const std::size_t rank = static_cast<std::size_t>(r.in(1, 4));
    Dims x;
    for (std::size_t i = 0; i < rank; ++i) x.push_back(r.in(1, 5));
    Dims axes;
    for (int64_t a = -static_cast<int64_t>(rank); a < static_cast<int64_t>(rank); ++a) {
      const bool dup = std::find(axes.begin(), axes.end(), a < 0 ? a + static_cast<int64_t>(rank)
                                                                  : a - static_cast<int64_t>(rank)) != axes.end();
      if (!dup && r.in(0, 3) == 0) axes.push_back(a);
    }
    const int64_t keepdims = r.coin();
    Case attr_form{.op_type = r.pick<std::string>({"ReduceMean", "ReduceMax", "ReduceL2"}),
                   .opset = 13, .inputs = {x}, .attrs = {{"keepdims", keepdims}}};
    if (!axes.empty()) attr_form.attrs.push_back({"axes", axes});
    expect_same(attr_form, &compared);

    Case input_form{.op_type = "ReduceSum", .opset = 13, .inputs = {x},
                    .attrs = {{"keepdims", keepdims}}, .int64_input = axes};
    expect_same(input_form, &compared);

    const int64_t axis = r.in(-static_cast<int64_t>(rank), static_cast<int64_t>(rank) - 1);
    expect_same({.op_type = "ArgMin", .opset = 13, .inputs = {x},
                 .attrs = {{"axis", axis}, {"keepdims", keepdims}}},
                &compared);
  }
  EXPECT_GT(compared, 550);
}

}  // namespace
}  // namespace graphs
