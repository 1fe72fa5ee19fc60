// Torch module names of graph parameters (tp_modules.h): state_dict names, TorchScript exporter
// scopes, and the error for a weight that names no module. Real exports are checked in
// tests/python/test_tp_mapping.py.
#include <gtest/gtest.h>

#include "graphs/parallel/tp_modules.h"

namespace graphs {
namespace {

TEST(TpModulesTest, ScopeNamesJoinLikeNamedModules) {
  // A Sequential's child is scoped by its full name, a ModuleList's by its name in the parent.
  EXPECT_EQ(module_from_scope("/layer1/layer1.0/conv1/Conv"), "layer1.0.conv1");
  EXPECT_EQ(module_from_scope("/m/model/layers.0/self_attn/q_proj/MatMul"),
            "m.model.layers.0.self_attn.q_proj");
  EXPECT_EQ(module_from_scope("/features/features.1/conv/conv.0/conv.0.0/Conv"),
            "features.1.conv.0.0");
  EXPECT_EQ(module_from_scope("/0/MatMul_1"), "0");
  EXPECT_EQ(module_from_scope("/fc/Gemm"), "fc");
  EXPECT_EQ(module_from_scope("/Conv"), std::nullopt);           // no module
  EXPECT_EQ(module_from_scope("layer1.0.conv1"), std::nullopt);  // not a scope
  EXPECT_EQ(module_from_scope("//x/Conv"), std::nullopt);
}

Node node_named(const std::string& name) {
  Node n;
  n.name = name;
  n.op_type = "MatMul";
  return n;
}

Value initializer(const std::string& name) {
  Value v;
  v.name = name;
  v.kind = ValueKind::kInitializer;
  return v;
}

TEST(TpModulesTest, WeightNamesAModuleOrTheScopeDoes) {
  auto m = module_of_weight(node_named("layer1.0.conv1"), initializer("layer1.0.conv1.weight"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, "layer1.0.conv1");
  m = module_of_weight(node_named("/m/lm_head/MatMul"), initializer("onnx::MatMul_720"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, "m.lm_head");
  m = module_of_weight(node_named("node_linear"), initializer("val_46"));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message(),
            "weight 'val_46' of node 'node_linear' names no torch module (neither "
            "'<module>.weight' nor a TorchScript exporter scope '/a/b/Op'; export with "
            "torch.onnx.export(..., dynamo=False))");
  m = module_of_weight(node_named("/attn/MatMul"), initializer("encoder.attn.in_proj_weight"));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message(), "weight 'encoder.attn.in_proj_weight' is not a module's "
                                 "'.weight' (a packed parameter); plan.json cannot split it");
}

TEST(TpModulesTest, NodeModuleForATiedHead) {
  EXPECT_EQ(module_of_node(node_named("/m/lm_head/MatMul")), "m.lm_head");
  EXPECT_EQ(module_of_node(node_named("lm_head")), "lm_head");  // zoo: nodes named as modules
}

}  // namespace
}  // namespace graphs
