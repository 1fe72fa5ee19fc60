// Differential test of the op families added for ONNX coverage (recurrent, spatial sampling,
// signal, selection, loss, random, strings): our output shapes and element types against ONNX's
// own shape inference (onnx::shape_inference::InferShapes from libonnx), one single-node model
// per case, with scalar and shape inputs given as initializers.
//
// libonnx here is 1.12 and knows opsets ≤ 17: the opset-18+ forms (Col2Im, AffineGrid,
// GridSample-20, DFT-20, Attention, RotaryEmbedding) are checked against the spec by hand in
// ops_attention_test.cc and ops_signal_spatial_test.cc. Where ONNX's inference leaves a dim open
// (Unique's and NonMaxSuppression's data-dependent lengths, RNN outputs without hidden_size) only
// the rank and the dims it states are compared.
#include <gtest/gtest.h>

#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

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

constexpr int64_t kOpen = -1;  // a dim ONNX's inference leaves open

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

struct Out {
  DType dtype = DType::kUndefined;
  V dims;
  bool operator==(const Out& o) const { return dtype == o.dtype && dims == o.dims; }
};

std::ostream& operator<<(std::ostream& os, const Out& o) {
  os << dtype_name(o.dtype) << "[";
  for (std::size_t i = 0; i < o.dims.size(); ++i) os << (i ? "," : "") << o.dims[i];
  return os << "]";
}

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

std::vector<Out> ours(const Case& c) {
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
  std::vector<Out> result;
  if (!s.ok()) return result;
  for (const auto& o : outs) result.push_back({b.value(o).type.dtype, b.dims(o)});
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
  } else if (const auto* ss = std::get_if<std::vector<std::string>>(&a)) {
    p->set_type(onnx::AttributeProto::STRINGS);
    for (const auto& v : *ss) p->add_strings(v);
  } else {
    ADD_FAILURE() << "attribute '" << name << "' has a kind this test does not convert";
  }
}

std::vector<Out> onnx_reference(const Case& c) {
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
  std::vector<Out> result;
  for (int i = 0; i < c.num_outputs; ++i) {
    const onnx::ValueInfoProto* info = nullptr;
    for (const auto& vi : graph->value_info()) {
      if (vi.name() == out_name(i)) info = &vi;
    }
    if (!info || !info->type().tensor_type().has_shape()) {
      ADD_FAILURE() << "ONNX inferred no shape for output " << i;
      return {};
    }
    Out o;
    o.dtype = static_cast<DType>(info->type().tensor_type().elem_type());
    for (const auto& d : info->type().tensor_type().shape().dim()) {
      o.dims.push_back(d.has_dim_value() ? d.dim_value() : kOpen);
    }
    result.push_back(o);
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
      ASSERT_EQ(got[i].dims.size(), expected[i].dims.size()) << "rank of output " << i;
      for (std::size_t d = 0; d < got[i].dims.size(); ++d) {
        if (expected[i].dims[d] == kOpen) got[i].dims[d] = kOpen;  // ONNX has no answer here
      }
    }
    EXPECT_EQ(got, expected);
  }
}

const Attribute kBidirectional = std::string("bidirectional");

TEST(RecurrentOpsTest, MatchesOnnxShapeInference) {
  check_against_onnx({
      {"RNN", 14, {x("x", {5, 3, 10}), x("w", {1, 20, 10}), x("r", {1, 20, 20}), x("b", {1, 40})},
       attrs({{"hidden_size", int64_t{20}}}), 2},
      {"RNN", 14,
       {x("x", {3, 5, 10}), x("w", {2, 20, 10}), x("r", {2, 20, 20}), none(), none(),
        x("h0", {3, 2, 20})},
       attrs({{"hidden_size", int64_t{20}}, {"direction", kBidirectional}, {"layout", int64_t{1}}}),
       2},
      {"RNN", 7, {x("x", {5, 3, 10}), x("w", {1, 20, 10}), x("r", {1, 20, 20})}, {}, 2},
      {"GRU", 14,
       {x("x", {7, 2, 16}), x("w", {2, 96, 16}), x("r", {2, 96, 32}), x("b", {2, 192}),
        x("sl", {2}, DType::kInt32), x("h0", {2, 2, 32})},
       attrs({{"hidden_size", int64_t{32}}, {"direction", kBidirectional},
              {"linear_before_reset", int64_t{1}}}),
       2},
      {"GRU", 7, {x("x", {7, 2, 16}), x("w", {1, 24, 16}), x("r", {1, 24, 8})},
       attrs({{"hidden_size", int64_t{8}}, {"direction", std::string("reverse")}}), 2},
      {"LSTM", 14,
       {x("x", {6, 4, 12}), x("w", {1, 64, 12}), x("r", {1, 64, 16}), x("b", {1, 128}),
        x("sl", {4}, DType::kInt32), x("h0", {1, 4, 16}), x("c0", {1, 4, 16}), x("p", {1, 48})},
       attrs({{"hidden_size", int64_t{16}}}), 3},
      {"LSTM", 14,
       {x("x", {4, 6, 12}), x("w", {2, 64, 12}), x("r", {2, 64, 16})},
       attrs({{"hidden_size", int64_t{16}}, {"direction", kBidirectional}, {"layout", int64_t{1}}}),
       3},
      {"LSTM", 7, {x("x", {6, 4, 12}), x("w", {1, 64, 12}), x("r", {1, 64, 16})},
       attrs({{"hidden_size", int64_t{16}}}), 3},
      // No hidden_size: ONNX leaves the hidden dim open, we read it from R.
      {"LSTM", 14, {x("x", {6, 4, 12}), x("w", {1, 64, 12}), x("r", {1, 64, 16})}, {}, 3},
  });
}

TEST(SpatialOpsTest, MatchesOnnxShapeInference) {
  check_against_onnx({
      {"GridSample", 16, {x("x", {2, 3, 10, 12}), x("g", {2, 5, 7, 2})}, {}},
      {"GridSample", 16, {x("x", {1, 8, 4, 4}), x("g", {1, 9, 3, 2})},
       attrs({{"mode", std::string("bicubic")}, {"padding_mode", std::string("border")},
              {"align_corners", int64_t{1}}})},
      {"RoiAlign", 16,
       {x("x", {2, 8, 20, 20}), x("r", {5, 4}), x("bi", {5}, DType::kInt64)},
       attrs({{"output_height", int64_t{7}}, {"output_width", int64_t{6}},
              {"sampling_ratio", int64_t{2}}})},
      {"RoiAlign", 10, {x("x", {1, 256, 14, 14}), x("r", {3, 4}), x("bi", {3}, DType::kInt64)},
       attrs({{"mode", std::string("max")}})},
  });
}

TEST(SignalOpsTest, MatchesOnnxShapeInference) {
  check_against_onnx({
      {"DFT", 17, {x("x", {2, 16, 1})}, {}},
      {"DFT", 17, {x("x", {2, 16, 1})}, attrs({{"onesided", int64_t{1}}})},
      {"DFT", 17, {x("x", {2, 16, 1}), ints("n", {}, {10})}, attrs({{"onesided", int64_t{1}}})},
      {"DFT", 17, {x("x", {2, 16, 2}), ints("n", {}, {20})}, attrs({{"inverse", int64_t{1}}})},
      {"DFT", 17, {x("x", {3, 8, 6, 2})}, attrs({{"axis", int64_t{2}}})},
      {"DFT", 17, {x("x", {3, 8, 6, 1})}, attrs({{"axis", int64_t{-2}}, {"onesided", int64_t{1}}})},
      // onesided stated: libonnx's inference does not apply the default 1 (the spec, and
      // ONNX's reference runtime, do; ops_signal_spatial_test.cc checks the default).
      {"STFT", 17, {x("s", {2, 100, 1}), ints("st", {}, {10}), x("w", {20})},
       attrs({{"onesided", int64_t{1}}})},
      {"STFT", 17, {x("s", {2, 100, 2}), ints("st", {}, {7}), none(), ints("fl", {}, {16})},
       attrs({{"onesided", int64_t{0}}})},
      {"MelWeightMatrix", 17,
       {ints("m", {}, {8}), ints("d", {}, {64}), ints("r", {}, {16000}), floats("lo", {}, {0}),
        floats("hi", {}, {8000})},
       attrs({{"output_datatype", int64_t{11}}})},
      {"HannWindow", 17, {ints("s", {}, {10})}, {}},
      {"HammingWindow", 17, {ints("s", {}, {7})}, attrs({{"output_datatype", int64_t{10}}})},
      {"BlackmanWindow", 17, {ints("s", {}, {33})}, attrs({{"periodic", int64_t{0}}})},
  });
}

TEST(SelectionOpsTest, MatchesOnnxShapeInference) {
  check_against_onnx({
      {"Unique", 11, {ints("u", {6}, {2, 1, 1, 3, 4, 3})}, {}, 4},
      {"Unique", 11, {ints("u", {2, 3}, {1, 0, 1, 1, 0, 1})}, attrs({{"axis", int64_t{1}}}), 4},
      // max_output_boxes_per_class absent: the default 0 selects nothing.
      {"NonMaxSuppression", 11, {x("b", {1, 10, 4}), x("s", {1, 3, 10})}, {}},
      {"NonMaxSuppression", 11,
       {x("b", {2, 10, 4}), x("s", {2, 3, 10}), ints("m", {1}, {0}), floats("iou", {1}, {0.5})},
       {}},
  });
}

TEST(LossOpsTest, MatchesOnnxShapeInference) {
  check_against_onnx({
      {"NegativeLogLikelihoodLoss", 13, {x("i", {4, 5}), x("t", {4}, DType::kInt64)},
       attrs({{"reduction", std::string("none")}})},
      {"NegativeLogLikelihoodLoss", 13, {x("i", {4, 5}), x("t", {4}, DType::kInt64)}, {}},
      {"NegativeLogLikelihoodLoss", 13,
       {x("i", {4, 5, 3, 2}), x("t", {4, 3, 2}, DType::kInt64), x("w", {5})},
       attrs({{"reduction", std::string("sum")}, {"ignore_index", int64_t{0}}})},
      {"SoftmaxCrossEntropyLoss", 13, {x("s", {4, 5, 3}), x("l", {4, 3}, DType::kInt64)},
       attrs({{"reduction", std::string("none")}}), 2},
      {"SoftmaxCrossEntropyLoss", 13,
       {x("s", {4, 5}), x("l", {4}, DType::kInt32), x("w", {5})}, {}, 2},
  });
}

TEST(RandomOpsTest, MatchesOnnxShapeInference) {
  check_against_onnx({
      {"RandomNormal", 1, {}, attrs({{"shape", V{2, 3}}})},
      {"RandomUniform", 1, {}, attrs({{"shape", V{4}}, {"dtype", int64_t{11}}})},
      {"RandomNormalLike", 1, {x("a", {3, 4})}, {}},
      {"RandomUniformLike", 1, {x("a", {3, 4})}, attrs({{"dtype", int64_t{10}}})},
      {"Bernoulli", 15, {x("p", {3, 4})}, {}},
      {"Bernoulli", 15, {x("p", {3, 4}, DType::kFloat64)}, attrs({{"dtype", int64_t{9}}})},
  });
}

TEST(StringOpsTest, MatchesOnnxShapeInference) {
  check_against_onnx({
      {"StringNormalizer", 10, {x("s", {1, 5}, DType::kString)},
       attrs({{"case_change_action", std::string("LOWER")}})},
      {"StringNormalizer", 10, {x("s", {5}, DType::kString)}, {}},
  });
}

}  // namespace
}  // namespace graphs
