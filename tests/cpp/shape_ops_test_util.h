// Small graph builder for the shape and data-movement op tests (ops_shape_test.cc,
// ops_data_movement_test.cc): values by name, initializers with contents, nodes at a given opset,
// and the cost of a node through its registered cost rule.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "graphs/analysis/shape_inference.h"
#include "graphs/ir/graph.h"
#include "graphs/ops/op_registry.h"

namespace graphs::shape_ops_test {

inline Attributes attrs(std::initializer_list<std::pair<std::string, Attribute>> list) {
  Attributes a;
  for (const auto& [name, value] : list) a.set(name, value);
  return a;
}

class GraphBuilder {
 public:
  explicit GraphBuilder(int opset = 17) : opset_(opset) { g.opsets[""] = opset; }

  /// A graph input of a static type, contents unknown.
  ValueId input(const std::string& name, DType dtype, const std::vector<int64_t>& dims) {
    const ValueId id =
        g.add_value({.name = name, .type = TensorType::make(dtype, dims), .kind = ValueKind::kGraphInput});
    g.inputs.push_back(id);
    return id;
  }

  /// An initializer without contents (a large weight).
  ValueId weight(const std::string& name, DType dtype, const std::vector<int64_t>& dims) {
    const ValueId id = g.add_value(
        {.name = name, .type = TensorType::make(dtype, dims), .kind = ValueKind::kInitializer});
    g.initializers.push_back(id);
    return id;
  }

  /// An integer initializer with contents.
  ValueId ints(const std::string& name, const std::vector<int64_t>& dims,
               std::vector<int64_t> values, DType dtype = DType::kInt64) {
    const ValueId id = weight(name, dtype, dims);
    g.value(id).data = ConstData::of_ints(std::move(values));
    return id;
  }

  /// A floating initializer with contents.
  ValueId floats(const std::string& name, const std::vector<int64_t>& dims,
                 std::vector<double> values, DType dtype = DType::kFloat32) {
    const ValueId id = weight(name, dtype, dims);
    g.value(id).data = ConstData::of_floats(std::move(values));
    return id;
  }

  /// A node; output values are created; "" names an omitted input. opset < 0: the builder's.
  NodeId node(const std::string& op, const std::string& name,
              const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
              Attributes a = {}, int opset = -1) {
    Node n;
    n.name = name;
    n.op_type = op;
    n.opset = opset < 0 ? opset_ : opset;
    n.attrs = std::move(a);
    for (const auto& in : inputs) {
      n.inputs.push_back(in.empty() ? kNoValue : g.find_value(in));
      EXPECT_TRUE(in.empty() || n.inputs.back() != kNoValue) << "no value '" << in << "'";
    }
    for (const auto& out : outputs) {
      ValueId id = g.find_value(out);
      if (id == kNoValue) id = g.add_value({.name = out});
      n.outputs.push_back(id);
    }
    return g.add_node(std::move(n));
  }

  Status infer() { return infer_shapes(g); }

  const Value& value(const std::string& name) const { return g.value(g.find_value(name)); }
  std::vector<int64_t> dims(const std::string& name) const { return value(name).type.dims(); }
  std::vector<int64_t> ints_of(const std::string& name) const {
    const Value& v = value(name);
    return v.data ? v.data->ints : std::vector<int64_t>{};
  }
  std::vector<double> floats_of(const std::string& name) const {
    const Value& v = value(name);
    return v.data ? v.data->floats : std::vector<double>{};
  }

  const Node& node_named(const std::string& name) const {
    for (const Node& n : g.nodes) {
      if (n.name == name) return n;
    }
    ADD_FAILURE() << "no node '" << name << "'";
    return g.nodes.front();
  }

  const OpSchema& schema_of(const std::string& node_name) const {
    const Node& n = node_named(node_name);
    const OpSchema* s = OpRegistry::global().find(n.domain, n.op_type);
    EXPECT_NE(s, nullptr) << n.op_type << " is not registered";
    return *s;
  }

  /// The node's cost through its registered cost rule (shapes must have been inferred).
  OpCost cost(const std::string& node_name, PrecisionMap precision = {}) const {
    const Node& n = node_named(node_name);
    CostContext ctx{n, n.opset, {}, {}, precision};
    for (ValueId v : n.inputs) ctx.inputs.push_back(v == kNoValue ? nullptr : &g.value(v));
    for (ValueId v : n.outputs) ctx.outputs.push_back(v == kNoValue ? nullptr : &g.value(v));
    return schema_of(node_name).cost(ctx);
  }

  Graph g;

 private:
  int opset_;
};

/// The error message of a failed inference (or "" with a test failure when it succeeded).
inline std::string infer_error(GraphBuilder& b) {
  Status s = b.infer();
  EXPECT_FALSE(s.ok()) << "inference unexpectedly succeeded";
  return s.ok() ? std::string() : s.error().message();
}

}  // namespace graphs::shape_ops_test
