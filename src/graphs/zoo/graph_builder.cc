#include "graphs/zoo/graph_builder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <sstream>

namespace graphs::zoo {

Attributes attrs(std::initializer_list<std::pair<std::string, Attribute>> items) {
  Attributes a;
  for (const auto& [name, value] : items) a.set(name, value);
  return a;
}

GraphBuilder::GraphBuilder(std::string name, int opset) : opset_(opset) {
  graph_.name = std::move(name);
  graph_.producer = "graphs zoo";
  graph_.opsets[""] = opset;
}

ValueId GraphBuilder::input(const std::string& name, DType dtype, std::vector<Dim> shape) {
  Value v;
  v.name = name;
  v.type.dtype = dtype;
  v.type.shape = std::move(shape);
  v.kind = ValueKind::kGraphInput;
  const ValueId id = graph_.add_value(std::move(v));
  graph_.inputs.push_back(id);
  return id;
}

ValueId GraphBuilder::add_initializer(const std::string& name, TensorType type,
                                      std::optional<ConstData> data) {
  Value v;
  v.name = name;
  v.type = std::move(type);
  v.kind = ValueKind::kInitializer;
  v.data = std::move(data);
  const ValueId id = graph_.add_value(std::move(v));
  graph_.initializers.push_back(id);
  return id;
}

ValueId GraphBuilder::parameter(const std::string& name, const Ints& shape, DType dtype) {
  return add_initializer(name, TensorType::make(dtype, shape), std::nullopt);
}

ValueId GraphBuilder::buffer(const std::string& name, const Ints& shape, DType dtype) {
  return add_initializer(name, TensorType::make(dtype, shape), std::nullopt);
}

ValueId GraphBuilder::ints(const Ints& values) {
  std::string key = "i64[";
  for (int64_t v : values) key += std::to_string(v) + ",";
  key += "]";
  if (auto it = const_cache_.find(key); it != const_cache_.end()) return it->second;
  const std::string name = "const.i64." + std::to_string(const_cache_.size());
  const ValueId id = add_initializer(
      name, TensorType::make(DType::kInt64, {static_cast<int64_t>(values.size())}),
      ConstData::of_ints(values));
  const_cache_[key] = id;
  return id;
}

ValueId GraphBuilder::int_scalar(int64_t value) {
  const std::string key = "i64 " + std::to_string(value);
  if (auto it = const_cache_.find(key); it != const_cache_.end()) return it->second;
  const std::string name = "const.i64." + std::to_string(const_cache_.size());
  const ValueId id =
      add_initializer(name, TensorType::make(DType::kInt64, {}), ConstData::of_ints({value}));
  const_cache_[key] = id;
  return id;
}

ValueId GraphBuilder::float_scalar(double value) {
  std::ostringstream key;
  key.precision(17);
  key << "f32 " << value;
  if (auto it = const_cache_.find(key.str()); it != const_cache_.end()) return it->second;
  const std::string name = "const.f32." + std::to_string(const_cache_.size());
  const ValueId id =
      add_initializer(name, TensorType::make(DType::kFloat32, {}), ConstData::of_floats({value}));
  const_cache_[key.str()] = id;
  return id;
}

std::string GraphBuilder::unique_node_name(const std::string& name) {
  std::string candidate = name;
  for (int i = 1; node_names_.count(candidate); ++i) candidate = name + "_" + std::to_string(i);
  node_names_.insert(candidate);
  return candidate;
}

std::vector<ValueId> GraphBuilder::add_node(const std::string& op_type, const std::string& name,
                                            const std::vector<ValueId>& inputs,
                                            Attributes attributes, std::size_t num_outputs,
                                            const std::vector<std::string>& output_names) {
  Node node;
  node.name = unique_node_name(name);
  node.op_type = op_type;
  node.opset = opset_;
  node.inputs = inputs;
  node.attrs = std::move(attributes);
  num_outputs = std::max<std::size_t>({1, num_outputs, output_names.size()});
  for (std::size_t i = 0; i < num_outputs; ++i) {
    Value v;
    if (i < output_names.size() && !output_names[i].empty()) {
      v.name = output_names[i];
    } else {
      v.name = num_outputs == 1 ? node.name : node.name + ":" + std::to_string(i);
    }
    // A value may already hold the node's name (e.g. an input called like a module); fall back to
    // a fresh name rather than collide.
    if (graph_.find_value(v.name) != kNoValue) v.name = node.name + ":out" + std::to_string(i);
    v.type.rank_known = false;
    node.outputs.push_back(graph_.add_value(std::move(v)));
  }
  std::vector<ValueId> outputs = node.outputs;
  graph_.add_node(std::move(node));
  return outputs;
}

ValueId GraphBuilder::op(const std::string& op_type, const std::string& name,
                         const std::vector<ValueId>& inputs, Attributes attributes) {
  return add_node(op_type, name, inputs, std::move(attributes), 1).front();
}

void GraphBuilder::output(ValueId v) {
  graph_.value(v).is_graph_output = true;
  graph_.outputs.push_back(v);
}

Graph GraphBuilder::finish() {
  Graph out = std::move(graph_);
  graph_ = Graph();
  node_names_.clear();
  const_cache_.clear();
  return out;
}

// ---- layers -----------------------------------------------------------------------------------

ValueId GraphBuilder::conv2d(const std::string& module, ValueId x, int64_t in_channels,
                             int64_t out_channels, int64_t k, int64_t stride, int64_t pad,
                             int64_t groups, bool bias) {
  std::vector<ValueId> in = {
      x, parameter(module + ".weight", {out_channels, in_channels / groups, k, k})};
  if (bias) in.push_back(parameter(module + ".bias", {out_channels}));
  return op("Conv", module, in,
            attrs({{"kernel_shape", Ints{k, k}},
                   {"strides", Ints{stride, stride}},
                   {"pads", Ints{pad, pad, pad, pad}},
                   {"dilations", Ints{1, 1}},
                   {"group", groups}}));
}

ValueId GraphBuilder::batch_norm(const std::string& module, ValueId x, int64_t channels) {
  return op("BatchNormalization", module,
            {x, parameter(module + ".weight", {channels}), parameter(module + ".bias", {channels}),
             buffer(module + ".running_mean", {channels}),
             buffer(module + ".running_var", {channels})},
            attrs({{"epsilon", 1e-5}, {"momentum", 0.9}}));
}

ValueId GraphBuilder::gemm_linear(const std::string& module, ValueId x, int64_t in, int64_t out,
                                  const std::string& output_name) {
  return add_node("Gemm", module,
                  {x, parameter(module + ".weight", {out, in}), parameter(module + ".bias", {out})},
                  attrs({{"alpha", 1.0}, {"beta", 1.0}, {"transB", int64_t{1}}}), 1,
                  {output_name})
      .front();
}

ValueId GraphBuilder::matmul_linear(const std::string& module, ValueId x, int64_t in, int64_t out,
                                    const std::string& weight_name,
                                    const std::string& bias_name) {
  ValueId y = op("MatMul", module + ".matmul", {x, parameter(weight_name, {in, out})});
  if (bias_name.empty()) return y;
  return op("Add", module + ".bias_add", {y, parameter(bias_name, {out})});
}

ValueId GraphBuilder::linear(const std::string& module, ValueId x, int64_t in, int64_t out) {
  return matmul_linear(module, x, in, out, module + ".weight", module + ".bias");
}

ValueId GraphBuilder::layer_norm(const std::string& module, ValueId x, int64_t dim,
                                 double epsilon, const std::string& output_name) {
  return add_node("LayerNormalization", module,
                  {x, parameter(module + ".weight", {dim}), parameter(module + ".bias", {dim})},
                  attrs({{"axis", int64_t{-1}}, {"epsilon", epsilon}}), 1, {output_name})
      .front();
}

ValueId GraphBuilder::gelu_erf(const std::string& module, ValueId x) {
  ValueId t = op("Div", module + ".div", {x, float_scalar(std::numbers::sqrt2)});
  t = op("Erf", module + ".erf", {t});
  t = op("Add", module + ".add", {t, float_scalar(1.0)});
  t = op("Mul", module + ".mul", {x, t});
  return op("Mul", module + ".mul", {t, float_scalar(0.5)});
}

ValueId GraphBuilder::gelu_tanh(const std::string& module, ValueId x) {
  const ValueId half_x = op("Mul", module + ".mul", {float_scalar(0.5), x});
  ValueId t = op("Pow", module + ".pow", {x, float_scalar(3.0)});
  t = op("Mul", module + ".mul", {float_scalar(0.044715), t});
  t = op("Add", module + ".add", {x, t});
  t = op("Mul", module + ".mul", {float_scalar(std::sqrt(2.0 / std::numbers::pi)), t});
  t = op("Tanh", module + ".tanh", {t});
  t = op("Add", module + ".add", {float_scalar(1.0), t});
  return op("Mul", module + ".mul", {half_x, t});
}

ValueId GraphBuilder::split_heads(const std::string& module, ValueId x, int64_t heads,
                                  int64_t head_dim, bool key_transposed) {
  const ValueId r = op("Reshape", module + ".reshape", {x, ints({0, 0, heads, head_dim})});
  return op("Transpose", module + ".transpose", {r},
            attrs({{"perm", key_transposed ? Ints{0, 2, 3, 1} : Ints{0, 2, 1, 3}}}));
}

ValueId GraphBuilder::merge_heads(const std::string& module, ValueId x, int64_t hidden) {
  const ValueId t =
      op("Transpose", module + ".transpose", {x}, attrs({{"perm", Ints{0, 2, 1, 3}}}));
  return op("Reshape", module + ".reshape", {t, ints({0, 0, hidden})});
}

ValueId GraphBuilder::attention_core(const std::string& module, ValueId q, ValueId k_t, ValueId v,
                                     int64_t head_dim, ValueId add_mask, ValueId causal_mask) {
  ValueId s = op("MatMul", module + ".qk", {q, k_t});
  s = op("Div", module + ".scale", {s, float_scalar(std::sqrt(static_cast<double>(head_dim)))});
  if (add_mask != kNoValue) s = op("Add", module + ".mask_add", {s, add_mask});
  if (causal_mask != kNoValue) {
    s = op("Where", module + ".causal", {causal_mask, s,
                                         float_scalar(std::numeric_limits<float>::lowest())});
  }
  s = op("Softmax", module + ".softmax", {s}, attrs({{"axis", int64_t{-1}}}));
  return op("MatMul", module + ".pv", {s, v});
}

ValueId GraphBuilder::dim_of(const std::string& module, ValueId x, int64_t axis) {
  const ValueId shape = op("Shape", module + ".shape", {x});
  return op("Gather", module + ".gather", {shape, ints({axis})}, attrs({{"axis", int64_t{0}}}));
}

}  // namespace graphs::zoo
