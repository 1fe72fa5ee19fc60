#include <gtest/gtest.h>

#include "graphs/ir/graph.h"

namespace graphs {
namespace {

TEST(GraphTest, TopologicalOrderDetectsCycle) {
  Graph g;
  const ValueId a = g.add_value({.name = "a"});
  const ValueId b = g.add_value({.name = "b"});
  g.add_node({.name = "n1", .op_type = "Relu", .inputs = {a}, .outputs = {b}});
  g.add_node({.name = "n2", .op_type = "Relu", .inputs = {b}, .outputs = {a}});
  auto order = g.topological_order();
  ASSERT_FALSE(order.ok());
  EXPECT_NE(order.error().message().find("cycle"), std::string::npos);
}

TEST(GraphTest, TopologicalOrderKeepsFileOrderAmongReadyNodes) {
  Graph g;
  const ValueId x = g.add_value({.name = "x", .kind = ValueKind::kGraphInput});
  g.inputs.push_back(x);
  const ValueId y = g.add_value({.name = "y"});
  const ValueId z = g.add_value({.name = "z"});
  const ValueId w = g.add_value({.name = "w"});
  g.add_node({.name = "last", .op_type = "Add", .inputs = {y, z}, .outputs = {w}});
  g.add_node({.name = "first", .op_type = "Relu", .inputs = {x}, .outputs = {y}});
  g.add_node({.name = "second", .op_type = "Relu", .inputs = {x}, .outputs = {z}});
  auto order = g.topological_order();
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(*order, (std::vector<NodeId>{1, 2, 0}));
}

TEST(TensorTypeTest, BytesRoundUpSubByteTypes) {
  EXPECT_EQ(TensorType::make(DType::kFloat16, {2, 3}).bytes(), 12);
  EXPECT_EQ(TensorType::make(DType::kInt4, {3}).bytes(), 2);
  TensorType sym;
  sym.dtype = DType::kFloat32;
  sym.shape = {Dim::symbol("batch"), Dim::fixed(3)};
  EXPECT_FALSE(sym.numel().has_value());
  EXPECT_EQ(sym.to_string(), "float32[batch,3]");
}

}  // namespace
}  // namespace graphs
