#include <gtest/gtest.h>

#include "graphs/analysis/shape_inference.h"

namespace graphs {
namespace {

Graph two_input_graph() {
  Graph g;
  Value ids{.name = "input_ids", .kind = ValueKind::kGraphInput};
  ids.type.dtype = DType::kInt64;
  ids.type.shape = {Dim::symbol("batch"), Dim::symbol("sequence")};
  Value img{.name = "pixels", .kind = ValueKind::kGraphInput};
  img.type.dtype = DType::kFloat32;
  img.type.shape = {Dim::symbol("batch"), Dim::fixed(3), Dim::symbol("height"), Dim::fixed(8)};
  g.inputs.push_back(g.add_value(ids));
  g.inputs.push_back(g.add_value(img));
  return g;
}

TEST(BindDimsTest, BatchSequenceAndNamedDims) {
  Graph g = two_input_graph();
  DimBindings b;
  b.batch = 4;
  b.seq_len = 64;
  b.named["height"] = 32;
  ASSERT_TRUE(bind_dims(g, b).ok());
  EXPECT_EQ(g.value(g.inputs[0]).type.dims(), (std::vector<int64_t>{4, 64}));
  EXPECT_EQ(g.value(g.inputs[1]).type.dims(), (std::vector<int64_t>{4, 3, 32, 8}));
}

TEST(BindDimsTest, UnboundDimNamesItAndTheFlag) {
  Graph g = two_input_graph();
  const auto s = bind_dims(g, DimBindings{});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().message().find("'height'"), std::string::npos);
  EXPECT_NE(s.error().message().find("--dim height=N"), std::string::npos);
}

TEST(BindDimsTest, NegativeBatchIsRejected) {
  Graph g = two_input_graph();
  DimBindings b;
  b.batch = -1;
  const auto s = bind_dims(g, b);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("batch must be a positive integer"), std::string::npos);
}

TEST(BindDimsTest, UnknownNamedDimSuggests) {
  Graph g = two_input_graph();
  DimBindings b;
  b.named["heigth"] = 32;
  const auto s = bind_dims(g, b);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("did you mean height"), std::string::npos);
}

TEST(InferShapesTest, UnknownOpNamesNodeOpAndOpset) {
  Graph g;
  g.opsets[""] = 17;
  Value x{.name = "x", .kind = ValueKind::kGraphInput};
  x.type = TensorType::make(DType::kFloat32, {2});
  g.inputs.push_back(g.add_value(x));
  const ValueId y = g.add_value({.name = "y"});
  g.add_node({.name = "mystery", .op_type = "FrobnicateV2", .opset = 17, .inputs = {g.inputs[0]},
              .outputs = {y}});
  const auto s = infer_shapes(g);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(s.error().message().find("FrobnicateV2 node 'mystery'"), std::string::npos);
  EXPECT_NE(s.error().message().find("opset 17"), std::string::npos);
}

}  // namespace
}  // namespace graphs
