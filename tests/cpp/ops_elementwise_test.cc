// Shape rules, constant folding and cost rules of the elementwise family (ops/elementwise.cc,
// ops/activations.cc), checked on tiny hand-built graphs against hand calculations.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "graphs/analysis/shape_inference.h"
#include "graphs/ir/graph.h"
#include "graphs/ops/op_registry.h"

namespace graphs {
namespace {

constexpr int kOpset = 17;

// Builds small graphs: graph inputs, initializers with known contents, and single-op nodes.
class GraphBuilder {
 public:
  Graph graph;

  ValueId input(const std::string& name, DType dtype, const std::vector<int64_t>& dims) {
    Value v;
    v.name = name;
    v.type = TensorType::make(dtype, dims);
    v.kind = ValueKind::kGraphInput;
    const ValueId id = graph.add_value(std::move(v));
    graph.inputs.push_back(id);
    return id;
  }

  ValueId ints(const std::string& name, DType dtype, const std::vector<int64_t>& dims,
               std::vector<int64_t> data) {
    return initializer(name, TensorType::make(dtype, dims), ConstData::of_ints(std::move(data)));
  }

  ValueId floats(const std::string& name, const std::vector<int64_t>& dims,
                 std::vector<double> data) {
    return initializer(name, TensorType::make(DType::kFloat32, dims),
                       ConstData::of_floats(std::move(data)));
  }

  /// Adds `op` named `name`; returns its node id. Outputs are named "<name>.out<i>".
  NodeId node(const std::string& op, const std::string& name, std::vector<ValueId> inputs,
              Attributes attrs = {}, int opset = kOpset, int num_outputs = 1) {
    Node n;
    n.name = name;
    n.op_type = op;
    n.opset = opset;
    n.inputs = std::move(inputs);
    n.attrs = std::move(attrs);
    for (int i = 0; i < num_outputs; ++i) {
      Value v;
      v.name = name + ".out" + std::to_string(i);
      n.outputs.push_back(graph.add_value(std::move(v)));
    }
    return graph.add_node(std::move(n));
  }

  /// Output i of node `id`.
  ValueId out(NodeId id, std::size_t i = 0) const { return graph.node(id).outputs[i]; }
  const Value& value_of(NodeId id, std::size_t i = 0) const { return graph.value(out(id, i)); }

 private:
  ValueId initializer(const std::string& name, TensorType type, ConstData data) {
    Value v;
    v.name = name;
    v.type = std::move(type);
    v.kind = ValueKind::kInitializer;
    v.data = std::move(data);
    const ValueId id = graph.add_value(std::move(v));
    graph.initializers.push_back(id);
    return id;
  }
};

Attributes attrs_with(const std::string& name, Attribute value) {
  Attributes a;
  a.set(name, std::move(value));
  return a;
}

OpCost cost_of(const Graph& g, NodeId id, PrecisionMap precision = {}) {
  const Node& n = g.node(id);
  const OpSchema* schema = OpRegistry::global().find(n.domain, n.op_type);
  EXPECT_NE(schema, nullptr) << n.op_type;
  if (!schema) return {};
  CostContext ctx{n, n.opset, {}, {}, precision};
  for (ValueId v : n.inputs) ctx.inputs.push_back(v == kNoValue ? nullptr : &g.value(v));
  for (ValueId v : n.outputs) ctx.outputs.push_back(v == kNoValue ? nullptr : &g.value(v));
  return schema->cost(ctx);
}

std::vector<int64_t> ints_of(const Value& v) {
  EXPECT_TRUE(v.data.has_value()) << v.name << " has no folded contents";
  if (!v.data) return {};
  EXPECT_FALSE(v.data->is_float) << v.name;
  return v.data->ints;
}

std::vector<double> floats_of(const Value& v) {
  EXPECT_TRUE(v.data.has_value()) << v.name << " has no folded contents";
  if (!v.data) return {};
  EXPECT_TRUE(v.data->is_float) << v.name;
  return v.data->floats;
}

TEST(ElementwiseOpsTest, AddBroadcastsNumpyStyle) {
  GraphBuilder b;
  const NodeId add = b.node("Add", "add", {b.input("x", DType::kFloat32, {2, 1, 4}),
                                           b.input("y", DType::kFloat32, {3, 1})});
  ASSERT_TRUE(infer_shapes(b.graph).ok());
  EXPECT_EQ(b.value_of(add).type, TensorType::make(DType::kFloat32, {2, 3, 4}));
  EXPECT_FALSE(b.value_of(add).data.has_value());
}

TEST(ElementwiseOpsTest, IncompatibleBroadcastErrorNamesNode) {
  GraphBuilder b;
  b.node("Mul", "bad_mul",
         {b.input("x", DType::kFloat32, {2, 3}), b.input("y", DType::kFloat32, {4})});
  const Status s = infer_shapes(b.graph);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kShapeError);
  EXPECT_NE(s.error().message().find("Mul node 'bad_mul'"), std::string::npos)
      << s.error().message();
}

TEST(ElementwiseOpsTest, WrongInputCountIsShapeError) {
  GraphBuilder b;
  const ValueId x = b.input("x", DType::kFloat32, {2});
  b.node("Add", "three_way_add", {x, x, x});
  const Status s = infer_shapes(b.graph);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kShapeError);
  EXPECT_NE(s.error().message().find("Add node 'three_way_add': expects 2 inputs, got 3"),
            std::string::npos)
      << s.error().message();

  GraphBuilder w;
  const ValueId c = w.input("c", DType::kBool, {2});
  w.node("Where", "where", {c, w.input("y", DType::kFloat32, {2})});
  EXPECT_FALSE(infer_shapes(w.graph).ok());
}

TEST(ElementwiseOpsTest, ComparisonsAndLogicalOpsGiveBool) {
  GraphBuilder b;
  const ValueId x = b.input("x", DType::kFloat32, {2, 3});
  const ValueId y = b.input("y", DType::kFloat32, {3});
  const NodeId less = b.node("Less", "less", {x, y});
  const NodeId eq = b.node("Equal", "eq", {x, y});
  const NodeId both = b.node("And", "and", {b.out(less), b.out(eq)});
  const NodeId not_nan = b.node("Not", "not", {b.out(b.node("IsNaN", "isnan", {x}))});
  const NodeId where = b.node("Where", "where", {b.out(both), y, x});
  ASSERT_TRUE(infer_shapes(b.graph).ok());
  EXPECT_EQ(b.value_of(less).type, TensorType::make(DType::kBool, {2, 3}));
  EXPECT_EQ(b.value_of(eq).type, TensorType::make(DType::kBool, {2, 3}));
  EXPECT_EQ(b.value_of(both).type, TensorType::make(DType::kBool, {2, 3}));
  EXPECT_EQ(b.value_of(not_nan).type, TensorType::make(DType::kBool, {2, 3}));
  EXPECT_EQ(b.value_of(where).type, TensorType::make(DType::kFloat32, {2, 3}));
}

TEST(ElementwiseOpsTest, CastAndCastLikeSetDtype) {
  GraphBuilder b;
  const ValueId x = b.input("x", DType::kFloat32, {4, 5});
  const NodeId half = b.node("Cast", "to_half", {x}, attrs_with("to", int64_t{10}));
  const NodeId like = b.node("CastLike", "like", {x, b.input("t", DType::kInt32, {1})});
  ASSERT_TRUE(infer_shapes(b.graph).ok());
  EXPECT_EQ(b.value_of(half).type, TensorType::make(DType::kFloat16, {4, 5}));
  EXPECT_EQ(b.value_of(like).type, TensorType::make(DType::kInt32, {4, 5}));
}

TEST(ElementwiseOpsTest, CastRejectsUnknownOrMissingTo) {
  GraphBuilder b;
  b.node("Cast", "bad_cast", {b.input("x", DType::kFloat32, {2})}, attrs_with("to", int64_t{99}));
  const Status s = infer_shapes(b.graph);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kShapeError);
  EXPECT_NE(s.error().message().find("Cast node 'bad_cast': attribute 'to' = 99"),
            std::string::npos)
      << s.error().message();

  GraphBuilder m;
  m.node("Cast", "no_to", {m.input("x", DType::kFloat32, {2})});
  EXPECT_FALSE(infer_shapes(m.graph).ok());
}

// The exporter pattern: shape arithmetic on int64, a -1 placeholder replaced with Where, and a
// scale computed in float then cast back with truncation.
TEST(ElementwiseOpsTest, FoldsShapeArithmeticChain) {
  GraphBuilder b;
  const ValueId shape = b.ints("shape", DType::kInt64, {4}, {2, 3, 8, 8});
  const ValueId two = b.ints("two", DType::kInt64, {}, {2});
  const ValueId one = b.ints("one", DType::kInt64, {1}, {1});
  const NodeId half = b.node("Div", "half", {shape, two});
  const NodeId doubled = b.node("Mul", "doubled", {b.out(half), two});
  const NodeId plus_one = b.node("Add", "plus_one", {b.out(doubled), one});

  const ValueId target = b.ints("target", DType::kInt64, {3}, {0, -1, 64});
  const ValueId minus_one = b.ints("minus_one", DType::kInt64, {}, {-1});
  const NodeId is_placeholder = b.node("Equal", "is_placeholder", {target, minus_one});
  const NodeId resolved = b.node("Where", "resolved", {b.out(is_placeholder), one, target});

  const NodeId as_float = b.node("Cast", "as_float", {b.out(plus_one)},
                                 attrs_with("to", int64_t{1}));
  const NodeId scaled = b.node("Mul", "scaled", {b.out(as_float), b.floats("s", {}, {-0.5})});
  const NodeId back = b.node("Cast", "back", {b.out(scaled)}, attrs_with("to", int64_t{7}));

  ASSERT_TRUE(infer_shapes(b.graph).ok());
  EXPECT_EQ(ints_of(b.value_of(half)), (std::vector<int64_t>{1, 1, 4, 4}));
  EXPECT_EQ(ints_of(b.value_of(doubled)), (std::vector<int64_t>{2, 2, 8, 8}));
  EXPECT_EQ(ints_of(b.value_of(plus_one)), (std::vector<int64_t>{3, 3, 9, 9}));
  EXPECT_EQ(b.value_of(plus_one).type, TensorType::make(DType::kInt64, {4}));
  EXPECT_EQ(b.value_of(is_placeholder).type, TensorType::make(DType::kBool, {3}));
  EXPECT_EQ(ints_of(b.value_of(is_placeholder)), (std::vector<int64_t>{0, 1, 0}));
  EXPECT_EQ(ints_of(b.value_of(resolved)), (std::vector<int64_t>{0, 1, 64}));
  EXPECT_EQ(b.value_of(as_float).type.dtype, DType::kFloat32);
  EXPECT_EQ(floats_of(b.value_of(as_float)), (std::vector<double>{3, 3, 9, 9}));
  EXPECT_EQ(floats_of(b.value_of(scaled)), (std::vector<double>{-1.5, -1.5, -4.5, -4.5}));
  EXPECT_EQ(b.value_of(back).type, TensorType::make(DType::kInt64, {4}));
  EXPECT_EQ(ints_of(b.value_of(back)), (std::vector<int64_t>{-1, -1, -4, -4}));  // toward zero
}

TEST(ElementwiseOpsTest, IntegerDivTruncatesAndModFollowsFmod) {
  GraphBuilder b;
  const ValueId a = b.ints("a", DType::kInt64, {4}, {-7, 7, -7, 7});
  const ValueId d = b.ints("d", DType::kInt64, {4}, {2, 2, -2, -2});
  const NodeId div = b.node("Div", "div", {a, d});
  const NodeId mod = b.node("Mod", "mod", {a, d});
  const NodeId fmod = b.node("Mod", "fmod", {a, d}, attrs_with("fmod", int64_t{1}));
  const ValueId zero = b.ints("zero", DType::kInt64, {}, {0});
  const NodeId by_zero = b.node("Div", "by_zero", {a, zero});
  ASSERT_TRUE(infer_shapes(b.graph).ok());
  EXPECT_EQ(ints_of(b.value_of(div)), (std::vector<int64_t>{-3, 3, 3, -3}));
  EXPECT_EQ(ints_of(b.value_of(mod)), (std::vector<int64_t>{1, 1, -1, -1}));   // divisor's sign
  EXPECT_EQ(ints_of(b.value_of(fmod)), (std::vector<int64_t>{-1, 1, -1, 1}));  // dividend's sign
  EXPECT_FALSE(b.value_of(by_zero).data.has_value());  // undefined: left unknown, not an error
}

TEST(ElementwiseOpsTest, FoldingBroadcastsInRowMajorOrder) {
  GraphBuilder b;
  const NodeId sub = b.node("Sub", "sub", {b.ints("col", DType::kInt32, {2, 1}, {10, 20}),
                                           b.ints("row", DType::kInt32, {3}, {1, 2, 3})});
  const NodeId max = b.node("Max", "max", {b.ints("p", DType::kInt64, {3}, {1, 5, 3}),
                                           b.ints("q", DType::kInt64, {1}, {2}),
                                           b.ints("r", DType::kInt64, {3}, {0, 0, 4})});
  ASSERT_TRUE(infer_shapes(b.graph).ok());
  EXPECT_EQ(b.value_of(sub).type, TensorType::make(DType::kInt32, {2, 3}));
  EXPECT_EQ(ints_of(b.value_of(sub)), (std::vector<int64_t>{9, 8, 7, 19, 18, 17}));
  EXPECT_EQ(ints_of(b.value_of(max)), (std::vector<int64_t>{2, 5, 4}));
}

TEST(ElementwiseOpsTest, CastWrapsNarrowIntegersAndMapsBool) {
  GraphBuilder b;
  const ValueId v = b.ints("v", DType::kInt64, {3}, {300, -1, 0});
  const NodeId to_i8 = b.node("Cast", "to_i8", {v}, attrs_with("to", int64_t{3}));
  const NodeId to_u8 = b.node("Cast", "to_u8", {v}, attrs_with("to", int64_t{2}));
  const NodeId to_bool = b.node("Cast", "to_bool", {v}, attrs_with("to", int64_t{9}));
  const NodeId f = b.node("Cast", "f", {b.floats("third", {1}, {1.0 / 3.0})},
                          attrs_with("to", int64_t{1}));
  ASSERT_TRUE(infer_shapes(b.graph).ok());
  EXPECT_EQ(ints_of(b.value_of(to_i8)), (std::vector<int64_t>{44, -1, 0}));
  EXPECT_EQ(ints_of(b.value_of(to_u8)), (std::vector<int64_t>{44, 255, 0}));
  EXPECT_EQ(ints_of(b.value_of(to_bool)), (std::vector<int64_t>{1, 1, 0}));
  EXPECT_EQ(floats_of(b.value_of(f)), (std::vector<double>{static_cast<float>(1.0 / 3.0)}));
}

TEST(ElementwiseOpsTest, FoldsUnaryMathOnKnownInputs) {
  GraphBuilder b;
  const ValueId x = b.floats("x", {4}, {4.0, 2.5, -2.5, 0.25});
  const NodeId sqrt = b.node("Sqrt", "sqrt", {b.out(b.node("Abs", "abs", {x}))});
  const NodeId floor = b.node("Floor", "floor", {x});
  const NodeId ceil = b.node("Ceil", "ceil", {x});
  const NodeId recip = b.node("Reciprocal", "recip", {x});
  const NodeId sign = b.node("Sign", "sign", {b.out(b.node("Neg", "neg", {x}))});
  const NodeId pow = b.node("Pow", "pow", {x, b.floats("e", {}, {2.0})});
  const NodeId ipow = b.node("Pow", "ipow", {b.ints("base", DType::kInt64, {2}, {3, -2}),
                                             b.ints("exp", DType::kInt64, {}, {3})});
  ASSERT_TRUE(infer_shapes(b.graph).ok());
  EXPECT_EQ(floats_of(b.value_of(sqrt)),
            (std::vector<double>{2.0, static_cast<float>(std::sqrt(2.5)),
                                 static_cast<float>(std::sqrt(2.5)), 0.5}));
  EXPECT_EQ(floats_of(b.value_of(floor)), (std::vector<double>{4, 2, -3, 0}));
  EXPECT_EQ(floats_of(b.value_of(ceil)), (std::vector<double>{4, 3, -2, 1}));
  EXPECT_EQ(floats_of(b.value_of(recip)), (std::vector<double>{0.25, 0.4f, -0.4f, 4}));
  EXPECT_EQ(floats_of(b.value_of(sign)), (std::vector<double>{-1, -1, 1, -1}));
  EXPECT_EQ(floats_of(b.value_of(pow)), (std::vector<double>{16, 6.25, 6.25, 0.0625}));
  EXPECT_EQ(ints_of(b.value_of(ipow)), (std::vector<int64_t>{27, -8}));
}

TEST(ElementwiseOpsTest, ClipTakesBoundsFromInputsOrLegacyAttributes) {
  GraphBuilder b;
  const ValueId x = b.ints("x", DType::kInt64, {4}, {-5, 0, 5, 10});
  const NodeId clip = b.node("Clip", "clip", {x, b.ints("lo", DType::kInt64, {}, {0}),
                                              b.ints("hi", DType::kInt64, {}, {6})});
  const NodeId min_only = b.node("Clip", "min_only", {x, b.ints("lo2", DType::kInt64, {}, {1})});
  Attributes legacy;
  legacy.set("min", 0.0);
  legacy.set("max", 6.0);
  const NodeId relu6 = b.node("Clip", "relu6", {b.floats("f", {3}, {-1, 3, 7})}, legacy, 6);
  ASSERT_TRUE(infer_shapes(b.graph).ok());
  EXPECT_EQ(ints_of(b.value_of(clip)), (std::vector<int64_t>{0, 0, 5, 6}));
  EXPECT_EQ(ints_of(b.value_of(min_only)), (std::vector<int64_t>{1, 1, 5, 10}));
  EXPECT_EQ(floats_of(b.value_of(relu6)), (std::vector<double>{0, 3, 6}));
  EXPECT_EQ(cost_of(b.graph, clip).flops, 8);      // 2 per element: max and min
  EXPECT_EQ(cost_of(b.graph, min_only).flops, 4);  // one bound
  EXPECT_EQ(cost_of(b.graph, relu6).flops, 6);
}

TEST(ElementwiseOpsTest, ClipRejectsNonScalarBoundsAndKeepsUnknownBoundsUnfolded) {
  GraphBuilder b;
  const ValueId x = b.ints("x", DType::kInt64, {2}, {-1, 9});
  const NodeId unknown = b.node("Clip", "unknown", {x, b.input("lo", DType::kInt64, {})});
  ASSERT_TRUE(infer_shapes(b.graph).ok());
  EXPECT_EQ(b.value_of(unknown).type, TensorType::make(DType::kInt64, {2}));
  EXPECT_FALSE(b.value_of(unknown).data.has_value());

  GraphBuilder bad;
  bad.node("Clip", "bad_clip", {bad.input("x", DType::kFloat32, {4}),
                                bad.ints("lo", DType::kFloat32, {2}, {0, 0})});
  const Status s = infer_shapes(bad.graph);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("Clip node 'bad_clip': min input 'lo' must be a scalar"),
            std::string::npos)
      << s.error().message();
}

TEST(ElementwiseOpsTest, PReluSlopeBroadcastsOnlyTowardX) {
  GraphBuilder b;
  const NodeId ok = b.node("PRelu", "prelu", {b.input("x", DType::kFloat32, {1, 4, 5, 5}),
                                              b.input("slope", DType::kFloat32, {4, 1, 1})});
  ASSERT_TRUE(infer_shapes(b.graph).ok());
  EXPECT_EQ(b.value_of(ok).type, TensorType::make(DType::kFloat32, {1, 4, 5, 5}));

  GraphBuilder bad;
  bad.node("PRelu", "wide", {bad.input("x", DType::kFloat32, {4}),
                             bad.input("slope", DType::kFloat32, {3, 4})});
  EXPECT_FALSE(infer_shapes(bad.graph).ok());
}

TEST(ElementwiseOpsTest, FoldsIsInfBitShiftAndLogicalOps) {
  GraphBuilder b;
  const double inf = std::numeric_limits<double>::infinity();
  const NodeId pos_inf = b.node("IsInf", "pos_inf", {b.floats("f", {3}, {inf, -inf, 1.0})},
                                attrs_with("detect_negative", int64_t{0}));
  const ValueId u = b.ints("u", DType::kUInt8, {2}, {3, 200});
  const NodeId shl = b.node("BitShift", "shl", {u, b.ints("k", DType::kUInt8, {}, {1})},
                            attrs_with("direction", std::string("LEFT")));
  const ValueId p = b.ints("p", DType::kBool, {4}, {0, 0, 1, 1});
  const ValueId q = b.ints("q", DType::kBool, {4}, {0, 1, 0, 1});
  const NodeId x_or = b.node("Xor", "xor", {p, q});
  const NodeId o_r = b.node("Or", "or", {p, q});
  ASSERT_TRUE(infer_shapes(b.graph).ok());
  EXPECT_EQ(ints_of(b.value_of(pos_inf)), (std::vector<int64_t>{1, 0, 0}));
  EXPECT_EQ(ints_of(b.value_of(shl)), (std::vector<int64_t>{6, 144}));  // 400 wraps in uint8
  EXPECT_EQ(ints_of(b.value_of(x_or)), (std::vector<int64_t>{0, 1, 1, 0}));
  EXPECT_EQ(ints_of(b.value_of(o_r)), (std::vector<int64_t>{0, 1, 1, 1}));

  GraphBuilder bad;
  bad.node("BitShift", "no_direction", {bad.input("a", DType::kUInt8, {2}),
                                        bad.input("b", DType::kUInt8, {2})});
  EXPECT_FALSE(infer_shapes(bad.graph).ok());
}

TEST(ElementwiseOpsTest, DropoutAndIdentityPassThroughAtZeroCost) {
  GraphBuilder b;
  const ValueId x = b.ints("x", DType::kInt64, {2}, {7, 9});
  const NodeId drop = b.node("Dropout", "drop", {x, b.floats("ratio", {}, {0.1})}, {}, 13, 2);
  const NodeId id = b.node("Identity", "id", {b.out(drop)});
  ASSERT_TRUE(infer_shapes(b.graph).ok());
  EXPECT_EQ(b.value_of(drop).type, TensorType::make(DType::kInt64, {2}));
  EXPECT_EQ(ints_of(b.value_of(drop)), (std::vector<int64_t>{7, 9}));
  EXPECT_EQ(b.value_of(drop, 1).type, TensorType::make(DType::kBool, {2}));
  EXPECT_EQ(ints_of(b.value_of(id)), (std::vector<int64_t>{7, 9}));
  for (const char* op : {"Dropout", "Identity"}) {
    EXPECT_EQ(OpRegistry::global().find("", op)->op_class, OpClass::kShape) << op;
  }
  const OpCost c = cost_of(b.graph, drop);
  EXPECT_EQ(c.flops, 0);
  EXPECT_EQ(c.bytes_read + c.bytes_written, 0);
}

TEST(ElementwiseOpsTest, AddCostMatchesHandCount) {
  GraphBuilder b;
  const NodeId add = b.node("Add", "add", {b.input("x", DType::kFloat32, {2, 3, 4}),
                                           b.input("y", DType::kFloat32, {2, 3, 4})});
  ASSERT_TRUE(infer_shapes(b.graph).ok());
  const OpCost c = cost_of(b.graph, add);
  EXPECT_EQ(c.macs, 0);
  EXPECT_EQ(c.flops, 24);
  EXPECT_EQ(c.bytes_read, 192);  // 2 inputs × 24 × 4 bytes
  EXPECT_EQ(c.bytes_written, 96);
  const OpCost half = cost_of(b.graph, add, PrecisionMap{DType::kFloat16});
  EXPECT_EQ(half.flops, 24);
  EXPECT_EQ(half.bytes_read, 96);
  EXPECT_EQ(half.bytes_written, 48);
}

TEST(ElementwiseOpsTest, ActivationAndSelectCostsFollowDocumentedConvention) {
  GraphBuilder b;
  const ValueId x = b.input("x", DType::kFloat32, {10});
  const NodeId sigmoid = b.node("Sigmoid", "sigmoid", {x});
  const NodeId gelu = b.node("Gelu", "gelu", {x}, {}, 20);
  const NodeId gelu_tanh =
      b.node("Gelu", "gelu_tanh", {x}, attrs_with("approximate", std::string("tanh")), 20);
  const NodeId sum = b.node("Sum", "sum", {x, x, x});
  const NodeId pow2 = b.node("Pow", "pow2", {x, b.floats("two", {}, {2.0})});
  const NodeId pow = b.node("Pow", "pow", {x, x});
  const ValueId c = b.input("c", DType::kBool, {10});
  const NodeId where = b.node("Where", "where", {c, x, x});
  const NodeId cast = b.node("Cast", "cast", {x}, attrs_with("to", int64_t{10}));
  ASSERT_TRUE(infer_shapes(b.graph).ok());
  const Graph& g = b.graph;
  EXPECT_EQ(cost_of(g, sigmoid).flops, 40);
  EXPECT_EQ(cost_of(g, gelu).flops, 50);
  EXPECT_EQ(cost_of(g, gelu_tanh).flops, 90);
  EXPECT_EQ(cost_of(g, sum).flops, 20);  // n-1 = 2 adds per element
  EXPECT_EQ(cost_of(g, pow2).flops, 10);
  EXPECT_EQ(cost_of(g, pow).flops, 30);
  const OpCost w = cost_of(g, where);
  EXPECT_EQ(w.flops, 10);
  EXPECT_EQ(w.bytes_read, 10 + 40 + 40);  // bool condition at 1 byte per element
  const OpCost k = cost_of(g, cast);
  EXPECT_EQ(k.flops, 0);
  EXPECT_EQ(k.bytes_read, 40);
  EXPECT_EQ(k.bytes_written, 20);
}

TEST(ElementwiseOpsTest, GeluRejectsUnknownApproximation) {
  GraphBuilder b;
  b.node("Gelu", "gelu", {b.input("x", DType::kFloat32, {3})},
         attrs_with("approximate", std::string("fast")), 20);
  const Status s = infer_shapes(b.graph);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("Gelu node 'gelu'"), std::string::npos);
}

TEST(ElementwiseOpsTest, LargeKnownTensorsAreNotFolded) {
  GraphBuilder b;
  const ValueId big = b.ints("big", DType::kInt64, {kMaxConstElements + 1},
                             std::vector<int64_t>(kMaxConstElements + 1, 1));
  const NodeId add = b.node("Add", "add", {big, big});
  ASSERT_TRUE(infer_shapes(b.graph).ok());
  EXPECT_EQ(b.value_of(add).type, TensorType::make(DType::kInt64, {kMaxConstElements + 1}));
  EXPECT_FALSE(b.value_of(add).data.has_value());
}

TEST(ElementwiseOpsTest, EveryFamilyOpIsRegisteredWithANote) {
  const std::vector<std::string> ops = {
      "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Neg", "Abs", "Sqrt", "Reciprocal", "Exp", "Log",
      "Erf", "Tanh", "Sigmoid", "Relu", "LeakyRelu", "Elu", "Selu", "Celu", "Gelu", "HardSigmoid",
      "HardSwish", "Mish", "Softplus", "Softsign", "PRelu", "ThresholdedRelu", "Clip", "Min",
      "Max", "Mean", "Sum", "Where", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
      "And", "Or", "Xor", "Not", "IsNaN", "IsInf", "Sign", "Floor", "Ceil", "Round", "Cos", "Sin",
      "Tan", "Acos", "Asin", "Atan", "Sinh", "Cosh", "BitwiseAnd", "BitwiseOr", "BitwiseXor",
      "BitwiseNot", "BitShift", "Cast", "CastLike", "Shrink"};
  for (const auto& op : ops) {
    const OpSchema* s = OpRegistry::global().find("", op);
    ASSERT_NE(s, nullptr) << op;
    EXPECT_EQ(s->op_class, OpClass::kElementwise) << op;
    EXPECT_FALSE(s->flops_note.empty()) << op;
    EXPECT_TRUE(s->infer && s->cost) << op;
  }
}

}  // namespace
}  // namespace graphs
