// A small builder for the zoo: graph inputs with symbolic dims, initializers with shapes and no
// contents (weights are never materialised), ONNX nodes with unique names, and the layer patterns
// the zoo models share (Linear, LayerNorm, GELU, multi-head attention) emitted the way
// torch.onnx.export writes them at opset 17.
//
// Initializers:
//   - `parameter` / `buffer`: shape only, no contents; named as in the PyTorch state_dict
//     ("layer1.0.conv1.weight", "bn1.running_mean"). PyTorch buffers that ONNX expresses as
//     BatchNormalization's input_mean/input_var are recognised structurally by `count_parameters`
//     (analysis/characterize.h); other buffers the zoo uses are integer or bool (position_ids, causal mask).
//   - `ints` / `int_scalar` / `float_scalar`: small constants with known contents (Value::data):
//     Reshape targets, axes, Slice bounds, and scalar operands such as the attention scale or the
//     ReLU6 bounds. Rank-0 float constants have one element and so never count as parameters.
//
// Linear layers on rank-3 activations are MatMul (+ Add) with the weight stored as [in, out]: the
// transpose that torch.onnx.export folds into the constant. Rank-2 Linear layers are Gemm with
// transB=1 and the PyTorch [out, in] weight.
//
// Thread safety: none; one builder builds one graph.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "graphs/ir/graph.h"

namespace graphs::zoo {

using Ints = std::vector<int64_t>;

/// Attributes from a list: `attrs({{"perm", Ints{0, 2, 1}}, {"axis", int64_t{1}}})`.
Attributes attrs(std::initializer_list<std::pair<std::string, Attribute>> items);

class GraphBuilder {
 public:
  /// A builder for a graph named `name` importing the default ONNX domain at `opset`.
  explicit GraphBuilder(std::string name, int opset = 17);

  // ---- values -------------------------------------------------------------------------------

  /// A graph input, e.g. input("input", kFloat32, {Dim::symbol("batch"), Dim::fixed(3), ...}).
  ValueId input(const std::string& name, DType dtype, std::vector<Dim> shape);
  /// A trainable parameter (nn.Parameter): shape, no contents.
  ValueId parameter(const std::string& name, const Ints& shape, DType dtype = DType::kFloat32);
  /// A non-trainable state tensor (PyTorch buffer): shape, no contents. The IR has no buffer flag:
  /// floating buffers (BatchNorm running statistics) are told apart by their use, see
  /// count_parameters in analysis/characterize.h; the zoo's other buffers are integer or bool.
  ValueId buffer(const std::string& name, const Ints& shape, DType dtype = DType::kFloat32);
  /// A 1-D int64 constant with known contents; identical constants are shared.
  ValueId ints(const Ints& values);
  /// A rank-0 int64 constant with known contents; shared.
  ValueId int_scalar(int64_t value);
  /// A rank-0 float32 constant with known contents; shared.
  ValueId float_scalar(double value);

  // ---- nodes --------------------------------------------------------------------------------

  /// Adds a node of the default domain. `name` is made unique by a "_1", "_2"… suffix when taken.
  /// Outputs are fresh values named after the node ("name" for one output, "name:i" for several)
  /// unless `output_names` gives a non-empty name; `num_outputs` = max(1, output_names.size()).
  std::vector<ValueId> add_node(const std::string& op_type, const std::string& name,
                                const std::vector<ValueId>& inputs, Attributes attributes = {},
                                std::size_t num_outputs = 1,
                                const std::vector<std::string>& output_names = {});
  /// Single-output add_node.
  ValueId op(const std::string& op_type, const std::string& name,
             const std::vector<ValueId>& inputs, Attributes attributes = {});
  /// Marks `v` as a graph output (in call order).
  void output(ValueId v);

  /// The finished graph. The builder is left empty.
  Graph finish();

  // ---- layers (torch.onnx.export patterns at opset 17) ----------------------------------------

  /// nn.Conv2d(bias=`bias`): Conv with square kernel `k`, stride, symmetric padding, groups.
  /// Parameters "<module>.weight" [out, in/groups, k, k] and "<module>.bias" [out].
  ValueId conv2d(const std::string& module, ValueId x, int64_t in_channels, int64_t out_channels,
                 int64_t k, int64_t stride, int64_t pad, int64_t groups = 1, bool bias = false);
  /// nn.BatchNorm2d (eval): BatchNormalization with parameters "<module>.weight", ".bias" and
  /// buffers ".running_mean", ".running_var" [channels]; epsilon 1e-5.
  ValueId batch_norm(const std::string& module, ValueId x, int64_t channels);
  /// Rank-2 nn.Linear: Gemm(transB=1), weight [out, in], bias [out]. The output value is named
  /// `output_name` when given (graph outputs), else after the node.
  ValueId gemm_linear(const std::string& module, ValueId x, int64_t in, int64_t out,
                      const std::string& output_name = "");
  /// Rank-3 Linear as exported: MatMul with weight [in, out] named `weight_name`, then Add of
  /// bias [out] named `bias_name` (no Add when `bias_name` is empty).
  ValueId matmul_linear(const std::string& module, ValueId x, int64_t in, int64_t out,
                        const std::string& weight_name, const std::string& bias_name);
  /// nn.Linear on rank 3 with PyTorch names "<module>.weight" / "<module>.bias".
  ValueId linear(const std::string& module, ValueId x, int64_t in, int64_t out);
  /// nn.LayerNorm over the last dim: LayerNormalization(axis=-1) with "<module>.weight"/".bias".
  /// The output value is named `output_name` when given.
  ValueId layer_norm(const std::string& module, ValueId x, int64_t dim, double epsilon,
                     const std::string& output_name = "");
  /// Exact GELU as exported: x * 0.5 * (1 + erf(x / sqrt(2))) → Div, Erf, Add, Mul, Mul.
  ValueId gelu_erf(const std::string& module, ValueId x);
  /// GPT-2's gelu_new (tanh approximation):
  /// 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³))) → Mul, Pow, Mul, Add, Mul, Tanh, Add, Mul.
  ValueId gelu_tanh(const std::string& module, ValueId x);

  /// [B, S, heads·head_dim] → [B, heads, S, head_dim] (Reshape [0, 0, heads, head_dim], then
  /// Transpose [0, 2, 1, 3]; `key_transposed` uses perm [0, 2, 3, 1] giving [B, heads, head_dim, S]).
  ValueId split_heads(const std::string& module, ValueId x, int64_t heads, int64_t head_dim,
                      bool key_transposed = false);
  /// [B, heads, S, head_dim] → [B, S, heads·head_dim] (Transpose, Reshape [0, 0, hidden]).
  ValueId merge_heads(const std::string& module, ValueId x, int64_t hidden);
  /// Scaled dot-product attention core on split heads: softmax(q·kᵀ / sqrt(head_dim) [masked])·v.
  /// `k_t` is the key already transposed ([B, h, d, S]). `add_mask`: added to the scores (BERT's
  /// extended mask) or kNoValue; `causal_mask`: a bool [1, 1, S, S] selecting kept scores (GPT-2's
  /// Where with finfo(float32).min) or kNoValue.
  ValueId attention_core(const std::string& module, ValueId q, ValueId k_t, ValueId v,
                         int64_t head_dim, ValueId add_mask = kNoValue,
                         ValueId causal_mask = kNoValue);

  /// Dim `axis` of `x` as a 1-D int64 tensor of length 1: Shape → Gather(indices=[axis]).
  ValueId dim_of(const std::string& module, ValueId x, int64_t axis);

 private:
  std::string unique_node_name(const std::string& name);
  ValueId add_initializer(const std::string& name, TensorType type, std::optional<ConstData> data);

  Graph graph_;
  int opset_;
  std::set<std::string> node_names_;
  std::map<std::string, ValueId> const_cache_;  // key: kind and contents
};

}  // namespace graphs::zoo
